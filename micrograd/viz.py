"""Drawings: the computation graph behind a value, and the neurons of a network.

Both return a `graphviz.Digraph` (needs the optional ``graphviz`` package:
``pip install 'micrograd-paths[viz]'``, and Graphviz's ``dot`` program to render).

>>> from micrograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b + a
>>> c.backward()
>>> drawing = draw_dot(c, highlight=a)       # every path from a to c stands out
>>> 'grad -2.0000' in drawing.source           # a.grad = b + 1
True

In Jupyter a drawing shows itself as SVG; without ``dot`` it shows as text that says how
to install Graphviz, so a notebook never fails just because ``dot`` is missing.
``.pipe()`` and ``.render()`` behave exactly as graphviz's (they raise
``graphviz.ExecutableNotFound``).

Node names are numbered in topological order (``v0``, ``v1``, … and ``op3`` for the
operation that made ``v3``), never taken from ``id()``, so the same graph always gives
the same DOT text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from micrograd.engine import Value, enable_grad, topological_order

if TYPE_CHECKING:  # graphviz is optional: imported when something is drawn
    import graphviz

__all__ = ["DEFAULT_MAX_NODES", "draw_dot", "draw_network"]

DEFAULT_MAX_NODES = 500  # values; beyond this a drawing is unreadable and `dot` gets slow
DEFAULT_MAX_NEURONS = 200  # neurons plus inputs in a network view
_EXACT_COUNT_UP_TO = 100_000  # an error message counts this far, then says "more than"

INSTALL_GRAPHVIZ_PACKAGE = "pip install 'micrograd-paths[viz]'"
INSTALL_DOT = (
    "Install Graphviz to see it as a picture: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS), conda install -c conda-forge graphviz, "
    "or see https://graphviz.org/download/ (then restart the kernel)."
)

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
RANKDIRS = ("LR", "RL", "TB", "BT")


# --------------------------------------------------------------------------- graphviz


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
        as graphviz's do.
        """

        text_summary: str = ""  # what the drawing says, shown when it cannot be rendered

        def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict[str, Any]:
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except graphviz.ExecutableNotFound:
                return {"text/plain": self.fallback_text()}
            except graphviz.CalledProcessError as error:
                why = (error.stderr or b"").decode("utf-8", "replace").strip() or str(error)
                return {"text/plain": self.fallback_text(f"Graphviz's `dot` failed ({why})")}

        def _repr_svg_(self) -> str | None:
            # None tells IPython "no SVG here", so it shows the text instead of an error.
            try:
                return self.pipe(format="svg", encoding="utf-8")
            except (graphviz.ExecutableNotFound, graphviz.CalledProcessError):
                return None

        def fallback_text(self, problem: str | None = None) -> str:
            """The drawing as text, headed by why (by default: how to install Graphviz)."""
            if problem is None:
                head = f"[Graphviz's `dot` program was not found, so this drawing is shown as text. {INSTALL_DOT}]"
            else:
                head = f"[{problem}, so this drawing is shown as text.]"
            return f"{head}\n{self.text_summary}" if self.text_summary else head

    Drawing.__qualname__ = "Drawing"  # reads as micrograd.viz.Drawing, not <locals>
    return Drawing


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


def fmt(x: float) -> str:
    """A number with 4 decimals, as micrograd's drawings print them (`-0.0000` is `0.0000`)."""
    text = f"{x:.4f}" if abs(x) < 1e9 else f"{x:.4e}"
    return "0.0000" if text == "-0.0000" else text


def _escape(text: str) -> str:
    """User text for an HTML-like label: any characters are safe, newlines become breaks."""
    return html.escape(text).replace("\n", "<BR/>")


def _check_rankdir(rankdir: str) -> str:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    return rankdir


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


def _count_values(root: Value, stop_after: int) -> int:
    """How many values `root` depends on (itself included), counting no further than
    `stop_after` + 1: the question is only ever "too many?"."""
    seen = {root}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                if len(seen) > stop_after:
                    return len(seen)
                stack.append(parent)
    return len(seen)


