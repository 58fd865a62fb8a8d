"""Watch `backward()` add up the paths: the backward pass as a sequence of steps.

`backward_steps(output)` records, without touching any ``.grad``, what ``output.backward()``
does, one step per edge in exactly its order: the local derivative of the edge, the
gradient arriving from the child (``upstream``), their product (``contribution``) and the
parent's running sum before and after it is added. A value used in several places receives
several contributions: the second one is where the sum over paths happens.

>>> from micrograd import Value
>>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
>>> out = a * b + a
>>> steps = backward_steps(out)
>>> [(s.parent.label or s.parent.op, s.contribution, s.after) for s in steps]
[('*', 1.0, 1.0), ('a', 1.0, 1.0), ('a', 3.0, 4.0), ('b', 2.0, 2.0)]
>>> steps[2].summing, steps[2].final       # a's second contribution: 1 + 3 = 4, and no more to come
(True, True)
>>> print(steps)                                                # doctest: +NORMALIZE_WHITESPACE
backward() of a*b + a: 4 steps, one per edge; 1 sum
  step  edge               local  upstream  contribution  ∂(a*b + a)/∂parent  note
     1  a*b → a*b + a      1      1         1             1                   first, final
     2  a → a*b + a        1      1         1             1                   first
     3  a → a*b            3      1         3             1 + 3 = 4           + term 2, final
     4  b → a*b            2      1         2             2                   first, final
  gradients: ∂(a*b + a)/∂a = 4, ∂(a*b + a)/∂b = 2

Frame ``k`` of the pass is the graph after steps ``1..k`` (``steps[:k]``; frame 0 is before
any step, when only the output's gradient, 1, is known): `grads_after(k)` gives the gradients
known then, ``steps.draw(k)`` draws it, ``steps.widget()`` steps through it in Jupyter and
``steps.save_html(path)`` writes a page that does so in any browser.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any, overload

from micrograd.engine import Value, topological_order
from micrograd.explain import Path, _grouped, _names_for, _number_text, _path_counts_to_output, _route, paths

if TYPE_CHECKING:
    import graphviz

__all__ = ["BackwardSteps", "Step", "backward_steps"]

_FEW_PATHS = 4  # a step lists the paths behind its contribution when there are at most this many

# The drawings of a pass (name -> function), registered by the module that draws them when it
# is imported. `_view` imports it on first use, by name: the data never imports the drawings.
_VIEWS: dict[str, Callable[..., Any]] = {}
_VIEWS_MODULE = "micrograd.viz.steps"


def register_view(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Make `function` the drawing `name` of `BackwardSteps` (``draw_step``, ``page_data``…)."""
    _VIEWS[name] = function
    return function


def _view(name: str) -> Callable[..., Any]:
    if name not in _VIEWS:
        import_module(_VIEWS_MODULE)
    return _VIEWS[name]


@dataclass(frozen=True, eq=False)
class Step:
    """One edge of the backward pass: ``parent.grad += local * child.grad``.

    Attributes:
        number: 1 for the first step ``backward()`` takes, 2 for the next…
        child: the value whose gradient flows back (already final: every value that uses
            it came earlier).
        parent: ``child.parents[argument]``, the value receiving the contribution.
        argument: which argument of the child the parent is (``a * a`` has steps for 0 and 1).
        local: ∂child/∂parent, recorded at the forward pass.
        upstream: the child's gradient, ∂output/∂child.
        contribution: ``local * upstream``.
        before, after: the parent's running sum around this step (``after = before +
            contribution``, the very float ``backward()`` computes).
        term: which contribution to the parent this is (1 the first; 0 when skipped).
        final: nothing more will be added to the parent after this step.
        skipped: the child's gradient is 0, and ``backward()`` skips a value with gradient 0
            (it would add nothing, and it keeps ``0 * inf`` from becoming NaN). The step
            is listed so that every edge has its step, but adds nothing: ``after == before``.
        path_count: how many paths from the parent to the output begin with this edge; the
            contribution is their sum (the child's gradient sums the paths beyond it).
    """

    number: int
    child: Value
    parent: Value
    argument: int
    local: float
    upstream: float
    contribution: float
    before: float
    after: float
    term: int
    final: bool
    skipped: bool
    path_count: int
    output: Value = field(repr=False)

    @property
    def first(self) -> bool:
        """The first contribution the parent receives."""
        return self.term == 1

    @property
    def summing(self) -> bool:
        """A further contribution to a parent that already has one: the sum over paths happening."""
        return self.term > 1

    def paths(self, limit: int | None = 1000) -> list[Path]:
        """The paths from the parent to the output that begin with this edge: their
        products add up to the contribution (to rounding). ``ValueError`` past `limit`."""
        output = self.output
        tails = paths(output, self.child, limit=limit) if self.child is not output else [Path((output,), (), ())]
        return [
            Path((self.parent, *tail.nodes), (self.local, *tail.local_grads), (self.argument, *tail.edge_indices))
            for tail in tails
        ]


