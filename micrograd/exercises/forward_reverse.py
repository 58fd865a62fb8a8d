"""Exercises of notebook 07: how many forward sweeps a loss needs, and a reverse sweep the
reader writes (with the classic ``=`` instead of ``+=`` bug recognised)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from micrograd.engine import Value, topological_order
from micrograd.exercises._code import all_close, not_a_function
from micrograd.exercises._core import exercise, judge_number


def _sweeps_mistakes(params: Sequence[Value]) -> dict[float, str]:
    return {
        1: "one sweep is reverse mode's count; a forward sweep carries the derivative with respect to ONE input.",
        2 * len(params): "that is finite differences: two evaluations per input. A forward sweep needs one per input.",
    }


@exercise(
    "07.forward-sweeps",
    "How many forward-mode sweeps give the whole gradient of the loss (every ∂loss/∂p)?",
    hint="one forward sweep starts from one input with tangent 1 and every other input 0.",
    judge=judge_number(rel=0, abs_tol=0.5, mistakes=_sweeps_mistakes),
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


def _leaf_grads(f: Callable[..., Value], inputs: Sequence[float]) -> tuple[list[Value], Value, list[float]]:
    xs = [Value(v, label=f"x{i}") for i, v in enumerate(inputs)]
    out = f(*xs)
    out.backward()
    return xs, out, [x.grad for x in xs]


def _judge_reverse_sweep(answer, expected, context) -> tuple[bool, str]:
    problem = not_a_function(answer, "a function reverse_sweep(out) that returns a dict {value: ∂out/∂value}")
    if problem:
        return False, problem
    xs, out, want = _leaf_grads(context["f"], context["inputs"])
    for x in xs:
        x.grad = 0.0  # so a sweep that reads .grad instead of its own dict shows up
    try:
        adjoint = answer(out)
        got = [float(adjoint.get(x, 0.0)) for x in xs]
    except Exception as error:  # the reader's code
        return False, f"your function raised {type(error).__name__}: {error}"
    if all_close(got, want):
        return True, "your sweep gives backward()'s gradient for every input."
    if all_close(got, [_assigning_sweep(out).get(x, 0.0) for x in xs]):
        return False, (
            "a value used twice got only ONE path's contribution: `adjoint[p] = ...` overwrites what an earlier "
            "edge left there. Add into it (+=): the gradient is the sum over all paths."
        )
    return False, "your sweep disagrees with backward() on at least one input."


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
