"""Exercises of notebook 09: count a network's parameters, and the paths from one weight to
the output score before `count_paths` does."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from micrograd.exercises._core import exercise, judge_number
from micrograd.explain import count_paths
from micrograd.nn import MLP


def _sizes(model: MLP) -> list[int]:
    return [len(model.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in model.layers]


def _parameters_mistakes(model: MLP) -> dict[float, str]:
    sizes = _sizes(model)
    weights = sum(a * b for a, b in pairwise(sizes))
    neurons = sum(sizes[1:])
    return {
        weights: "those are the weights only: every neuron has a bias too.",
        neurons: "that is the number of neurons; each has one weight per input and a bias.",
        weights + sizes[0]: "one bias per neuron, not one per input.",
    }


@exercise(
    "09.parameters",
    "How many parameters (weights and biases) does the network have?",
    hint="a layer of m neurons reading n numbers has m·n weights and m biases.",
    judge=judge_number(rel=0, abs_tol=0.5, mistakes=_parameters_mistakes),
)
def parameter_count(model: MLP) -> int:
    return len(model.parameters())


def _first_weight(model: MLP):
    return model.layers[0].neurons[0].w[0]


def _paths_mistakes(model: MLP, x: Sequence[float]) -> dict[float, str]:
    sizes = _sizes(model)
    return {
        1: "the weight enters one neuron, but that neuron feeds every neuron of the next layer.",
        sizes[1] * sizes[2]: "the first neuron is already chosen: only the next layers multiply the count.",
        sum(sizes[1:]): "that counts neurons; a path picks one neuron in each later layer.",
    }


@exercise(
    "09.paths",
    "For one input point, how many paths lead from the first hidden neuron's first weight to the output score?",
    hint="the weight reaches one neuron; from there, one path per neuron of each following layer.",
    judge=judge_number(rel=0, abs_tol=0.5, mistakes=_paths_mistakes),
)
def paths_from_first_weight(model: MLP, x: Sequence[float]) -> int:
    scores = model(x)
    first = scores[0] if isinstance(scores, list) else scores  # several classes: the first class's score
    return count_paths(first, _first_weight(model))