def _check_size(root: Value, max_nodes: int | None) -> None:
    if max_nodes is None or _count_values(root, max_nodes) <= max_nodes:
        return
    # Too big: count further (bounded) so that the message can say how big.
    n = _count_values(root, _EXACT_COUNT_UP_TO)
    size = f"{n:,} values" if n <= _EXACT_COUNT_UP_TO else f"more than {_EXACT_COUNT_UP_TO:,} values"
    raise ValueError(
        f"draw_dot: the graph has {size}, over the limit max_nodes={max_nodes:,}; a drawing that "
        "large is unreadable and slow to lay out. Draw a smaller part (for example one neuron's "
        "output, or a loss on a single example), or raise the limit with max_nodes=N "
        "(max_nodes=None for no limit)."
    )


# --------------------------------------------------------------------------- highlight


def _is_path(obj: object) -> bool:
    """Duck-typed `micrograd.explain.Path`: anything with a sequence of `nodes`."""
    return not isinstance(obj, Value) and isinstance(getattr(obj, "nodes", None), Sequence)


def _highlight_items(highlight: object) -> list:
    """`highlight` as a list of paths and nodes."""
    if highlight is None:
        return []
    if isinstance(highlight, Value) or _is_path(highlight):
        return [highlight]
    if isinstance(highlight, (str, bytes)) or not isinstance(highlight, Iterable):
        raise TypeError(
            "highlight must be a Value, a path (from micrograd.paths) or a list of them, "
            f"got {type(highlight).__name__} {highlight!r}"
        )
    items = list(highlight)
    for item in items:
        if not (isinstance(item, Value) or _is_path(item)):
            raise TypeError(f"highlight items must be Values or paths, got {type(item).__name__} {item!r}")
    return items


Edge = tuple[Value, int]  # (child, j): the edge from child.parents[j] into child


def _path_edges(path: Any, index: dict[Value, int]) -> tuple[list[Value], list[Edge]]:
    nodes = list(path.nodes)
    for node in nodes:
        if not isinstance(node, Value):
            raise TypeError(f"a path's nodes must be Values, got {type(node).__name__} {node!r}")
        if node not in index:
            raise ValueError(f"highlight: {node!r} on the path is not part of the drawn graph")
    steps = getattr(path, "edge_indices", None)
    edges = []
    for i, (start, end) in enumerate(pairwise(nodes)):
        if steps is not None:
            j = steps[i]
            if not (0 <= j < len(end.parents)) or end.parents[j] is not start:
                raise ValueError(f"highlight: the path's edge_indices[{i}] = {j} is no edge from {start!r} to {end!r}")
            edges.append((end, j))
        else:  # no indices: every parallel edge between the two nodes
            found = [(end, j) for j, parent in enumerate(end.parents) if parent is start]
            if not found:
                raise ValueError(f"highlight: the path goes from {start!r} to {end!r}, which is not an edge")
            edges.extend(found)
    return nodes, edges


def _cone(start: Value, order: list[Value], index: dict[Value, int]) -> tuple[set[Value], list[Edge]]:
    """Every node and edge on some path from `start` to the root (the last of `order`)."""
    if start not in index:
        raise ValueError(f"highlight: {start!r} is not part of the drawn graph (the root does not depend on it)")
    reached = {start}
    edges = []
    for node in order[index[start] + 1 :]:  # parents come first, so one pass forwards
        for j, parent in enumerate(node.parents):
            if parent in reached:
                reached.add(node)
                edges.append((node, j))
    return reached, edges


def _resolve_highlight(highlight: object, order: list[Value], index: dict[Value, int]):
    """The values and edges to make stand out."""
    nodes: set[Value] = set()
    edges: set[Edge] = set()
    for item in _highlight_items(highlight):
        found_nodes, found_edges = _cone(item, order, index) if isinstance(item, Value) else _path_edges(item, index)
        nodes.update(found_nodes)
        edges.update(found_edges)
    return nodes, edges


# --------------------------------------------------------------------------- draw_dot


