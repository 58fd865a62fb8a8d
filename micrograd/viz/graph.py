"""`draw_dot`: the computation graph behind a value, with local derivatives on its edges and
chosen paths highlighted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from micrograd.engine import Value, topological_order
from micrograd.notation import parse, shown
from micrograd.viz._core import (
    DIMMED,
    HIGHLIGHT,
    KIND_COLOURS,
    KIND_NAMES,
    _check_limit,
    _escape,
    _import_graphviz,
    _new_drawing,
    _plural,
    _value_set,
    _visible,
    fmt,
)

if TYPE_CHECKING:
    import graphviz

DEFAULT_MAX_NODES = 500  # values; beyond this a drawing is unreadable and `dot` gets slow
# dot's work grows with the ranks its edges cross (each crossing is a hidden node to place):
# one value used by 99 operations down a chain crosses ~10,000 and takes minutes. Past this
# many crossings in all, an edge crossing more than _LONG_EDGE ranks starts at a dashed copy
# of its value drawn beside its use, which keeps every graph of 500 values to seconds.
_LAYOUT_BUDGET = 600
_LONG_EDGE = 4
_EXACT_COUNT_UP_TO = 100_000  # an error message counts this far, then says "more than"
RANKDIRS = ("LR", "RL", "TB", "BT")


def _check_rankdir(rankdir: str) -> str:
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    return rankdir


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


def _hidden_leaves(hide: Iterable[Value] | None) -> set[Value]:
    """The values `hide` names, all of them leaves (a computed value cannot be left out)."""
    hidden = _value_set("hide", hide)
    for value in hidden:
        if value.parents:
            raise ValueError(f"hide: only leaves can be left out, but {value!r} is computed (op {value.op!r})")
    return hidden


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
    ``x + 1`` makes), except that a weight or bias an `MLP` named (``w[2,1,1]``, ``b[2,1]``)
    is a parameter; `params`/`inputs` override that, e.g. ``params=model.parameters()``.
    """
    if node is root:
        return "output"
    if node.parents:
        return "interior"
    if node in params:
        return "parameter"
    if node not in inputs and _is_parameter_name(node.label):
        return "parameter"
    if node in inputs or node.label:
        return "input"
    return "constant"


def _is_parameter_name(label: str) -> bool:
    role = parse(label) if "[" in label else None  # most labels are not role names: skip the regex
    return role is not None and role[0] in "wb"


def _ranks(order: list[Value], index: dict[Value, int]) -> list[int]:
    """About the rank dot gives each value: two per operation (its oval, then its value)
    after its latest computed parent, and a leaf just before its earliest use (dot keeps
    edges short, so a leaf is not pinned to the first rank)."""
    ranks = [0] * len(order)
    for i, node in enumerate(order):
        if node.parents:
            ranks[i] = 2 + max((ranks[index[p]] for p in node.parents if p.parents), default=0)
    first_use: dict[int, int] = {}  # leaf -> rank of the earliest value computed from it
    for i, node in enumerate(order):
        for parent in node.parents:
            if not parent.parents:
                k = index[parent]
                first_use[k] = min(first_use.get(k, ranks[i]), ranks[i])
    for k, rank in first_use.items():
        ranks[k] = rank - 2
    return ranks


def _long_edges(order: list[Value], index: dict[Value, int], hidden: set[Value]) -> set[Edge]:
    """The edges to start at a copy of their parent: none unless all edges together cross
    more than _LAYOUT_BUDGET ranks; then those that cross more than _LONG_EDGE."""
    ranks = _ranks(order, index)
    spans = {
        (node, j): ranks[i] - 1 - ranks[index[parent]]
        for i, node in enumerate(order)
        for j, parent in enumerate(node.parents)
        if parent not in hidden
    }
    if sum(spans.values()) <= _LAYOUT_BUDGET:
        return set()
    return {edge for edge, span in spans.items() if span > _LONG_EDGE}


