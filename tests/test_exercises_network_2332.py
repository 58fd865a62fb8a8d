"""Notebook 03: the asker's own slips (one next-layer neuron only, the first cost only) are named,
and a cost that a weight does not reach adds 0."""

import pytest

from micrograd.exercises import REFERENCE_ENV, check, solution
from micrograd.explain import forward_grad
from micrograd.nielsen import trace
from micrograd.nn import MLP


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


@pytest.fixture
def net():
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = trace(model, [0.5, -1.0])
    first, second = 0.5 * (t.output[0] - 1.0) ** 2, 0.5 * t.output[1] ** 2
    cost = first + second
    cost.backward()
    return model, t, cost, first, second


@pytest.mark.parametrize("k", [0, 1, 2])
def test_one_next_layer_neuron_only_is_named(net, k):
    model, t, cost, first, _ = net
    term = model.layers[1].neurons[k].w[1].data * t.zs[1][k].grad  # w³ₖ₂ δ³ₖ alone
    message = check("03.bp2-sum", term, t=t, j=2, cost=cost, first_cost=first).message
    assert "one term of the sum" in message and f"{t.activations[0][1].grad:.4g}" not in message


def test_first_cost_only_is_named(net):
    model, t, cost, first, _ = net
    only_first = forward_grad(first, t.activations[0][1])
    assert "C₍₂₎ count too" in check("03.bp2-sum", only_first, t=t, j=2, cost=cost, first_cost=first).message
    w, a, x = model.layers[0].neurons[0].w[0], t.activations[0][0], t.inputs[0]
    slope = a.data * (1 - a.data)
    context = dict(weight=w, a=a, x=x, cost=cost, first_cost=first)
    assert "C₍₂₎ count too" in check("03.weight-gradient", x.data * slope * forward_grad(first, a), **context).message
    assert check("03.weight-gradient", w.grad, **context).ok


def test_a_cost_the_weight_does_not_reach_adds_nothing(net):
    model, _, _, first, second = net
    w = model.layers[2].neurons[0].w[0]  # w⁴₁₁: into output neuron 1 only
    context = dict(weight=w, unreached=second, reached=first)
    assert solution("03.unreached-cost", **context) == 0.0
    assert check("03.unreached-cost", 0, **context).ok
    assert "OTHER cost" in check("03.unreached-cost", w.grad, **context).message
    assert "needs a path" in check("03.unreached-cost", 0.3, **context).message
    assert "number" in check("03.unreached-cost", "none", **context).message
