"""The backward pass step by step: the graph after step k, the step-through page, the Jupyter view.

`draw_step(steps, k)` draws the graph as it stands after the first `k` steps of
``micrograd.backward_steps(output)``: edges already used in the gradient's colour, the
current edge in red and labelled ``local × upstream = contribution``, every value with its
gradient so far (written out as a sum once it has several terms, ``grad ?`` while not
reached). `page_data` and `save_html` make the self-contained page whose script and styles
are the package data files ``micrograd/assets/stepthrough.{js,css,html}``; `step_through`
is the same view with ipywidgets.
"""

from __future__ import annotations

import html
import json
import os
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import TYPE_CHECKING, Any

from micrograd._atomic import write_text_atomically
from micrograd.steps import BackwardSteps, Step
from micrograd.viz._core import (
    DIMMED,
    GRAD_INK,
    HIGHLIGHT,
    INSTALL_DOT,
    _check_limit,
    _escape,
    _import_graphviz,
    _new_drawing,
    _value_set,
    fmt,
)
from micrograd.viz.graph import (
    DEFAULT_MAX_NODES,
    _check_rankdir,
    _check_size,
    _draw_operation,
    _legend,
    _value_kind,
    _value_label,
)

if TYPE_CHECKING:
    import graphviz

__all__ = ["asset_text", "draw_step", "page_data", "page_html", "save_html", "step_through"]

DEFAULT_MAX_STEPS = 300  # frames on one page; each is a drawing of the whole graph
PENDING = "#b35900"  # a gradient that will still receive contributions

_USED_EDGE = {"color": GRAD_INK, "fontcolor": GRAD_INK, "penwidth": "1.6"}
_CURRENT_EDGE = {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "3", "fontsize": "12"}
_WAITING_EDGE = {"color": DIMMED, "fontcolor": "#9a9a9a"}
_SKIPPED_EDGE = {"color": DIMMED, "fontcolor": "#9a9a9a", "style": "dashed"}


def _grad_cell(known: bool, final: bool, text: str) -> str:
    """The grad cell of a value's box: ``grad ?`` (grey) until reached, orange while more is to come."""
    if not known:
        return '<FONT COLOR="#9a9a9a"><I>grad ?</I></FONT>'
    if final:
        return f"grad {_escape(text)}"
    return f'<FONT COLOR="{PENDING}">grad {_escape(text)} <I>so far</I></FONT>'


def draw_step(
    steps: BackwardSteps,
    k: int,
    rankdir: str = "LR",
    *,
    params=None,
    inputs=None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
) -> graphviz.Digraph:
    """The graph of ``steps.output`` after the first `k` steps of its backward pass.

    Frame 0 is before any step: only the output's gradient (1) is known and every other
    value shows ``grad ?``. In frame k, the edges of steps 1..k are drawn in the gradient's
    colour, the edge of step k in red with ``local × upstream = contribution``, and every
    value reached shows its gradient so far: orange while more contributions are to come,
    written out as the sum of its terms once it has several (``grad 4.0000 = 1.0000 +
    3.0000``). Waiting edges show their local derivative in grey; a skipped step's edge
    (its child's gradient is 0, so ``backward()`` adds nothing) is dashed. The last frame
    shows the gradients ``draw_dot`` shows after ``backward()``.

    >>> from micrograd import Value, backward_steps
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> steps = backward_steps(a * b + a)
    >>> "grad 4.0000 = 1.0000 + 3.0000" in draw_step(steps, 3).source
    True
    """
    if not isinstance(steps, BackwardSteps):
        raise TypeError(f"draw_step needs micrograd.backward_steps(output), got {type(steps).__name__}")
    k = steps._frame(k)
    root = steps.output
    _check_rankdir(rankdir)
    _check_size(root, _check_limit("max_nodes", max_nodes))
    params, inputs = _value_set("params", params), _value_set("inputs", inputs)
    _import_graphviz()

    done = steps[:k]
    current: Step | None = done[-1] if done else None
    used = {(s.child, s.argument): s for s in done}
    known = steps.grads_after(k)
    final = {s.parent for s in done if s.final} | {root}
    index = {node: i for i, node in enumerate(steps.order)}

    drawing = _new_drawing("backward", rankdir=rankdir, nodesep="0.25", ranksep="0.35")
    kinds = set()
    for i, node in enumerate(steps.order):
        kind = _value_kind(node, root, params, inputs)
        kinds.add(kind)
        marked = current is not None and node in (current.child, current.parent)
        grad = _grad_cell(node in known, node in final, steps.sum_text(node, k, number=fmt))
        drawing.node(f"v{i}", _value_label(node, kind, marked, grad), shape="plain")
        if node.parents:
            edges = [_edge_style(used.get((node, j)), current, local) for j, local in enumerate(node.local_grads)]
            is_current = current is not None and current.child is node
            out_edge = (
                _CURRENT_EDGE
                if is_current
                else _USED_EDGE
                if any((node, j) in used for j in range(len(edges)))
                else _WAITING_EDGE
            )
            _draw_operation(drawing, i, node, index, edges, out_edge, is_current)
    if legend:
        extra = [
            f'<FONT COLOR="{GRAD_INK}">used edges</FONT>',
            f'<FONT COLOR="{HIGHLIGHT}">this step: local × upstream = contribution</FONT>',
            f'<FONT COLOR="{PENDING}">grad so far: more to come</FONT>',
            '<FONT COLOR="#9a9a9a">grad ?: not reached yet</FONT>',
        ]
        drawing.attr(label=_legend(kinds, True, False, extra), labelloc="b", labeljust="l")
    drawing.text_summary = _frame_text(steps, k)
    return drawing


