"""Exercises of notebook 04: the one-neuron chain, its factors, the bias and one update step.

The chain is z⁽ᴸ⁾ = w⁽ᴸ⁾ a⁽ᴸ⁻¹⁾ + b⁽ᴸ⁾, a⁽ᴸ⁾ = σ(z⁽ᴸ⁾), C₀ = (a⁽ᴸ⁾ − y)² (no ½). Solvers read the
notebook's live values; judges name the slips that 3Blue1Brown-style notes commonly make.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from micrograd.engine import Value
from micrograd.exercises._core import exercise, judge_count, judge_number
from micrograd.exercises.sum_over_paths import _count_mistakes
from micrograd.explain import count_paths


def _sigmoid_slope(a: Value) -> float:
    return a.data * (1 - a.data)  # σ'(z) = σ(z)(1 − σ(z)) = a(1 − a)


def _dC0_da_mistakes(a_L: Value, y: float) -> dict[float, str]:
    z = a_L.parents[0].data  # the sigmoid's input
    return {
        a_L.data - y: "that is the derivative of ½(a − y)², Nielsen's cost; C₀ = (a − y)² has no ½, "
        "so the power 2 stays in front.",
        z - y: "that uses z⁽ᴸ⁾, the value before the sigmoid; the cost compares the activation a⁽ᴸ⁾ with y.",
        2 * (z - y): "right shape, wrong variable: the cost is written in a⁽ᴸ⁾, not in z⁽ᴸ⁾.",
        (a_L.data - y) ** 2: "that is the cost C₀ itself, not its slope.",
    }


@exercise(
    "04.dC0-da",
    "What is ∂C₀/∂a⁽ᴸ⁾, the last factor of every chain, for C₀ = (a⁽ᴸ⁾ − y)²?",
    hint="differentiate the square with respect to a⁽ᴸ⁾ and put in the printed numbers.",
    judge=judge_number(mistakes=_dC0_da_mistakes),
)
def dC0_da(a_L: Value, y: float) -> float:
    return 2 * (a_L.data - y)


def _bias_mistakes(a_prev: Value, w_L: Value, a_L: Value, y: float, x: float) -> dict[float, str]:
    right = dC_db_prev(a_prev, w_L, a_L, y, x)
    through_w = _sigmoid_slope(a_L) * 2 * (a_L.data - y)
    return {
        right * x: "that is ∂C₀/∂w⁽ᴸ⁻¹⁾: the weight is multiplied by a⁽ᴸ⁻²⁾, but the bias is added, "
        "so ∂z⁽ᴸ⁻¹⁾/∂b⁽ᴸ⁻¹⁾ = 1.",
        right / 2: "a factor 2 is missing, as in the notes' bias formula: ∂C₀/∂a⁽ᴸ⁾ of (a⁽ᴸ⁾ − y)² keeps its 2.",
        # a saturated sigmoid (slope 0) or a zero weight leaves nothing to divide by: that slip is then not told apart
        (right / _sigmoid_slope(a_prev) if _sigmoid_slope(a_prev) else math.nan): (
            "σ'(z⁽ᴸ⁻¹⁾) is missing: the bias enters before the first sigmoid."
        ),
        (right / w_L.data if w_L.data else math.nan): "w⁽ᴸ⁾ is missing: from a⁽ᴸ⁻¹⁾ the path goes through the next "
        "weight, ∂z⁽ᴸ⁾/∂a⁽ᴸ⁻¹⁾ = w⁽ᴸ⁾.",
        (right * x / w_L.data if w_L.data else math.nan): "the input took the place of w⁽ᴸ⁾: the bias has no input "
        "factor, and the path still crosses the next weight.",
        through_w: "that is ∂C₀/∂b⁽ᴸ⁾, the last layer's bias; b⁽ᴸ⁻¹⁾ is one layer further back.",
    }


def _judge_telling_slips_apart(
    mistakes: Callable[..., Mapping[float, str]], rel: float = 1e-3
) -> Callable[[Any, float, Mapping[str, Any]], tuple[bool, str]]:
    """judge_number, except that a slip whose value coincides with the right answer for these
    numbers is not passed over in silence: the verdict says the check cannot tell them apart."""
    plain = judge_number(rel=rel, mistakes=mistakes)

    def judge(answer: Any, expected: float, context: Mapping[str, Any]) -> tuple[bool, str]:
        ok, why = plain(answer, expected, context)
        if ok:
            twins = [m for v, m in mistakes(**context).items() if math.isclose(v, expected, rel_tol=rel)]
            if twins:
                return True, (
                    f"{why} With these numbers, though, a slip gives the same value, so this check cannot "
                    f"tell them apart (the slip: {twins[0]}) Change the input or the weights so that no two "
                    "factors are equal, and check again."
                )
        return ok, why

    return judge


@exercise(
    "04.dC-db",
    "What is ∂C₀/∂b⁽ᴸ⁻¹⁾, the gradient of the first neuron's bias?",
    hint="list the factors along the one path from b⁽ᴸ⁻¹⁾ to C₀; the first one is ∂z⁽ᴸ⁻¹⁾/∂b⁽ᴸ⁻¹⁾.",
    judge=_judge_telling_slips_apart(_bias_mistakes),
)
def dC_db_prev(a_prev: Value, w_L: Value, a_L: Value, y: float, x: float) -> float:
    return 1.0 * _sigmoid_slope(a_prev) * w_L.data * _sigmoid_slope(a_L) * 2 * (a_L.data - y)


def _update_mistakes(w: Value, eta: float) -> dict[float, str]:
    return {
        w.data + eta * w.grad: "that step goes uphill: subtract η ∂C/∂w, the gradient points to more cost.",
        -eta * w.grad: "that is the change Δw, not the new weight.",
        w.data - w.grad: "the learning rate η is missing.",
    }


@exercise(
    "04.update",
    "After one gradient-descent step w ← w − η ∂C/∂w, what is the new w?",
    hint="use the weight's data, its grad and the printed η.",
    judge=judge_number(mistakes=_update_mistakes),
)
def updated_weight(w: Value, eta: float) -> float:
    return w.data - eta * w.grad


@exercise(
    "04.count-paths",
    "How many paths lead from the first layer's weight w to C₀ in the three-layer network?",
    hint="From the neuron w feeds, a path picks one neuron of layer L − 1, then one of layer L.",
    judge=judge_count(mistakes=_count_mistakes),
)
def count_paths_three_layers(C, w, model) -> int:
    return count_paths(C, w)
