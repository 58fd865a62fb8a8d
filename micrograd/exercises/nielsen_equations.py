"""Exercises of notebook 05: BP2 by hand from the next layer's errors, and BP1 for the
cross-entropy cost (a function the reader writes, judged against ``backward()``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from micrograd.exercises._code import all_close, not_a_function, outputs_of
from micrograd.exercises._core import exercise, judge_number
from micrograd.nielsen import Trace, trace
from micrograd.nn import MLP

# --------------------------------------------------------------------------- BP2 by hand


def _bp2_parts(t: Trace, layer: int, j: int) -> tuple[list[float], list[float], list[float], float]:
    """For neuron j (1-based) of Nielsen's layer `layer` (a sigmoid layer): the column wˡ⁺¹ₖⱼ,
    the row wˡ⁺¹ⱼₖ (where it exists), δˡ⁺¹ and σ'(zˡⱼ)."""
    i = layer - 2
    following = t.layers[i + 1].neurons
    column = [n.w[j - 1].data for n in following]
    row = [w.data for w in following[j - 1].w] if j <= len(following) else []
    deltas = [z.grad for z in t.zs[i + 1]]
    a = t.activations[i][j - 1].data
    return column, row, deltas, a * (1 - a)


def _bp2_mistakes(t: Trace, layer: int, j: int) -> dict[float, str]:
    column, row, deltas, slope = _bp2_parts(t, layer, j)
    total = math.fsum(w * d for w, d in zip(column, deltas))
    mistakes = {
        total: "σ'(zˡⱼ) is missing: the sum Σₖ wₖⱼ δₖ is ∂C/∂aˡⱼ, and one more step, from a to z, multiplies by σ'.",
        sum(deltas) * slope: "the weights are missing: each δˡ⁺¹ₖ reaches zˡⱼ through the weight wˡ⁺¹ₖⱼ.",
    }
    if len(row) == len(deltas):
        mistakes[math.fsum(w * d for w, d in zip(row, deltas)) * slope] = (
            "that sums the row wˡ⁺¹ⱼₖ (the weights INTO neuron j of layer l + 1) instead of the column wˡ⁺¹ₖⱼ "
            "(the weights OUT OF neuron j of layer l): that is what the transpose is for."
        )
    return mistakes


@exercise(
    "05.bp2-by-hand",
    "From the printed δˡ⁺¹, weights and activation, what is δˡⱼ (BP2)?",
    hint="(wˡ⁺¹)ᵀ δˡ⁺¹ picks the column j of wˡ⁺¹: the weights leaving neuron j. Then ⊙ σ'(zˡⱼ) = a(1 − a).",
    judge=judge_number(rel=1e-3, abs_tol=1e-12, mistakes=_bp2_mistakes),
)
def bp2_delta(t: Trace, layer: int, j: int) -> float:
    column, _, deltas, slope = _bp2_parts(t, layer, j)
    return math.fsum(w * d for w, d in zip(column, deltas)) * slope


# --------------------------------------------------------------------------- BP1 for cross-entropy


def cross_entropy_deltas(model: MLP, x: Sequence[float], y: Sequence[float]) -> tuple[list[float], list[float]]:
    """The output activations and the engine's δᴸ (z.grad) for C = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)].

    The model's parameter grads are left as they were: checking an answer must not change
    what the notebook's later cells read.
    """
    params = model.parameters()
    saved = [p.grad for p in params]
    try:
        t = trace(model, x)
        cost = None
        for a, target in zip(t.output, y):
            term = -(target * a.log() + (1 - target) * (1 - a).log())
            cost = term if cost is None else cost + term
        cost.backward()
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    return [a.data for a in t.output], [z.grad for z in t.zs[-1]]


