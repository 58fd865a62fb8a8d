"""The exercise checker: verdicts, the unanswered state, reference mode, clear errors."""

import math

import pytest

from micrograd.exercises import REFERENCE_ENV, check, exercise, judge_number, solution
from micrograd.exercises._core import _REGISTRY


@pytest.fixture
def square():
    """A throwaway exercise: the square of x, where a common mistake is 2x."""

    @exercise(
        "99.square",
        "What is x²?",
        hint="multiply x by itself",
        judge=judge_number(mistakes=lambda x: {2 * x: "that is 2x, the derivative of x², not x² itself."}),
    )
    def _square(x):
        return x * x

    yield
    del _REGISTRY["99.square"]


def test_right_answer_is_true_and_says_so(square):
    verdict = check("99.square", 9.0, x=3.0)
    assert verdict.ok is True and bool(verdict)
    assert "✓" in str(verdict) and "99.square" in str(verdict)


def test_wrong_answer_is_false_and_does_not_reveal_the_solution(square):
    verdict = check("99.square", 10.0, x=3.0)
    assert verdict.ok is False and not verdict
    assert "9" not in verdict.message and "multiply x by itself" in verdict.message


def test_a_known_mistake_is_explained(square):
    assert "derivative of x²" in check("99.square", 6.0, x=3.0).message


def test_unanswered_is_neither_right_nor_wrong(square, monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    verdict = check("99.square", ..., x=3.0)
    assert verdict.ok is None and "replace ..." in verdict.message
    assert "<div" in verdict._repr_html_()


def test_reference_mode_answers_with_the_solution(square, monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    assert check("99.square", ..., x=3.0).ok is True
    assert check("99.square", 10.0, x=3.0).ok is False  # a real answer is still judged


def test_reference_mode_raises_when_a_judge_rejects_its_own_solution(monkeypatch):
    @exercise("99.broken", "?", judge=lambda answer, expected, context: (False, "never"))
    def _broken():
        return 1.0

    monkeypatch.setenv(REFERENCE_ENV, "reference")
    try:
        with pytest.raises(AssertionError, match=r"99\.broken"):
            check("99.broken", ...)
    finally:
        del _REGISTRY["99.broken"]


@pytest.mark.parametrize("answer", ["9", None, math.nan, math.inf, True, [9.0]])
def test_answers_that_are_not_numbers_are_wrong_with_a_reason(square, answer):
    verdict = check("99.square", answer, x=3.0)
    assert verdict.ok is False and "finite number" in verdict.message


def test_solution_is_computed_from_the_context(square):
    assert solution("99.square", x=4.0) == 16.0


def test_unknown_exercise_and_missing_context_are_clear_errors(square):
    with pytest.raises(KeyError, match=r"no exercise .99\.nope."):
        check("99.nope", 1.0)
    with pytest.raises(TypeError, match="needs x"):
        check("99.square", 9.0)


def test_an_id_cannot_be_registered_twice(square):
    with pytest.raises(ValueError, match="registered twice"):
        exercise("99.square", "?")(lambda: 0.0)
