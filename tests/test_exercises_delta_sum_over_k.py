"""Notebook 02's prediction, "is δ the number of terms times one term?", and the equal-shares slip."""

import pytest

from micrograd import Value
from micrograd.exercises import REFERENCE_ENV, check, solution
from micrograd.nielsen import quadratic_cost


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def next_layer(w=(0.9, -0.6, -0.4), b=(0.1, -0.2, 0.05), y=(1.0, 0.0, 1.0)):
    z = Value(0.4, label="z")
    a = z.sigmoid()
    outputs = [(wk * a + bk).sigmoid() for wk, bk in zip(w, b)]
    return {"z": z, "cost": quadratic_cost(outputs, list(y)), "outputs": outputs}


def test_different_paths_are_not_three_copies():
    context = next_layer()
    assert solution("02.times-one-term", **context) is False
    assert check("02.times-one-term", False, **context).ok and check("02.times-one-term", "no", **context).ok
    message = check("02.times-one-term", True, **context).message
    assert "do not cancel" in message and "copies" in message


def test_copied_paths_are_three_times_one_term():
    context = next_layer(w=(0.5,) * 3, b=(0.1,) * 3, y=(1.0,) * 3)
    assert solution("02.times-one-term", **context) is True
    assert "What differs" in check("02.times-one-term", False, **context).message


def test_an_answer_that_is_not_yes_or_no_is_named():
    assert "True or False" in check("02.times-one-term", 3, **next_layer()).message


def test_equal_shares_are_named():
    context = next_layer()
    z, cost, outputs = context["z"], context["cost"], context["outputs"]
    cost.backward()
    message = check("02.term-k", z.grad / 3, ak=outputs[1], z=z, cost=cost).message
    assert "equal shares" in message
