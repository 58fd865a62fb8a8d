"""Exercises of notebook 09: count a network's parameters and the paths from one weight to the
output score before `count_paths` does, and predict what a second `backward()` without
`zero_grad()` leaves in a weight's grad."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from micrograd.autodiff import grad
from micrograd.engine import Value
from micrograd.exercises._core import exercise, judge_count, judge_number
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
    judge=judge_count(mistakes=_parameters_mistakes),
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
        sum(sizes[2:]): "that adds up the neurons of the later layers; a path picks one neuron in EACH of them, "
        "so the choices multiply (and the output layer has only one to pick).",
    }


@exercise(
    "09.paths",
    "For one input point, how many paths lead from the first hidden neuron's first weight to the output score?",
    hint="the weight reaches one neuron; from there, one path per neuron of each following layer.",
    judge=judge_count(mistakes=_paths_mistakes),
)
def paths_from_first_weight(model: MLP, x: Sequence[float]) -> int:
    scores = model(x)
    first = scores[0] if isinstance(scores, list) else scores  # several classes: the first class's score
    return count_paths(first, _first_weight(model))


# --------------------------------------------------------------------------- zero_grad


def _second_backward_mistakes(output: Value, wrt: Value) -> dict[float, str]:
    (g,) = grad(output, [wrt])
    return {
        g: "that is what one backward() gives; a second call does not start the leaves' grads from 0.",
        0.0: "the second call does not cancel the first: backward() never subtracts.",
        g * g: "backward() does not multiply into a grad.",
    }


@exercise(
    "09.second-backward",
    "The printed grad came from one backward(). What is wrt.grad after output.backward() runs once more, "
    "with no zero_grad() in between?",
    hint="for a leaf (a weight), backward() adds its gradient into .grad, whatever was there.",
    judge=judge_number(rel=1e-9, abs_tol=1e-12, mistakes=_second_backward_mistakes),
)
def grad_after_second_backward(output: Value, wrt: Value) -> float:
    """What a second backward() leaves in the leaf `wrt` (micrograd.grad touches no .grad)."""
    (g,) = grad(output, [wrt])
    return wrt.grad + g