def _value_label(
    node: Value, kind: str, marked: bool, grad: str | None = None, steady: bool = False, copy: bool = False
) -> str:
    """A value's box: label, data and grad; `grad` replaces the grad cell's text (HTML-like).
    A `steady` box keeps its border width when marked (only the colour changes), so that
    marking moves nothing in a layout. A `copy` (dashed) stands for the value beside a distant use."""
    fill, border, ink = KIND_COLOURS[kind]
    if marked:
        border = HIGHLIGHT
    width = 2 if (marked and not steady) or kind == "output" else 1
    if node.label:  # a role name as the notebooks write it: w[2,1,3] as w²₁₃
        cells = [f"<B>{_escape(shown(node.label))}</B>", f"data {fmt(node.data)}"]
    elif kind == "constant":  # a bare number in the code (the 2 of x**2, the ½ of ½(a − y)²): its value is its name
        cells = [f"<B>{fmt(node.data)}</B>"]
    else:
        cells = [f"data {fmt(node.data)}"]
    cells.append(f"grad {fmt(node.grad)}" if grad is None else grad)
    row = "<VR/>".join(f'<TD><FONT COLOR="{ink}">{cell}</FONT></TD>' for cell in cells)
    style = ' STYLE="dashed"' if copy else ""
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4"{style} '
        f'BGCOLOR="{fill}" COLOR="{border}"><TR>{row}</TR></TABLE>>'
    )


def _legend(
    kinds: set[str], show_local_grads: bool, highlighted: bool, extra: Sequence[str] = (), copies: bool = False
) -> str:
    """The kinds of value drawn, what edge numbers mean, and `extra` cells (HTML-like) on a
    second line: on one line all of them would be wider than most drawings."""
    cells = []
    for kind in KIND_COLOURS:
        if kind in kinds:
            fill, border, ink = KIND_COLOURS[kind]
            swatch = f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1">'
            cells.append(f'{swatch}<FONT COLOR="{ink}">{KIND_NAMES[kind]}</FONT></TD>')
    if show_local_grads:
        cells.append("<TD>edge numbers: local derivatives ∂out/∂in</TD>")
    if copies:
        cells.append('<TD BORDER="1" STYLE="dashed">the same value again, beside a distant use</TD>')
    if highlighted:
        cells.append(f'<TD><FONT COLOR="{HIGHLIGHT}">highlighted paths</FONT></TD>')
    table = _legend_line(cells)
    if extra:
        lines = (table, _legend_line([f"<TD>{cell}</TD>" for cell in extra]))
        rows = "".join(f'<TR><TD ALIGN="LEFT">{line}</TD></TR>' for line in lines)
        table = f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>'
    return f'<<FONT POINT-SIZE="10">{table}</FONT>>'


def _legend_line(cells: list[str]) -> str:
    return f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>{"".join(cells)}</TR></TABLE>'


_MARKED_EDGE = {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "2.5"}
_DIMMED_EDGE = {"color": DIMMED, "fontcolor": "#9a9a9a"}


def _draw_operation(
    drawing: graphviz.Digraph,
    i: int,
    node: Value,
    index: dict[Value, int],
    edges: Sequence[dict[str, str] | None],
    out_edge: dict[str, str],
    marked: bool,
    tails: dict[int, str] | None = None,
    ids: bool = False,
) -> None:
    """The oval of the op that made value `i`, its edge into the value (attributes `out_edge`),
    and one edge per parent (two for ``a * a``) with attributes ``edges[j]``, left out where None.
    The edge from parent j starts at ``tails[j]`` where given (a copy of the parent), else at the parent.
    With `ids`, the oval is ``op<i>`` and its edge ``o<i>`` in the SVG too."""
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
        **({"id": f"op{i}"} if ids else {}),
    )
    drawing.edge(f"op{i}", f"v{i}", **out_edge, **({"id": f"o{i}"} if ids else {}))
    for j, (parent, attributes) in enumerate(zip(node.parents, edges)):
        if attributes is not None:
            tail = tails.get(j) if tails else None
            drawing.edge(tail or f"v{index[parent]}", f"op{i}", **attributes)


def _highlighted_operation(
    drawing: graphviz.Digraph,
    i: int,
    node: Value,
    index: dict[Value, int],
    marked_edges: set[Edge],
    show_local_grads: bool,
    dim_others: bool,
    hidden: set[Value],
    copies: dict[Edge, str],
) -> None:
    """draw_dot's operation: edges labelled with local derivatives, the marked ones in red,
    the others dimmed when something is highlighted; none from `hidden` parents. An edge in
    `copies` starts at the copy of its parent drawn under that name."""
    plain = _DIMMED_EDGE if dim_others else {}
    edges = []
    for j, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
        label = {"label": fmt(local)} if show_local_grads else {}
        edges.append(None if parent in hidden else {**label, **(_MARKED_EDGE if (node, j) in marked_edges else plain)})
    marked = any((node, j) in marked_edges for j in range(len(node.parents)))
    tails = {j: copies[node, j] for j in range(len(node.parents)) if (node, j) in copies}
    _draw_operation(drawing, i, node, index, edges, _MARKED_EDGE if marked else plain, marked, tails)


