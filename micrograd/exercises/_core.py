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

from micrograd.engine import Value

__all__ = [
    "REFERENCE_ENV",
    "Exercise",
    "Verdict",
    "as_number",
    "check",
    "describe",
    "exercise",
    "judge_count",
    "judge_number",
    "solution",
]

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


def describe(answer: Any, limit: int = 60) -> str:
    """`answer` as a verdict shows it: its repr, cut to `limit` characters, whatever it is
    (an int of 5,000 digits, an object whose repr raises)."""
    if isinstance(answer, int) and not isinstance(answer, bool) and answer.bit_length() > 200:
        return f"an int of about {int(answer.bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(answer)
        if not isinstance(text, str):
            raise TypeError
    except Exception:
        try:
            kind = type(answer).__name__
        except Exception:
            kind = "object"
        return f"a {kind} whose repr fails"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_number(answer: Any) -> tuple[float | None, str]:
    """`answer` as a finite float, or None and why not: any real number (an int, a fraction,
    a numpy scalar, a `Value`'s data), never a bool or a string, and never a traceback."""
    try:
        if isinstance(answer, Value):
            answer = answer.data  # a Value: its number
        kind = type(answer).__name__
        if isinstance(answer, (bool, str, bytes)) or kind in ("bool_", "bool"):
            return None, f"the answer should be a finite number, got {kind} {describe(answer)}"
        if not isinstance(answer, numbers.Real) and not hasattr(type(answer), "__float__"):
            return None, f"the answer should be a finite number, got {kind} {describe(answer)}"
        number = float(answer)
    except OverflowError:
        return None, f"{describe(answer)} is too large for a float: no answer here is that large."
    except Exception as error:
        kind = type(error).__name__
        return None, f"the answer should be a finite number; reading {describe(answer)} as one raised {kind}."
    if type(number) is not float:
        number = float.__float__(number)
    if not math.isfinite(number):
        return None, f"the answer should be a finite number, got {describe(answer)}."
    return number, ""


def _mistakes(mistakes: Callable[..., Mapping[float, str]] | None, context: Mapping[str, Any]) -> list:
    """The known mistakes' values, skipping any that cannot be computed in this context (a
    saturated sigmoid makes some of them divide by zero or overflow)."""
    if mistakes is None:
        return []
    try:
        table = mistakes(**context)
        items = list(table.items())
    except Exception:
        return []
    found = []
    for value, why in items:
        number, _ = as_number(value)
        if number is not None:
            found.append((number, why))
    return found


def judge_number(rel: float = 1e-3, abs_tol: float = 1e-9, mistakes: Callable[..., Mapping[float, str]] | None = None):
    """A judge for a numeric answer: right within `rel`/`abs_tol` of the solution.

    `mistakes(**context)` may map the values that common mistakes produce to an explanation
    of that mistake; a wrong answer that matches one gets that explanation.
    """

    def judge(answer: Any, expected: float, context: Mapping[str, Any]) -> tuple[bool, str]:
        number, problem = as_number(answer)
        if number is None:
            return False, problem
        if math.isclose(number, expected, rel_tol=rel, abs_tol=abs_tol):
            return True, f"{describe(answer)} is it."
        for value, why in _mistakes(mistakes, context):
            if math.isclose(number, value, rel_tol=rel, abs_tol=abs_tol):
                return False, why
        return False, f"{describe(answer)} is not it."

    return judge


def judge_count(mistakes: Callable[..., Mapping[float, str]] | None = None):
    """A judge for a count (of paths, edges, lines): a whole number, equal to the solution.
    81.4 is no count, and is refused as one rather than rounded."""

    def judge(answer: Any, expected: int, context: Mapping[str, Any]) -> tuple[bool, str]:
        number, problem = as_number(answer)
        if number is None:
            return False, problem.replace("a finite number", "a whole number (a count)")
        if not number.is_integer():
            return False, f"{describe(answer)} is not a whole number: a count is 0, 1, 2, ..."
        if number == expected:
            return True, f"{describe(answer)} is it."
        for value, why in _mistakes(mistakes, context):
            if number == value:
                return False, why
        return False, f"{describe(answer)} is not it."

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
    try:
        ok, why = ex.judge(answer, expected, context)
    except Exception as error:  # whatever the answer is, it gets a verdict, never a traceback
        kind = type(error).__name__
        ok, why = False, f"{describe(answer)} could not be judged ({kind}); is it the kind of answer asked for?"
    if not ok and ex.hint:
        why = f"{why} Hint: {ex.hint}"
    return Verdict(id, bool(ok), str(why))


def solution(id: str, **context: Any) -> Any:
    """The solution of exercise `id` for this context (for after you have tried)."""
    return _lookup(id, context)[1]
