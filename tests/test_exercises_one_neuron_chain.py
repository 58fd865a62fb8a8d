"""Notebook 04's exercises: solutions agree with backward(); the notes' usual slips are named."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import Value
from micrograd.exercises import REFERENCE_ENV, check, solution


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def chain(x=1.5, y=0.0, w1=0.8, b1=-0.3, w2=1.5, b2=0.2):
    """The notebook's network: a⁽ᴸ⁻²⁾ → a⁽ᴸ⁻¹⁾ → a⁽ᴸ⁾ → C₀ = (a⁽ᴸ⁾ − y)², after backward()."""
    params = [Value(w1), Value(b1), Value(w2), Value(b2)]
    a1 = (params[0] * x + params[1]).sigmoid()
    a2 = (params[2] * a1 + params[3]).sigmoid()
    cost = (a2 - y) ** 2
    cost.backward()
    return {"x": x, "y": y, "a_prev": a1, "a_L": a2, "w_L": params[2], "b_prev": params[1], "w_prev": params[0]}


weights = st.floats(-3, 3, allow_nan=False)


@given(st.floats(0.1, 2), st.floats(-1, 1), weights, weights, weights, weights)
def test_solutions_equal_what_backward_computes(x, y, w1, b1, w2, b2):
    net = chain(x, y, w1, b1, w2, b2)
    assert solution("04.dC0-da", a_L=net["a_L"], y=y) == pytest.approx(net["a_L"].grad, rel=1e-12, abs=1e-15)
    got = solution("04.dC-db", a_prev=net["a_prev"], w_L=net["w_L"], a_L=net["a_L"], y=y, x=x)
    assert got == pytest.approx(net["b_prev"].grad, rel=1e-9, abs=1e-15)


def test_dC0_da_names_the_slips_of_the_notes():
    net = chain()
    a, z, y = net["a_L"].data, net["a_L"].parents[0].data, net["y"]
    assert check("04.dC0-da", 2 * (a - y), a_L=net["a_L"], y=y).ok
    assert "no ½" in check("04.dC0-da", a - y, a_L=net["a_L"], y=y).message
    assert "before the sigmoid" in check("04.dC0-da", z - y, a_L=net["a_L"], y=y).message
    assert "wrong variable" in check("04.dC0-da", 2 * (z - y), a_L=net["a_L"], y=y).message


def test_the_bias_gradient_is_not_the_weight_gradient():
    net = chain()
    context = {k: net[k] for k in ("a_prev", "w_L", "a_L", "y", "x")}
    assert check("04.dC-db", net["b_prev"].grad, **context).ok
    assert "added" in check("04.dC-db", net["w_prev"].grad, **context).message  # × a⁽ᴸ⁻²⁾ = 1.5
    slope = net["a_prev"].data * (1 - net["a_prev"].data)
    assert "σ'(z⁽ᴸ⁻¹⁾) is missing" in check("04.dC-db", net["b_prev"].grad / slope, **context).message
    assert "factor 2" in check("04.dC-db", net["b_prev"].grad / 2, **context).message


def test_update_step_goes_downhill():
    w = Value(0.7)
    w.grad = 0.25
    assert check("04.update", 0.7 - 0.1 * 0.25, w=w, eta=0.1).ok
    assert "uphill" in check("04.update", 0.7 + 0.1 * 0.25, w=w, eta=0.1).message
    assert "change Δw" in check("04.update", -0.1 * 0.25, w=w, eta=0.1).message
    assert "η is missing" in check("04.update", 0.7 - 0.25, w=w, eta=0.1).message


def test_reference_mode_accepts_every_solution(monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    net = chain()
    assert check("04.dC0-da", ..., a_L=net["a_L"], y=0.0).ok
    assert check("04.dC-db", ..., a_prev=net["a_prev"], w_L=net["w_L"], a_L=net["a_L"], y=0.0, x=1.5).ok
    assert check("04.update", ..., w=net["w_L"], eta=0.5).ok


def chain_values(x, w_L=1.5, y=0.35):
    a_in, w1, b1 = Value(x), Value(0.8), Value(-0.3)
    w2, b2 = Value(w_L), Value(0.2)
    a1 = (w1 * a_in + b1).sigmoid()
    a2 = (w2 * a1 + b2).sigmoid()
    ((a2 - y) ** 2).backward()
    return {"a_prev": a1, "w_L": w2, "a_L": a2, "y": y, "x": x}, b1


def test_bias_slips_of_the_notes_are_named_without_the_answer():
    context, b1 = chain_values(1.3)
    right = b1.grad
    assert check("04.dC-db", right, **context).ok
    assert "notes' bias formula" in check("04.dC-db", right / 2, **context).message
    assert "w⁽ᴸ⁾ is missing" in check("04.dC-db", right / 1.5, **context).message
    assert "took the place of w⁽ᴸ⁾" in check("04.dC-db", right * 1.3 / 1.5, **context).message
    for wrong in (right / 2, right / 1.5, right * 1.3 / 1.5):
        assert f"{right:.4g}" not in check("04.dC-db", wrong, **context).message


def test_coinciding_factors_are_reported_not_passed_over():
    context, b1 = chain_values(1.5)  # input 1.5 = w⁽ᴸ⁾: "input in place of w⁽ᴸ⁾" gives the right number
    verdict = check("04.dC-db", b1.grad, **context)
    assert verdict.ok and "cannot tell them apart" in verdict.message and "took the place" in verdict.message
    context, b1 = chain_values(1.3)  # the notebook's numbers: no slip coincides with the answer
    assert "same value" not in check("04.dC-db", b1.grad, **context).message


def test_paths_two_layers_back_multiply():
    from micrograd.nn import MLP

    model = MLP(1, [2, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=4)
    out = model([1.3])
    cost = (out[0] - 0.35) ** 2 + (out[1] - 0.8) ** 2
    w = model.layers[0].neurons[0].w[0]
    context = {"C": cost, "w": w, "model": model}
    assert solution("04.count-paths", **context) == 6
    assert "adds the widths" in check("04.count-paths", 5, **context).message
    assert "output layer has a choice" in check("04.count-paths", 3, **context).message
    assert "not a whole number" in check("04.count-paths", 6.4, **context).message  # a count, not rounded