def _edge_style(step: Step | None, current: Step | None, local: float) -> dict[str, str]:
    if step is None:
        return {"label": fmt(local), **_WAITING_EDGE}
    if step is current:
        return {"label": f"{fmt(step.local)} × {fmt(step.upstream)} = {fmt(step.contribution)}", **_CURRENT_EDGE}
    return {"label": fmt(step.local), **(_SKIPPED_EDGE if step.skipped else _USED_EDGE)}


def _frame_text(steps: BackwardSteps, k: int) -> str:
    """The frame as text, for where `dot` is missing."""
    names = steps.names()
    head = f"after step {k} of {len(steps)}: {steps.arithmetic(steps[k - 1])}" if k else "before any step"
    lines = [head]
    for node in reversed(steps.order):
        lines.append(f"  ∂/∂{names[node]} = {steps.sum_text(node, k, number=fmt)}")
    return "\n".join(lines[:61])


# --------------------------------------------------------------------------- the page


def asset_text(name: str) -> str:
    """The text of a package data file in micrograd/assets (``stepthrough.js``, ``.css``, ``.html``)."""
    return resources.files("micrograd").joinpath("assets", name).read_text(encoding="utf-8")


def _svg(drawing: graphviz.Digraph) -> str:
    """The drawing as an inline SVG element (no XML prolog or doctype)."""
    graphviz = _import_graphviz()
    try:
        svg = drawing.pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        raise RuntimeError(
            f"the step-through needs Graphviz's `dot` program to draw its frames. {INSTALL_DOT}"
        ) from None
    return svg[svg.index("<svg") :]