def _value_kind(node: Value, root: Value, params: set[Value], inputs: set[Value]) -> str:
    """output, computed (interior), parameter, input, or constant.

    Without hints a labelled leaf is an input and an unlabelled one a constant (what
    ``x + 1`` makes); `params`/`inputs` override that, e.g. ``params=model.parameters()``.
    """
    if node is root:
        return "output"
    if node.parents:
        return "interior"
    if node in params:
        return "parameter"
    if node in inputs or node.label:
        return "input"
    return "constant"


def _value_label(node: Value, kind: str, marked: bool) -> str:
    fill, border, ink = KIND_COLOURS[kind]
    if marked:
        border = HIGHLIGHT
    width = 2 if marked or kind == "output" else 1
    cells = []
    if node.label:
        cells.append(f"<B>{_escape(node.label)}</B>")
    cells += [f"data {fmt(node.data)}", f"grad {fmt(node.grad)}"]
    row = "<VR/>".join(f'<TD><FONT COLOR="{ink}">{cell}</FONT></TD>' for cell in cells)
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" '
        f'BGCOLOR="{fill}" COLOR="{border}"><TR>{row}</TR></TABLE>>'
    )


def _legend(kinds: set[str], show_local_grads: bool, highlighted: bool) -> str:
    cells = []
    for kind in KIND_COLOURS:
        if kind in kinds:
            fill, border, ink = KIND_COLOURS[kind]
            swatch = f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1">'
            cells.append(f'{swatch}<FONT COLOR="{ink}">{KIND_NAMES[kind]}</FONT></TD>')
    if show_local_grads:
        cells.append("<TD>edge numbers: local derivatives ∂out/∂in</TD>")
    if highlighted:
        cells.append(f'<TD><FONT COLOR="{HIGHLIGHT}">highlighted paths</FONT></TD>')
    table = f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>{"".join(cells)}</TR></TABLE>'
    return f'<<FONT POINT-SIZE="10">{table}</FONT>>'


_MARKED_EDGE = {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "2.5"}
_DIMMED_EDGE = {"color": DIMMED, "fontcolor": "#9a9a9a"}


def _draw_operation(
    drawing: graphviz.Digraph,
    i: int,
    node: Value,
    index: dict[Value, int],
    marked_edges: set[Edge],
    show_local_grads: bool,
    dim_others: bool,
    hidden: set[Value],
) -> None:
    """The oval of the op that made value `i`, its edge into the value, and one edge per
    parent (two for ``a * a``) labelled with the local derivative; none from `hidden` parents."""
    plain = _DIMMED_EDGE if dim_others else {}
    marked = any((node, j) in marked_edges for j in range(len(node.parents)))
    drawing.node(
        f"op{i}",
        f"<{_escape(node.op)}>",
        shape="ellipse",
        style="filled",
        fillcolor="#f4f4f4",
        color=HIGHLIGHT if marked else "#8c8c8c",
        penwidth="2.5" if marked else "1",
        margin="0.04,0.02",
        height="0.3",
    )
    drawing.edge(f"op{i}", f"v{i}", **(_MARKED_EDGE if marked else plain))
    for j, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
        if parent in hidden:
            continue
        label = {"label": fmt(local)} if show_local_grads else {}
        drawing.edge(f"v{index[parent]}", f"op{i}", **label, **(_MARKED_EDGE if (node, j) in marked_edges else plain))


def _describe(i: int, node: Value, index: dict[Value, int]) -> str:
    """One line of the text fallback: ``v2 = v0 * v1   data -6.0000   grad 1.0000``."""
    name = f"v{i}" + (f" ({node.label})" if node.label else "")
    args = [f"v{index[p]}" for p in node.parents]
    if not args:
        made = "leaf"
    elif len(args) == 2 and node.op in ("+", "-", "*", "/", "**"):
        made = f"{args[0]} {node.op} {args[1]}"
    elif len(args) == 1 and node.op.startswith("**"):
        made = f"{args[0]}{node.op}"
    else:
        made = f"{node.op}({', '.join(args)})"
    return f"{name} = {made}   data {fmt(node.data)}   grad {fmt(node.grad)}"


