"""How `backward()` goes wrong: the classic mistakes, run on your own graph beside the right pass.

Each mistake in `NAMES` is a backward pass written the way a learner writes the wrong
version (`LEARNER_CODE` shows it). `wrong_gradients(output, name)` runs it on the graph of
`output` without touching any ``.grad``; `compare(output, name)` puts it beside the right
pass, names the first step of ``backward_steps(output)`` where the numbers part, and says
why in one sentence.

>>> from micrograd import Value
>>> a = Value(1.0, label="a")
>>> b = a + a; b.label = "b"
>>> c = b + b; c.label = "c"
>>> wrong = wrong_gradients(c, "overwrite")
>>> wrong[a], wrong[b]                  # backward() gives 4 and 2
(1.0, 1.0)
>>> report = compare(c, "overwrite")
>>> report.first_divergence
2
>>> report.explanation
'b →₁ c wrote 1 over the 1 already there: the path through b →₀ c is lost (backward() adds them: 1 + 1 = 2).'
>>> print(report)                                              # doctest: +NORMALIZE_WHITESPACE
overwrite on c: 2 of 3 gradients wrong; first wrong at step 2 of 4 (b →₁ c)
  value  right ∂c/∂value  overwrite  wrong?
  c      1                1
  b      2                1          ✗
  a      4                1          ✗
  b →₁ c wrote 1 over the 1 already there: the path through b →₀ c is lost (backward() adds them: 1 + 1 = 2).

The mistakes (edges are named as everywhere in micrograd: parent → child):

- ``overwrite``: ``parent.grad = local * child.grad`` instead of ``+=``. Every path into a
  value but the last one processed is lost. Right exactly on trees (no value used twice).
- ``no_topological_order``: the local rules applied depth-first from the output as values
  are first reached (recursion with a visited set, no sorting): a value passes its gradient
  on as soon as one consumer has reached it, before the others have added theirs. Right
  on chains, and wherever every value's consumers all come before it in that search.
- ``recursion_without_visited``: each value's local rules run again every time the recursion
  reaches it, once per path from the output (micrograd's ``_backward`` then a recursive
  call on each parent, no visited set): gradients counted many times over, and exponential
  work. `Comparison.calls` and `Comparison.applications` count it.
- ``no_zero_grad``: two training steps without ``zero_grad()`` in between. The step is
  ``p.data -= lr * p.grad`` for the parameters (default: the labelled leaves), the graph is
  evaluated again at the new point, and its backward pass starts from the first step's
  gradients still in the parameters' ``.grad``. "Right" is the second step after
  ``zero_grad()``. Options: ``lr=0.1``, ``params=None``.
- ``backward_twice``: ``backward()`` called twice on one graph by an engine that
  accumulates into every value and only sets the output's gradient to 1, as micrograd 0.1.0
  does. Ours recomputes interior gradients on every call (leaves accumulate, as in
  PyTorch), so "right" is what our ``backward()`` leaves after two calls: interior values
  their gradient, leaves twice theirs. The two differ at every interior value that passes
  on a gradient.
- ``set_of_parents``: parents stored as a set (with their local derivatives in a dict keyed
  by parent), so ``a * a`` and ``a + a`` keep one edge of their two.
- ``wrong_local``: local rules that read the wrong variable: tanh′ as ``1 − x²`` of the
  input x instead of ``1 − out²``, sigmoid′ as ``x(1 − x)`` instead of ``out(1 − out)``, and
  relu′ as the output itself (``out``, copied from exp's rule) instead of the step
  ``1 if x > 0 else 0`` of the input. Right wherever no tanh, sigmoid or relu is used (and
  at x = 0 for tanh, x ≤ 0 or x = 1 for relu).

Standard library only.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from micrograd._errors import _brief
from micrograd.engine import Value, _attach, _restored_leaf, topological_order
from micrograd.explain import _number_text, _path_counts_to_output
from micrograd.steps import BackwardSteps, backward_steps

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "DESCRIPTIONS",
    "LEARNER_CODE",
    "MAX_APPLICATIONS",
    "NAMES",
    "Comparison",
    "Write",
    "backward_pass",
    "compare",
    "wrong_gradients",
]

NAMES = (
    "overwrite",
    "no_topological_order",
    "recursion_without_visited",
    "no_zero_grad",
    "backward_twice",
    "set_of_parents",
    "wrong_local",
)

DESCRIPTIONS = {
    "overwrite": "parent.grad = local * child.grad instead of +=: every path but the last one processed is lost",
    "no_topological_order": (
        "depth-first from the output with a visited set, no sorting: a value passes its gradient on "
        "before all its consumers have added theirs"
    ),
    "recursion_without_visited": (
        "recursion with no visited set: a value passes its gradient on once per path from the output "
        "(counted many times over, exponential work)"
    ),
    "no_zero_grad": "two training steps without zero_grad(): the second step's gradients carry the first's",
    "backward_twice": (
        "backward() twice on one graph by an engine that accumulates into every value (micrograd 0.1.0); "
        "ours recomputes interior gradients"
    ),
    "set_of_parents": "parents stored as a set: a * a and a + a lose one of their two edges",
    "wrong_local": "local rules on the wrong variable: tanh′ = 1 − x², sigmoid′ = x(1 − x), relu′ = out",
}

LEARNER_CODE = {
    "overwrite": """\
