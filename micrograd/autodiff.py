"""Gradients as return values, and derivatives of derivatives.

`grad(output, inputs)` runs the same reverse pass as `backward()` but returns the
gradients instead of writing `.grad`. With ``create_graph=True`` it evaluates every
op's local-derivative rule on `Value`s instead of floats (the rules in `engine` are plain
arithmetic, so the same rule serves both), which records the derivative itself as a
graph: the result can be differentiated again, to any order.

>>> from micrograd import Value
>>> x = Value(3.0)
>>> y = x ** 3
>>> (dy,) = grad(y, [x], create_graph=True)     # 3x² = 27, as a Value
>>> grad(dy, [x])                                # 6x = 18
[18.0]
>>> hessian(lambda a, b: a * a * b, [1.0, 2.0])  # [[2b, 2a], [2a, 0]]
[[4.0, 2.0], [2.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from math import isfinite

from micrograd._errors import GradientOverflowError, _brief, _name, _reverse_overflow
from micrograd.engine import Value, _keeping_overflowing_locals, enable_grad, topological_order

__all__ = ["grad", "hessian"]


def _check_values(name: str, items) -> list[Value]:
    items = list(items)
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{name} must be Values, got {type(item).__name__} {_brief(item)}")
    return items


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list:
    """d(output)/d(input) for each of `inputs`, without touching any ``.grad``.

    Returns floats, or with ``create_graph=True`` Values that record how each
    derivative depends on the inputs (so ``grad`` can be applied to them again). An input
    that `output` does not depend on gets 0. Only the paths from the inputs to the output
    are summed, so a gradient elsewhere (a constant's, say) may overflow harmlessly.

    A gradient that overflows a float raises `GradientOverflowError` naming the value and
    the edge. With ``create_graph=True`` every number of the derivative graph is a Value,
    so a derivative that overflows is that error too. Where only the derivative *of the
    derivative* overflows (``log(x)`` below about 1e-154, where -1/x² is beyond floats),
    the derivative is returned, its graph recording that local derivative as inf; going one
    order further along it raises the `GradientOverflowError`.
    """
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__name__} {_brief(output)}")
    inputs = _check_values("inputs", inputs)
    order = topological_order(output)
    wanted = _on_paths_from(inputs, order)
    adjoints: dict[Value, float | Value] = {output: 1.0}
    # The derivative graph may record a local derivative that overflows, as inf (see above).
    keeping = _keeping_overflowing_locals() if create_graph else nullcontext()
    with enable_grad(), keeping:  # the derivative graph is recorded even inside no_grad()
        for node in reversed(order):
            g = adjoints.get(node)
            if g is None or node.is_leaf():
                if type(g) is float and not isfinite(g):  # a requested leaf: its sum is complete
                    raise _reverse_overflow("grad()", order, lambda n: _float(adjoints.get(n, 0.0)))
                continue
            if type(g) is float:
                if not isfinite(g):
                    raise _reverse_overflow("grad()", order, lambda n: _float(adjoints.get(n, 0.0)))
                if not g:  # adds nothing (and keeps 0 * inf from NaN), as in backward()
                    continue
            parents = node.parents
            try:
                # create_graph: evaluate the op's rule on the Values themselves, so each local
                # derivative is a Value connected to the inputs; otherwise use the recorded floats.
                locals_ = node.op.local(node, *parents) if create_graph else node.local_grads
                for parent, local in zip(parents, locals_):
                    if parent in wanted:
                        term = local * g
                        previous = adjoints.get(parent)
                        adjoints[parent] = term if previous is None else previous + term
            except OverflowError as error:  # a Value of the derivative graph overflowed
                raise GradientOverflowError(
                    f"grad(create_graph=True): the derivative through {_name(node)} overflows a float: {error}"
                ) from None
    results = [adjoints.get(x, 0.0) for x in inputs]
    if create_graph:
        return [r if isinstance(r, Value) else Value(r) for r in results]
    return [_float(r) for r in results]


def _float(x: float | Value) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _on_paths_from(inputs: list[Value], order: list[Value]) -> set[Value]:
    """The values in `order` that depend on one of `inputs` (the inputs included): the only
    ones whose gradients reach an input."""
    reached = set(inputs)
    for node in order:
        if node not in reached and any(p in reached for p in node.parents):
            reached.add(node)
    return reached


def hessian(f: Callable[..., Value], inputs: Sequence[float]) -> list[list[float]]:
    """The matrix of second derivatives of ``f(*values)`` at the floats `inputs`.

    ``H[i][j] = ∂²f / ∂xᵢ∂xⱼ``: one reverse pass records the gradient as a graph, then one
    reverse pass over that graph per input gives a row.
    """
    xs = [Value(x) for x in inputs]
    with enable_grad():  # inside a caller's no_grad() nothing would be recorded: all zeros
        y = f(*xs)
    if not isinstance(y, Value):
        raise TypeError(f"f must return a Value, got {type(y).__name__} {_brief(y)}")
    first = grad(y, xs, create_graph=True)
    return [grad(g, xs) for g in first]