def _text_summary(order: list[Value], index: dict[Value, int], max_lines: int = 60) -> str:
    shown = order[-max_lines:]  # the end nearest the output matters most
    first = len(order) - len(shown)
    lines = [_describe(first + k, node, index) for k, node in enumerate(shown)]
    if first:
        lines.insert(0, f"... {first} earlier values not listed")
    return "\n".join(lines)


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_local_grads: bool = True,
    highlight: object = None,
    *,
    params: Iterable[Value] | None = None,
    inputs: Iterable[Value] | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
    hide: Iterable[Value] | None = None,
) -> graphviz.Digraph:
    """Draw the graph that computed `root`: values, operations and local derivatives.

    Each value is a box with its label (if any), ``data`` and ``grad`` (4 decimals); the
    operation that made it is the oval before it; each edge from a parent into an
    operation carries the local derivative ∂(result)/∂(parent) when `show_local_grads`.
    Colours tell apart inputs (labelled leaves), `params`, constants (unlabelled leaves,
    like the 1 in ``x + 1``), computed values and the output; pass `params`/`inputs`
    to say which leaves are which. ``a * a`` shows two edges.

    `hide` leaves these leaves out, with their edges: ``hide=model.parameters()`` shows the
    paths through a network without a box for every weight and bias (the edge from an input
    into its neuron still carries the weight, its local derivative).

    `highlight` makes paths stand out: a path or a list of paths (from
    ``micrograd.paths(root, a)``), or a value (or list of values) to highlight every
    path from it to `root` at once. Other edges are dimmed.

    Graphs with more than `max_nodes` values raise ``ValueError`` at once (a drawing
    that large is unreadable); ``max_nodes=None`` removes the limit.

    >>> from micrograd import Value
    >>> x = Value(3.0, label="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> source = draw_dot(y).source    # v0 is the 1, v1 is x, v2 = x * x, v3 = y
    >>> source.count("v1 -> op2 [label=3.0000]")  # two edges, each d(x*x)/dx = x
    2
    """
    if not isinstance(root, Value):
        hint = " (draw one output at a time, or a loss that combines them)" if isinstance(root, (list, tuple)) else ""
        raise TypeError(f"draw_dot needs a Value to draw, got {type(root).__name__}{hint}")
    _check_rankdir(rankdir)
    _check_size(root, _check_limit("max_nodes", max_nodes))
    params, inputs = _value_set("params", params), _value_set("inputs", inputs)
    hidden = _value_set("hide", hide)
    for value in hidden:
        if value.parents:
            raise ValueError(f"hide: only leaves can be left out, but {value!r} is computed (op {value.op!r})")
    _import_graphviz()  # before any work: a missing package is the first thing to say

    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    marked_nodes, marked_edges = _resolve_highlight(highlight, order, index)
    highlighting = bool(marked_nodes)  # dim the rest only when something stands out

    drawing = _new_drawing("micrograd", rankdir=rankdir, nodesep="0.25", ranksep="0.35")
    kinds = set()
    for i, node in enumerate(order):
        if node in hidden:
            continue
        kind = _value_kind(node, root, params, inputs)
        kinds.add(kind)
        drawing.node(f"v{i}", _value_label(node, kind, node in marked_nodes), shape="plain")
        if node.parents:
            _draw_operation(drawing, i, node, index, marked_edges, show_local_grads, highlighting, hidden)
    if legend:
        drawing.attr(label=_legend(kinds, show_local_grads, highlighting), labelloc="b", labeljust="l")
    drawing.text_summary = _text_summary(order, index)
    return drawing


# --------------------------------------------------------------------------- draw_network