for node in reversed(topological_order(output)):
    for parent, local in zip(node.parents, node.local_grads):
        parent.grad = local * node.grad          # should be +=""",
    "no_topological_order": """\
def backward(node, visited):
    visited.add(node)
    for parent, local in zip(node.parents, node.local_grads):
        parent.grad += local * node.grad         # node.grad may not be complete yet
        if parent not in visited:
            backward(parent, visited)

output.grad = 1.0
backward(output, set())""",
    "recursion_without_visited": """\
def backward(node):
    for parent, local in zip(node.parents, node.local_grads):
        parent.grad += local * node.grad
    for parent in node.parents:                  # no visited set: once per path
        backward(parent)

output.grad = 1.0
backward(output)""",
    "no_zero_grad": """\
for step in range(2):
    loss = f(*params)
    loss.backward()                              # no zero_grad() before it
    for p in params:
        p.data -= lr * p.grad""",
    "backward_twice": """\
def backward(self):                              # micrograd 0.1.0
    self.grad = 1                                # interior grads are not reset
    for node in reversed(topological_order(self)):
        node._backward()                         # += into every parent

output.backward()
output.backward()""",
    "set_of_parents": """\
self._prev = set(parents)                        # a * a: {a}
self._local = dict(zip(parents, local_grads))    # {a: a.data}
...
for node in reversed(topological_order(output)):
    for parent in node._prev:
        parent.grad += node._local[parent] * node.grad""",
    "wrong_local": """\
# tanh:    x.grad += (1 - x.data**2) * out.grad      should be 1 - out.data**2
# sigmoid: x.grad += x.data * (1 - x.data) * out.grad   should be out.data * (1 - out.data)
# relu:    x.grad += out.data * out.grad             should be (x.data > 0) * out.grad""",
}

# recursion_without_visited does exponential work: past this many edge applications it is
# refused (the count is known in linear time first) rather than run for hours.
MAX_APPLICATIONS = 200_000

_REORDERED = frozenset({"no_topological_order", "recursion_without_visited"})
_REL = 1e-9  # numbers closer than this (relatively) differ only by rounding, not by a mistake


def _differs(x: float, y: float) -> bool:
    return x != y and not math.isclose(x, y, rel_tol=_REL, abs_tol=0.0)


@dataclass(frozen=True, eq=False)
class Write:
    """One edge applied by a backward pass: ``parent.grad`` becomes `after`.

    Attributes:
        position: 1 for the first edge this pass applies, 2 for the next…
        step: the number of the step of ``backward_steps(output)`` on the same edge.
        child, parent, argument: the edge, ``child.parents[argument] is parent``.
        local: the local derivative this pass used (``wrong_local`` uses wrong ones).
        upstream: the child's gradient when this pass applied the edge.
        before, after: the parent's gradient around it.
        repeat: how many times this pass has applied this edge so far (1 the first).
        lost: this pass skips the edge (``set_of_parents``): ``after == before``.
    """

    position: int
    step: int
    child: Value
    parent: Value
    argument: int
    local: float
    upstream: float
    before: float
    after: float
    repeat: int = 1
    lost: bool = False

    @property
    def contribution(self) -> float:
        return 0.0 if self.lost else self.local * self.upstream


# --------------------------------------------------------------------------- checking input


def _check(output: object, name: object, where: str) -> None:
    if not isinstance(output, Value):
        raise TypeError(f"{where} needs a Value (the output), got {type(output).__name__} {_brief(output)}")
    if not isinstance(name, str):
        raise TypeError(f"{where}: the mistake must be a name (a str), got {type(name).__name__} {_brief(name)}")
    if name not in NAMES:
        raise ValueError(f"{where}: unknown mistake {name!r}; the mistakes are {', '.join(NAMES)}")


