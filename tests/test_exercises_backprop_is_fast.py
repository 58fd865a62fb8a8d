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


def test_the_six_n_hint_names_the_two_additions_without_the_count():
    context = three_way(5)
    message = check("06.edges", 30, **context).message
    assert "two additions" in message and "35" not in message and "7" not in message
    assert "35" not in check("06.edges", 20, **context).message


def gate(a=3.0, b=-2.0, upstream=5.0):
    return {"a": Value(a, label="a"), "b": Value(b, label="b"), "upstream": upstream}


@pytest.mark.parametrize(("a", "b", "upstream"), [(3.0, -2.0, 5.0), (0.5, 4.0, -1.5)])
def test_multiply_gate_swaps_the_inputs(a, b, upstream):
    context = gate(a, b, upstream)
    c = context["a"] * context["b"]
    c.grad = upstream
    c._backward()  # the engine's own step for this one node
    assert solution("06.multiply-gate", **context) == pytest.approx((context["a"].grad, context["b"].grad))
    assert check("06.multiply-gate", (b * upstream, a * upstream), **context).ok


def test_multiply_gate_names_each_slip_without_the_answer():
    context = gate()
    messages = {
        "OWN value": check("06.multiply-gate", (15.0, -10.0), **context).message,
        "addition": check("06.multiply-gate", (5.0, 5.0), **context).message,
        "local derivatives alone": check("06.multiply-gate", (-2.0, 3.0), **context).message,
        "as max does": check("06.multiply-gate", (5.0, 0.0), **context).message,
    }
    for phrase, message in messages.items():
        assert phrase in message and "-10" not in message.replace(phrase, "")
    assert "two finite numbers" in check("06.multiply-gate", 5.0, **context).message
    assert "two finite numbers" in check("06.multiply-gate", (1.0, float("nan")), **context).message