def _layers_of(model: object) -> list:
    """The layers of an MLP, a single Layer or a list of Layers, each with `.neurons`."""
    if isinstance(getattr(model, "layers", None), Sequence):
        layers = list(model.layers)
    elif isinstance(getattr(model, "neurons", None), Sequence):
        layers = [model]
    elif isinstance(model, Sequence) and model and not isinstance(model, (str, bytes)):
        layers = list(model)
    else:
        raise TypeError(f"draw_network needs an MLP, a Layer or a list of Layers, got {type(model).__name__}")
    for layer in layers:
        neurons = getattr(layer, "neurons", None)
        if not neurons or not all(hasattr(n, "w") and hasattr(n, "b") for n in neurons):
            raise TypeError(f"draw_network: {layer!r} is not a layer of neurons")
    return layers


@dataclass
class _Trace:
    """One forward pass seen neuron by neuron: the inputs, and each neuron's z and a."""

    inputs: list[Value]
    z: list[list[Value]]  # z[layer][neuron]
    a: list[list[Value]]
    grads: bool  # whether their grads mean something (the caller ran backward on them)


def _trace(layers: list, outputs: list[Value], grads: bool) -> _Trace:
    """Recover every neuron's z and a by walking back from the network's `outputs`.

    A neuron's output is activation(z), whose only parent is z (or z itself for a
    linear neuron), and z = Σwx+b has parents (w₁…wₙ, x₁…xₙ, b): the x's are the outputs
    of the layer before. Identity checks make sure the outputs came from this model.
    """
    if len(outputs) != len(layers[-1].neurons):
        raise ValueError(f"outputs: the model has {len(layers[-1].neurons)} outputs, got {len(outputs)} values")
    zs, acts = [], []
    current = outputs
    for depth in range(len(layers) - 1, -1, -1):
        neurons = layers[depth].neurons
        layer_z = [_weighted_input(neuron, a, depth, k) for k, (neuron, a) in enumerate(zip(neurons, current))]
        n = len(neurons[0].w)
        before = list(layer_z[0].parents[n : 2 * n])
        if any(list(z.parents[n : 2 * n]) != before for z in layer_z):
            raise ValueError(f"outputs: the neurons of layer {depth + 1} did not read the same inputs")
        zs.append(layer_z)
        acts.append(current)
        current = before
    return _Trace(current, zs[::-1], acts[::-1], grads)


def _weighted_input(neuron: Any, a: Value, depth: int, k: int) -> Value:
    """The z node behind a neuron's output `a`, checked to be that neuron's."""
    z = a if neuron.activation == "linear" else (a.parents[0] if a.op == neuron.activation else None)
    n = len(neuron.w)
    if (
        z is None
        or len(z.parents) != 2 * n + 1
        or any(p is not w for p, w in zip(z.parents, neuron.w))
        or z.parents[-1] is not neuron.b
    ):
        raise ValueError(
            f"outputs were not computed by this model (layer {depth + 1}, neuron {k + 1} does not match): pass "
            "what model(x) returned, computed with gradients recorded (not under no_grad())"
        )
    return z


def _forward(layers: list, x: object) -> list[Value]:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"x must be the network's input numbers, got {type(x).__name__} {x!r}")
    values = x
    with enable_grad():  # z is found through the recorded graph, even inside no_grad()
        for layer in layers:
            values = layer.forward(values)
    return values


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


# Sizes in inches for _NetworkLayout.
_ROW_HEIGHT = 0.22
_GAP_BETWEEN_NEURONS = 0.6
_WEIGHT_LABEL_WIDTH = 1.2
_AUTO_WEIGHT_LABELS_UP_TO = 12  # weights between two columns; beyond this the labels crowd


