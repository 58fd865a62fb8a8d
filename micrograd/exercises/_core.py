"""Predict, then check: the machinery behind the notebooks' exercises.

An exercise is registered under an id (``"01.rate-factor"``: notebook number, dot, a short
name) with a function that *solves* it from the notebook's live objects and, optionally,
a *judge* that compares the reader's answer with the solution and says why it is wrong.
The reader calls ``check(id, answer, **context)``; the verdict never reveals the solution
until the reader asks for it with ``solution(id, **context)``.

An unanswered exercise is ``...`` (Ellipsis): ``check`` says what to do and counts it as not
done. With the environment variable ``MICROGRAD_EXERCISES=reference`` (set by ``make
test``), ``check`` answers every unanswered exercise with its own solution and raises if
its judge rejects that: every checker runs in CI while the stored notebooks stay unanswered.
"""

from __future__ import annotations

import html
import math
import numbers
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["REFERENCE_ENV", "Exercise", "Verdict", "check", "exercise", "judge_number", "solution"]

REFERENCE_ENV = "MICROGRAD_EXERCISES"  # "reference": answer unanswered exercises with the solution


@dataclass(frozen=True)
class Verdict:
    """Right or wrong, and why. True when right, so ``assert check(...)`` works."""

    id: str
    ok: bool | None  # None: not answered yet
    message: str

    def __bool__(self) -> bool:
        return bool(self.ok)

    @property
    def mark(self) -> str:
        return {True: "✓ right", False: "✗ not yet", None: "… unanswered"}[self.ok]

    def __str__(self) -> str:
        return f"[{self.id}] {self.mark}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = {True: "#2e7d32", False: "#c62828", None: "#6d6d6d"}[self.ok]
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:4px 0">'
            f'<b style="color:{colour}">{html.escape(self.mark)}</b> '
            f"<span>{html.escape(self.message)}</span> "
            f'<span style="color:#888">({html.escape(self.id)})</span></div>'
        )


Judge = Callable[[Any, Any, Mapping[str, Any]], tuple[bool, str]]


@dataclass(frozen=True)
class Exercise:
    """One exercise: what it asks, how to solve it from the context, how to judge an answer."""

    id: str
    question: str
    solve: Callable[..., Any]
    judge: Judge
    hint: str = ""
    context: tuple[str, ...] = field(default=())  # names `solve` needs, for a clear error


_REGISTRY: dict[str, Exercise] = {}


def judge_number(rel: float = 1e-3, abs_tol: float = 1e-9, mistakes: Callable[..., Mapping[float, str]] | None = None):
    """A judge for a numeric answer: right within `rel`/`abs_tol` of the solution.

    `mistakes(**context)` may map the values that common mistakes produce to an explanation
    of that mistake; a wrong answer that matches one gets that explanation.
    """

    def judge(answer: Any, expected: float, context: Mapping[str, Any]) -> tuple[bool, str]:
        if isinstance(answer, bool) or not isinstance(answer, numbers.Real) or not math.isfinite(answer):
            return False, f"the answer should be a finite number, got {type(answer).__name__} {answer!r}"
        if math.isclose(answer, expected, rel_tol=rel, abs_tol=abs_tol):
            return True, f"{answer!r} is it."
        for value, why in (mistakes(**context) if mistakes else {}).items():
            if math.isclose(answer, value, rel_tol=rel, abs_tol=abs_tol):
                return False, why
        return False, f"{answer!r} is not it."

    return judge


def exercise(
    id: str, question: str, *, hint: str = "", judge: Judge | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the solver of exercise `id` (numeric by default).

    >>> @exercise("00.double", "What is 2·x?", hint="Multiply by two.")
    ... def _double(x):
    ...     return 2 * x
    >>> check("00.double", 6.0, x=3.0).ok
    True
    """

    def register(solve: Callable[..., Any]) -> Callable[..., Any]:
        if id in _REGISTRY:
            raise ValueError(f"exercise {id!r} is registered twice")
        names = tuple(solve.__code__.co_varnames[: solve.__code__.co_argcount])
        _REGISTRY[id] = Exercise(id, question, solve, judge or judge_number(), hint, names)
        return solve

    return register


def _lookup(id: str, context: Mapping[str, Any]) -> tuple[Exercise, Any]:
    from micrograd import exercises  # noqa: F401  (importing the package registers every exercise)

    try:
        ex = _REGISTRY[id]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"no exercise {id!r}; known: {known}") from None
    missing = [name for name in ex.context if name not in context]
    if missing:
        raise TypeError(f"exercise {id!r} needs {', '.join(missing)} (pass them to check as keywords)")
    return ex, ex.solve(**context)


def _reference_mode() -> bool:
    return os.environ.get(REFERENCE_ENV, "") == "reference"


def check(id: str, answer: Any, **context: Any) -> Verdict:
    """Judge `answer` to exercise `id`; `context` holds the notebook objects it is about.

    ``...`` means not answered yet. Nothing is revealed beyond whether the answer is right
    and, for a wrong one, what it got wrong (see ``solution`` for the answer itself).
    """
    ex, expected = _lookup(id, context)
    if answer is ...:
        if not _reference_mode():
            hint = f" Hint: {ex.hint}" if ex.hint else ""
            return Verdict(id, None, f"replace ... with your answer and run the cell again.{hint}")
        answer = expected
        ok, why = ex.judge(answer, expected, context)
        if not ok:
            raise AssertionError(f"exercise {id!r}: its own solution {answer!r} was judged wrong: {why}")
        return Verdict(id, True, f"(reference answer) {why}")
    ok, why = ex.judge(answer, expected, context)
    if not ok and ex.hint:
        why = f"{why} Hint: {ex.hint}"
    return Verdict(id, ok, why)


def solution(id: str, **context: Any) -> Any:
    """The solution of exercise `id` for this context (for after you have tried)."""
    return _lookup(id, context)[1]
