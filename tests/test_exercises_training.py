"""Notebook 09's exercises: parameters of a network, paths from one weight to the score."""

import pytest

from micrograd import Value
from micrograd.exercises import REFERENCE_ENV, check, solution
from micrograd.nn import MLP


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


@pytest.mark.parametrize(("nin", "nouts", "expected"), [(2, [16, 16, 1], 337), (2, [16, 16, 3], 371), (3, [4, 2], 26)])
def test_parameter_count(nin, nouts, expected):
    model = MLP(nin, nouts, seed=0)
    assert solution("09.parameters", model=model) == expected
    assert check("09.parameters", expected, model=model).ok


def test_parameter_mistakes():
    model = MLP(2, [16, 16, 3], seed=0)
    assert "weights only" in check("09.parameters", 336, model=model).message
    assert "number of neurons" in check("09.parameters", 35, model=model).message


def test_paths_from_the_first_weight():
    model = MLP(2, [16, 16, 1], seed=0)
    assert solution("09.paths", model=model, x=[0.1, 0.2]) == 16
    assert check("09.paths", 16, model=model, x=[0.1, 0.2]).ok
    assert "feeds every neuron" in check("09.paths", 1, model=model, x=[0.1, 0.2]).message
    assert "already chosen" in check("09.paths", 256, model=model, x=[0.1, 0.2]).message
    adding = check("09.paths", 17, model=model, x=[0.1, 0.2]).message
    assert "multiply" in adding and "16" not in adding
    deeper = MLP(2, [3, 4, 5, 2], seed=1)
    assert solution("09.paths", model=deeper, x=[0.0, 1.0]) == 4 * 5  # to the first score, via layers of 4 and 5


def test_reference_mode_accepts_both(monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    model = MLP(2, [5, 1], seed=0)
    assert check("09.parameters", ..., model=model).ok and check("09.paths", ..., model=model, x=[1.0, 1.0]).ok


def test_a_second_backward_adds_into_the_leaf():
    w, x = Value(0.7, label="w"), Value(-1.5, label="x")
    out = (w * x + 0.2).tanh()
    out.backward()
    once = w.grad
    expected = solution("09.second-backward", output=out, wrt=w)
    assert w.grad == once  # the solver touches no .grad
    out.backward()
    assert expected == pytest.approx(w.grad) == pytest.approx(2 * once)


def test_second_backward_slips_are_named():
    w, x = Value(0.7, label="w"), Value(-1.5, label="x")
    out = (w * x + 0.2).tanh()
    out.backward()
    once = w.grad
    assert "one backward()" in check("09.second-backward", once, output=out, wrt=w).message
    assert "never subtracts" in check("09.second-backward", 0.0, output=out, wrt=w).message
    assert check("09.second-backward", 2 * once, output=out, wrt=w).ok