def _network_table(title: str, rows: list[tuple[str, float, float | None]], colours: tuple, grads: bool) -> str:
    """A neuron (or input) as a small table: name, value and ∂C/∂(name) per row."""
    fill, border, _ = colours
    span = 3 if grads else 2
    cells = [f'<TR><TD COLSPAN="{span}"><B>{title}</B></TD></TR>']
    if rows:
        grad_head = f'<TD ALIGN="RIGHT"><FONT COLOR="{GRAD_INK}">∂C/∂·</FONT></TD>' if grads else ""
        cells.append(f'<TR><TD></TD><TD ALIGN="RIGHT"><FONT COLOR="#707070">value</FONT></TD>{grad_head}</TR>')
    for name, value, grad in rows:
        grad_cell = ""
        if grads:
            # An empty cell, not an empty FONT: graphviz rejects <FONT></FONT>.
            shown = f'<FONT COLOR="{GRAD_INK}">{fmt(grad)}</FONT>' if grad is not None else ""
            grad_cell = f'<TD ALIGN="RIGHT">{shown}</TD>'
        cells.append(f'<TR><TD ALIGN="LEFT"><I>{name}</I></TD><TD ALIGN="RIGHT">{fmt(value)}</TD>{grad_cell}</TR>')
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" BGCOLOR="{fill}" COLOR="{border}">'
        f"{''.join(cells)}</TABLE>>"
    )


def _weight_colour(w: float) -> str:
    return "#3b6fb6" if w >= 0 else "#c0392b"  # blue excites, red inhibits


def _weight_label(w: Value, grads: bool) -> str:
    colour = _weight_colour(w.data)
    grad = f'<TR><TD><FONT COLOR="{GRAD_INK}">∂C/∂w {fmt(w.grad)}</FONT></TD></TR>' if grads else ""
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1" STYLE="rounded" BGCOLOR="white" '
        f'COLOR="{colour}"><TR><TD><FONT COLOR="{colour}">w {fmt(w.data)}</FONT></TD></TR>{grad}</TABLE>>'
    )


def _pos(x: float, y: float) -> str:
    return f"{x:.2f},{y:.2f}!"  # "!" pins the node where we put it


def _network_legend(trace: _Trace | None, grads: bool) -> str:
    parts = ["blue: w &gt; 0, red: w &lt; 0, thicker: larger |w|"]
    if grads:
        parts.append("∂C/∂·: grads from your backward()")
    if trace and trace.grads:
        parts.append("δ = ∂C/∂z")
    return f'<<FONT POINT-SIZE="10">{"   ·   ".join(parts)}</FONT>>'


