"""Check `backward()` against central differences: ``gradcheck(f, inputs)``.

For each input xᵢ the numerical derivative is the central difference

    (f(…, xᵢ + eps, …) − f(…, xᵢ − eps, …)) / 2·eps

and the analytical one is what `backward()` puts into that input's ``.grad``. They agree
when ``|analytical − numerical| <= atol + rtol·|numerical|``.

>>> gradcheck(lambda a, b: a * b + a.exp(), [2.0, -1.0])
True

A function that computes part of its result outside the graph (on ``.data``, under
`no_grad()`, through `detach()`) gets a wrong analytical derivative, so it fails:

>>> gradcheck(lambda a: a * a.detach(), [3.0])
Traceback (most recent call last):
...
micrograd.gradcheck.GradcheckError: gradcheck: 1 of 1 derivatives disagree with central differences ...

Each classic wrong backward pass of `micrograd.mistakes` is caught where it matters, by name:

>>> gradcheck(lambda a: (b := a + a) + b, [1.0], backward="no_topological_order")
Traceback (most recent call last):
...
micrograd.gradcheck.GradcheckError: gradcheck: 1 of 1 derivatives disagree with central differences ...

Kinks: near a kink (relu or abs at 0) a central difference averages the slopes of both
sides, so it says nothing about either. gradcheck records the graph at x − eps, x and
x + eps and compares them node by node in topological order. If the input of some relu or
abs is not on the same side of its kink at all three points (it sits exactly on the kink,
or eps carries it across), or if `f` builds differently shaped graphs (a Python ``if`` on
``.data`` switching branches), that derivative is *undecidable* at this point: neither
passed nor failed. By default a `GradcheckWarning` lists it; ``undecidable="raise"`` makes
it an error, ``"ignore"`` keeps quiet. The same holds when `f` is undefined at x ± eps
(say, ``log`` near 0).

``order=2`` also checks every second derivative ∂²f/∂xᵢ∂xⱼ, computed with
``micrograd.grad(..., create_graph=True)``, against central differences of the
first derivatives computed by `backward()`.
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from micrograd._errors import _brief
from micrograd.autodiff import grad
from micrograd.engine import Value, enable_grad, topological_order

__all__ = ["DerivativeCheck", "GradcheckError", "GradcheckWarning", "gradcheck"]

Status = Literal["ok", "mismatch", "undecidable"]
Backward = Callable[[Value], None]  # fills in .grad of everything its argument depends on


@dataclass(frozen=True)
class DerivativeCheck:
    """One derivative compared with its central difference.

    Attributes:
        wrt: the indices of the inputs it is taken with respect to: ``(i,)`` for ∂f/∂xᵢ,
            ``(i, j)`` for ∂²f/∂xᵢ∂xⱼ.
        name: how the report writes it, e.g. ``"∂f/∂b"`` or ``"∂²f/∂a∂b"``.
        analytical: what the engine computed (`backward()`, or `grad` for order 2).
        numerical: the central difference, or None if `f` failed at x ± eps.
        tolerance: the largest allowed ``|analytical - numerical|`` (nan without a numerical value).
        status: ``"ok"``, ``"mismatch"`` or ``"undecidable"``.
        reason: why it is undecidable (empty otherwise).
    """

    wrt: tuple[int, ...]
    name: str
    analytical: float
    numerical: float | None
    tolerance: float
    status: Status
    reason: str = ""

    @property
    def error(self) -> float | None:
        """``|analytical - numerical|``, or None when there is no numerical value."""
        return None if self.numerical is None else abs(self.analytical - self.numerical)


class GradcheckError(AssertionError):
    """Some derivative disagrees with its central difference (or is undecidable, with
    ``undecidable="raise"``). The message is a readable report; the data is kept too:

    Attributes:
        mismatches: the `DerivativeCheck`s that disagree.
        undecidable: the `DerivativeCheck`s that could not be decided at this point.
        checks: every `DerivativeCheck` made, in order.
        inputs: the point, as floats.
    """

    def __init__(
        self,
        message: str,
        checks: Sequence[DerivativeCheck] = (),
        inputs: Sequence[float] = (),
    ) -> None:
        super().__init__(message)
        self.checks = tuple(checks)
        self.inputs = tuple(inputs)
        self.mismatches = tuple(c for c in self.checks if c.status == "mismatch")
        self.undecidable = tuple(c for c in self.checks if c.status == "undecidable")


class GradcheckWarning(UserWarning):
    """Some derivatives were undecidable at this point (a kink or domain edge within eps).

    ``.undecidable`` holds their `DerivativeCheck`s.
    """

    def __init__(self, message: str, undecidable: Sequence[DerivativeCheck] = ()) -> None:
        super().__init__(message)
        self.undecidable = tuple(undecidable)


# --------------------------------------------------------------------------- evaluation


@dataclass
class _Evaluation:
    """`f` at one point: its value, optionally its gradient, and the recorded graph's
    shape and kinks (plain data, so that graphs from different points can be compared)."""

    value: float
    grads: list[float] | None
    shape: tuple
    kinks: tuple[tuple[int, str, float, float, str], ...]  # (position, op, argument, kink, label)


def _call(f: Callable[..., Value], point: Sequence[float]) -> tuple[list[Value], Value]:
    xs = [Value(x) for x in point]
    # Inside a caller's no_grad() nothing would be recorded and every analytical
    # derivative would read 0; a no_grad() inside f still hides its part, as it should.
    with enable_grad():
        y = f(*xs)
    if not isinstance(y, Value):
        hint = " (did it compute on .data?)" if isinstance(y, numbers.Number) else ""
        raise TypeError(f"f must return a Value, got {type(y).__name__} {y!r}{hint}")
    return xs, y


def _backward_grads(y: Value, xs: list[Value], order: list[Value], backward: Backward) -> list[float]:
    """What `backward` gives each input, leaving every ``.grad`` as it was found.

    `f` may close over values from outside (a model's parameters, say); their grads must
    not change just because someone checked `f`.
    """
    saved = [node.grad for node in order]
    saved_inputs = [x.grad for x in xs]
    backward(y)
    result = [x.grad for x in xs]
    for node, g in zip(order, saved):
        node.grad = g
    for x, g in zip(xs, saved_inputs):
        x.grad = g
    return result


def _evaluate(f: Callable[..., Value], point: Sequence[float], backward: Backward | None) -> _Evaluation:
    """`f` at `point`; its gradient too when a `backward` pass is given."""
    xs, y = _call(f, point)
    order = topological_order(y)
    position = {node: k for k, node in enumerate(order)}
    input_index = {x: i for i, x in enumerate(xs)}
    shape = []
    kinks = []
    for k, node in enumerate(order):
        parents = node.parents
        if parents:
            shape.append((str(node.op), tuple(position[p] for p in parents)))
        else:  # a leaf: which input it is, if any (a branch may swap `a` and `b`)
            shape.append(("input", input_index.get(node, -1)))
        kink = getattr(node.op, "kink", None)
        if kink is not None and parents:
            kinks.append((k, str(node.op), parents[0].data, kink, node.label))
    grads = _backward_grads(y, xs, order, backward) if backward else None
    return _Evaluation(y.data, grads, tuple(shape), tuple(kinks))


def _side(x: float, kink: float) -> int:
    return (x > kink) - (x < kink)


def _undecidable_reason(below: _Evaluation, at: _Evaluation, above: _Evaluation, name: str) -> str:
    """Why the central difference at `name` ± eps means nothing, or "" if it is sound."""
    if not below.shape == at.shape == above.shape:
        return (
            f"f builds a differently shaped graph between {name}-eps and {name}+eps "
            f"(a Python branch on .data?), so the point may sit on a kink"
        )
    for lo, mid, hi in zip(below.kinks, at.kinks, above.kinks):
        _, op, x_mid, kink, label = mid
        if len({_side(lo[2], kink), _side(x_mid, kink), _side(hi[2], kink)}) > 1:
            node = f"{op} ({label!r})" if label else op
            if x_mid == kink:
                return f"the input of {node} is exactly at its kink {kink:g}"
            return (
                f"the central difference straddles the kink of {node} at {kink:g}: its input is "
                f"{lo[2]:.3g} at {name}-eps, {x_mid:.3g} at {name} and {hi[2]:.3g} at {name}+eps"
            )
    return ""


# --------------------------------------------------------------------------- arguments


def _as_float(x: numbers.Real) -> float:
    try:
        return float(x)
    except OverflowError:  # an int beyond the float range
        return math.inf


def _real(name: str, value, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {_brief(value)}")
    value = _as_float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        need = "a finite number > 0" if positive else "a finite number >= 0"
        raise ValueError(f"{name} must be {need}, got {value!r}")
    return value


def _check_inputs(inputs) -> list[float]:
    if isinstance(inputs, (str, bytes, numbers.Number, Value)) or not isinstance(inputs, Iterable):
        example = f"[{_brief(inputs)}]" if isinstance(inputs, numbers.Real) else "[2.0, -1.0]"
        raise TypeError(
            f"inputs must be a sequence of numbers such as {example}, got {type(inputs).__name__} {_brief(inputs)}"
        )
    inputs = list(inputs)  # a tuple, a generator or a numpy array will do
    if not inputs:
        raise ValueError("inputs is empty: give f at least one number to differentiate with respect to")
    point = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            raise TypeError(
                f"inputs[{i}] is a Value ({_brief(x)}); pass numbers (its .data), gradcheck makes the Values"
            )
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"inputs[{i}] must be a real number, got {type(x).__name__} {_brief(x)}")
        value = _as_float(x)
        if not math.isfinite(value):
            raise ValueError(f"inputs[{i}] must be finite, got {_brief(x)}")
        point.append(value)
    return point


def _input_names(f: Callable, n: int) -> list[str]:
    """How the report calls each input: f's parameter names where it has them."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # some builtins and C callables have no signature
        return [f"inputs[{i}]" for i in range(n)]
    try:
        signature.bind(*range(n))
    except TypeError as e:
        raise TypeError(f"f cannot take the {n} inputs as positional arguments: {e}") from None
    names: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            names.append(parameter.name)
        elif parameter.kind is parameter.VAR_POSITIONAL:
            names.extend(f"{parameter.name}[{k}]" for k in range(n - len(names)))
        if len(names) >= n:
            break
    return names[:n]


# --------------------------------------------------------------------------- report


def _format_report(checks: list[DerivativeCheck], names: list[str], point: list[float], settings: str) -> str:
    mismatches = [c for c in checks if c.status == "mismatch"]
    undecidable = [c for c in checks if c.status == "undecidable"]
    at = ", ".join(f"{name} = {x!r}" for name, x in zip(names, point))
    if mismatches:
        head = f"gradcheck: {len(mismatches)} of {len(checks)} derivatives disagree with central differences"
    else:
        head = f"gradcheck: {len(undecidable)} of {len(checks)} derivatives are undecidable"
    lines = [f"{head} ({settings})", f"at {at}:"]
    for c in mismatches:
        which = ", ".join(map(str, dict.fromkeys(c.wrt)))
        which = f"inputs {which}" if "," in which else f"input {which}"
        lines.append(
            f"  {c.name} ({which}): analytical {c.analytical!r}, numerical {c.numerical!r}"
            f" (off by {c.error:.3g}, allowed {c.tolerance:.3g})"
        )
    if undecidable:
        lines.append("undecidable at this point (neither passed nor failed: move the point away, or shrink eps):")
        for c in undecidable:
            numerical = "" if c.numerical is None else f", numerical {c.numerical!r}"
            lines.append(f"  {c.name}: analytical {c.analytical!r}{numerical}: {c.reason}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- gradcheck


def gradcheck(
    f: Callable[..., Value],
    inputs: Iterable[float],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    undecidable: Literal["warn", "raise", "ignore"] = "warn",
    backward: Backward | str | None = None,
) -> bool:
    """Check the derivatives of `f` at `inputs` against central differences.

    Args:
        f: takes one `Value` per input and returns a `Value`.
        inputs: the point: finite numbers, one per argument of `f` (a list, a tuple, a
            numpy array...).
        eps: the finite-difference step (each input is moved by ± eps).
        atol, rtol: a derivative passes when ``|analytical - numerical| <= atol + rtol·|numerical|``.
        order: 1 checks ∂f/∂xᵢ from `backward()`; 2 also checks ∂²f/∂xᵢ∂xⱼ from
            ``micrograd.grad(..., create_graph=True)`` against central differences of
            the first derivatives.
        undecidable: what to do with derivatives that cannot be decided at this point
            because a kink (relu, abs), a Python branch or a domain edge lies within eps:
            ``"warn"`` (a `GradcheckWarning`), ``"raise"`` (a `GradcheckError`) or
            ``"ignore"``. They never count as passed or failed.
        backward: the backward pass to check: a function of the output `Value` that fills
            in ``.grad`` of every value it depends on. Default ``Value.backward``; pass your
            own to see whether it is right (``order=2`` still takes its second derivatives
            from ``micrograd.grad``), or the name of one of the classic wrong passes in
            `micrograd.mistakes` (``backward="overwrite"``, the same as
            ``backward=micrograd.mistakes.backward_pass("overwrite")``) to see gradcheck
            catch it.

    Returns:
        True when every decidable derivative agrees.

    Raises:
        GradcheckError: some derivative disagrees; the message names each one with its
            analytical and numerical values, ``.mismatches`` holds them as data.
        TypeError, ValueError: bad arguments, or `f` does not return a `Value`.

    >>> gradcheck(lambda x: x.relu(), [0.0], undecidable="ignore")
    True
    """
    if not callable(f):
        raise TypeError(f"f must be a function of Values returning a Value, got {type(f).__name__} {_brief(f)}")
    point = _check_inputs(inputs)
    eps = _real("eps", eps, positive=True)
    atol = _real("atol", atol)
    rtol = _real("rtol", rtol)
    if isinstance(order, bool) or order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {_brief(order)}")
    backward_name = None
    if backward is None:
        backward = Value.backward
    elif isinstance(backward, str):
        from micrograd.mistakes import NAMES, backward_pass

        if backward not in NAMES:
            raise TypeError(
                "backward must be a function of the output Value or the name of a mistake in "
                f"micrograd.mistakes ({', '.join(NAMES)}), got str {_brief(backward)}"
            )
        backward_name, backward = backward, backward_pass(backward)
    elif not callable(backward):
        raise TypeError(f"backward must be a function of the output Value, got {type(backward).__name__} {backward!r}")
    if undecidable not in ("warn", "raise", "ignore"):
        raise ValueError(f"undecidable must be 'warn', 'raise' or 'ignore', got {_brief(undecidable)}")
    for i, x in enumerate(point):
        if x - eps == x + eps:
            raise ValueError(f"eps={eps!r} is below the float resolution at inputs[{i}] = {x!r}; use a larger eps")
    names = _input_names(f, len(point))
    n = len(point)

    at = _evaluate(f, point, backward)
    hess = None
    if order == 2:
        xs, y = _call(f, point)
        hess = [grad(g, xs) for g in grad(y, xs, create_graph=True)]

    def compare(wrt, name, analytical, numerical, reason) -> DerivativeCheck:
        if not reason and numerical is not None and not math.isfinite(numerical):
            reason = f"the central difference overflows a float ({numerical!r}): f changes too much within eps"
        tolerance = atol + rtol * abs(numerical) if numerical is not None else math.nan
        if reason:
            status = "undecidable"
        elif abs(analytical - numerical) <= tolerance:
            status = "ok"
        else:
            status = "mismatch"
        return DerivativeCheck(wrt, name, analytical, numerical, tolerance, status, reason)

    first: list[DerivativeCheck] = []
    second: list[list[DerivativeCheck]] = [[] for _ in range(n)]  # second[i][j], filled column by column
    for j in range(n):
        below_point, above_point = list(point), list(point)
        below_point[j] -= eps
        above_point[j] += eps
        # The step actually taken after rounding, not 2·eps: x ± eps is rarely exact.
        step = above_point[j] - below_point[j]
        try:
            below = _evaluate(f, below_point, backward if order == 2 else None)
            above = _evaluate(f, above_point, backward if order == 2 else None)
        except (ArithmeticError, ValueError) as e:
            reason = f"f is not defined on both sides within eps of {names[j]}: {type(e).__name__}: {e}"
            below = above = None
        else:
            reason = _undecidable_reason(below, at, above, names[j])
        numerical = None if below is None else (above.value - below.value) / step
        first.append(compare((j,), f"∂f/∂{names[j]}", at.grads[j], numerical, reason))
        if hess is not None:
            for i in range(n):
                numerical = None if below is None else (above.grads[i] - below.grads[i]) / step
                name = f"∂²f/∂{names[i]}²" if i == j else f"∂²f/∂{names[i]}∂{names[j]}"
                second[i].append(compare((i, j), name, hess[i][j], numerical, reason))

    checks = first + [c for row in second for c in row]
    if all(c.status == "ok" for c in checks):
        return True
    settings = f"eps={eps!r}, atol={atol!r}, rtol={rtol!r}, order={order}"
    if backward_name is not None:
        settings += f", backward={backward_name!r}"
    report = _format_report(checks, names, point, settings)
    if any(c.status == "mismatch" for c in checks) or undecidable == "raise":
        raise GradcheckError(report, checks, point)
    if undecidable == "warn":
        warnings.warn(GradcheckWarning(report, [c for c in checks if c.status == "undecidable"]), stacklevel=2)
    return True
