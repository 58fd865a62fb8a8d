"""What every drawing shares: the optional graphviz import, the `Drawing` class that falls
back to text without `dot`, colours, number formatting and escaping."""

from __future__ import annotations

import html
import math
import re
import subprocess
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from micrograd.engine import Value

if TYPE_CHECKING:  # graphviz is optional: imported when something is drawn
    import graphviz

INSTALL_GRAPHVIZ_PACKAGE = "pip install 'micrograd-paths[viz]'"
INSTALL_DOT = (
    "Install Graphviz to see it as a picture: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS), conda install -c conda-forge graphviz, "
    "or see https://graphviz.org/download/ (then restart the kernel)."
)

# Seconds `dot` may take to show a drawing in Jupyter or in `micrograd explain --graph`;
# then it is stopped and the drawing shown as text. Usual drawings take well under a second.
DOT_TIMEOUT = 30.0

FONT = "Helvetica"  # fontconfig maps it to a sans font that has ∂, Σ and δ
HIGHLIGHT = "#d62728"
DIMMED = "#b8b8b8"
GRAD_INK = "#7a3e9d"  # gradients in the network view

# kind -> (fill, border, text colour); see _value_kind for what each kind means
KIND_COLOURS = {
    "input": ("#dbe9fb", "#4a78b5", "black"),
    "parameter": ("#d9f2d9", "#3f8f3f", "black"),
    "constant": ("#f0f0f0", "#a8a8a8", "#606060"),
    "interior": ("#ffffff", "#8c8c8c", "black"),
    "output": ("#ffe8a3", "#b8860b", "black"),
}
KIND_NAMES = {
    "input": "input",
    "parameter": "parameter",
    "constant": "constant",
    "interior": "computed",
    "output": "output",
}


# --------------------------------------------------------------------------- graphviz


class DotTimeoutError(TimeoutError):
    """Graphviz's `dot` took longer than allowed and was stopped."""


def _import_graphviz():
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            f"drawing needs the graphviz Python package: {INSTALL_GRAPHVIZ_PACKAGE} "
            "(and Graphviz's `dot` program to render: sudo apt-get install graphviz)"
        ) from error
    return graphviz


@cache
def _drawing_class() -> type:
    """graphviz.Digraph, made to show itself as text in Jupyter when `dot` is missing.

    Built on first use so that importing this module never needs graphviz.
    """
    graphviz = _import_graphviz()

    class Drawing(graphviz.Digraph):
        """A `graphviz.Digraph` whose Jupyter display falls back to text without `dot`.

        Only the notebook display is forgiving: ``pipe``, ``render`` and ``view`` raise
        as graphviz's do. ``render`` and ``view`` delete the DOT source file they write
        on the way unless ``cleanup=False``: ``render("graph", format="png")`` leaves
        graph.png alone. Outside Jupyter, ``repr`` says what is drawn and how to see it.
        """

        text_summary: str = ""  # what the drawing says, shown when it cannot be rendered
        size: str = ""  # what is drawn, counted: "7 values, 6 edges"

        def __repr__(self) -> str:
            size = f" {self.size};" if self.size else ""
            see = 'Jupyter shows it, .render("graph", format="png") writes graph.png, .view() opens it'
            return f"<micrograd drawing:{size} {see}>"

        # graphviz keeps the DOT file it renders from unless told not to; a learner who asked
        # for a picture gets the picture only (cleanup=False keeps the source, as graphviz does).
        def render(self, *args, cleanup: bool = True, **kwargs) -> str:
            return super().render(*args, cleanup=cleanup, **kwargs)

        def view(self, *args, cleanup: bool = True, **kwargs) -> str:
            return super().view(*args, cleanup=cleanup, **kwargs)

        timeout: float | None = None  # seconds `dot` may take in Jupyter; None: DOT_TIMEOUT

        def pipe(self, format: str | None = None, *args, timeout: float | None = None, **kwargs):
            """graphviz's `pipe`; with `timeout` (seconds) `dot` is stopped after that long
            and `DotTimeoutError` raised (then only `format` and `encoding` are accepted)."""
            if timeout is None:
                return super().pipe(format, *args, **kwargs)
            if args:
                raise TypeError("with a timeout, pipe takes only format and encoding")
            return _pipe_within(self, format or self.format, timeout, **kwargs)

        def pipe_bounded(self, format: str, encoding: str | None = None):
            """`pipe`, stopping `dot` after this drawing's `timeout` (else `DOT_TIMEOUT`) seconds."""
            timeout = self.timeout if self.timeout is not None else DOT_TIMEOUT
            return self.pipe(format=format, encoding=encoding, timeout=timeout)

        # graphviz's Jupyter display calls these; ours cannot hang the notebook.
        def _repr_image_svg_xml(self) -> str:
            return self.pipe_bounded("svg", "utf-8")

        def _repr_image_png(self) -> bytes:
            return self.pipe_bounded("png")

        def _repr_image_jpeg(self) -> bytes:
            return self.pipe_bounded("jpeg")

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict[str, Any]:
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except graphviz.ExecutableNotFound:
                return {"text/plain": self.fallback_text()}
            except graphviz.CalledProcessError as error:
                why = (error.stderr or b"").decode("utf-8", "replace").strip() or str(error)
                return {"text/plain": self.fallback_text(f"Graphviz's `dot` failed ({why})")}
            except DotTimeoutError as error:
                return {"text/plain": self.fallback_text(str(error))}

        def _repr_svg_(self) -> str | None:
            # None tells IPython "no SVG here", so it shows the text instead of an error.
            try:
                return self._repr_image_svg_xml()
            except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, DotTimeoutError):
                return None

        def fallback_text(self, problem: str | None = None) -> str:
            """The drawing as text, headed by why (by default: how to install Graphviz)."""
            if problem is None:
                head = f"[Graphviz's `dot` program was not found, so this drawing is shown as text. {INSTALL_DOT}]"
            else:
                head = f"[{problem}, so this drawing is shown as text.]"
            return f"{head}\n{self.text_summary}" if self.text_summary else head

    Drawing.__qualname__ = "Drawing"  # reads as micrograd.viz.Drawing, not <locals>
    Drawing.__module__ = "micrograd.viz"
    return Drawing


