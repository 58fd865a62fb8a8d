"""Notebook 05's saturation exercises: σ′ ≤ ¼, and the small δ of a badly wrong, saturated neuron."""

import math

import pytest

from micrograd import Value
from micrograd.exercises import REFERENCE_ENV, check, solution


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


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
