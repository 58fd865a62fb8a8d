"""Nielsen's BP1–BP4 hold for the gradients the engine computes (micrograd.nielsen)."""

from __future__ import annotations

import doctest
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd.nielsen
from micrograd import Value, no_grad
from micrograd.engine import GradientOverflowError
from micrograd.explain import paths
from micrograd.nielsen import check_backprop_equations, quadratic_cost, trace
from micrograd.nn import MLP, Layer


def sigmoid_net(nin: int, sizes: list[int], seed: int = 0) -> MLP:
    """Nielsen's network: sigmoid neurons everywhere, the output layer included."""
    return MLP(nin, sizes, activation="sigmoid", output_activation="sigmoid", seed=seed)


def example(nin: int, nout: int, seed: int):
    rng = random.Random(seed)
    return [rng.uniform(-2, 2) for _ in range(nin)], [rng.uniform(0, 1) for _ in range(nout)]


def expected_counts(nin: int, sizes: list[int]) -> dict[str, int]:
    widths = [nin, *sizes]
    return {
        "BP1": sizes[-1],
        "BP2": sum(sizes[:-1]),
        "BP3": sum(sizes),
        "BP4": sum(widths[i] * widths[i + 1] for i in range(len(sizes))),
    }


SHAPES = [(2, [3, 3, 2]), (1, [1, 1]), (1, [1]), (3, [5, 1]), (4, [2, 4, 3]), (2, [1, 1, 1, 1]), (5, [6, 6, 6, 2])]


