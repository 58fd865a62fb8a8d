"""`draw_mistake`: the graph with a mistake's gradients beside the right ones, and the first
step where they part marked (`micrograd.mistakes.compare`).

The drawing is `draw_dot`'s, box for box and edge for edge (the same value boxes, ovals and
colours), with two changes: each value's grad cell shows the right gradient and, beside
it, the mistake's in red where they differ (✓ where they agree); and the edge of the first diverging step is
red and says what that step did (``step 2: wrote 1 over 1``). An edge the mistake leaves
out (``set_of_parents``) is dashed; one it gives a wrong local derivative (``wrong_local``)
shows both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from micrograd.engine import Value
from micrograd.mistakes import Comparison, _differs
from micrograd.viz._core import (
    DIMMED,
    HIGHLIGHT,
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
    _hidden_leaves,
    _legend,
    _value_kind,
    _value_label,
)

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_mistake"]

WRONG_INK = HIGHLIGHT
_DIVERGING_EDGE = {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "3", "fontsize": "12"}
_LOST_EDGE = {"color": DIMMED, "fontcolor": "#9a9a9a", "style": "dashed"}


def _grad_cell(right: float, wrong: float) -> str:
    """``grad 4 · 1 ✗``: the right gradient and, in red, the mistake's where it differs
    (``grad 4 ✓`` where the mistake gets it right)."""
    if not _differs(right, wrong):
        return f"grad {fmt(right)} ✓"
    return f'grad {fmt(right)} · <FONT COLOR="{WRONG_INK}"><B>{fmt(wrong)} ✗</B></FONT>'


def _divergence_label(report: Comparison) -> str:
    """What the first diverging write did, short enough for an edge."""
    w = report.divergent
    if w.lost:
        return f"step {w.step}: lost"
    if w.repeat > 1:
        return f"step {w.step}: again ({w.repeat}×)"
    if report.name == "overwrite":
        return f"step {w.step}: wrote {fmt(w.after)} over {fmt(w.before)}"
    if report.name == "wrong_local":
        return f"step {w.step}: the wrong local derivative"
    right = report.right_writes[w.step - 1]
    if _differs(w.upstream, right.upstream):  # passed on too early (or, twice, too much)
        return f"step {w.step}: upstream {fmt(w.upstream)}, not {fmt(right.upstream)}"
    return f"step {w.step}: {fmt(w.before)} + {fmt(w.local)} × {fmt(w.upstream)} = {fmt(w.after)}"


def draw_mistake(
    report: Comparison,
    rankdir: str = "LR",
    *,
    params: Iterable[Value] | None = None,
    inputs: Iterable[Value] | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
    hide: Iterable[Value] | None = None,
) -> graphviz.Digraph:
    """The graph of ``report.output`` with the mistake's gradients beside the right ones.

    Each box shows ``grad`` (the right gradient) and beside it the mistake's gradient, red
    with ✗, where they differ (✓ where they agree; the legend names the mistake). The edge of the first diverging step
    (``report.first_divergence``) is red and labelled with what that step did; the values at
    its two ends are outlined in red. Edges carry their local derivatives as in `draw_dot`;
    an edge the mistake leaves out is dashed, and a wrong local derivative is shown beside
    the right one. For ``no_zero_grad`` the graph drawn is the second step's (its data).
    `params`, `inputs`, `max_nodes`, `legend` and `hide` are `draw_dot`'s.

    >>> from micrograd import Value
    >>> from micrograd.mistakes import compare
    >>> a = Value(1.0, label="a")
    >>> b = a + a
    >>> drawing = draw_mistake(compare(b, "overwrite"))
    >>> "step 2: wrote 1 over 1" in drawing.source, "<B>1 ✗</B>" in drawing.source
    (True, True)
    """
    if not isinstance(report, Comparison):
        raise TypeError(
            f"draw_mistake needs a report from micrograd.mistakes.compare(output, name), got {type(report).__name__}"
        )
    _check_rankdir(rankdir)
    root = report.graph
    _check_size(root, _check_limit("max_nodes", max_nodes))
    # params, inputs and hide name values of the graph given; the second step's graph has copies
    copies = report._copy
    params = {copies.get(v, v) for v in _value_set("params", params)}
    inputs = {copies.get(v, v) for v in _value_set("inputs", inputs)}
    hidden = {copies.get(v, v) for v in _hidden_leaves(hide)}
    _import_graphviz()

    order = report.steps.order
    index = {node: i for i, node in enumerate(order)}
    given = report._at
    w = report.divergent
    diverging = (w.child, w.argument) if w is not None else None
    wrong_local = {(x.child, x.argument): x.local for x in report.wrong_writes}
    lost = {(x.child, x.argument) for x in report.wrong_writes if x.lost}

    drawing = _new_drawing("mistake", rankdir=rankdir, nodesep="0.25", ranksep="0.35", ordering="in")
    kinds = set()
    for i, node in enumerate(order):
        if node in hidden:
            continue
        kind = _value_kind(node, root, params, inputs)
        kinds.add(kind)
        original = given[node]
        marked = w is not None and node in (w.child, w.parent)
        grad = _grad_cell(report.right[original], report.wrong[original])
        drawing.node(f"v{i}", _value_label(node, kind, marked, grad), shape="plain")
        if not node.parents:
            continue
        edges = []
        for j, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
            if parent in hidden:
                edges.append(None)
                continue
            label = fmt(local)
            wrong = wrong_local.get((node, j), local)
            if _differs(wrong, local):
                label = f"{label} (wrong: {fmt(wrong)})"
            style = {"label": label}
            if (node, j) == diverging:
                style = {"label": f"{label}\n{_divergence_label(report)}", **_DIVERGING_EDGE}
            elif (node, j) in lost:
                style = {"label": f"{label} (lost)", **_LOST_EDGE}
            edges.append(style)
        here = diverging is not None and diverging[0] is node
        _draw_operation(drawing, i, node, index, edges, _DIVERGING_EDGE if here else {}, here)
    if legend:
        extra = [
            f'grad: right, then <FONT COLOR="{WRONG_INK}"><B>✗</B> what {_escape(report.name)} gives</FONT> '
            "where it is wrong (✓: right)",
            f'<FONT COLOR="{WRONG_INK}">red edge: the first step that writes a different number</FONT>',
        ]
        drawing.attr(label=_legend(kinds, True, False, extra), labelloc="b", labeljust="l")
    drawing.text_summary = str(report)
    return drawing
