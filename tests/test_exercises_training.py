"""Notebook 09's exercises: parameters of a network, paths from one weight to the score."""

import pytest

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
    deeper = MLP(2, [3, 4, 5, 2], seed=1)
    assert solution("09.paths", model=deeper, x=[0.0, 1.0]) == 4 * 5  # to the first score, via layers of 4 and 5


def test_reference_mode_accepts_both(monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    model = MLP(2, [5, 1], seed=0)
    assert check("09.parameters", ..., model=model).ok and check("09.paths", ..., model=model, x=[1.0, 1.0]).ok
