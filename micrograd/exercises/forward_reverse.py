"""Exercises of notebook 07: how many forward sweeps a loss needs, which inputs the classic
``=`` instead of ``+=`` bug gets wrong, and a reverse sweep the reader writes (with that bug
recognised)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

from micrograd.engine import Value, topological_order
from micrograd.exercises._code import all_close, not_a_function, raised
from micrograd.exercises._core import as_number, describe, exercise, judge_count


def _sweeps_mistakes(params: Sequence[Value]) -> dict[float, str]:
    return {
        1: "one sweep is reverse mode's count; a forward sweep carries the derivative with respect to ONE input.",
        2 * len(params): "that is finite differences: two evaluations per input. A forward sweep needs one per input.",
    }


@exercise(
    "07.forward-sweeps",
    "How many forward-mode sweeps give the whole gradient of the loss (every ∂loss/∂p)?",
    hint="one forward sweep starts from one input with tangent 1 and every other input 0.",
    judge=judge_count(mistakes=_sweeps_mistakes),
)
def forward_sweeps(params: Sequence[Value]) -> int:
    return len(params)


def _assigning_sweep(out: Value) -> dict[Value, float]:
    """The buggy reverse sweep: ``=`` instead of ``+=``, so a value used twice keeps one path."""
    adjoint = {out: 1.0}
    for v in reversed(topological_order(out)):
        for p, local in zip(v.parents, v.local_grads):
            adjoint[p] = local * adjoint.get(v, 0.0)
    return adjoint


def _input_names(f: Callable[..., Value], count: int) -> list[str]:
    """f's parameter names (a, b for f(a, b)), or x0, x1, … when it has none to read."""
    try:
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        names = [p.name for p in inspect.signature(f).parameters.values() if p.kind in positional]
    except (TypeError, ValueError):
        names = []
    return names[:count] if len(names) >= count else [f"x{i}" for i in range(count)]


def _leaf_grads(f: Callable[..., Value], inputs: Sequence[float]) -> tuple[list[Value], Value, list[float]]:
    xs = [Value(v, label=name) for v, name in zip(inputs, _input_names(f, len(inputs)))]
    out = f(*xs)
    out.backward()
    return xs, out, [x.grad for x in xs]


def _judge_reverse_sweep(answer, expected, context) -> tuple[bool, str]:
    """The reader's sweep runs on a graph `backward()` has never seen: every ``.grad`` in it
    is 0, so a sweep that reads ``.grad`` (what backward() would have filled in) gets the
    wrong numbers, and one that calls backward() (or writes ``.grad``) is caught doing so.
    backward()'s own answer comes from a second copy of the graph."""
    problem = not_a_function(answer, "a function reverse_sweep(out) that returns a dict {value: ∂out/∂value}")
    if problem:
        return False, problem
    _, _, want = _leaf_grads(context["f"], context["inputs"])
    xs = [Value(v, label=name) for v, name in zip(context["inputs"], _input_names(context["f"], len(want)))]
    out = context["f"](*xs)
    order = topological_order(out)
    try:
        adjoint = answer(out)
        if not hasattr(adjoint, "get"):
            return False, f"reverse_sweep should return a dict {{value: ∂out/∂value}}, it returned {describe(adjoint)}"
        got = [as_number(adjoint.get(x, 0.0)) for x in xs]
    except Exception as error:  # the reader's code
        return False, f"your function raised {raised(error)}"
    if any(node.grad != 0.0 for node in order):
        return False, (
            "your sweep changed .grad (did it call backward()?): the exercise is to compute the adjoints "
            "yourself, into the dict the function returns, as backward() would."
        )
    if any(number is None for number, _ in got):
        bad = next(why for number, why in got if number is None)
        return False, f"the dict should map each value to a number: {bad}"
    got = [number for number, _ in got]
    if all_close(got, want):
        return True, "your sweep gives backward()'s gradient for every input."
    if all_close(got, [_assigning_sweep(out).get(x, 0.0) for x in xs]):
        return False, (
            "a value used twice got only ONE path's contribution: `adjoint[p] = ...` overwrites what an earlier "
            "edge left there, but the gradient is the sum over all paths."
        )
    if all(g == 0.0 for g in got):
        return False, (
            "your sweep disagrees with backward(): every input's adjoint is 0. If it reads .grad: backward() "
            "has not run on this graph, so .grad holds nothing; the adjoints are the sweep's own, from {out: 1.0}."
        )
    return False, "your sweep disagrees with backward() on at least one input."


def _names(answer) -> set[str] | None:
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(a, str) for a in answer):
        return None
    return {a.strip() for a in answer}


def _judge_wrong_inputs(answer, expected, context) -> tuple[bool, str]:
    names = _names(answer)
    if names is None:
        return False, f'the answer should be a set of input names such as {{"a"}}, got {describe(answer)}'
    xs, _, _ = _leaf_grads(context["f"], context["inputs"])
    known = {x.label for x in xs}
    if not names <= known:
        strangers = ", ".join(sorted(names - known))
        return False, f"the inputs are {', '.join(sorted(known))}; {strangers} is not one of them."
    if names == expected:
        return True, "right: exactly the inputs used more than once (each use is an edge, and = keeps only one)."
    if not names:
        return False, "the bug loses a contribution wherever a value is used more than once: is there such an input?"
    if names < expected:
        return False, "one more input is used more than once: count the uses (edges out) of each input."
    return False, "at least one of those is used only once, and there = has nothing to overwrite."


@exercise(
    "07.wrong-inputs",
    'Which inputs\' derivatives does the `=` sweep get wrong? Answer with a set of names, like {"a"}.',
    hint="= keeps only the last contribution written into a value; which inputs receive more than one?",
    judge=_judge_wrong_inputs,
)
def wrong_inputs(f: Callable[..., Value], inputs: Sequence[float]) -> set[str]:
    """The inputs whose gradient the assigning sweep gets wrong, found by running it."""
    xs, out, want = _leaf_grads(f, inputs)
    got = _assigning_sweep(out)
    return {x.label for x, w in zip(xs, want) if abs(got.get(x, 0.0) - w) > 1e-12 * max(1.0, abs(w))}


@exercise(
    "07.reverse-sweep",
    "Write reverse_sweep(out): visit the values children-first and pass local × adjoint back to each parent.",
    hint="start from {out: 1.0}; walk reversed(topological_order(out)); a value used twice collects two terms.",
    judge=_judge_reverse_sweep,
)
def reverse_sweep_solution(f: Callable[..., Value], inputs: Sequence[float]) -> Callable[[Value], dict[Value, float]]:
    """The fixed sweep; `f` and `inputs` are named so that `check` asks for them: the judge runs
    the reader's sweep on f's graph at `inputs`."""

    def reverse_sweep(out: Value) -> dict[Value, float]:
        adjoint = {out: 1.0}
        for v in reversed(topological_order(out)):
            for p, local in zip(v.parents, v.local_grads):
                adjoint[p] = adjoint.get(p, 0.0) + local * adjoint.get(v, 0.0)
        return adjoint

    return reverse_sweep
