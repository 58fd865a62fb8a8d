"""Exercises of notebook 02, why δᴸⱼ is a sum over k and not k times one term.

- ``02.nonzero-terms``: in the output layer, how many terms ∂C/∂aᴸₖ · ∂aᴸₖ/∂zᴸⱼ are not 0.
- ``02.delta-output``: δᴸⱼ of a sigmoid output neuron under the quadratic cost (BP1).
- ``02.term-k``: one term of the next-layer sum, the part of δ that travels through aₖ.
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
    }


@exercise(
    "02.term-k",
    "One term ∂C/∂aₖ · ∂aₖ/∂z of the next-layer sum, from the numbers in the drawing.",
    hint="∂C/∂aₖ is the grad of aₖ after backward(); ∂aₖ/∂z is the product of the local derivatives from z up to aₖ.",
    judge=judge_number(rel=2e-3, mistakes=_term_mistakes),
)
def _term(ak: Value, z: Value, cost: Value) -> float:
    return forward_grad(cost, ak) * forward_grad(ak, z)
