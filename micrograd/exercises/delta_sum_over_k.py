"""Exercises of notebook 02, why δᴸⱼ is a sum over k and not k times one term.

- ``02.nonzero-terms``: in the output layer, how many terms ∂C/∂aᴸₖ · ∂aᴸₖ/∂zᴸⱼ are not 0.
- ``02.delta-output``: δᴸⱼ of a sigmoid output neuron under the quadratic cost (BP1).
- ``02.term-k``: one term of the next-layer sum, the part of δ that travels through aₖ.
- ``02.times-one-term``: a prediction before any term is computed: is δ the number of terms
  times the first one?
"""

from __future__ import annotations

from collections.abc import Sequence

from micrograd.engine import Value
from micrograd.exercises._core import exercise, judge_count, judge_number
from micrograd.explain import forward_grad


def _nonzero_mistakes(activations: Sequence[Value], z: Value) -> dict[float, str]:
    return {
        float(len(activations)): (
            "that counts every k. But aᴸₖ = σ(zᴸₖ) is computed from its own weighted input only: "
            "does aᴸₖ move at all when zᴸⱼ moves and k ≠ j?"
        ),
        0.0: "then C would not depend on zᴸⱼ at all; one aᴸₖ does depend on it.",
    }


@exercise(
    "02.nonzero-terms",
    "In δᴸⱼ = Σₖ ∂C/∂aᴸₖ · ∂aᴸₖ/∂zᴸⱼ for a sigmoid output layer, how many terms are not zero?",
    hint="Which output activations are computed from zᴸⱼ? Look at the arrows in the drawing.",
    judge=judge_count(mistakes=_nonzero_mistakes),
)
def _nonzero_terms(activations: Sequence[Value], z: Value) -> float:
    return float(sum(1 for a in activations if forward_grad(a, z) != 0.0))


def _delta_output_mistakes(z: Value, a: Value, y: float, outputs: Sequence[Value]) -> dict[float, str]:
    slope = a.data * (1 - a.data)  # σ'(z) = σ(z)(1 − σ(z))
    error = a.data - y
    return {
        error: "that is ∂C/∂aᴸⱼ alone; δ is the rate with respect to z, so one more factor: ∂aᴸⱼ/∂zᴸⱼ = σ'(zᴸⱼ).",
        2 * error * slope: "the factor 2 belongs to the cost (a − y)²; here the cost has the ½: C = ½ Σ (a − y)².",
        len(outputs) * error * slope: (
            "that is k times the one term, the very thing the question is about: the other terms are 0."
        ),
        -error * slope: "the sign: ∂C/∂a of ½ (a − y)² is a − y, not y − a.",
    }


@exercise(
    "02.delta-output",
    "δᴸⱼ = ∂C/∂zᴸⱼ for a sigmoid output neuron and C = ½ Σ (aᴸ − y)², from its aᴸⱼ and yⱼ.",
    hint="BP1: ∂C/∂aᴸⱼ times σ'(zᴸⱼ), and σ'(z) = σ(z)(1 − σ(z)) = aᴸⱼ(1 − aᴸⱼ).",
    judge=judge_number(rel=2e-3, mistakes=_delta_output_mistakes),
)
def _delta_output(z: Value, a: Value, y: float, outputs: Sequence[Value]) -> float:
    return forward_grad(0.5 * (a - y) ** 2, z)


def _term_mistakes(ak: Value, z: Value, cost: Value) -> dict[float, str]:
    return {
        forward_grad(cost, z): (
            "that is ∂C/∂z, the whole δ. ∂C/∂aₖ · ∂aₖ/∂z is not ∂C/∂z: partial derivatives do not cancel "
            "like fractions; this product is only the part of C's change that travels through aₖ."
        ),
        forward_grad(ak, z): "that is ∂aₖ/∂z alone; multiply by ∂C/∂aₖ, how much C cares about aₖ.",
        forward_grad(cost, ak): "that is ∂C/∂aₖ alone; multiply by ∂aₖ/∂z, how much aₖ moves with z.",
        forward_grad(cost, z) / 3: (
            "that is δ split into three equal shares; the terms are not equal shares, each has its own path."
        ),
    }


@exercise(
    "02.term-k",
    "One term ∂C/∂aₖ · ∂aₖ/∂z of the next-layer sum, from the numbers in the drawing.",
    hint="∂C/∂aₖ is the grad of aₖ after backward(); ∂aₖ/∂z is the product of the local derivatives from z up to aₖ.",
    judge=judge_number(rel=2e-3, mistakes=_term_mistakes),
)
def _term(ak: Value, z: Value, cost: Value) -> float:
    return forward_grad(cost, ak) * forward_grad(ak, z)


# --------------------------------------------------------------------------- a prediction: n times one term?


def _yes_no(answer) -> bool | None:
    if isinstance(answer, bool):
        return answer
    if isinstance(answer, str) and answer.strip().lower() in ("yes", "no"):
        return answer.strip().lower() == "yes"
    return None


def _judge_times_one_term(answer, expected: bool, context) -> tuple[bool, str]:
    said = _yes_no(answer)
    if said is None:
        return False, f"answer True or False (or 'yes' or 'no'), got {answer!r}"
    if said == expected:
        if expected:
            return True, "yes: here every path is a copy of the others, so the terms are equal."
        return True, (
            "right, it is not: each term follows its own path, with its own weight out of the neuron, its own "
            "σ′ in the next layer and its own error at the output, so the terms are different numbers."
        )
    if said:
        return False, (
            "that would need the terms to be copies of each other. Partial derivatives do not cancel like "
            "fractions: term k is only the part of C's change that travels through neuron k, and the neurons "
            "k leave a²₁ through different weights (look at w above)."
        )
    return False, (
        "here the paths are copies: same weight, same bias, same target for every k. What differs between them?"
    )


@exercise(
    "02.times-one-term",
    "Will δ = Σₖ (term k) equal the number of next-layer neurons times the k = 1 term? True or False.",
    hint="Term k is the rate factor of the path through neuron k. Are the paths alike?",
    judge=_judge_times_one_term,
)
def _times_one_term(z: Value, cost: Value, outputs: Sequence[Value]) -> bool:
    first = forward_grad(cost, outputs[0]) * forward_grad(outputs[0], z)
    whole = forward_grad(cost, z)
    return abs(whole - len(outputs) * first) <= 1e-9 * max(1.0, abs(whole))
