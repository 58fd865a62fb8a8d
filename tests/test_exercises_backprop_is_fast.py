"""Notebook 06's exercises: paths multiply, edges add, in a chain of three-way diamonds."""

import pytest

from micrograd import Value
from micrograd.exercises import REFERENCE_ENV, check, solution


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def three_way(n):
    x = y = Value(0.3, label="x")
    for _ in range(n):
        y = y.tanh() + y.sigmoid() + y.relu()
    return {"y": y, "x": x, "n": n}


@pytest.mark.parametrize("n", [1, 2, 5])
def test_paths_are_three_to_the_n_and_edges_seven_n(n):
    context = three_way(n)
    assert solution("06.paths", **context) == 3**n
    assert solution("06.edges", **context) == 7 * n


def test_the_usual_miscounts_are_explained():
    context = three_way(4)
    assert check("06.paths", 81, **context).ok
    assert "two-branch" in check("06.paths", 16, **context).message
    assert "multiply" in check("06.paths", 12, **context).message
    assert "number of edges" in check("06.paths", 28, **context).message
    assert check("06.edges", 28, **context).ok
    assert "number of paths" in check("06.edges", 81, **context).message
    assert "two additions" in check("06.edges", 24, **context).message


def test_reference_mode_accepts_both(monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    assert check("06.paths", ..., **three_way(3)).ok and check("06.edges", ..., **three_way(3)).ok
