"""Exercises of notebook 08: a second derivative by prediction, and a local-derivative rule
the reader writes for a new op, judged by `gradcheck` to first and second order."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from micrograd.autodiff import grad
from micrograd.engine import Op, Value
from micrograd.exercises._code import not_a_function, raised
from micrograd.exercises._core import describe, exercise, judge_number
from micrograd.gradcheck import GradcheckError, gradcheck


def _sigma(x: float) -> float:
    return Value(x).sigmoid().data


def _second_mistakes(x: float) -> dict[float, str]:
    s = _sigma(x)
    return {
        s * (1 - s): "that is the first derivative σ' = σ(1 − σ); differentiate it once more.",
        s * (1 - s) ** 2: "that differentiates only the first factor of σ·(1 − σ): the product rule needs the "
        "derivative of the second factor, (1 − σ), as well.",
        1 - 2 * s: "that is the derivative with respect to σ, not x: the chain rule is missing a factor.",
        -s * (1 - s) * (1 - 2 * s): "the sign is flipped: check the sign that the derivative of −σ² brings.",
    }


@exercise(
    "08.sigmoid-second-derivative",
    "What is σ''(x), the second derivative of the sigmoid, at the printed x?",
    hint="σ' = σ − σ²; differentiate that with the chain rule (dσ/dx = σ').",
    judge=judge_number(rel=1e-6, abs_tol=1e-12, mistakes=_second_mistakes),
)
def sigmoid_second_derivative(x: float) -> float:
    v = Value(x)
    (first,) = grad(v.sigmoid(), [v], create_graph=True)
    return grad(first, [v])[0]


# --------------------------------------------------------------------------- a new op's rule


def ratio(x: float) -> float:
    """The new op of the exercise: x / (1 + x²), on floats (its forward function)."""
    return x / (1 + x * x)


POINTS = (-1.7, -0.4, 0.3, 1.1, 2.5)  # where gradcheck judges the rule (none at a special point)


def _judge_local_rule(answer, expected, context) -> tuple[bool, str]:
    problem = not_a_function(answer, "a function local(out, x) returning a tuple (∂out/∂x,)")
    if problem:
        return False, problem
    op = Op("ratio", ratio, answer)
    try:
        result = answer(ratio(0.3), 0.3)
    except Exception as error:  # the reader's code
        return False, f"your rule raised {type(error).__name__} on floats: {error}"
    if not isinstance(result, tuple) or len(result) != 1:
        return False, f"return a tuple with one entry per parent, like (d,), not {describe(result)}"
    naive = [1 / (1 + x * x) for x in POINTS]
    for order in (1, 2):
        for point in POINTS:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    gradcheck(lambda v: op(v), [point], order=order)
            except GradcheckError as error:
                got = answer(ratio(point), point)[0]
                if order == 1 and abs(got - naive[POINTS.index(point)]) < 1e-12:
                    return False, "that differentiates only the numerator: x / (1 + x²) needs the quotient rule."
                what = "the derivative" if order == 1 else "the second derivative (your rule, differentiated)"
                return False, f"gradcheck rejects {what} at x = {point}: {str(error).splitlines()[-1].strip()}"
            except (TypeError, AttributeError) as error:
                return False, (
                    f"your rule works on floats but not on Values ({raised(error)}). Write it with "
                    "+ − * / ** only, so that grad(..., create_graph=True) can differentiate it again."
                )
            except Exception as error:  # the reader's code, e.g. a division by zero somewhere
                return False, f"your rule raised {type(error).__name__} at x = {point}: {error}"
    return True, f"gradcheck accepts your rule, first and second order, at x = {', '.join(map(str, POINTS))}."


@exercise(
    "08.local-rule",
    "Write local(out, x), the local-derivative rule of the new op x / (1 + x²), in plain arithmetic.",
    hint="quotient rule: (u/v)' = (u'v − uv')/v²; return a tuple with one entry, (d,).",
    judge=_judge_local_rule,
)
def local_rule_solution() -> Callable[..., tuple]:
    def local(out, x):
        return ((1 - x * x) / (1 + x * x) ** 2,)

    return local
