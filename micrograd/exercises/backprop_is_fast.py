"""Exercises of notebook 06: what a multiply gate sends back, and the paths and the edges of a
chain of three-way diamonds, counted before `count_paths` and `count_edges` do."""

from __future__ import annotations

import math

from micrograd.engine import Value
from micrograd.exercises._core import as_number, describe, exercise, judge_count
from micrograd.explain import count_edges, count_paths


def _paths_mistakes(y: Value, x: Value, n: int) -> dict[float, str]:
    return {
        2**n: "that is the two-branch diamond of the notebook; here every diamond has three branches.",
        3 * n: "branches are added per diamond, but a path picks one branch at EACH diamond: the choices multiply.",
        count_edges(y): "that is the number of edges, what backward() visits, not the number of paths.",
        n**3: "that is n³: which number is the base, and which the exponent? Count the paths through two diamonds.",
    }


@exercise(
    "06.paths",
    "How many paths lead from x to y through the chain of three-way diamonds?",
    hint="a path chooses one branch at each diamond, independently of the other diamonds.",
    judge=judge_count(mistakes=_paths_mistakes),
)
def paths_through_diamonds(y: Value, x: Value, n: int) -> int:
    return count_paths(y, x)


def _edges_mistakes(y: Value, x: Value, n: int) -> dict[float, str]:
    return {
        count_paths(y, x): "that is the number of paths; backward() visits each edge once, however many paths use it.",
        4 * n: "that is the two-branch diamond (two edges in, two out); count the edges of a three-way one.",
        3 * n: "that counts the edges into the branches only; each branch's result also flows into a sum.",
        6 * n: "that counts the sum of three as ONE operation with three edges in; the engine records a + b + c "
        "as two additions, one feeding the other (look at the drawing of one diamond).",
    }


@exercise(
    "06.edges",
    "How many edges does backward() visit in the same graph?",
    hint="count the arrows into operations in the drawing of one diamond, then multiply by the number of diamonds.",
    judge=judge_count(mistakes=_edges_mistakes),
)
def edges_of_diamonds(y: Value, x: Value, n: int) -> int:
    return count_edges(y)


# --------------------------------------------------------------------------- gate patterns


def _pair(answer) -> tuple[float, float] | None:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return None
    numbers_ = [as_number(v)[0] for v in answer]
    if None in numbers_:
        return None
    return numbers_[0], numbers_[1]


def _judge_gate(answer, expected, context) -> tuple[bool, str]:
    pair = _pair(answer)
    if pair is None:
        return False, f"the answer should be two finite numbers (∂C/∂a, ∂C/∂b), got {describe(answer)}"

    def close(got, want):
        return all(math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12) for g, w in zip(got, want))

    if close(pair, expected):
        return True, f"{pair} is it: each input receives the OTHER input times the gradient from above."
    a, b, up = context["a"].data, context["b"].data, context["upstream"]
    mistakes = [
        (
            (a * up, b * up),
            "each input got its OWN value times the gradient; the local derivative of a·b with respect to a is not a.",
        ),
        (
            (up, up),
            "that is what an addition sends back (local derivative 1 to each input); a product's "
            "local derivatives are not 1.",
        ),
        ((b, a), "those are the local derivatives alone; multiply them by the gradient that arrives from above."),
        (
            (a * b * up, a * b * up),
            "that multiplies by the product itself; differentiate a·b with respect to one input at a time.",
        ),
    ]
    for values, why in mistakes:
        if close(pair, values):
            return False, why
    if close(pair, (up, 0.0)) or close(pair, (0.0, up)):
        return False, "that routes the whole gradient to one input, as max does; a product sends something to both."
    return False, f"{pair} is not it."


@exercise(
    "06.multiply-gate",
    "The gradient arriving at c = a·b from above is `upstream`. What do a and b receive, (∂C/∂a, ∂C/∂b)?",
    hint="∂c/∂a is the local derivative on a's edge; backward() multiplies it by the gradient from above.",
    judge=_judge_gate,
)
def multiply_gate(a: Value, b: Value, upstream: float) -> tuple[float, float]:
    c = a * b
    return tuple(local * upstream for local in c.local_grads)
