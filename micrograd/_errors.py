"""Errors that say what went wrong in few words: gradients that overflow, huge arguments.

Kept apart from `engine` because none of it runs unless something has gone wrong: the
engine calls in here only to build an error message.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for the annotations: engine imports this module
    from micrograd.engine import Value

__all__ = ["GradientOverflowError"]


def _brief(x) -> str:
    """repr(x) short enough for an error message: a 5,000-digit int is not worth a screenful
    (and Python refuses to print one past 4,300 digits)."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 64:
        return f"{'-' if x < 0 else ''}<an int of about {int(x.bit_length() * 0.30103) + 1} digits>"
    try:
        text = repr(x)
    except ValueError:  # a huge int inside something else
        return f"<a {type(x).__name__} too large to print>"
    return text if len(text) <= 60 else f"{text[:40]}…{text[-12:]}"


def _shown(args, keep: int = 4) -> str:
    """The arguments of an op for a message; a weighted sum over a million inputs shows a few."""
    args = list(args)
    if len(args) > 2 * keep + 1:
        args = [*map(_brief, args[:keep]), f"… {len(args) - 2 * keep} more …", *map(_brief, args[-keep:])]
        return ", ".join(args)
    return ", ".join(map(_brief, args))


class GradientOverflowError(OverflowError):
    """A gradient (or a forward-mode tangent) overflowed a float while it was being summed.

    ``backward()``, ``grad()``, ``forward_grad()`` and ``paths()`` raise it instead of
    handing back an inf or a NaN (``a*b*b - a*b*b`` at a = 1e-300, b = 1e300 sums +inf
    and -inf). The message names the value whose gradient overflowed and the edge whose
    term made the running sum overflow.
    """


def _name(node: Value) -> str:
    """A value as messages name it: its label, or its op and data."""
    if node.label:
        return repr(node.label)
    if node._a is None:
        return f"the leaf {_brief(node.data)}"
    return f"the {node.op} node (data {_brief(node.data)})"


def _edge_overflow(where: str, kind: str, node: Value, terms, start: float = 0.0) -> GradientOverflowError:
    """The error for `node`, whose `kind` ("gradient", "tangent") is not finite.

    `terms` replays its sum in the order it was made: (parent, child, index, local,
    upstream) per edge, ``child.parents[index] is parent``; the first term after which the
    running sum is not finite is the edge to blame.
    """
    total = start
    for parent, child, index, local, upstream in terms:
        before = total
        total = before + local * upstream
        if not isfinite(total):
            sum_so_far = f"{_brief(before)} + " if before else ""
            return GradientOverflowError(
                f"{where}: the {kind} of {_name(node)} overflows a float on the edge {_name(parent)} → "
                f"{_name(child)} (argument {index} of {child.op}): {sum_so_far}local derivative {_brief(local)} "
                f"× {kind} {_brief(upstream)} = {total}"
            )
    return GradientOverflowError(
        f"{where}: the {kind} of {_name(node)} is not finite although this pass adds up to {_brief(total)}: "
        "what it held before (leaves accumulate) was inf, NaN or too large; call zero_grad() between passes"
    )


def _reverse_overflow(where: str, order: list[Value], grad_of: Callable[[Value], float]) -> GradientOverflowError:
    """The error for a reverse pass over `order` (as ``backward()`` visits it) in which some
    gradient is not finite: the first such value, and the edge where its sum overflowed."""
    visits = order[::-1]
    position = next(k for k, node in enumerate(visits) if not isfinite(grad_of(node)))
    node = visits[position]
    terms = (
        (node, child, j, local, grad_of(child))
        for child in visits[:position]
        if grad_of(child)
        for j, (parent, local) in enumerate(zip(child.parents, child.local_grads))
        if parent is node
    )
    return _edge_overflow(where, "gradient", node, terms)