def _pipe_within(drawing: graphviz.Digraph, format: str, timeout: float, encoding: str | None = None):
    """Run `dot` on the drawing's source, stopping it after `timeout` seconds."""
    graphviz = _import_graphviz()
    command = [drawing.engine, f"-T{format}"]
    try:
        done = subprocess.run(command, input=drawing.source.encode("utf-8"), capture_output=True, timeout=timeout)
    except FileNotFoundError:
        raise graphviz.ExecutableNotFound(command) from None
    except subprocess.TimeoutExpired:  # run() has killed dot already
        raise DotTimeoutError(
            f"Graphviz's `dot` took more than {timeout:g} s to lay out this drawing and was stopped"
        ) from None
    if done.returncode:
        raise graphviz.CalledProcessError(done.returncode, command, output=done.stdout, stderr=done.stderr)
    return done.stdout.decode(encoding) if encoding else done.stdout


def _new_drawing(name: str, engine: str = "dot", **graph_attr: str) -> graphviz.Digraph:
    drawing = _drawing_class()(
        name,
        engine=engine,
        graph_attr={"fontname": FONT, **graph_attr},
        node_attr={"fontname": FONT, "fontsize": "12"},
        edge_attr={"fontname": FONT, "fontsize": "10", "arrowsize": "0.7", "color": "#555555"},
    )
    return drawing


# --------------------------------------------------------------------------- small helpers


def fmt(x: float, digits: int = 4) -> str:
    """A number to `digits` significant figures, the shortest way: ``6``, ``-0.5``, ``0.3333``,
    ``1.235e-05``.

    Significant figures, not a fixed number of decimals, so that a small gradient is never
    printed as ``0.0000`` as if it were zero; only zero itself prints as ``0`` (``-0.0`` too).
    Magnitudes below 10⁻⁴ or from 10⁹ on are written with an exponent.

    >>> [fmt(2.0), fmt(-1 / 3), fmt(12345.678), fmt(-2.5e-5), fmt(0.0)]
    ['2', '-0.3333', '12346', '-2.5e-05', '0']
    """
    if x == 0:
        return "0"
    if 1e-4 <= abs(x) < 1e9:
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
        text = f"{x:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{exponent}"


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# Characters XML (so a Graphviz HTML-like label) cannot hold: control characters but tab and
# newline, lone surrogates, U+FFFE and U+FFFF. Also \r, which would break a line unseen.
_NOT_XML = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _visible(text: str) -> str:
    """`text` with every character XML cannot hold written as its Python escape (``\\x07``)."""
    return _NOT_XML.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def _escape(text: str) -> str:
    r"""User text for an HTML-like label: any characters are safe. Newlines become breaks;
    control characters and lone surrogates, which `dot` cannot read, show as escapes. A ``]``
    is written as a character reference: `dot` (2.43) fails on ``]`` right before a tag.

    >>> _escape("a<b\x07\ud800")
    'a&lt;b\\x07\\ud800'
    >>> _escape("x[1]")
    'x[1&#93;'
    """
    return html.escape(_visible(text)).replace("]", "&#93;").replace("\n", "<BR/>")


def _check_limit(name: str, limit: int | None) -> int | None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"{name} must be a positive int or None (no limit), got {limit!r}")
    return limit


def _value_set(name: str, values: Iterable[Value] | None) -> set[Value]:
    if values is None:
        return set()
    if isinstance(values, Value):
        return {values}
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be Values (e.g. model.parameters()), got {type(values).__name__} {values!r}")
    found = set()
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"{name} must contain only Values, got {type(v).__name__} {v!r}")
        found.add(v)
    return found


def _value_list(name: str, values: object) -> list[Value]:
    if isinstance(values, Value):
        return [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a Value or a list of Values, got {type(values).__name__} {values!r}")
    values = list(values)
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"{name} must contain only Values, got {type(v).__name__} {v!r}")
    return values