def backward_steps(output: Value) -> BackwardSteps:
    """The backward pass of `output` as steps, in exactly the order ``output.backward()`` takes.

    Nothing is computed twice and no ``.grad`` is read or written: replaying the steps
    gives, for every value, the very float ``backward()`` leaves in its ``.grad`` (same
    additions in the same order), so the steps are right whether or not you ran it.
    """
    if not isinstance(output, Value):
        raise TypeError(f"backward_steps needs a Value (the output), got {type(output).__name__} {output!r}")
    return BackwardSteps(output)


class BackwardSteps:
    """The steps of one backward pass (a sequence of `Step`), and the frames between them.

    Printing it (or showing it in a notebook) gives the step table. `grads_after(k)` is the
    state after ``k`` steps; `draw(k)`, `widget()` and `save_html(path)` show it.

    Attributes:
        output: the value whose backward pass this is.
        order: its graph in topological order (``backward()`` walks it backwards).
    """

    max_rows = 40  # rows printed; a longer pass shows its first and last steps

    def __init__(self, output: Value) -> None:
        self.output = output
        self.order = topological_order(output)
        counts = _path_counts_to_output(self.order)
        last_step: dict[Value, int] = {}  # the index of the last step into each value
        grads: dict[Value, float] = {output: 1.0}
        records = []
        for child in reversed(self.order):
            upstream = grads.get(child, 0.0)
            for j, (parent, local) in enumerate(zip(child.parents, child.local_grads)):
                before = grads.get(parent, 0.0)
                # backward() skips a child whose gradient is 0; so do we, adding nothing.
                after = before + local * upstream if upstream else before
                grads[parent] = after
                records.append((child, parent, j, local, upstream, before, after, not upstream))
                last_step[parent] = len(records) - 1
        terms: dict[Value, int] = {}
        steps = []
        for i, (child, parent, j, local, upstream, before, after, skipped) in enumerate(records):
            term = 0 if skipped else terms.get(parent, 0) + 1
            if term:
                terms[parent] = term
            steps.append(
                Step(
                    i + 1, child, parent, j, local, upstream, local * upstream, before, after,
                    term, last_step[parent] == i, skipped, counts[child], output,
                )
            )  # fmt: skip
        self._steps = tuple(steps)
        self._final = grads
        self._names: dict[Value, str] | None = None

    # -- the sequence

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Step, ...]: ...

    def __getitem__(self, index):
        return self._steps[index]

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self._steps)

    @property
    def sums(self) -> int:
        """How many steps add a further contribution to a value (where paths are summed)."""
        return sum(step.summing for step in self._steps)

    def grads_after(self, k: int | None = None) -> dict[Value, float]:
        """Every gradient known after the first `k` steps (default: all of them).

        Frame 0 knows only the output's (1.0). A value is known once a step has reached it,
        even a skipped one (its gradient is then 0). After all steps this is, value for
        value, bit for bit, what ``backward()`` leaves in ``.grad``.
        """
        return self._state(self._frame(k))[0]

    def terms_after(self, node: Value, k: int | None = None) -> list[float]:
        """The contributions `node` has received in the first `k` steps, in order."""
        return self._state(self._frame(k))[1].get(node, [])

    def _state(self, k: int) -> tuple[dict[Value, float], dict[Value, list[float]]]:
        """The gradients known after `k` steps and each value's contributions so far: one pass."""
        grads = {self.output: 1.0}
        terms: dict[Value, list[float]] = {}
        for step in self._steps[:k]:
            grads[step.parent] = step.after
            if not step.skipped:
                terms.setdefault(step.parent, []).append(step.contribution)
        return grads, terms

    def _frame(self, k: int | None) -> int:
        if k is None:
            return len(self._steps)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= len(self._steps):
            raise ValueError(f"frame must be an int from 0 to {len(self._steps)} (the number of steps), got {k!r}")
        return k

    # -- names and text

    def names(self) -> dict[Value, str]:
        """A short unique name for every value, as the path tables write them (``a*b``, ``tanh(x)``)."""
        if self._names is None:
            self._names = _names_for(self.output, self.order)
        return self._names

    def partial(self, node: Value) -> str:
        """The derivative of the output by `node`, written out: ``∂C/∂a``, ``∂C/∂(a*b + a)``,
        ``∂C/∂w²₁₃`` (a name that is not one symbol in parentheses)."""
        names = self.names()
        return f"∂{_grouped(names[self.output])}/∂{_grouped(names[node])}"

    def names_note(self) -> str:
        """What a ``#n`` suffix in the names means, if any name has one (else ``""``)."""
        return self.names().note()

    def edge_text(self, step: Step) -> str:
        """``a → a*b``; parallel edges carry the argument: ``a →₀ a*a``."""
        return _route(Path((step.parent, step.child), (step.local,), (step.argument,)), self.names())

    def sum_text(self, node: Value, k: int | None = None, number=_number_text) -> str:
        """`node`'s gradient after `k` steps, written as the sum it is: ``-0.0164 = 0.006 + (-0.0223)``,
        or ``?`` while no step has reached it."""
        return _written_sum(node, *self._state(self._frame(k)), number)

    def _step_cells(self, step: Step) -> tuple[str, ...]:
        """(step, edge, local, upstream, contribution, running sum, note) for the tables."""
        n = _number_text
        if step.skipped:
            running, note = n(step.after), "skipped: upstream is 0, nothing added"
        elif step.summing:
            contribution = n(step.contribution)
            contribution = f"({contribution})" if contribution.startswith("-") else contribution
            running, note = f"{n(step.before)} + {contribution} = {n(step.after)}", f"+ term {step.term}"
        else:
            running, note = n(step.after), "first"
        if step.final:
            note += ", final"
        return (
            str(step.number), self.edge_text(step), n(step.local), n(step.upstream), n(step.contribution),
            running, note,
        )  # fmt: skip

    def _heading(self, note: bool = False) -> str:
        """``backward() of C: 80 steps, one per edge; 12 sums``, and with `note` what a ``#n``
        suffix means (where there is one), for a page that has no room for another line."""
        n = len(self)
        sums = self.sums
        heading = (
            f"backward() of {self.names()[self.output]}: {n} step{'' if n == 1 else 's'}, one per edge; "
            f"{sums} sum{'' if sums == 1 else 's'}"
        )
        return f"{heading}. {self.names_note()}" if note and self.names_note() else heading

    def _grad_column(self) -> str:
        return f"∂{_grouped(self.names()[self.output])}/∂parent"

    def _shown_rows(self) -> tuple[list[Step], int, list[Step]]:
        """The steps printed before and after the elided middle, and how many are left out."""
        if len(self) <= self.max_rows:
            return list(self._steps), 0, []
        half = self.max_rows // 2
        return list(self._steps[:half]), len(self) - 2 * half, list(self._steps[-half:])

    def _leaf_grads(self) -> str:
        """``∂L/∂a = 4, ∂L/∂b = 2`` for the labelled leaves (at most 8), or ``""``."""
        leaves = [node for node in self.order if node.is_leaf() and node.label and node is not self.output]
        shown = [f"{self.partial(node)} = {_number_text(self._final.get(node, 0.0))}" for node in leaves[:8]]
        if len(leaves) > 8:
            shown.append(f"… {len(leaves) - 8} more")
        return ", ".join(shown)

    def __str__(self) -> str:
        head, hidden, tail = self._shown_rows()
        header = ("step", "edge", "local", "upstream", "contribution", self._grad_column(), "note")
        rows = [self._step_cells(s) for s in head + tail]
        widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header))]

        def line(cells: tuple[str, ...]) -> str:
            padded = [cells[0].rjust(widths[0]), *(cell.ljust(w) for cell, w in zip(cells[1:], widths[1:]))]
            return ("  " + "  ".join(padded)).rstrip()

        lines = [self._heading(), line(header)]
        lines += [line(row) for row in rows[: len(head)]]
        if hidden:
            lines.append(f"  {'':>{widths[0]}}  … {hidden} more steps not shown …")
        lines += [line(row) for row in rows[len(head) :]]
        if not self._steps:
            lines.append("  (no edges: the output is a leaf, its gradient is 1)")
        if self._steps and any(not s.skipped for s in self._steps) and self._leaf_grads():
            lines.append(f"  gradients: {self._leaf_grads()}")
        if self.names_note():
            lines.append(f"  {self.names_note()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        head, hidden, tail = self._shown_rows()
        header = ("step", "edge", "local", "upstream", "contribution", self._grad_column(), "note")
        out = [
            '<table class="micrograd-steps">',
            f"<caption style='caption-side: top; text-align: left'><b>{e(self._heading())}</b></caption>",
            "<thead><tr>" + "".join(f"<th style='text-align:left'>{e(h)}</th>" for h in header) + "</tr></thead>",
            "<tbody>",
        ]

        def row(step: Step) -> str:
            style = " style='background:#fff3cd; font-weight:bold'" if step.summing else ""
            cells = "".join(f"<td style='text-align:left'>{e(c)}</td>" for c in self._step_cells(step))
            return f"<tr class='{_row_class(step)}'{style}>{cells}</tr>"

        out += [row(s) for s in head]
        if hidden:
            out.append(
                f"<tr><td></td><td colspan='6' style='text-align:left'>… {hidden} more steps not shown …</td></tr>"
            )
        out += [row(s) for s in tail]
        out.append("</tbody>")
        foot = [f"gradients: {e(self._leaf_grads())}"] if self._leaf_grads() else []
        foot += [e(self.names_note())] if self.names_note() else []
        if foot:
            rows = "".join(f"<tr><td></td><td colspan='6' style='text-align:left'>{line}</td></tr>" for line in foot)
            out.append(f"<tfoot>{rows}</tfoot>")
        out.append("</table>")
        return "\n".join(out)

    def __repr__(self) -> str:
        return f"BackwardSteps({len(self)} steps of {self.names()[self.output]}, {self.sums} sums)"

    # -- pictures and pages: drawn by micrograd.viz.steps, which registers them in `_VIEWS`
    # (this module, the data, never imports the drawing layer)

    def draw(self, k: int | None = None, **options: Any) -> graphviz.Digraph:
        """The graph after `k` steps (default: all); see `micrograd.viz.steps.draw_step`."""
        return _view("draw_step")(self, self._frame(k), **options)

    def page_data(self, title: str | None = None, **options: Any) -> dict[str, Any]:
        """Everything the step-through shows, as JSON-ready data (the contract is documented at
        the top of micrograd/assets/stepthrough.js): the graph laid out once (``svg``, and its
        ``dot`` source), one row per step, and the summary of the last frame."""
        return _view("page_data")(self, title=title, **options)

    def save_html(self, path: str | os.PathLike, title: str | None = None, **options: Any) -> None:
        """Write a self-contained step-through page (no network, no CDN), atomically.

        The graph is laid out once by Graphviz's ``dot``; every step only changes numbers
        and colours, so a pass of any length the drawings accept (500 values) steps at once.
        """
        _view("save_html")(self, path, title=title, **options)

    def widget(self, **options: Any):
        """The step-through in Jupyter: the page's own view as a widget (anywidget), following
        the current edge; previous, play, next and a slider."""
        return _view("step_through")(self, **options)

    def network(self, model: object, outputs: object, **options: Any):
        """This pass over a network, neuron by neuron (`micrograd.viz.steps.NetworkSteps`):
        `model` an MLP, `outputs` what ``model(x)`` returned, the cost made from them."""
        return _view("NetworkSteps")(self, model, outputs, **options)

    def row_data(self, step: Step) -> dict[str, Any]:
        """One step as JSON-ready data: the table's cells, the numbers and the marks."""
        return self.rows_data()[step.number - 1]

    def rows_data(self) -> list[dict[str, Any]]:
        """`row_data` of every step, in one pass (the running sums are carried along)."""
        index = self._index()
        names = self.names()
        few = _few_paths(self.order, self.output, _FEW_PATHS)
        grads: dict[Value, float] = {self.output: 1.0}
        terms: dict[Value, list[float]] = {}
        rows = []
        for step in self._steps:
            grads[step.parent] = step.after
            if not step.skipped:
                terms.setdefault(step.parent, []).append(step.contribution)
            cells = self._step_cells(step)
            child, parent = index[step.child], index[step.parent]
            row: dict[str, Any] = {
                "number": step.number,
                "edge": cells[1],
                "cells": list(cells),
                "child": f"v{child}",
                "parent": f"v{parent}",
                "edge_id": f"e{child}_{step.argument}",  # the drawing's id of the edge parent -> child
                "argument": step.argument,
                "local": step.local,
                "upstream": step.upstream,
                "contribution": step.contribution,
                "before": step.before,
                "after": step.after,
                "term": step.term,
                "first": step.first,
                "summing": step.summing,
                "final": step.final,
                "skipped": step.skipped,
                "path_count": step.path_count,
                "what": self._what(step),
                "sum": f"{self.partial(step.parent)} = {_written_sum(step.parent, grads, terms, _number_text)}",
                "arithmetic": self._arithmetic(step, _written_sum(step.parent, grads, terms, _number_text)),
                "paths": [],
            }
            if step.child in few:
                row["paths"] = [
                    {"route": _route(p, names), "product": _number_text(p.product)}
                    for p in (
                        Path((step.parent, *t.nodes), (step.local, *t.local_grads), (step.argument, *t.edge_indices))
                        for t in few[step.child]
                    )
                ]
            rows.append(row)
        return rows

    def arithmetic(self, step: Step) -> str:
        """The step in words: ``a → a*b: 3 × 1 = 3; ∂(a*b + a)/∂a = 1 + 3 = 4 (term 2, final)``."""
        return self._arithmetic(step, self.sum_text(step.parent, step.number))

    def _what(self, step: Step) -> str:
        n = _number_text
        return f"{self.edge_text(step)}: {n(step.local)} × {n(step.upstream)} = {n(step.contribution)}"

    def _arithmetic(self, step: Step, total: str) -> str:
        what = self._what(step)
        if step.skipped:
            return f"{what}; skipped, as backward() skips a value whose gradient is 0"
        marks = "first contribution" if step.first else f"term {step.term}: the sum over paths"
        if step.final:
            marks += ", final"
        return f"{what}; {self.partial(step.parent)} = {total} ({marks})"

    def _index(self) -> dict[Value, int]:
        return {node: i for i, node in enumerate(self.order)}


def _few_paths(order: list[Value], output: Value, most: int) -> dict[Value, list[Path]]:
    """The paths from each value to `output`, for the values that have at most `most` of them:
    one pass from the output back, each value's paths its consumers' paths with one edge more."""
    consumers: dict[Value, list[tuple[Value, int, float]]] = {}
    for child in order:
        for j, (parent, local) in enumerate(zip(child.parents, child.local_grads)):
            consumers.setdefault(parent, []).append((child, j, local))
    few: dict[Value, list[Path]] = {output: [Path((output,), (), ())]}
    for node in reversed(order):
        if node is output:
            continue
        uses = consumers.get(node, [])
        if all(child in few for child, _, _ in uses) and sum(len(few[c]) for c, _, _ in uses) <= most:
            few[node] = [
                Path((node, *t.nodes), (local, *t.local_grads), (j, *t.edge_indices))
                for child, j, local in uses
                for t in few[child]
            ]
    return few


def _row_class(step: Step) -> str:
    return " ".join(
        name for name, on in (("first", step.first), ("summing", step.summing), ("final", step.final),
                              ("skipped", step.skipped)) if on
    )  # fmt: skip


def _written_sum(node: Value, grads: dict[Value, float], terms: dict[Value, list[float]], number) -> str:
    """`BackwardSteps.sum_text` given the frame's state (`BackwardSteps._state`)."""
    if node not in grads:
        return "?"
    total = number(grads[node])
    added = terms.get(node, [])
    if len(added) < 2:
        return total
    shown = [number(t) for t in added]
    if len(shown) > 6:
        shown = [*shown[:3], f"…({len(shown) - 5} more)…", *shown[-2:]]
    return f"{total} = " + " + ".join(t if i == 0 or not t.startswith("-") else f"({t})" for i, t in enumerate(shown))