def _check_options(name: str, options: Mapping[str, Any], where: str) -> None:
    allowed = ("lr", "params") if name == "no_zero_grad" else ()
    for key in options:
        if key not in allowed:
            takes = f"takes only {' and '.join(allowed)}" if allowed else "takes no options"
            raise TypeError(f"{where}: unexpected option {key}= for {name!r} (it {takes})")


# --------------------------------------------------------------------------- the passes


def _edge_locals(child: Value) -> tuple[float, ...]:
    return child.local_grads


def _wrong_locals(child: Value) -> tuple[float, ...]:
    """The local derivatives a learner gets by reading the wrong variable."""
    op = child.op
    if op == "tanh":
        x = child.parents[0].data
        return (1 - x * x,)
    if op == "sigmoid":
        x = child.parents[0].data
        return (x * (1 - x),)
    if op == "relu":
        return (child.data,)
    return child.local_grads


_RIGHT_RULE = {"tanh": "1 − out² = {r}", "sigmoid": "out(1 − out) = {r}", "relu": "1 if x > 0 else 0, here {r}"}
_WRONG_RULE = {
    "tanh": "1 − x² of the input x = {x}",
    "sigmoid": "x(1 − x) of the input x = {x}",
    "relu": "the output out = {o} (exp's rule)",
}


def _ordered(
    steps: BackwardSteps,
    start: Mapping[Value, float],
    *,
    locals_of: Callable[[Value], tuple[float, ...]] = _edge_locals,
    overwrite: bool = False,
    skip_zero: bool = True,
    set_of_parents: bool = False,
) -> tuple[dict[Value, float], list[Write]]:
    """A pass over the edges in ``backward()``'s own order, from the gradients in `start`."""
    grads = dict(start)
    writes = []
    for step in steps:
        child, parent, j = step.child, step.parent, step.argument
        upstream = grads.get(child, 0.0)
        local = locals_of(child)[j]
        before = grads.get(parent, 0.0)
        lost = False
        if set_of_parents:
            parents = child.parents
            first = parents.index(parent)
            last = len(parents) - 1 - parents[::-1].index(parent)
            lost = j != first  # the set keeps one entry, the dict its last local derivative
            local = locals_of(child)[last]
        if lost:
            after = before
        elif overwrite:
            after = local * upstream
        elif skip_zero and not upstream:
            after = before
        else:
            after = before + local * upstream
        grads[parent] = after
        writes.append(Write(step.number, step.number, child, parent, j, local, upstream, before, after, 1, lost))
    return grads, writes


def _edge_numbers(steps: BackwardSteps) -> dict[tuple[Value, int], int]:
    return {(s.child, s.argument): s.number for s in steps}


def _depth_first(steps: BackwardSteps, visited_set: bool) -> tuple[dict[Value, float], list[Write], int]:
    """The two recursions, run with a stack of their own (a deep chain needs no deep Python
    recursion), in exactly the order the recursive code takes. Returns the gradients, the
    writes and the number of calls of ``backward(node)``."""
    output = steps.output
    numbers_of = _edge_numbers(steps)
    grads = {output: 1.0}
    writes: list[Write] = []
    repeats: dict[tuple[Value, int], int] = {}
    calls = 1

    def apply(child: Value, j: int) -> None:
        parent = child.parents[j]
        local = child.local_grads[j]
        upstream = grads.get(child, 0.0)
        before = grads.get(parent, 0.0)
        after = before + local * upstream
        grads[parent] = after
        key = (child, j)
        repeats[key] = repeats.get(key, 0) + 1
        writes.append(Write(len(writes) + 1, numbers_of[key], child, parent, j, local, upstream, before, after,
                            repeats[key]))  # fmt: skip

    if visited_set:
        # backward(node): for each edge, add, then recurse into the parent if not yet visited.
        visited = {output}
        frames = [(output, 0)]
        while frames:
            node, j = frames.pop()
            if j == len(node.parents):
                continue
            frames.append((node, j + 1))
            apply(node, j)
            parent = node.parents[j]
            if parent not in visited:
                visited.add(parent)
                calls += 1
                frames.append((parent, 0))
    else:
        # backward(node): every edge of node, then backward(parent) for each parent in order.
        stack = [output]
        first = True
        while stack:
            node = stack.pop()
            if not first:
                calls += 1
            first = False
            for j in range(len(node.parents)):
                apply(node, j)
            stack.extend(reversed(node.parents))
    return grads, writes, calls


