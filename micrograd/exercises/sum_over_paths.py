"""Exercises of notebook 01, why ∂C/∂w is a sum over paths.

- ``01.rate-factor``: one path's rate factor, read off the drawing's edge labels.
- ``01.predict-change``: the change of the cost that the gradient predicts for a nudge.
- ``01.count-paths``: how many paths lead from a first-layer weight to C in a wider network
  (a prediction, asked before the path table is listed).
- ``01.cross-term``: by how much the sum of the arrivals misses the true change of a
  product P = A·B when both factors move (the cross term ΔA·ΔB).
"""

from __future__ import annotations

import math

from micrograd.exercises._core import exercise, judge_count, judge_number
from micrograd.explain import Path, count_paths, forward_grad


def _rate_factor_mistakes(path: Path) -> dict[float, str]:
    start = path.nodes[0]
    return {
        math.fsum(path.local_grads): "that is the sum of the local derivatives; along one path they multiply.",
        forward_grad(path.nodes[-1], start): (
            "that is ∂C/∂w itself, the sum over every path. One path's rate factor is "
            "the product along that path alone."
        ),
        path.product / path.local_grads[0] if path.local_grads[0] else math.nan: (
            "one edge is missing: the first edge, out of the weight itself, counts too."
        ),
        path.product / path.local_grads[-1] if path.local_grads[-1] else math.nan: (
            "one edge is missing at the end: the last edge into C, the ½ of the cost, counts too."
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


def _merge(a: float, b: float, da: float, db: float) -> tuple[float, float]:
    """The true change of P = A·B (A = a, B = b) and the sum of what arrives along the two paths."""
    actual = (a + da) * (b + db) - a * b
    arrivals = b * da + a * db  # ∂P/∂A · ΔA + ∂P/∂B · ΔB
    return actual, arrivals


def _cross_term_mistakes(a: float, b: float, da: float, db: float) -> dict[float, str]:
    actual, arrivals = _merge(a, b, da, db)
    return {
        0.0: (
            "the sum of the arrivals is exact only where the merge is linear (like z = w·a + b "
            "when only the a's move); P = A·B is not."
        ),
        actual: "that is the whole change of P; the question is what the sum of the arrivals leaves out.",
        arrivals: "that is the sum of the arrivals itself, not what it misses.",
        -da * db: "right size, wrong sign: expand (A + ΔA)(B + ΔB) and subtract A·B and the arrivals.",
        da + db: "the two moves do not add here: write out the new product and see which term is in neither arrival.",
    }


@exercise(
    "01.cross-term",
    "P = A·B; A moves by ΔA and B by ΔB. What is the true ΔP minus (∂P/∂A·ΔA + ∂P/∂B·ΔB)?",
    hint="Write the new product (A + ΔA)(B + ΔB) term by term and compare it with A·B plus the two arrivals.",
    judge=judge_number(rel=1e-6, abs_tol=1e-12, mistakes=_cross_term_mistakes),
)
def _cross_term(a: float, b: float, da: float, db: float) -> float:
    actual, arrivals = _merge(a, b, da, db)
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


def _widths_after(model) -> list[int]:
    """The widths of the layers after the first: the neurons a first-layer weight's path can pass."""
    return [len(layer.neurons) for layer in model.layers[1:]]


def _count_mistakes(C, w, model) -> dict[float, str]:
    widths = _widths_after(model)
    mistakes = {
        float(sum(widths)): (
            "that adds the widths of the layers; a path picks one neuron in EACH layer, and each choice "
            "can be combined with every choice in the other layers."
        ),
        float(math.prod(widths[:-1])): (
            "the output layer has a choice too: C is reached through every output neuron, one term of the "
            "cost each."
        ),
        float(widths[-1]): "that counts only the last step; the paths also choose a neuron in every hidden layer.",
    }
    return {value: why for value, why in mistakes.items() if value != count_paths(C, w)}


@exercise(
    "01.count-paths",
    "How many paths lead from the first-layer weight w to C in the wider network?",
    hint="From a²₁ a path chooses one neuron of layer 3, then one of layer 4, then one output neuron.",
    judge=judge_count(mistakes=_count_mistakes),
)
def _count_paths(C, w, model) -> int:
    return count_paths(C, w)