def _judge_bp1_cross_entropy(answer, expected, context) -> tuple[bool, str]:
    problem = not_a_function(answer, "a function delta(a, y) that returns δᴸⱼ from the activation and the target")
    if problem:
        return False, problem
    activations, deltas = cross_entropy_deltas(context["model"], context["x"], context["y"])
    cases = list(zip(activations, context["y"]))
    got, why = outputs_of(answer, cases)
    if got is None:
        return False, why
    if all_close(got, deltas):
        return True, f"your δᴸ matches backward()'s z.grad on all {len(deltas)} output neurons: σ' cancelled."
    known = [
        (
            [(a - t) * a * (1 - a) for a, t in cases],
            "that is BP1 for the quadratic cost. For cross-entropy ∂C/∂a is different, "
            "and multiplying it by σ'(z) = a(1 − a) leaves something simpler.",
        ),
        ([(a - t) / (a * (1 - a)) for a, t in cases], "that is ∂C/∂aᴸⱼ alone; BP1 still multiplies by σ'(zᴸⱼ)."),
        ([t - a for a, t in cases], "the sign is flipped: the cost has a minus in front of the logs."),
    ]
    for values, why in known:
        if all_close(got, values):
            return False, why
    return False, f"your δᴸ differs from backward()'s z.grad (first output neuron: yours {got[0]:.6g})."


@exercise(
    "05.bp1-cross-entropy",
    "Write delta(a, y): BP1 for the cross-entropy cost C = −[y ln a + (1 − y) ln(1 − a)] of a sigmoid output.",
    hint="∂C/∂a = −y/a + (1 − y)/(1 − a); multiply by σ'(z) = a(1 − a) and simplify.",
    judge=_judge_bp1_cross_entropy,
)
def bp1_cross_entropy(model: MLP, x: Sequence[float], y: Sequence[float]) -> Callable[[float, float], float]:
    """The derived formula; `model`, `x` and `y` are named so that `check` asks for them: the
    judge differentiates the cost on them."""

    def delta(a: float, target: float) -> float:
        """(−y/a + (1 − y)/(1 − a)) · a(1 − a), simplified: the σ' cancels."""
        return a - target

    return delta


# --------------------------------------------------------------------------- saturation


def _sigma_prime_max_mistakes() -> dict[float, str]:
    return {
        0.5: "that is σ(0), the activation itself at z = 0; σ′(z) = σ(z)(1 − σ(z)) there is smaller.",
        1.0: "that is the largest value σ approaches; its slope is never that steep.",
        0.0: "σ′ approaches 0 far from z = 0, but it is largest somewhere: where is σ steepest?",
    }


@exercise(
    "05.sigma-prime-max",
    "What is the largest value σ′(z) = σ(z)(1 − σ(z)) can take, over all z?",
    hint="σ(z) runs from 0 to 1; for which value s of σ(z) is s(1 − s) largest?",
    judge=judge_number(rel=1e-6, mistakes=_sigma_prime_max_mistakes),
)
def sigma_prime_max() -> float:
    return max(s * (1 - s) for s in (i / 1000 for i in range(1001)))  # s(1 − s) peaks at s = ½


def _saturated_parts(z: float, y: float) -> tuple[float, float]:
    a = 1 / (1 + math.exp(-z))
    return a, a * (1 - a)


def _saturated_mistakes(z: float, y: float) -> dict[float, str]:
    a, slope = _saturated_parts(z, y)
    return {
        a - y: (
            "that is ∂C/∂a alone: the output is badly wrong, but δ = ∂C/∂z multiplies it by σ′(z), "
            "and σ′ is not 1 here."
        ),
        (a - y) * 0.25: "¼ is σ′ at z = 0, its largest value; this neuron's z is far from 0.",
        2 * (a - y) * slope: "the factor 2 belongs to the cost (a − y)²; this cost has the ½.",
        -(a - y) * slope: "the sign: ∂C/∂a of ½ (a − y)² is a − y, not y − a.",
    }


@exercise(
    "05.saturated-delta",
    "A sigmoid output neuron has weighted input z and target y, under C = ½ (a − y)². What is δ = ∂C/∂z?",
    hint="BP1: (a − y) · σ′(z), with a = σ(z) and σ′(z) = a(1 − a).",
    judge=judge_number(rel=1e-3, abs_tol=1e-12, mistakes=_saturated_mistakes),
)
def saturated_delta(z: float, y: float) -> float:
    a, slope = _saturated_parts(z, y)
    return (a - y) * slope