def draw_network(
    model: object,
    x: object = None,
    *,
    outputs: Value | Sequence[Value] | None = None,
    show_weights: bool | None = None,
    show_grads: bool = True,
    max_neurons: int | None = DEFAULT_MAX_NEURONS,
) -> graphviz.Digraph:
    """Draw an MLP as columns of neurons, as in Nielsen's "Neural Networks and Deep
    Learning", chapter 2.

    `model` is an MLP, a Layer or a list of Layers. Each neuron shows its bias b; each
    edge is a weight with its value w, blue for w > 0 and red for w < 0, thicker for
    larger |w|. With `show_grads`, ∂C/∂b and ∂C/∂w are shown too: they are ``b.grad``
    and ``w.grad``, so call ``backward()`` on your cost first. `show_weights` puts a
    label with w (and ∂C/∂w) on every edge; by default only when no two neighbouring
    columns are joined by more than 12 weights, beyond which the labels cannot fit.

    To see a forward pass too, pass one of
      - `x`, an input: the drawing runs the forward pass itself and shows every neuron's
        weighted input z and activation a (no ∂C/∂z: that pass has no cost);
      - `outputs`, what ``model(x)`` returned (or ``micrograd.nielsen.trace(...).output``)
        after you ran ``backward()`` on a cost C made from it: the drawing also shows
        ∂C/∂z (Nielsen's δ) and ∂C/∂a of every neuron, exactly as your backward pass
        computed them.

    More than `max_neurons` inputs and neurons raise ``ValueError`` (None: no limit).

    >>> from micrograd.nn import MLP
    >>> model = MLP(2, [3, 3, 2], activation="sigmoid", seed=0)
    >>> out = model([0.5, -1.0])
    >>> cost = 0.5 * ((out[0] - 1) ** 2 + out[1] ** 2)
    >>> cost.backward()
    >>> drawing = draw_network(model, outputs=out)   # z, a, δ, w and ∂C/∂w everywhere
    >>> drawing.engine                                # the view places its nodes itself
    'neato'
    """
    layers = _layers_of(model)
    _check_limit("max_neurons", max_neurons)
    sizes = [len(layers[0].neurons[0].w)] + [len(layer.neurons) for layer in layers]
    if max_neurons is not None and sum(sizes) > max_neurons:
        raise ValueError(
            f"draw_network: the model has {sum(sizes)} neurons and inputs, over the limit max_neurons={max_neurons}; "
            "draw a smaller model, or raise the limit with max_neurons=N (None for no limit)"
        )
    if x is not None and outputs is not None:
        raise ValueError("draw_network: pass x (to run a forward pass) or outputs (from your own), not both")
    if show_weights is None:
        show_weights = max(m * n for m, n in pairwise(sizes)) <= _AUTO_WEIGHT_LABELS_UP_TO
    _import_graphviz()

    trace = None
    if outputs is not None:
        trace = _trace(layers, _value_list("outputs", outputs), grads=True)
    elif x is not None:
        trace = _trace(layers, _forward(layers, x), grads=False)

    layout = _NetworkLayout(sizes, rows=2 + (3 if trace else 1), grads=show_grads, weight_labels=show_weights)
    drawing = _new_drawing("network", engine="neato", outputorder="edgesfirst", splines="line")
    drawing.attr(label=_network_legend(trace, show_grads), labelloc="b")
    text = []
    for c, n in enumerate(sizes):
        drawing.node(f"title{c}", _column_title(layers, c), shape="plaintext", fontcolor="#505050", pos=layout.title(c))
        for k in range(n):
            label, line = _input_node(trace, k, show_grads) if c == 0 else _neuron_node(layers, trace, c, k, show_grads)
            drawing.node(f"L{c}_{k}", label, shape="plain", pos=layout.node(c, k))
            text.append(line)
    largest = max(abs(w.data) for layer in layers for neuron in layer.neurons for w in neuron.w) or 1.0
    for c in range(1, len(sizes)):
        for k, neuron in enumerate(layers[c - 1].neurons):
            for i, w in enumerate(neuron.w):
                _draw_weight(drawing, layout, (c - 1, i), (c, k), w, largest, show_weights, show_grads)
    drawing.text_summary = "\n".join(text)
    return drawing


class _NetworkLayout:
    """Where the network view puts things, in inches: column c at x[c], its nodes
    centred on y = 0, the first at the top.

    Sizes are estimated from the tables' contents (12 pt text). The view places every
    node itself (neato with pinned positions) so that layers are exact columns and each
    weight's label sits on its own edge, not wherever `dot` finds room.
    """

    def __init__(self, sizes: list[int], rows: int, grads: bool, weight_labels: bool) -> None:
        self.pitch = rows * _ROW_HEIGHT + 0.1 + _GAP_BETWEEN_NEURONS
        self.widths = [1.2 if grads else 0.8] + [1.4 if grads else 1.0] * (len(sizes) - 1)
        self.x = [0.0]
        for c in range(1, len(sizes)):
            if weight_labels:  # room for one label per source side by side
                between = _WEIGHT_LABEL_WIDTH * sizes[c - 1] + 0.9
            else:  # room for the fan of lines to stay apart
                between = max(1.4, 0.25 * max(sizes[c - 1], sizes[c]))
            self.x.append(self.x[-1] + (self.widths[c - 1] + self.widths[c]) / 2 + between)
        self.y = [[((n - 1) / 2 - k) * self.pitch for k in range(n)] for n in sizes]
        self.sizes = sizes

    def node(self, c: int, k: int) -> str:
        return _pos(self.x[c], self.y[c][k])

    def title(self, c: int) -> str:
        top = max(column[0] for column in self.y) + self.pitch / 2 + 0.1
        return _pos(self.x[c], top)

    def weight_label(self, source: tuple[int, int], target: tuple[int, int]) -> str:
        """A point on the straight edge from source to target, (column, index) each.

        Sources further down put their labels further right, so that labels of
        different edges seldom land on the same spot.
        """
        (c0, i), (c1, k) = source, target
        m = self.sizes[c0]
        t = 0.55 if m == 1 else 0.3 + 0.5 * i / (m - 1)
        x_start, x_end = self.x[c0] + self.widths[c0] / 2, self.x[c1] - self.widths[c1] / 2
        x = x_start + t * (x_end - x_start)
        slope = (self.y[c1][k] - self.y[c0][i]) / (self.x[c1] - self.x[c0])
        return _pos(x, self.y[c0][i] + (x - self.x[c0]) * slope)


