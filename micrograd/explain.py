"""Why backprop sums over paths: list them, count them, and compare with forward mode.

The derivative of an output with respect to a value is the sum, over every path from that
value to the output, of the product of the local derivatives along the path (Nielsen's
"rate factors"). `paths()` lists those paths with their products, `count_paths()` counts
them without listing (there can be exponentially many), and `forward_grad()` computes the
same derivative by pushing a tangent forwards through the recorded graph.

>>> from micrograd import Value
>>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
>>> out = a * b + a
>>> table = paths(out, a)
>>> [p.product for p in table]       # a → a*b → out (rate b = 3), a → out (rate 1)
[3.0, 1.0]
>>> table.total, forward_grad(out, a), count_paths(out, a)
(4.0, 4.0, 2)
>>> print(table)                                                # doctest: +NORMALIZE_WHITESPACE
∂(a*b + a)/∂a: sum over 2 paths
  #  path               local derivatives  product
  1  a → a*b → a*b + a  3 × 1              3
  2  a → a*b + a        1                  1
     sum of products                       4.0
     backward()                            4.0   (equal)
  2 paths here; path counts can grow exponentially with depth, while backward() visits each of the 4 edges once
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from micrograd._errors import GradientOverflowError, _brief, _edge_overflow, _reverse_overflow
from micrograd.engine import Value, topological_order
from micrograd.notation import is_symbol, shown, visible

__all__ = ["Path", "PathTable", "count_edges", "count_paths", "forward_grad", "paths"]

DEFAULT_LIMIT = 10_000


# --------------------------------------------------------------------------- one path


@dataclass(frozen=True, eq=False)
class Path:
    """One path from `wrt` to `output` through the recorded graph.

    Attributes:
        nodes: the values along the path, from `wrt` (first) to the output (last).
        local_grads: ``local_grads[i]`` is ∂nodes[i+1]/∂nodes[i] recorded on that edge.
        edge_indices: ``nodes[i+1].parents[edge_indices[i]] is nodes[i]``; it tells
            parallel edges apart (``a * a`` reaches its output along edge 0 and edge 1).
        product: the product of the local derivatives (1.0 for the empty path from a value
            to itself), multiplied from the output end as ``backward()`` does, so a
            graph with a single path gives exactly ``backward()``'s number.
    """

    nodes: tuple[Value, ...]
    local_grads: tuple[float, ...]
    edge_indices: tuple[int, ...]
    product: float = field(init=False)

    def __post_init__(self) -> None:
        if len(self.local_grads) != len(self.nodes) - 1 or len(self.edge_indices) != len(self.local_grads):
            raise ValueError(
                f"a path of {len(self.nodes)} nodes needs {len(self.nodes) - 1} local_grads and edge_indices, "
                f"got {len(self.local_grads)} and {len(self.edge_indices)}"
            )
        product = 1.0
        for k in reversed(range(len(self.local_grads))):  # output end first: the order backward() multiplies in
            product = self.local_grads[k] * product
            if not math.isfinite(product):
                parent, child, index = self.edges[k]
                raise GradientOverflowError(
                    f"the product of the local derivatives along a path of {len(self)} edges overflows a float "
                    f"at edge {k + 1}, {_name(parent)} → {_name(child)} (argument {index} of {child.op})"
                )
        object.__setattr__(self, "product", product)

    @property
    def edges(self) -> list[tuple[Value, Value, int]]:
        """The edges as ``(parent, child, index)`` with ``child.parents[index] is parent``."""
        return list(zip(self.nodes, self.nodes[1:], self.edge_indices))

    def __len__(self) -> int:
        """The number of edges on the path."""
        return len(self.local_grads)

    def __repr__(self) -> str:
        route = _route(self, _names_for(self.nodes[-1], self.nodes))
        return f"Path({route}, local_grads={self.local_grads!r}, product={self.product!r})"


# --------------------------------------------------------------------------- counting


def _check(output, wrt) -> None:
    for name, value in (("output", output), ("wrt", wrt)):
        if not isinstance(value, Value):
            raise TypeError(f"{name} must be a Value, got {type(value).__name__} {_brief(value)}")


def _path_counts(output: Value, wrt: Value, order: list[Value]) -> dict[Value, int]:
    """For every value in `order`, the number of paths from `wrt` to it (absent when 0).

    One pass in topological order: the paths into a value are the paths into each of its
    parents, one edge further, so the count is the sum over parents (duplicates counted,
    since ``a * a`` has two edges). Python ints keep it exact at any size.
    """
    counts = {wrt: 1}
    get = counts.get
    for node in order:
        if node is wrt:
            continue  # paths start at wrt: whatever wrt itself depends on is irrelevant
        total = 0
        for parent in node.parents:
            total += get(parent, 0)
        if total:
            counts[node] = total
    return counts


def _path_counts_to_output(order: list[Value]) -> dict[Value, int]:
    """For every value in `order` (a topological order ending at the output), the number of
    paths from it to the output.

    The mirror image of `_path_counts`: one pass backwards, where the paths out of a value
    are the paths out of each value that uses it, one edge longer (duplicates counted).
    """
    counts = dict.fromkeys(order, 0)
    counts[order[-1]] = 1
    for node in reversed(order):
        through = counts[node]
        if through:
            for parent in node.parents:
                counts[parent] += through
    return counts


def count_paths(output: Value, wrt: Value) -> int:
    """The exact number of paths from `wrt` to `output`, without listing them.

    Dynamic programming over the topological order: linear in the size of the graph even
    when the count is astronomically large.

    >>> x = Value(1.0)
    >>> y = x
    >>> for _ in range(40):                 # 40 diamonds of width 3 stacked in a chain
    ...     y = y.tanh() + y.sigmoid() + y * 0.5
    >>> count_paths(y, x) == 3 ** 40
    True
    """
    _check(output, wrt)
    return _path_counts(output, wrt, topological_order(output)).get(output, 0)


def count_edges(output: Value) -> int:
    """The number of edges in the graph of `output`: ``backward()`` visits each once.

    That is the cost of reverse mode (one multiply-add per edge), to compare with
    `count_paths`, which can grow exponentially with depth.
    """
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__name__} {_brief(output)}")
    return sum(len(node.parents) for node in topological_order(output))


# --------------------------------------------------------------------------- listing


def _enumerate_paths(output: Value, wrt: Value, counts: dict[Value, int]) -> Iterator[Path]:
    """Every path from `wrt` to `output`, by an explicit-stack depth-first walk.

    The walk starts at the output and follows parents in order (so paths come out in the
    reading order of the expression), entering only values that `wrt` reaches; every
    branch it takes therefore ends at `wrt`, and the work is proportional to the output.
    """
    chain = [output]  # values from the output down to where the walk is
    via: list[int] = []  # via[k]: chain[k + 1] is chain[k].parents[via[k]]
    cursor = [0]  # cursor[k]: the next parent index of chain[k] to try
    while chain:
        node = chain[-1]
        if node is wrt:
            nodes = tuple(reversed(chain))
            indices = tuple(reversed(via))
            local = tuple(child.local_grads[j] for child, j in zip(nodes[1:], indices))
            yield Path(nodes, local, indices)
            _pop(chain, via, cursor)
            continue
        parents = node.parents
        j = cursor[-1]
        while j < len(parents) and parents[j] not in counts:
            j += 1
        if j == len(parents):
            _pop(chain, via, cursor)
            continue
        cursor[-1] = j + 1
        chain.append(parents[j])
        via.append(j)
        cursor.append(0)


def _pop(chain: list, via: list, cursor: list) -> None:
    chain.pop()
    cursor.pop()
    if via:
        via.pop()


def paths(output: Value, wrt: Value, limit: int | None = DEFAULT_LIMIT) -> PathTable:
    """Every path from `wrt` to `output`, with the local derivatives along it and their product.

    The products add up to ∂output/∂wrt, the number ``output.backward()`` leaves in
    ``wrt.grad`` (to rounding). Parallel edges make distinct paths: ``a * a`` has two.

    The paths are counted first (`count_paths`); if there are more than `limit` a
    `ValueError` says so before any is listed. Pass a larger `limit`, or ``None`` for no
    limit, to list them anyway.

    >>> a = Value(3.0, label="a")
    >>> table = paths(a * a, a)
    >>> len(table), [p.edge_indices for p in table], table.total
    (2, [(0,), (1,)], 6.0)
    """
    _check(output, wrt)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {_brief(limit)}")
    order = topological_order(output)
    counts = _path_counts(output, wrt, order)
    total = counts.get(output, 0)
    if limit is not None and total > limit:
        raise ValueError(
            f"there are {total} paths from {_name(wrt)} to {_name(output)}, more than limit={limit}; "
            f"pass a larger limit (paths(output, wrt, limit={total})) or limit=None to list them all, "
            "or count them with count_paths()"
        )
    listed = list(_enumerate_paths(output, wrt, counts)) if total else []
    return PathTable(output, wrt, listed, backward_grad=_reverse_pass(output, wrt, order), order=order)


def _reverse_pass(output: Value, wrt: Value, order: list[Value]) -> float:
    """∂output/∂wrt by the same arithmetic as ``backward()``, without touching any ``.grad``.

    Same order of visits, same ``local * grad`` terms added in the same order, starting
    from 0: the result is bit for bit what ``backward()`` leaves in ``wrt.grad`` when that
    started at 0.
    """
    grads = {output: 1.0}
    for node in reversed(order):
        g = grads.get(node, 0.0)
        if not math.isfinite(g):
            raise _reverse_overflow("paths(): the backward() column", order, lambda n: grads.get(n, 0.0))
        if g and not node.is_leaf():  # backward() skips zero gradients too
            for parent, local in zip(node.parents, node.local_grads):
                grads[parent] = grads.get(parent, 0.0) + local * g
    return grads.get(wrt, 0.0)


# --------------------------------------------------------------------------- forward mode


@overload
def forward_grad(output: Value, wrt: Value) -> float: ...
@overload
def forward_grad(output: Sequence[Value], wrt: Value) -> list[float]: ...


def forward_grad(output, wrt):
    """∂output/∂wrt by forward mode over the recorded graph.

    A tangent ṫ = ∂node/∂wrt starts at 1 on `wrt` and is pushed forwards in topological
    order, using the local derivatives the graph recorded: ṫ(node) = Σ local · ṫ(parent).
    The result equals reverse mode's (``backward()``) up to rounding.

    Which mode is cheaper? Both cost about one sweep over the edges, but one forward
    sweep gives the derivatives of *every* output with respect to *one* input, and one
    reverse sweep gives the derivative of *one* output with respect to *every* input.
    A loss with many parameters (many inputs, one output) wants reverse mode: one sweep
    instead of one per parameter. One input feeding many outputs (a curve's slope at every
    sample) wants forward mode. Pass a list of outputs to get all their derivatives from
    one forward sweep.

    >>> x = Value(2.0)
    >>> forward_grad(x * x * x, x)        # 3x²
    12.0
    >>> forward_grad([x * x, x.exp()], x)  # one sweep, two outputs
    [4.0, 7.38905609893065]
    """
    single = isinstance(output, Value)
    outputs = [output] if single else list(output)
    for i, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"output[{i}] must be a Value, got {type(out).__name__} {_brief(out)}")
    _check(outputs[0] if outputs else wrt, wrt)
    tangents = {wrt: 1.0}
    get = tangents.get
    for node in _joint_order(outputs):
        if node is wrt or node.is_leaf():
            continue  # wrt is the independent variable; other leaves have tangent 0
        tangent = 0.0
        reached = False
        for parent, local in zip(node.parents, node.local_grads):
            t = get(parent)
            if t is not None:
                tangent += local * t
                reached = True
        if reached:
            if tangent - tangent:  # inf or NaN: say which edge, never hand it back
                terms = (
                    (parent, node, j, local, get(parent))
                    for j, (parent, local) in enumerate(zip(node.parents, node.local_grads))
                    if get(parent) is not None
                )
                raise _edge_overflow("forward_grad()", "tangent", node, terms)
            tangents[node] = tangent
    results = [tangents.get(out, 0.0) for out in outputs]
    return results[0] if single else results


def _joint_order(outputs: Iterable[Value]) -> list[Value]:
    """A topological order of everything the outputs depend on, each value once.

    One depth-first search shared by all outputs, so values already placed are never walked
    again: linear in the size of the joint graph even when each output depends on the one
    before (every point of a long sequence), where one `topological_order` per output
    would be quadratic.
    """
    outputs = list(outputs)
    if len(outputs) == 1:
        return topological_order(outputs[0])
    order: list[Value] = []
    placed: set[Value] = set()
    expanded: set[Value] = set()
    for out in outputs:
        stack = [out]
        while stack:
            node = stack.pop()
            if node in placed:
                continue
            parents = node.parents
            if not parents or node in expanded:  # a leaf, or every parent is placed
                placed.add(node)
                order.append(node)
                continue
            expanded.add(node)
            stack.append(node)  # comes back after its parents
            stack.extend(p for p in parents if p not in placed)
    return order


# --------------------------------------------------------------------------- names

# Precedence for writing unlabeled values as expressions: higher binds tighter.
_BINARY = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_NAME_WIDTH = 24  # longer generated names fall back to the op's name


def _number_text(x: float) -> str:
    """``%g``, except that -0.0 prints as 0: a sign on nothing only puzzles."""
    return f"{x + 0.0:g}"


def _expression_names(output: Value) -> dict[Value, tuple[str, int]]:
    """A readable name and its precedence for every value in the graph of `output`.

    A label wins, shown in the notebooks' notation (``w[2,1,3]`` as ``w²₁₃``:
    `micrograd.notation`). An unlabeled leaf is its number. An unlabeled op is written as the
    expression it computes (``a*b``, ``tanh(x)``) while that stays short; past that it is
    just its op (``tanh``), and so is everything built on it, so no name mixes the two.
    """
    atom = 9
    names: dict[Value, tuple[str, int]] = {}
    short: set[Value] = set()  # values whose name is a complete expression
    for node in topological_order(output):
        if node.label:
            label = shown(node.label)
            names[node] = (label, atom if _is_word(label) else 0)
            short.add(node)
        elif node.is_leaf():
            names[node] = (_number_text(node.data), atom if node.data >= 0 else 3)
            short.add(node)
        else:
            parents = node.parents
            if all(p in short for p in parents):
                text, prec = _write(node, [names[p] for p in parents])
                if len(text) <= _NAME_WIDTH:
                    names[node] = (text, prec)
                    short.add(node)
                    continue
            names[node] = (visible(str(node.op)), atom)
    return names


def _write(node: Value, args: list[tuple[str, int]]) -> tuple[str, int]:
    op = visible(str(node.op))

    def wrapped(i: int, need: int) -> str:
        text, prec = args[i]
        return text if prec >= need else f"({text})"

    if op in _BINARY and len(args) == 2:
        prec = _BINARY[op]
        if op == "**":  # right-associative
            return f"{wrapped(0, prec + 1)}**{wrapped(1, prec)}", prec
        tight = prec + 1 if op in "-/" else prec  # a-(b-c), a/(b*c)
        space = " " if prec == 1 else ""  # a*b + c reads better than a*b+c
        return f"{wrapped(0, prec)}{space}{op}{space}{wrapped(1, tight)}", prec
    if op.startswith("**") and len(args) == 1:  # a constant power, recorded as "**2"
        return f"{wrapped(0, 5)}{op}", 4
    if op.endswith("**") and len(args) == 1:  # a constant base, recorded as "2**"
        return f"{op}{wrapped(0, 5)}", 4
    if op == "neg":
        return f"-{wrapped(0, 4)}", 3
    if op == "Σwx+b":
        return op, 9  # n weights and n inputs: too many to write out
    return f"{op}({', '.join(text for text, _ in args)})", 9


class _Names(dict):
    """Value -> its unique name, and `numbered`: the names that had to be told apart with #n."""

    numbered: tuple[str, ...] = ()

    def note(self) -> str:
        """What a ``#n`` suffix means, if any name has one (else ``""``)."""
        if not self.numbered:
            return ""
        example = self.numbered[0]
        return f"#n: the n-th value of that name, in the order computed ({example}#2: the second {example})"


