"""Exercises of notebook 03, the 2-3-3-2 network.

- ``03.translate``: a weight written in the asker's notation, renamed in Nielsen's.
- ``03.bp2-sum``: ∂C/∂a²ⱼ = Σₖ w³ₖⱼ δ³ₖ from the printed weights and errors.
- ``03.weight-gradient``: the last step from ∂C/∂a²₁ to the gradient of the weight w²₁₁.
- ``03.unreached-cost``: a prediction, before the paths are listed: what a cost that a weight
  does not reach adds to that weight's gradient.

The judges know the asker's own slips: one next-layer neuron only, the first cost C₍₁₎ only.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from micrograd.engine import Value
from micrograd.exercises._core import describe, exercise, judge_number
from micrograd.explain import forward_grad
from micrograd.nielsen import Trace


def _judge_translation(answer: Any, expected: tuple[int, int, int], context: Mapping[str, Any]) -> tuple[bool, str]:
    if (
        not isinstance(answer, (tuple, list))
        or len(answer) != 3
        or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in answer)
    ):
        return False, f"give the three numbers of wˡⱼₖ as a tuple (l, j, k), got {describe(answer)}"
    answer = tuple(int(n) for n in answer)
    if answer == expected:
        return True, f"w with l, j, k = {answer} is it."
    layer, j, k = expected
    if answer == (layer, k, j):
        return False, (
            "the two neuron indices are swapped: Nielsen writes wˡⱼₖ with j the neuron the weight goes TO "
            "and k the neuron it comes FROM; the asker writes the 'from' neuron up top."
        )
    if answer[0] == layer - 1:
        return False, "the asker counts layers and neurons from 0, Nielsen from 1 (the input is layer 1)."
    if answer[1:] == (j - 1, k - 1):
        return False, "the layer is right; the asker counts neurons from 0, Nielsen from 1."
    return False, f"{answer} is not it."


@exercise(
    "03.translate",
    "The asker's weight w^i_{j,k} (from neuron i to neuron j of layer k, all counted from 0): "
    "which Nielsen weight wˡⱼₖ is it? Answer (l, j, k).",
    hint="Use the translation table: add 1 to every index, and put the neuron it goes TO first.",
    judge=_judge_translation,
)
def _translate(asker: tuple[int, int, int]) -> tuple[int, int, int]:
    came_from, goes_to, layer = asker
    return layer + 1, goes_to + 1, came_from + 1


_ONE_NEURON = (
    "that is one term of the sum, the paths through one neuron of layer 3. a²ⱼ feeds every neuron of "
    "layer 3, and each of them carries part of its effect to the cost: one term per neuron k, added."
)
_FIRST_COST_ONLY = (
    "that counts the paths to the first cost C₍₁₎ only. a²ⱼ reaches both costs, and C = C₍₁₎ + C₍₂₎: "
    "the paths to C₍₂₎ count too."
)


def _bp2_mistakes(t: Trace, j: int, cost: Value, first_cost: Value) -> dict[float, str]:
    deltas = [forward_grad(cost, z) for z in t.zs[1]]
    into_j = t.layers[1].neurons[j - 1].w  # w³ⱼₖ: the weights INTO neuron j of layer 3
    a = t.activations[0][j - 1]
    singles = {neuron.w[j - 1].data * d: _ONE_NEURON for neuron, d in zip(t.layers[1].neurons, deltas)}
    return {
        **singles,
        forward_grad(first_cost, a): _FIRST_COST_ONLY,
        sum(w.data * d for w, d in zip(into_j, deltas)): (
            "those are the weights w³ⱼₖ into neuron j of layer 3. BP2 needs w³ₖⱼ, the weights OUT of "
            "neuron j of layer 2, one into each neuron k of layer 3 (the column of the matrix, not the row)."
        ),
        forward_grad(cost, t.zs[0][j - 1]): (
            f"that is δ²ⱼ, with the factor σ'(z²ⱼ) = {a.data * (1 - a.data):.4g} already applied; "
            "the question asks for ∂C/∂a²ⱼ, one step before it."
        ),
    }


@exercise(
    "03.bp2-sum",
    "∂C/∂a²ⱼ = Σₖ w³ₖⱼ δ³ₖ, from the weights out of neuron j of layer 2 and the errors δ³ₖ.",
    hint="One term per neuron k of layer 3: the weight from a²ⱼ into that neuron times its δ.",
    judge=judge_number(rel=2e-3, mistakes=_bp2_mistakes),
)
def _bp2_sum(t: Trace, j: int, cost: Value, first_cost: Value) -> float:
    return forward_grad(cost, t.activations[0][j - 1])


def _weight_mistakes(weight: Value, a: Value, x: Value, cost: Value, first_cost: Value) -> dict[float, str]:
    dC_da = forward_grad(cost, a)
    slope = a.data * (1 - a.data)
    return {
        x.data * slope * forward_grad(first_cost, a): _FIRST_COST_ONLY.replace("a²ⱼ", "w²₁₁"),
        x.data * dC_da: "σ'(z²₁) is missing: the weight changes z²₁, and a²₁ = σ(z²₁) moves by σ'(z²₁) times that.",
        slope * dC_da: f"the input is missing: ∂z²₁/∂w²₁₁ is the input {x.label}, the value the weight multiplies.",
        dC_da: "that is ∂C/∂a²₁; two more factors to the weight: ∂a²₁/∂z²₁ and ∂z²₁/∂w²₁₁.",
        2 * x.data * slope * dC_da: "the factor 2 belongs to a cost (a − y)²; here each cost has the ½.",
    }


@exercise(
    "03.weight-gradient",
    "The last step: ∂C/∂w²₁₁ = ∂z²₁/∂w²₁₁ · ∂a²₁/∂z²₁ · ∂C/∂a²₁, from the printed numbers.",
    hint="∂z²₁/∂w²₁₁ is the input the weight multiplies; ∂a²₁/∂z²₁ = σ'(z²₁) = a²₁(1 − a²₁).",
    judge=judge_number(rel=2e-3, mistakes=_weight_mistakes),
)
def _weight_gradient(weight: Value, a: Value, x: Value, cost: Value, first_cost: Value) -> float:
    return forward_grad(cost, weight)


def _judge_unreached(answer: Any, expected: float, context: Mapping[str, Any]) -> tuple[bool, str]:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return False, f"the answer should be a number, got {answer!r}"
    if abs(answer - expected) <= 1e-12:
        return True, "0: no path leads from the weight to that cost, and an empty sum adds nothing."
    reached = forward_grad(context["reached"], context["weight"])
    if abs(answer - reached) <= 1e-3 * abs(reached):
        return False, (
            "that is the gradient of the cost the weight does reach. The question is what the OTHER cost adds: "
            "which output activation does the weight change, and which cost is made from it?"
        )
    return False, (
        "a contribution needs a path: follow the weight into the one neuron it feeds, and see which costs "
        "that neuron's activation appears in."
    )


@exercise(
    "03.unreached-cost",
    "The weight feeds one output neuron only. What does the cost of the OTHER output neuron add to its gradient?",
    hint="A gradient is a sum over paths. Count the paths from the weight to that cost.",
    judge=_judge_unreached,
)
def _unreached(weight: Value, unreached: Value, reached: Value) -> float:
    return forward_grad(unreached, weight)
