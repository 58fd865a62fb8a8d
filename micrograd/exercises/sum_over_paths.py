"""Exercises of notebook 01, why ∂C/∂w is a sum over paths.

- ``01.rate-factor``: one path's rate factor, read off the drawing's edge labels.
- ``01.cross-term``: by how much the sum of the arrivals misses the true change of a
  product z = x·y when both factors move (the cross term Δx·Δy).
- ``01.predict-change``: the change of the cost that the gradient predicts for a nudge.
"""

from __future__ import annotations

import math

from micrograd.exercises._core import exercise, judge_number
from micrograd.explain import Path


def _rate_factor_mistakes(path: Path) -> dict[float, str]:
    start = path.nodes[0]
    return {
        math.fsum(path.local_grads): "that is the sum of the local derivatives; along one path they multiply.",
        start.grad: (
            "that is ∂C/∂w from backward(): the sum over every path. One path's rate factor is "
            "the product along that path alone."
        ),
        path.product / path.local_grads[0] if path.local_grads[0] else math.nan: (
            "one edge is missing: the first edge, out of the weight itself, counts too."
        ),
    }


@exercise(
    "01.rate-factor",
    "Multiply the local derivatives on the edges of one path, from the weight to C.",
    hint="Follow the red edges of that path in the drawing and multiply the numbers written on them.",
    judge=judge_number(rel=2e-3, mistakes=_rate_factor_mistakes),
)
def _rate_factor(path: Path) -> float:
    return path.product


def _merge(x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
    """The true change of z = x·y and the sum of what arrives along the two paths."""
    actual = (x + dx) * (y + dy) - x * y
    arrivals = y * dx + x * dy  # ∂z/∂x · Δx + ∂z/∂y · Δy
    return actual, arrivals


def _cross_term_mistakes(x: float, y: float, dx: float, dy: float) -> dict[float, str]:
    actual, arrivals = _merge(x, y, dx, dy)
    return {
        0.0: (
            "the sum of the arrivals is exact only where the merge is linear (like z = w·a + b "
            "when only the a's move); z = x·y is not."
        ),
        actual: "that is the whole change of z; the question is what the sum of the arrivals leaves out.",
        arrivals: "that is the sum of the arrivals itself, not what it misses.",
        -dx * dy: "right size, wrong sign: expand (x + Δx)(y + Δy) and subtract x·y and the arrivals.",
    }


@exercise(
    "01.cross-term",
    "z = x·y; x moves by Δx and y by Δy. What is the true Δz minus (∂z/∂x·Δx + ∂z/∂y·Δy)?",
    hint="Expand (x + Δx)(y + Δy) − x·y and cross out the two arrivals y·Δx and x·Δy.",
    judge=judge_number(rel=1e-6, abs_tol=1e-12, mistakes=_cross_term_mistakes),
)
def _cross_term(x: float, y: float, dx: float, dy: float) -> float:
    actual, arrivals = _merge(x, y, dx, dy)
    return actual - arrivals


def _predict_mistakes(table, nudge: float) -> dict[float, str]:
    mistakes = {
        table.backward_grad: "that is the gradient itself; the question asks how much C moves for this nudge.",
    }
    for i, path in enumerate(table, 1):
        mistakes[path.product * nudge] = f"that is what path {i} alone predicts; the cost feels every path."
    return mistakes


@exercise(
    "01.predict-change",
    "Predict how much C changes when the weight moves by the nudge, from the gradient alone.",
    hint="The gradient is a rate: change of C per unit change of w.",
    judge=judge_number(rel=1e-3, mistakes=_predict_mistakes),
)
def _predict_change(table, nudge: float) -> float:
    return table.backward_grad * nudge
