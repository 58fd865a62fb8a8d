"""Notebook 05's exercises: BP2 by hand (the transpose picks a column), BP1 for cross-entropy, and
saturation: σ′ ≤ ¼, and the small δ of a badly wrong, saturated neuron."""

import math

import pytest

from micrograd import Value
from micrograd.exercises import REFERENCE_ENV, check, solution
from micrograd.nielsen import check_backprop_equations
from micrograd.nn import MLP


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


@pytest.fixture
def report():
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    return check_backprop_equations(model, [0.5, -1.0], [1.0, 0.0])


@pytest.mark.parametrize(("layer", "j"), [(2, 1), (2, 3), (3, 2)])
def test_bp2_solution_is_the_engines_delta(report, layer, j):
    expected = report.trace.zs[layer - 2][j - 1].grad
    assert solution("05.bp2-by-hand", t=report.trace, layer=layer, j=j) == pytest.approx(expected, rel=1e-12)
    assert check("05.bp2-by-hand", expected, t=report.trace, layer=layer, j=j).ok


def test_bp2_names_the_missing_slope_and_the_row_instead_of_the_column(report):
    t = report.trace
    following, deltas = t.layers[1].neurons, [z.grad for z in t.zs[1]]
    a = t.activations[0][0].data
    column = math.fsum(n.w[0].data * d for n, d in zip(following, deltas))
    row = math.fsum(w.data * d for w, d in zip(following[0].w, deltas))
    assert "σ'(zˡⱼ) is missing" in check("05.bp2-by-hand", column, t=t, layer=2, j=1).message
    assert "transpose" in check("05.bp2-by-hand", row * a * (1 - a), t=t, layer=2, j=1).message


def test_bp1_for_cross_entropy_is_judged_against_backward():
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=3)
    context = {"model": model, "x": [0.4, 1.2], "y": [1.0, 0.0]}
    assert check("05.bp1-cross-entropy", lambda a, y: a - y, **context).ok
    quadratic = check("05.bp1-cross-entropy", lambda a, y: (a - y) * a * (1 - a), **context)
    assert not quadratic.ok and "quadratic cost" in quadratic.message
    assert "∂C/∂aᴸⱼ alone" in check("05.bp1-cross-entropy", lambda a, y: (a - y) / (a * (1 - a)), **context).message
    assert "sign" in check("05.bp1-cross-entropy", lambda a, y: y - a, **context).message
    assert "raised ZeroDivisionError" in check("05.bp1-cross-entropy", lambda a, y: 1 / 0, **context).message
    assert "a function" in check("05.bp1-cross-entropy", 0.3, **context).message
    assert not check("05.bp1-cross-entropy", lambda a, y: 2 * (a - y), **context).ok


def test_reference_mode_accepts_both_solutions(monkeypatch, report):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    assert check("05.bp1-cross-entropy", ..., model=model, x=[1.0, -1.0], y=[0.0, 1.0]).ok
    assert check("05.bp2-by-hand", ..., t=report.trace, layer=3, j=1).ok


def test_checking_bp1_leaves_the_models_gradients_alone():
    """Regression: judging an answer ran backward() on the model, so later cells read other grads."""
    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=3)
    check_backprop_equations(model, [0.4, 1.2], [1.0, 0.0])
    before = [p.grad for p in model.parameters()]
    check("05.bp1-cross-entropy", lambda a, y: a - y, model=model, x=[0.4, 1.2], y=[1.0, 0.0])
    assert [p.grad for p in model.parameters()] == before


# --------------------------------------------------------------------------- saturation


def test_sigma_prime_is_at_most_a_quarter():
    assert solution("05.sigma-prime-max") == pytest.approx(0.25)
    assert check("05.sigma-prime-max", 0.25).ok
    assert "σ(0)" in check("05.sigma-prime-max", 0.5).message
    assert "never that steep" in check("05.sigma-prime-max", 1).message
    assert "0.25" not in check("05.sigma-prime-max", 0.5).message


@pytest.mark.parametrize(("z", "y"), [(6.0, 0.0), (-5.0, 1.0), (0.3, 1.0)])
def test_saturated_delta_is_bp1_against_backward(z, y):
    zv = Value(z)
    cost = 0.5 * (zv.sigmoid() - y) ** 2
    cost.backward()
    assert solution("05.saturated-delta", z=z, y=y) == pytest.approx(zv.grad, rel=1e-12)


def test_saturated_delta_names_the_missing_slope():
    a = 1 / (1 + math.exp(-6.0))
    message = check("05.saturated-delta", a - 0.0, z=6.0, y=0.0).message
    assert "∂C/∂a alone" in message and f"{a * (1 - a) * a:.3g}" not in message
    assert "far from 0" in check("05.saturated-delta", a * 0.25, z=6.0, y=0.0).message
    assert "½" in check("05.saturated-delta", 2 * a * a * (1 - a), z=6.0, y=0.0).message