def _names_for(output: Value, values: Iterable[Value]) -> _Names:
    """Names for `values`, made unique: repeats get ``#1``, ``#2``… in graph order."""
    names = _expression_names(output)
    position = {node: i for i, node in enumerate(names)}
    values = sorted(set(values), key=lambda node: position.get(node, -1))
    by_name: dict[str, list[Value]] = {}
    for node in values:
        text = names[node][0] if node in names else _name(node)
        by_name.setdefault(text, []).append(node)
    unique = _Names()
    for text, nodes in by_name.items():
        for k, node in enumerate(nodes, 1):
            unique[node] = text if len(nodes) == 1 else f"{text}#{k}"
    unique.numbered = tuple(text for text, nodes in by_name.items() if len(nodes) > 1)
    return unique


def _name(node: Value) -> str:
    """A short name for one value, for messages: ``a``, ``a*b + c``, ``the output of tanh``."""
    name = _expression_names(node)[node][0]
    return f"the output of {node.op}" if not node.label and not node.is_leaf() and name == node.op else name


# --------------------------------------------------------------------------- the table


class PathTable(Sequence[Path]):
    """The paths from `wrt` to `output` (a sequence of `Path`) and what they add up to.

    Printing it (or showing it in a notebook) lays out every path, its local derivatives
    and their product, the sum of the products, and ``backward()``'s number beside it,
    plus the two counts that explain why backprop is fast: paths (exponential in depth)
    against the edges ``backward()`` visits (linear in the size of the graph).

    Attributes:
        output, wrt: the values the paths join.
        total: the sum of the products (``math.fsum``: correctly rounded).
        backward_grad: ∂output/∂wrt from a private reverse pass with exactly
            ``backward()``'s arithmetic; no ``.grad`` is read or written, so the table is
            right whether or not (and however often) you ran ``backward()``.
        edges, nodes: the size of the graph ``backward()`` walks.
    """

    max_rows = 50  # rows printed; the sum always covers every path

    def __init__(
        self, output: Value, wrt: Value, paths: Iterable[Path], *, backward_grad: float, order: list[Value]
    ) -> None:
        self.output = output
        self.wrt = wrt
        self._paths = tuple(paths)
        self.backward_grad = backward_grad
        try:
            self.total = math.fsum(p.product for p in self._paths)
        except OverflowError:  # every product is finite, but their exact sum is not
            raise GradientOverflowError(
                f"the sum of the {len(self._paths)} path products from {_name(wrt)} to {_name(output)} "
                "overflows a float"
            ) from None
        self.nodes = len(order)
        self.edges = sum(len(node.parents) for node in order)

    @overload
    def __getitem__(self, index: int) -> Path: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Path, ...]: ...

    def __getitem__(self, index):
        return self._paths[index]

    def __len__(self) -> int:
        return len(self._paths)

    @property
    def products(self) -> list[float]:
        """Each path's product, in the table's order."""
        return [p.product for p in self._paths]

    def __repr__(self) -> str:
        return (
            f"PathTable({len(self)} paths from {_name(self.wrt)} to {_name(self.output)}, "
            f"total={self.total!r}, backward_grad={self.backward_grad!r})"
        )

    # -- layout shared by the text and HTML forms

    def _rows(self) -> tuple[str, list[tuple[str, str, str, str]], int]:
        """The heading, up to `max_rows` rows (number, path, local derivatives, product), and how many are left out."""
        listed = self._paths[: self.max_rows]
        names = self._names(listed)
        heading = f"∂{_grouped(names[self.output])}/∂{_grouped(names[self.wrt])}"
        rows = []
        for i, path in enumerate(listed, 1):
            route = _route(path, names)
            local = " × ".join(_elide([_number_text(x) for x in path.local_grads], 6)) or "(none: the empty path)"
            rows.append((str(i), route, local, _number_text(path.product)))
        return heading, rows, len(self._paths) - len(listed)

    def _names(self, listed: Sequence[Path]) -> _Names:
        return _names_for(self.output, [self.output, self.wrt, *(n for p in listed for n in p.nodes)])

    def _agreement(self) -> str:
        if self.total == self.backward_grad:
            return "equal"
        return f"differ by {abs(self.total - self.backward_grad):.2g}: rounding"

    def _counts(self) -> str:
        n = len(self)
        return (
            f"{n} path{'' if n == 1 else 's'} here; path counts can grow exponentially with depth, "
            f"while {_backward_work(self.edges)}"
        )

    def __str__(self) -> str:
        heading, rows, hidden = self._rows()
        n = len(self)
        if not n:
            return (
                f"{heading}: no path, so the derivative is 0 (backward() gives {self.backward_grad!r})\n"
                f"  0 paths; {_backward_work(self.edges)}"
            )
        totals = [("", "sum of products", "", repr(self.total))]
        totals.append(("", "backward()", "", f"{self.backward_grad!r}   ({self._agreement()})"))
        table = [("#", "path", "local derivatives", "product"), *rows, *totals]
        widths = [max(len(row[c]) for row in table) for c in range(3)]
        lines = [f"{heading}: sum over {n} path{'' if n == 1 else 's'}"]
        for number, route, local, product in table:
            if hidden and number == "":  # the totals come after the note on rows left out
                lines.append(f"  {'':>{widths[0]}}  … {_more(hidden)} not shown (included in the sum)")
                hidden = 0
            cells = (number.rjust(widths[0]), route.ljust(widths[1]), local.ljust(widths[2]), product)
            lines.append(("  " + "  ".join(cells)).rstrip())
        if any("→" + d in row[1] for row in rows for d in "₀₁₂₃₄₅₆₇₈₉"):
            lines.append("  →₀, →₁: parallel edges, the value enters as argument 0, argument 1 of the next")
        note = self._names(self._paths[: self.max_rows]).note()
        if note:
            lines.append(f"  {note}")
        lines.append(f"  {self._counts()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        heading, rows, hidden = self._rows()
        e = html.escape
        caption = f"{e(heading)} = sum over {len(self)} path{'' if len(self) == 1 else 's'}"
        out = [
            '<table class="micrograd-paths">',
            f"<caption style='caption-side: top; text-align: left'><b>{caption}</b></caption>",
            "<thead><tr><th>#</th><th style='text-align:left'>path</th>"
            "<th style='text-align:left'>local derivatives</th><th>product</th></tr></thead>",
            "<tbody>",
        ]
        for number, route, local, product in rows:
            out.append(
                f"<tr><td>{number}</td><td style='text-align:left'>{e(route)}</td>"
                f"<td style='text-align:left'>{e(local)}</td><td>{e(product)}</td></tr>"
            )
        if hidden:
            more = f"… {_more(hidden)} not shown (included in the sum)"
            out.append(f"<tr><td></td><td colspan='3' style='text-align:left'>{more}</td></tr>")
        if not rows:
            out.append("<tr><td></td><td colspan='3' style='text-align:left'>no path: the derivative is 0</td></tr>")
        out += [
            "</tbody><tfoot>",
            f"<tr><td></td><td colspan='2' style='text-align:left'><b>sum of products</b></td>"
            f"<td><b>{self.total!r}</b></td></tr>",
            f"<tr><td></td><td colspan='2' style='text-align:left'><b>backward()</b> ({e(self._agreement())})</td>"
            f"<td><b>{self.backward_grad!r}</b></td></tr>",
            *(
                f"<tr><td></td><td colspan='3' style='text-align:left'><i>{e(note)}</i></td></tr>"
                for note in [self._names(self._paths[: self.max_rows]).note()]
                if note
            ),
            f"<tr><td></td><td colspan='3' style='text-align:left'><i>{e(self._counts())}</i></td></tr>",
            "</tfoot></table>",
        ]
        return "\n".join(out)


def _backward_work(edges: int) -> str:
    if edges == 0:
        return "backward() has no edge to visit"
    return "backward() visits its 1 edge once" if edges == 1 else f"backward() visits each of the {edges} edges once"


def _more(n: int) -> str:
    return f"{n} more path{'' if n == 1 else 's'}"


def _grouped(name: str) -> str:
    """`name` in parentheses unless it is one word or one call: ∂out/∂a, ∂tanh(x)/∂x, ∂(a*b)/∂a."""
    if _is_word(name) or _is_call(name):
        return name
    return f"({name})"


def _is_word(name: str) -> bool:
    """A name that needs no parentheses around it: no spaces, operators or brackets (z²₁,
    w#2), or one symbol with its indices (w²₁₂,₃, w[2,1,3], and w²₁₂,₃#2 among repeats)."""
    if is_symbol(name.rsplit("#", 1)[0]):
        return True
    return bool(name) and not any(ch.isspace() or ch in "+-*/%^()[]{}<>=,:;|&!~" for ch in name)


def _is_call(name: str) -> bool:
    """True for ``f(...)`` whose opening parenthesis closes at the very end."""
    head, paren, _ = name.partition("(")
    if not paren or not head.isidentifier() or not name.endswith(")"):
        return False
    depth = 0
    for i, ch in enumerate(name[len(head) :], len(head)):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return i == len(name) - 1
    return False


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _route(path: Path, names: dict[Value, str], keep: int = 6) -> str:
    """``a → a*b → out``; an arrow into a value that takes the same parent twice carries the
    argument index (``a →₀ a*a``, ``a →₁ a*a``) so parallel edges are told apart."""
    parts = [names[path.nodes[0]]]
    for parent, child, j in path.edges:
        parallel = child.parents.count(parent) > 1
        parts.append((f"→{str(j).translate(_SUBSCRIPTS)} " if parallel else "→ ") + names[child])
    return " ".join(_elide(parts, keep))


def _elide(items: list[str], keep: int) -> list[str]:
    """A long path shown as its first and last few steps."""
    if len(items) <= 2 * keep + 1:
        return items
    return [*items[:keep], f"…({len(items) - 2 * keep} more)…", *items[-keep:]]