def _describe(i: int, node: Value, index: dict[Value, int]) -> str:
    """One line of the text fallback: ``v2 = v0 * v1   data -6.0000   grad 1.0000``."""
    name = f"v{i}" + (f" ({_visible(node.label)})" if node.label else "")
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
    grads: bool = True,
) -> graphviz.Digraph:
    """Draw the graph that computed `root`: values, operations and local derivatives.

    Each value is a box with its label (if any), ``data`` and ``grad`` (4 significant
    figures, so that small values stay visible); a constant without a label (the 1 in
    ``x + 1``) is named by its value. The operation that made a value is the oval before
    it; each edge from a parent into an operation carries the local derivative
    ∂(result)/∂(parent) when `show_local_grads`. An operation's parents are laid out in
    their order (``a`` before ``b`` in ``a + b``), so z₁, z₂, z₃ or C⁰, C¹ keep the order
    in which they were computed.
    Colours tell apart inputs (labelled leaves), `params`, constants (unlabelled leaves,
    like the 1 in ``x + 1``), computed values and the output; pass `params`/`inputs`
    to say which leaves are which. ``a * a`` shows two edges.

    `hide` leaves these leaves out, with their edges: ``hide=model.parameters()`` shows the
    paths through a network without a box for every weight and bias (the edge from an input
    into its neuron still carries the weight, its local derivative).

    ``grads=False`` writes ``grad ?`` in every box instead of the number: a drawing shown above
    an exercise that asks for a gradient does not give it away.

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
    >>> source.count("v1 -> op2 [label=3]")  # two edges, each d(x*x)/dx = x
    2
    """
    if not isinstance(root, Value):
        hint = " (draw one output at a time, or a loss that combines them)" if isinstance(root, (list, tuple)) else ""
        raise TypeError(f"draw_dot needs a Value to draw, got {type(root).__name__}{hint}")
    _check_rankdir(rankdir)
    _check_size(root, _check_limit("max_nodes", max_nodes))
    params, inputs = _value_set("params", params), _value_set("inputs", inputs)
    hidden = _hidden_leaves(hide)
    _import_graphviz()  # before any work: a missing package is the first thing to say

    order = topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    marked_nodes, marked_edges = _resolve_highlight(highlight, order, index)
    highlighting = bool(marked_nodes)  # dim the rest only when something stands out

    # ordering=in: each oval's incoming edges keep the order they are declared in, the
    # order of its parents; without it dot may swap z³₁ and z³₂, or C⁰ and C¹.
    drawing = _new_drawing("micrograd", rankdir=rankdir, nodesep="0.25", ranksep="0.35", ordering="in")
    kinds = {node: _value_kind(node, root, params, inputs) for node in order if node not in hidden}
    copies = {}  # long edge -> the name of the copy of its parent it starts from
    hidden_grad = None if grads else "grad ?"
    for node, j in sorted(_long_edges(order, index, hidden), key=lambda edge: (index[edge[0]], edge[1])):
        parent = node.parents[j]
        copies[node, j] = name = f"v{index[parent]}_for_op{index[node]}_{j}"
        label = _value_label(parent, kinds[parent], parent in marked_nodes, grad=hidden_grad, copy=True)
        drawing.node(name, label, shape="plain")
    for i, node in enumerate(order):
        if node in hidden:
            continue
        drawing.node(f"v{i}", _value_label(node, kinds[node], node in marked_nodes, grad=hidden_grad), shape="plain")
        if node.parents:
            _highlighted_operation(
                drawing, i, node, index, marked_edges, show_local_grads, highlighting, hidden, copies
            )
    if legend:
        legend_label = _legend(set(kinds.values()), show_local_grads, highlighting, copies=bool(copies))
        drawing.attr(label=legend_label, labelloc="b", labeljust="l")
    drawing.text_summary = _text_summary(order, index)
    shown = [node for node in order if node not in hidden]
    edges = sum(parent not in hidden for node in shown for parent in node.parents)
    drawing.size = f"{_plural(len(shown), 'value')}, {_plural(edges, 'edge')}"
    return drawing