def _column_title(layers: list, c: int, activation: bool = True) -> str:
    if c == 0:
        return "inputs"
    title = "output layer" if c == len(layers) else f"hidden layer {c}"
    if not activation:
        return title
    activations = {neuron.activation for neuron in layers[c - 1].neurons}
    return f"{title} ({activations.pop()})" if len(activations) == 1 else title


def _draw_weight(
    drawing: graphviz.Digraph,
    layout: _NetworkLayout,
    source: tuple[int, int],
    target: tuple[int, int],
    w: Value,
    largest: float,
    labelled: bool,
    grads: bool,
) -> None:
    """One weight: an edge coloured by its sign, as thick as |w|, labelled on the way."""
    tail, head = f"L{source[0]}_{source[1]}", f"L{target[0]}_{target[1]}"
    style = {"color": _weight_colour(w.data), "penwidth": f"{0.6 + 2.4 * abs(w.data) / largest:.2f}"}
    if not labelled:
        drawing.edge(tail, head, **style)
        return
    # The label is a node on the edge: two straight halves look like one line through it.
    box = f"w{target[0]}_{target[1]}_{source[1]}"
    drawing.node(box, _weight_label(w, grads), shape="plain", fontsize="10", pos=layout.weight_label(source, target))
    drawing.edge(tail, box, arrowhead="none", **style)
    drawing.edge(box, head, **style)


def _input_node(trace: _Trace | None, i: int, show_grads: bool) -> tuple[str, str]:
    """The i-th input's table and its line in the text fallback."""
    value = trace.inputs[i] if trace else None
    title = _escape(value.label) if value is not None and value.label else f"x<SUB>{i + 1}</SUB>"
    grads = show_grads and trace is not None and trace.grads
    rows = []
    line = f"input x{i + 1}"
    if value is not None:
        rows.append(("x", value.data, value.grad if grads else None))
        line += f": {fmt(value.data)}" + (f" (∂C/∂x {fmt(value.grad)})" if grads else "")
    return _network_table(title, rows, KIND_COLOURS["input"], grads), line


def _neuron_node(layers: list, trace: _Trace | None, c: int, k: int, show_grads: bool) -> tuple[str, str]:
    """Neuron k of layer c (1 = first hidden layer): its table and its text lines."""
    neuron = layers[c - 1].neurons[k]

    def shown(name: str, v: Value, grad_known: bool) -> str:
        return f"{name} {fmt(v.data)}" + (f" (∂C/∂{name} {fmt(v.grad)})" if grad_known else "")

    rows = [("b", neuron.b.data, neuron.b.grad)]
    parts = [shown("b", neuron.b, show_grads)]
    if trace:
        z, a = trace.z[c - 1][k], trace.a[c - 1][k]
        grads = show_grads and trace.grads
        rows += [("z", z.data, z.grad if grads else None), ("a", a.data, a.grad if grads else None)]
        parts += [shown("z", z, grads), shown("a", a, grads)]
    source = "x" if c == 1 else "neuron "
    weights = [shown("w", w, show_grads) + f" from {source}{i + 1}" for i, w in enumerate(neuron.w)]
    name = f"{_column_title(layers, c, activation=False)}, neuron {k + 1} ({neuron.activation})"
    line = f"{name}: {', '.join(parts)}\n    " + "; ".join(weights)
    colours = KIND_COLOURS["output" if c == len(layers) else "interior"]
    return _network_table(f"neuron {k + 1}", rows, colours, show_grads), line