@pytest.mark.parametrize(("nin", "sizes"), SHAPES, ids=[f"{n}-{'-'.join(map(str, s))}" for n, s in SHAPES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_all_four_equations_hold_on_sigmoid_networks(nin, sizes, seed):
    x, y = example(nin, sizes[-1], seed)
    report = check_backprop_equations(sigmoid_net(nin, sizes, seed), x, y)
    assert report.ok, str(report)
    assert {name: len(report.of(name)) for name in ("BP1", "BP2", "BP3", "BP4")} == expected_counts(nin, sizes)
    # BP1, BP3 and BP4 are the same multiplications the engine does: equal to the last bit.
    for name in ("BP1", "BP3", "BP4"):
        assert all(c.lhs == c.rhs for c in report.of(name)), name
    assert report.max_error("BP2") <= 1e-15


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.sampled_from(["sigmoid", "tanh", "relu", "linear"]),
    st.sampled_from(["sigmoid", "linear", "tanh"]),
    st.integers(0, 10**6),
)
def test_the_equations_hold_for_any_shape_and_activation(nin, sizes, hidden, output, seed):
    model = MLP(nin, sizes, activation=hidden, output_activation=output, seed=seed)
    x, y = example(nin, sizes[-1], seed)
    report = check_backprop_equations(model, x, y)
    assert report.ok, str(report)


def test_the_2_3_3_2_network_people_ask_about_built_from_layers():
    rng = random.Random(7)
    layers = [Layer(2, 3, activation="sigmoid", seed=rng), Layer(3, 3, activation="sigmoid", seed=rng)]
    layers.append(Layer(3, 2, activation="sigmoid", seed=rng))
    report = check_backprop_equations(layers, [0.3, -0.8], [1.0, 0.0])
    assert report.ok
    assert len(report) == 2 + 6 + 8 + 21


def test_bp2_is_a_sum_of_one_term_per_neuron_of_the_next_layer():
    model = sigmoid_net(2, [3, 3, 2], seed=3)
    report = check_backprop_equations(model, [0.5, -1.0], [1.0, 0.0])
    t = report.trace
    for check in report.of("BP2"):
        i, j = check.layer - 2, check.neuron - 1
        following = t.zs[i + 1]
        assert len(check.terms) == len(following)
        assert check.terms == tuple(n.w[j].data * z.grad for n, z in zip(model.layers[i + 1].neurons, following))
        a = t.activations[i][j].data
        assert check.rhs == math.fsum(check.terms) * a * (1 - a)
        # the terms are different numbers (different paths), not one term k times
        assert len(set(check.terms)) == len(check.terms)


def test_each_delta_is_the_sum_over_paths_from_z_to_the_cost():
    model = sigmoid_net(2, [3, 3, 2], seed=4)
    report = check_backprop_equations(model, [0.1, 0.9], [0.0, 1.0])
    for layer in report.trace.zs:
        for z in layer:
            assert paths(report.cost, z).total == pytest.approx(z.grad, rel=1e-12, abs=1e-300)


def test_the_engine_gradients_match_finite_differences_of_the_cost():
    model = sigmoid_net(2, [3, 3, 2], seed=5)
    x, y = [0.4, -0.6], [1.0, 0.0]
    check_backprop_equations(model, x, y)

    def cost() -> float:
        with no_grad():
            return quadratic_cost(model(x), y).data

    h = 1e-6
    for p in model.parameters():
        analytic = p.grad
        p.data += h
        up = cost()
        p.data -= 2 * h
        down = cost()
        p.data += h
        assert (up - down) / (2 * h) == pytest.approx(analytic, abs=1e-8)


def test_checking_twice_gives_the_same_gradients_not_doubled_ones():
    model = sigmoid_net(2, [3, 2], seed=6)
    first = [c.lhs for c in check_backprop_equations(model, [1.0, 2.0], [0.0, 1.0])]
    second = [c.lhs for c in check_backprop_equations(model, [1.0, 2.0], [0.0, 1.0])]
    assert first == second


def test_trace_gives_every_z_and_a_with_nielsen_labels():
    model = sigmoid_net(2, [3, 2], seed=0)
    t = trace(model, [1.0, -1.0])
    assert [len(layer) for layer in t.zs] == [3, 2]
    assert [x.label for x in t.inputs] == ["x₁", "x₂"]
    assert [z.label for z in t.zs[0]] == ["z²₁", "z²₂", "z²₃"]
    assert [a.label for a in t.output] == ["a³₁", "a³₂"]
    for zs, activations in zip(t.zs, t.activations):
        for z, a in zip(zs, activations):
            assert z.op == "Σwx+b" and a.op == "sigmoid" and a.parents == (z,)
    assert t.inputs_to(1) == t.activations[0]
    with no_grad():  # the model's own outputs match the traced ones
        assert [v.data for v in model([1.0, -1.0])] == [a.data for a in t.output]


def test_trace_names_unlabelled_parameters_as_nielsen_does():
    model = sigmoid_net(2, [12, 1], seed=0)
    model.layers[1].neurons[0].b.label = "mine"
    trace(model, [1.0, -1.0])
    first = model.layers[0].neurons[0]
    assert [w.label for w in first.w] == ["w²₁₁", "w²₁₂"]  # to neuron 1 of layer 2 from inputs 1, 2
    assert first.b.label == "b²₁"
    assert model.layers[0].neurons[11].w[1].label == "w²₁₂,₂"  # two-digit indices get a comma
    assert model.layers[1].neurons[0].b.label == "mine"  # a label you chose is kept


def test_a_weights_paths_to_the_cost_run_through_every_neuron_of_the_next_layers():
    model = sigmoid_net(2, [3, 3, 2], seed=1)
    t = trace(model, [0.5, -1.0])
    cost = quadratic_cost(t.output, [1.0, 0.0])
    table = paths(cost, model.layers[0].neurons[0].w[1])
    assert len(table) == 3 * 2  # through each of the 3 neurons of layer 3, then each of the 2 outputs
    assert "w²₁₂ → z²₁ → a²₁ → z³₁ → a³₁ → z⁴₁ → a⁴₁" in str(table)


def test_trace_of_a_linear_output_layer_has_a_equal_to_z():
    t = trace(MLP(2, [2, 1], activation="tanh", seed=0), [0.5, 0.5])
    assert t.output[0] is t.zs[-1][0]
    assert t.zs[-1][0].label == "z³₁"


def test_trace_records_even_inside_no_grad_and_keeps_given_values():
    x = [Value(1.0, label="first"), Value(2.0)]
    with no_grad():
        t = trace(sigmoid_net(2, [2], seed=1), x)
    assert t.inputs[0] is x[0] and t.inputs[0].label == "first"
    assert t.zs[0][0].parents[2] is x[0]


def test_deltas_are_the_grads_of_the_z_nodes():
    report = check_backprop_equations(sigmoid_net(2, [3, 2], seed=2), [1.0, 0.0], [1.0, 1.0])
    assert report.trace.deltas() == [[z.grad for z in layer] for layer in report.trace.zs]


def test_quadratic_cost_is_half_the_squared_distance():
    c = quadratic_cost([Value(0.5), Value(1.0)], [1.0, 0.0])
    assert c.data == 0.625 and c.label == "C"
    assert quadratic_cost(Value(3.0), 1.0).data == 2.0
    with pytest.raises(ValueError, match="2 outputs but 1 targets"):
        quadratic_cost([Value(1.0), Value(2.0)], [1.0])


def test_report_prints_a_summary_per_equation():
    report = check_backprop_equations(sigmoid_net(2, [3, 3, 2]), [0.5, -1.0], [1.0, 0.0])
    text = str(report)
    for name in ("BP1", "BP2", "BP3", "BP4"):
        assert name in text
    assert text.count("holds") == 4 and "FAILS" not in text
    assert "21 × w.grad" in text
    assert "<table" in report._repr_html_() and "BP4" in report._repr_html_()
    assert "ok=True" in repr(report)


def test_a_broken_gradient_is_reported_as_failing():
    report = check_backprop_equations(sigmoid_net(2, [2, 1]), [0.5, -1.0], [1.0])
    check = report.of("BP3")[0]
    broken = type(check)(check.equation, check.layer, check.neuron, check.lhs + 1.0, check.rhs)
    bad = type(report)(report.trace, report.cost, [*report, broken], report.rel_tol)
    assert not bad.ok and "FAILS" in str(bad)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(TypeError, match="MLP or a sequence of Layers"):
        trace("model", [1.0])
    with pytest.raises(ValueError, match="unknown equation"):
        check_backprop_equations(sigmoid_net(1, [1]), [1.0], [0.0]).of("BP5")
    with pytest.raises(ValueError, match="1 outputs but 2 targets"):
        check_backprop_equations(sigmoid_net(1, [1]), [1.0], [0.0, 1.0])


def test_docstring_examples_run():
    assert doctest.testmod(micrograd.nielsen).failed == 0


def test_the_equations_are_checked_inside_no_grad_too():
    model = sigmoid_net(2, [3, 2], seed=2)
    expected = [c.lhs for c in check_backprop_equations(model, [0.5, -1.0], [1.0, 0.0])]
    with no_grad():
        report = check_backprop_equations(model, [0.5, -1.0], [1.0, 0.0])
    assert report.ok and [c.lhs for c in report] == expected and any(expected)


def test_a_gradient_that_overflows_is_an_error_not_an_inf_in_the_report():
    model = MLP(1, [1], activation="linear", seed=0)
    model.layers[0].neurons[0].w[0].data = 1e-290  # z = 1e10 and C = 5e19 are finite; ∂C/∂w = 1e10·1e300 is not
    with pytest.raises(GradientOverflowError, match="the gradient of 'w²₁₁' overflows a float"):
        check_backprop_equations(model, [1e300], [0.0])
