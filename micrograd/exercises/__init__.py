"""Exercises for the notebooks: predict, then check.

In a notebook::

    from micrograd.exercises import check
    my_answer = ...                                  # write your number here, then run the cell
    check("01.rate-factor", my_answer, path=table[1])

Each topic module in this package registers its exercises with `exercise` when the package
is imported; see `micrograd.exercises._core` for how checking and the reference mode work.
"""

from importlib import import_module
from pkgutil import iter_modules

from micrograd.exercises._core import (
    REFERENCE_ENV,
    Exercise,
    Verdict,
    check,
    exercise,
    judge_count,
    judge_number,
    solution,
)

__all__ = ["REFERENCE_ENV", "Exercise", "Verdict", "check", "exercise", "judge_count", "judge_number", "solution"]

for _module in iter_modules(__path__):
    if not _module.name.startswith("_"):
        import_module(f"{__name__}.{_module.name}")