def _recursion_work(order: list[Value]) -> tuple[int, int]:
    """(calls, edge applications) of recursion_without_visited, counted in linear time:
    a value is called once per path from the output to it."""
    counts = _path_counts_to_output(order)
    calls = sum(counts.values())
    applications = sum(counts[node] * len(node.parents) for node in order)
    return calls, applications


def _second_step(
    output: Value, order: list[Value], first: Mapping[Value, float], lr: float, params: list[Value]
) -> tuple[Value, list[Value]]:
    """The graph of `output` evaluated again after ``p.data -= lr * p.grad`` for `params`:
    a new graph of the same shape (its topological order matches `order` position by
    position)."""
    moved = {p: p.data - lr * first.get(p, 0.0) for p in params}
    new: dict[Value, Value] = {}
    for node in order:
        if node.is_leaf():
            data = moved.get(node, node.data)
            if not math.isfinite(data):
                raise ValueError(f"no_zero_grad: lr={lr!r} moves {_brief(node.label or node.data)} to {data}")
            new[node] = _restored_leaf(data, node.label, 0.0)
            continue
        parents = [new[p] for p in node.parents]
        args = [p.data for p in parents]
        try:
            data = node.op.forward(*args)
            local_grads = node.op.local(data, *args)
        except (ArithmeticError, ValueError) as error:
            raise ValueError(
                f"no_zero_grad: after the first step (lr={lr!r}) the graph cannot be evaluated again: {error}"
            ) from None
        if not (math.isfinite(data) and all(map(math.isfinite, local_grads))):
            raise ValueError(f"no_zero_grad: after the first step (lr={lr!r}) {node.op} overflows a float")
        value = _restored_leaf(data, node.label, 0.0)
        _attach(value, node.op, parents, local_grads)
        new[node] = value
    new_order = [new[node] for node in order]
    if topological_order(new[output]) != new_order:  # cannot happen: same shape, same order
        raise RuntimeError("no_zero_grad: the second step's graph is ordered differently")
    return new[output], new_order