def frames_svg(steps: BackwardSteps, **options: Any) -> list[str]:
    """Every frame's SVG, 0..len(steps), drawn by `dot` on as many cores as there are."""
    drawings = [draw_step(steps, k, **options) for k in range(len(steps) + 1)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # dot runs as a subprocess
        return list(pool.map(_svg, drawings))


def page_data(
    steps: BackwardSteps, title: str | None = None, max_steps: int | None = DEFAULT_MAX_STEPS, **options: Any
) -> dict[str, Any]:
    """What the step-through shows, as JSON-ready data: the contract between Python and
    ``stepthrough.js`` (documented at the top of that file)."""
    if not isinstance(steps, BackwardSteps):
        raise TypeError(f"page_data needs micrograd.backward_steps(output), got {type(steps).__name__}")
    _check_limit("max_steps", max_steps)
    if max_steps is not None and len(steps) > max_steps:
        raise ValueError(
            f"the backward pass has {len(steps)} steps, over max_steps={max_steps}: one drawing per step would "
            "make a huge page. Step through a smaller graph (one example, one neuron), or raise max_steps"
        )
    names = steps.names()
    index = {node: f"v{i}" for i, node in enumerate(steps.order)}
    return {
        "title": title if title is not None else f"backward() of {names[steps.output]}",
        "heading": steps._heading(),
        "columns": ["step", "edge", "local", "upstream", "contribution", steps._grad_column(), "note"],
        "steps": [steps.row_data(step) for step in steps],
        "frames": frames_svg(steps, **options),
        "grads": [{index[node]: g for node, g in steps.grads_after(k).items()} for k in range(len(steps) + 1)],
        "nodes": {index[node]: names[node] for node in steps.order},
        "output": index[steps.output],
        "start": "Before any step: only the output's gradient is known, ∂out/∂out = 1.",
    }


def _script_json(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>` or `&` (so no ``</script>``
    or ``<!--``), and no U+2028/U+2029 (line breaks to old JavaScript)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def page_html(data: dict[str, Any]) -> str:
    """The standalone page: the template with the styles, the script and `data` inline."""
    parts = {
        "{{title}}": html.escape(str(data.get("title", "backward()"))),
        "{{css}}": asset_text("stepthrough.css"),
        "{{js}}": asset_text("stepthrough.js"),
        "{{data}}": _script_json(data),
    }
    page = asset_text("stepthrough.html")
    for marker in parts:  # each marker once, and inserted text is never searched again
        if page.count(marker) != 1:
            raise RuntimeError(f"micrograd/assets/stepthrough.html must contain {marker} exactly once")
    out, rest = [], page
    while rest:
        found = [(rest.find(m), m) for m in parts if rest.find(m) >= 0]
        if not found:
            out.append(rest)
            break
        at, marker = min(found)
        out += [rest[:at], parts[marker]]
        rest = rest[at + len(marker) :]
    return "".join(out)


def save_html(
    steps: BackwardSteps, path: str | os.PathLike, title: str | None = None, max_steps: int | None = DEFAULT_MAX_STEPS
) -> None:
    """Write the self-contained step-through page to `path`, atomically."""
    write_text_atomically(path, page_html(page_data(steps, title=title, max_steps=max_steps)))


# --------------------------------------------------------------------------- Jupyter


def step_through(steps: BackwardSteps, interval_ms: int = 900, **options: Any):
    """A step-through view for Jupyter: previous / play / next, a slider, the drawing and the
    current step's arithmetic side by side. Standard ipywidgets only (Button, Play,
    IntSlider, HTML), so it works in JupyterLab, Notebook 7 and VS Code.
    """
    try:
        import ipywidgets as widgets
    except ImportError as error:
        raise ImportError("the step-through view needs ipywidgets: pip install 'micrograd-paths[notebooks]'") from error
    frames = frames_svg(steps, **options)
    last = len(steps)
    play = widgets.Play(value=0, min=0, max=last, step=1, interval=interval_ms, description="play")
    slider = widgets.IntSlider(value=0, min=0, max=last, description="step", continuous_update=True)
    widgets.jslink((play, "value"), (slider, "value"))
    previous = widgets.Button(description="◀ previous", layout=widgets.Layout(width="110px"))
    following = widgets.Button(description="next ▶", layout=widgets.Layout(width="110px"))
    drawing = widgets.HTML(layout=widgets.Layout(overflow="auto", flex="3 1 0%"))
    arithmetic = widgets.HTML(layout=widgets.Layout(flex="2 1 0%"))

    def show(change: object = None) -> None:
        k = slider.value
        drawing.value = frames[k]
        arithmetic.value = _side_panel(steps, k)
        previous.disabled, following.disabled = k == 0, k == last

    previous.on_click(lambda _: setattr(slider, "value", max(0, slider.value - 1)))
    following.on_click(lambda _: setattr(slider, "value", min(last, slider.value + 1)))
    slider.observe(show, names="value")
    show()
    controls = widgets.HBox([previous, play, following, slider])
    return widgets.VBox([controls, widgets.HBox([drawing, arithmetic])])


def _side_panel(steps: BackwardSteps, k: int, context: int = 3) -> str:
    """The current step's arithmetic and the table rows around it (HTML)."""
    e = html.escape
    if k == 0:
        head = "<b>Before any step</b>: only the output's gradient is known (1)."
    else:
        step = steps[k - 1]
        head = f"<b>Step {k} of {len(steps)}</b>" + (" <b style='color:#b35900'>(a sum)</b>" if step.summing else "")
        head += f"<br>{e(steps.arithmetic(step))}"
        if step.path_count > 1:
            head += f"<br><i>this contribution sums {step.path_count} paths from the parent to the output</i>"
    rows = []
    for s in steps[max(0, k - 1 - context) : k + context]:
        style = "background:#ffe3e3; font-weight:bold" if s.number == k else ("background:#fff3cd" if s.summing else "")
        cells = steps._step_cells(s)
        rows.append(
            f"<tr style='{style}'>"
            + "".join(f"<td style='text-align:left'>{e(c)}</td>" for c in (cells[0], cells[1], cells[5], cells[6]))
            + "</tr>"
        )
    table = (
        "<table style='font-size:90%'><tr><th>step</th><th>edge</th><th>grad of parent</th><th>note</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return f"<div style='padding:0 0 0 12px'>{head}<br><br>{table}</div>"
