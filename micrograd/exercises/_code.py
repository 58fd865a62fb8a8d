"""Judging answers that are code (a function the reader writes), shared by the topic modules."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from micrograd.exercises._core import as_number, describe


def not_a_function(answer: Any, what: str) -> str | None:
    """Why `answer` cannot be judged as `what` (a description such as ``"a function delta(a, y)"``), or None."""
    if callable(answer):
        return None
    return f"the answer should be {what}, got {type(answer).__name__} {describe(answer)}"


def outputs_of(answer: Callable[..., Any], cases: Iterable[tuple]) -> tuple[list[float] | None, str]:
    """The reader's function on every case, or None and why it could not be evaluated."""
    results = []
    for args in cases:
        try:
            value = answer(*args)
        except Exception as error:  # the reader's code: any error is feedback, not a crash
            return None, f"your function raised {raised(error)}"
        number, _ = as_number(value)  # a Value is fine too, and a numpy scalar
        if number is None:
            return None, f"your function should return a finite number, it returned {describe(value)}"
        results.append(number)
    return results, ""


def raised(error: BaseException) -> str:
    """``TypeError: its message`` for the reader's error, in one line, even if str() fails."""
    try:
        text = str(error).splitlines()[0] if str(error) else ""
    except Exception:
        text = ""
    return f"{type(error).__name__}: {text[:200]}" if text else type(error).__name__


def all_close(got: Iterable[float], want: Iterable[float], rel: float = 1e-6, abs_tol: float = 1e-12) -> bool:
    got, want = list(got), list(want)
    return len(got) == len(want) and all(math.isclose(g, w, rel_tol=rel, abs_tol=abs_tol) for g, w in zip(got, want))