def _params(output: Value, order: list[Value], params: object) -> list[Value]:
    leaves = [node for node in order if node.is_leaf()]
    if params is None:
        labelled = [node for node in leaves if node.label]
        return labelled or leaves
    if isinstance(params, (Value, str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(f"no_zero_grad: params must be a list of Values, got {type(params).__name__}")
    chosen = list(params)
    in_graph = set(leaves)
    for p in chosen:
        if not isinstance(p, Value):
            raise TypeError(f"no_zero_grad: params must be Values, got {type(p).__name__} {_brief(p)}")
        if p not in in_graph:
            raise ValueError(f"no_zero_grad: the parameter {p!r} is not a leaf of this graph")
    return chosen


def _lr(lr: object) -> float:
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not math.isfinite(float(lr)):
        raise TypeError(f"no_zero_grad: lr must be a finite number, got {type(lr).__name__} {_brief(lr)}")
    return float(lr)


@dataclass
class _Run:
    """Both passes of one mistake on one graph, on the nodes of the graph they ran on."""

    graph: Value  # the output whose passes are compared (the second step's for no_zero_grad)
    steps: BackwardSteps  # backward_steps(graph)
    right: dict[Value, float]
    wrong: dict[Value, float]
    right_writes: list[Write]
    wrong_writes: list[Write]
    calls: int | None = None


def _run(output: Value, name: str, options: Mapping[str, Any]) -> _Run:
    steps = backward_steps(output)
    order = steps.order
    if name == "no_zero_grad":
        lr = _lr(options.get("lr", 0.1))
        params = _params(output, order, options.get("params"))
        first = steps.grads_after()
        graph, new_order = _second_step(output, order, first, lr, params)
        at = dict(zip(order, new_order))
        steps = backward_steps(graph)
        right, right_writes = _ordered(steps, {graph: 1.0})
        carried = {at[p]: first[p] for p in params}
        start = {graph: 1.0, **carried}
        if graph in carried:  # a leaf output: our backward() adds 1 to it
            start[graph] = carried[graph] + 1.0
        wrong, wrong_writes = _ordered(steps, start)
        return _Run(graph, steps, right, wrong, right_writes, wrong_writes)
    if name == "backward_twice":
        first = steps.grads_after()
        ours = {node: first[node] for node in order if node.is_leaf()}
        ours[output] = first[output] + 1.0 if output.is_leaf() else 1.0
        right, right_writes = _ordered(steps, ours)
        old = {**first, output: 1.0}  # micrograd 0.1.0: self.grad = 1, every other grad kept
        wrong, wrong_writes = _ordered(steps, old, skip_zero=False)
        return _Run(output, steps, right, wrong, right_writes, wrong_writes)
    right, right_writes = _ordered(steps, {output: 1.0})
    calls = None
    if name == "overwrite":
        wrong, wrong_writes = _ordered(steps, {output: 1.0}, overwrite=True, skip_zero=False)
    elif name == "set_of_parents":
        wrong, wrong_writes = _ordered(steps, {output: 1.0}, set_of_parents=True)
    elif name == "wrong_local":
        wrong, wrong_writes = _ordered(steps, {output: 1.0}, locals_of=_wrong_locals)
    elif name == "no_topological_order":
        wrong, wrong_writes, calls = _depth_first(steps, visited_set=True)
    else:  # recursion_without_visited
        calls, applications = _recursion_work(order)
        if applications > MAX_APPLICATIONS:
            raise ValueError(
                f"recursion_without_visited would apply {applications:,} edges in {calls:,} calls on this graph "
                f"(once per path), where backward() takes {len(steps):,} steps; over the limit of "
                f"{MAX_APPLICATIONS:,}: try a smaller graph"
            )
        wrong, wrong_writes, calls = _depth_first(steps, visited_set=False)
    return _Run(output, steps, right, wrong, right_writes, wrong_writes, calls)


def _on_given(run: _Run, order: list[Value], grads: Mapping[Value, float]) -> dict[Value, float]:
    """Gradients keyed by the values of the graph given (the second step's graph has copies)."""
    return {node: grads.get(copy, 0.0) for node, copy in zip(order, run.steps.order)}


def wrong_gradients(output: Value, name: str, **options: Any) -> dict[Value, float]:
    """The gradient mistake `name` gives every value of the graph of `output`.

    No ``.grad`` is read or written. ``no_zero_grad`` takes ``lr=`` (default 0.1) and
    ``params=`` (default: the labelled leaves) and gives the second step's gradients.

    Raises ``TypeError`` when `output` is not a Value, ``ValueError`` for a name not in `NAMES`.
    """
    _check(output, name, "wrong_gradients")
    _check_options(name, options, "wrong_gradients")
    order = topological_order(output)
    run = _run(output, name, options)
    return _on_given(run, order, run.wrong)


def backward_pass(name: str, **options: Any) -> Callable[[Value], None]:
    """Mistake `name` as a backward pass that writes its gradients into ``.grad``, for
    ``gradcheck(f, inputs, backward=backward_pass(name))`` (or ``backward=name``)."""
    if not isinstance(name, str) or name not in NAMES:
        shown = repr(name) if isinstance(name, str) else f"{type(name).__name__} {_brief(name)}"
        raise ValueError(f"backward_pass: unknown mistake {shown}; the mistakes are {', '.join(NAMES)}")
    _check_options(name, options, "backward_pass")

    def backward(output: Value) -> None:
        for node, g in wrong_gradients(output, name, **options).items():
            node.grad = g

    backward.__name__ = backward.__qualname__ = f"{name}_backward"
    backward.__doc__ = f"backward() with the mistake {name!r}: {DESCRIPTIONS[name]}."
    return backward


# --------------------------------------------------------------------------- the comparison


def compare(output: Value, name: str, **options: Any) -> Comparison:
    """Mistake `name` beside the right pass on the graph of `output`: a `Comparison`.

    Print it for a table, show it in a notebook for an HTML one; ``.first_divergence`` is the
    step of ``backward_steps(output)`` where the wrong pass first writes a different number
    (None if it never does on this graph), ``.explanation`` says why in one sentence.
    Options as for `wrong_gradients`. No ``.grad`` is touched.
    """
    _check(output, name, "compare")
    _check_options(name, options, "compare")
    return Comparison(output, name, _run(output, name, options))


class Comparison:
    """One mistake beside the right backward pass, on one graph.

    Attributes:
        name: the mistake (one of `NAMES`).
        output: the value given.
        order: its graph in topological order.
        right, wrong: the gradient of every value of the graph, by the right pass and by the mistake.
        steps: ``backward_steps`` of the pass compared (of the second step's graph for
            ``no_zero_grad``, of `output` otherwise: its steps are numbered alike).
        right_writes, wrong_writes: every edge each pass applied, in its own order (`Write`).
        first_divergence: the number of the step of ``backward_steps(output)`` at which
            the wrong pass first writes a different number, or None. For the two recursions,
            which take the edges in another order, a write counts as different when it
            applies an edge again, or adds a different contribution than the right pass
            adds on that edge; the step is the one on that edge.
        divergent: the wrong pass's `Write` at that step (None if there is none);
            `divergent_edge` its edge as text.
        explanation: one sentence: what that write did, and why it is wrong.
        calls: how many times the recursive ``backward(node)`` was called (the two
            recursions only; None otherwise). `applications`: edges the wrong pass applied.

    Printed, or shown in a notebook, it is a table of at most `max_rows` values, output side first.
    """

    max_rows = 60

    def __init__(self, output: Value, name: str, run: _Run) -> None:
        self.name = name
        self.output = output
        self.order = topological_order(output)
        self.graph = run.graph
        self.steps = run.steps
        self.right = _on_given(run, self.order, run.right)
        self.wrong = _on_given(run, self.order, run.wrong)
        self.right_writes = run.right_writes
        self.wrong_writes = run.wrong_writes
        self.calls = run.calls
        self.applications = sum(not w.lost for w in run.wrong_writes)
        self._at = dict(zip(run.steps.order, self.order))  # the compared graph's node -> the given one
        self._copy = dict(zip(self.order, run.steps.order))  # and back
        self.divergent = self._first_wrong_write()
        self.first_divergence = None if self.divergent is None else self.divergent.step
        self.explanation = self._explain()

    # -- finding and explaining the divergence

    def _first_wrong_write(self) -> Write | None:
        if self.name in _REORDERED:
            right_of = {(w.child, w.argument): w for w in self.right_writes}
            for w in self.wrong_writes:
                if w.repeat > 1 or _differs(w.contribution, right_of[w.child, w.argument].contribution):
                    return w
            return None
        for w, r in zip(self.wrong_writes, self.right_writes):
            if _differs(w.after, r.after):
                return w
        return None

    def wrong_after(self, k: int | None = None) -> dict[Value, float]:
        """The gradients the wrong pass has written after its first `k` writes (default: all),
        keyed by the values of the graph given; frame 0 knows only the output's. For the
        passes that keep ``backward()``'s order, write k is on the edge of step k, so
        ``wrong_after(k)`` stands beside ``steps.grads_after(k)``."""
        return self._after(self.wrong_writes, k, self.wrong)

    def right_after(self, k: int | None = None) -> dict[Value, float]:
        """`wrong_after` for the right pass (for most mistakes ``steps.grads_after(k)``; for
        ``backward_twice`` our second call, which starts from the leaves' first gradients)."""
        return self._after(self.right_writes, k, self.right)

    def _after(self, writes: list[Write], k: int | None, final: dict[Value, float]) -> dict[Value, float]:
        if k is None:
            k = len(writes)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= len(writes):
            raise ValueError(f"k must be an int from 0 to {len(writes)} (the number of writes), got {k!r}")
        grads = {self.output: final[self.output]}  # nothing writes into the output: it is no value's parent
        for w in writes[:k]:
            grads[self._at[w.parent]] = w.after
        return grads

    @property
    def divergent_edge(self) -> str | None:
        """The edge of the first diverging step as the step tables write it (``b →₁ c``), or None."""
        return None if self.divergent is None else self._edge(self.divergent)

    def _caused_here(self, w: Write, right: Write) -> bool:
        """Whether the mistake itself acts at this write (rather than a number already off)."""
        if self.name == "overwrite":
            return w.before != 0
        if self.name == "set_of_parents":
            return w.lost
        if self.name == "wrong_local":
            return str(w.child.op) in _WRONG_RULE and _differs(w.local, right.local)
        if self.name == "no_zero_grad":
            return _differs(w.before, right.before)
        return True  # backward_twice explains both of its causes; the recursions compare contributions

    def wrong_values(self) -> list[Value]:
        """The values whose gradient the mistake gets wrong, output side first."""
        return [node for node in reversed(self.order) if _differs(self.right[node], self.wrong[node])]

    def _edge(self, write: Write | None = None, step: int | None = None) -> str:
        s = self.steps[(write.step if write else step) - 1]
        return self.steps.edge_text(s)

    def _name(self, node: Value) -> str:
        names = self.steps.names()
        return names[node] if node in names else names[self._copy[node]]

    def _explain(self) -> str:
        n = _number_text
        w = self.divergent
        if w is None:
            return _RIGHT_HERE[self.name]
        right = self.right_writes[w.step - 1]
        edge = self._edge(w)
        parent, child = self._name(w.parent), self._name(w.child)
        ordered = self.name not in _REORDERED
        if ordered and not self._caused_here(w, right):
            # the numbers parted by less than rounding earlier and a later sum made it show
            return (
                f"{edge}: {child}'s gradient is already off ({n(w.upstream)}, right {n(right.upstream)}), so "
                f"{parent} gets {n(w.after)} where backward() has {n(right.after)}."
            )
        if self.name == "overwrite":
            earlier = [r for r in self.right_writes[: w.step - 1] if r.parent is w.parent and r.contribution]
            lost = ", ".join(self._edge(step=r.step) for r in earlier) or "the earlier edges"
            path = "path" if len(earlier) <= 1 else "paths"
            return (
                f"{edge} wrote {n(w.after)} over the {n(w.before)} already there: the {path} through {lost} "
                f"{'is' if path == 'path' else 'are'} lost (backward() adds them: {n(right.before)} + "
                f"{_term(right.contribution)} = {n(right.after)})."
            )
        if self.name == "set_of_parents":
            return (
                f"{edge} is lost: with its parents stored as a set, {child} holds {parent} once, so this edge "
                f"adds nothing and {parent} keeps {n(w.before)} (backward() adds {_term(right.contribution)}: "
                f"{n(right.after)})."
            )
        if self.name == "wrong_local":
            op = str(w.child.op)
            x, o = w.child.parents[0].data, w.child.data
            wrong_rule = _WRONG_RULE[op].format(x=n(x), o=n(o))
            right_rule = _RIGHT_RULE[op].format(r=n(right.local))
            return (
                f"{edge} used {op}′ = {n(w.local)}, taken as {wrong_rule}, where it is {right_rule}: "
                f"it adds {n(w.contribution)} instead of {n(right.contribution)}."
            )
        if self.name == "backward_twice":
            kept = (
                f"{parent} still held {n(w.before)} from the first call (ours starts it from {n(right.before)})"
                if _differs(w.before, right.before)
                else f"{child} passed on {n(w.upstream)}, its gradient over both calls (ours: {n(right.upstream)})"
            )
            return (
                f"{edge}: {kept}, so micrograd 0.1.0 leaves {n(w.after)} where ours leaves {n(right.after)}; "
                "an engine that never resets interior gradients counts the first call again."
            )
        if self.name == "no_zero_grad":
            return (
                f"{edge} added {_term(w.contribution)} to the {n(w.before)} left in {parent}.grad by the first "
                f"step (no zero_grad()): {n(w.after)}, where the second step alone gives {n(right.after)}."
            )
        if w.repeat > 1:
            return (
                f"{edge} was applied again (time {w.repeat}: {child} is reached along another path from "
                f"{self._name(self.output)}, and passes its gradient {n(w.upstream)} on each time), so {parent} "
                f"gets {n(w.after)}; this recursion made {self.calls} calls applying {self.applications} edges "
                f"where backward() takes {len(self.steps)} steps."
            )
        missing = [
            self._edge(step=r.step)
            for r in self.right_writes
            if r.parent is w.child and not _applied_before(self.wrong_writes, r, w.position)
        ]
        waiting = ", ".join(missing) or "the other edges into it"
        return (
            f"{edge} passed on {child}'s gradient {n(w.upstream)} before {waiting} had added "
            f"{'its term' if len(missing) <= 1 else 'their terms'}: backward() waits and passes on "
            f"{n(right.upstream)}."
        )

    # -- text

    def _heading(self) -> str:
        wrong = len(self.wrong_values())
        total = len(self.order)
        head = f"{self.name} on {self._name(self.output)}: {wrong} of {total} gradient{'' if total == 1 else 's'} wrong"
        if self.first_divergence is not None:
            head += f"; first wrong at step {self.first_divergence} of {len(self.steps)} ({self._edge(self.divergent)})"
        if self.calls is not None and self.name == "recursion_without_visited":
            head += f"; {self.calls} calls, {self.applications} edge applications (backward(): {len(self.steps)} steps)"
        return head

    def _rows(self) -> tuple[list[tuple[str, str, str, bool]], str]:
        """The table's rows, output side first, at most `max_rows` of them; and what a longer
        table leaves out (``""`` if nothing)."""
        names = self.steps.names()
        rows = [
            (names[copy], _number_text(self.right[node]), _number_text(self.wrong[node]),
             _differs(self.right[node], self.wrong[node]))
            for copy, node in reversed(list(self._at.items()))
        ]  # fmt: skip
        if len(rows) <= self.max_rows:
            return rows, ""
        hidden = rows[self.max_rows :]
        wrong = sum(bad for *_, bad in hidden)
        return rows[: self.max_rows], f"… {len(hidden)} more values not shown, {wrong} of them wrong …"

    def _column(self) -> str:
        partial = self.steps.partial(self.steps.output)
        return "right " + partial.rsplit("/", 1)[0] + "/∂value"

    def __str__(self) -> str:
        header = ("value", self._column(), self.name, "wrong?")
        shown, more = self._rows()
        rows = [(name, r, w, "✗" if bad else "") for name, r, w, bad in shown]
        widths = [max(len(row[c]) for row in [header, *rows]) for c in range(4)]

        def line(cells) -> str:
            return ("  " + "  ".join(cell.ljust(width) for cell, width in zip(cells, widths))).rstrip()

        lines = [self._heading(), line(header), *map(line, rows)]
        if more:
            lines.append(f"  {more}")
        lines.append(f"  {self.explanation}")
        if self.steps.names_note():
            lines.append(f"  {self.steps.names_note()}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        header = ("value", self._column(), self.name)
        out = [
            '<table class="micrograd-mistake">',
            f"<caption style='caption-side: top; text-align: left'><b>{e(self._heading())}</b></caption>",
            "<thead><tr>" + "".join(f"<th style='text-align:left'>{e(h)}</th>" for h in header) + "</tr></thead>",
            "<tbody>",
        ]
        shown, more = self._rows()
        for name, right, wrong, bad in shown:
            style = _WRONG_CELL if bad else " style='text-align:left'"
            cell = f"<td{style}>{e(wrong)}{' ✗' if bad else ''}</td>"
            out.append(
                f"<tr><td style='text-align:left'>{e(name)}</td><td style='text-align:left'>{e(right)}</td>{cell}</tr>"
            )
        if more:
            out.append(f"<tr><td colspan='3' style='text-align:left'>{e(more)}</td></tr>")
        out.append("</tbody>")
        foot = [e(self.explanation)] + ([e(self.steps.names_note())] if self.steps.names_note() else [])
        rows = "".join(f"<tr><td colspan='3' style='text-align:left'>{line}</td></tr>" for line in foot)
        out += [f"<tfoot>{rows}</tfoot>", "</table>"]
        return "\n".join(out)

    def __repr__(self) -> str:
        return (
            f"Comparison({self.name!r} on {self._name(self.output)}: {len(self.wrong_values())} wrong, "
            f"first_divergence={self.first_divergence})"
        )

    def draw(self, **options: Any) -> graphviz.Digraph:
        """The graph with the wrong gradients beside the right ones and the first diverging
        step marked; see `micrograd.viz.mistakes.draw_mistake` (needs graphviz)."""
        from micrograd.viz.mistakes import draw_mistake

        return draw_mistake(self, **options)


_WRONG_CELL = " class='wrong' style='text-align:left; background:#fde2e1; color:#b71c1c; font-weight:bold'"


def _term(x: float) -> str:
    text = _number_text(x)
    return f"({text})" if text.startswith("-") else text


def _applied_before(writes: list[Write], right: Write, position: int) -> bool:
    return any(w.child is right.child and w.argument == right.argument for w in writes[: position - 1])


_RIGHT_HERE = {
    "overwrite": "No step writes over a contribution here: no value receives more than one (no value is used twice).",
    "no_topological_order": (
        "Every value had all its terms before the search passed its gradient on, so the order did no harm here."
    ),
    "recursion_without_visited": "Every value is reached along one path only, so the recursion runs each edge once.",
    "no_zero_grad": "The first step left nothing in the parameters' .grad that the second step reads (all 0).",
    "backward_twice": "No interior value passes on a gradient here, so keeping interior gradients changes nothing.",
    "set_of_parents": "No value takes the same parent twice here, so a set of parents loses no edge.",
    "wrong_local": "No tanh, sigmoid or relu here reads the wrong variable to a different number.",
}
