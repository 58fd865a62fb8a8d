"""Notebook 08's exercises: σ'' predicted, and a new op's local rule judged by gradcheck."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd.exercises import REFERENCE_ENV, check, solution


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def sigma(x):
    return 1 / (1 + math.exp(-x))


@given(st.floats(-6, 6, allow_nan=False))
def test_the_second_derivative_is_the_formula(x):
    s = sigma(x)
    assert solution("08.sigmoid-second-derivative", x=x) == pytest.approx(s * (1 - s) * (1 - 2 * s), abs=1e-12)


def test_second_derivative_mistakes_are_named():
    s = sigma(0.8)
    assert check("08.sigmoid-second-derivative", s * (1 - s) * (1 - 2 * s), x=0.8).ok
    assert "first derivative" in check("08.sigmoid-second-derivative", s * (1 - s), x=0.8).message
    assert "chain rule" in check("08.sigmoid-second-derivative", 1 - 2 * s, x=0.8).message


def test_a_right_rule_passes_gradcheck_to_second_order():
    verdict = check("08.local-rule", lambda out, x: ((1 - x * x) / (1 + x * x) ** 2,))
    assert verdict.ok and "second order" in verdict.message


def test_wrong_rules_are_caught_with_a_reason():
    assert "quotient rule" in check("08.local-rule", lambda out, x: (1 / (1 + x * x),)).message
    assert "gradcheck rejects the derivative" in check("08.local-rule", lambda out, x: (out,)).message
    not_a_tuple = check("08.local-rule", lambda out, x: (1 - x * x) / (1 + x * x) ** 2)
    assert "tuple" in not_a_tuple.message
    floats_only = check("08.local-rule", lambda out, x: (math.cos(0) * (1 - x * x) / math.pow(1 + x * x, 2),))
    assert not floats_only.ok and "not on Values" in floats_only.message
    assert "a function" in check("08.local-rule", 0.5).message
    blows_up = check("08.local-rule", lambda out, x: (1 / (x + 1.7),))  # fine at 0.3, divides by zero at -1.7
    assert not blows_up.ok and "raised ZeroDivisionError at x = -1.7" in blows_up.message


def test_reference_mode_accepts_both(monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    assert check("08.local-rule", ...).ok and check("08.sigmoid-second-derivative", ..., x=0.3).ok


def test_half_a_product_rule_is_named_without_the_answer():
    s = sigma(0.8)
    message = check("08.sigmoid-second-derivative", s * (1 - s) ** 2, x=0.8).message
    assert "product rule" in message and "1 − 2σ" not in message
    flipped = check("08.sigmoid-second-derivative", -s * (1 - s) * (1 - 2 * s), x=0.8).message
    assert "sign" in flipped and "σ' − 2σσ'" not in flipped
    assert "missing a factor" in check("08.sigmoid-second-derivative", 1 - 2 * s, x=0.8).message
