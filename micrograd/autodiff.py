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

from micrograd.engine import Value, enable_grad, topological_order

__all__ = ["grad", "hessian"]


def _check_values(name: str, items) -> list[Value]:
    items = list(items)
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{name} must be Values, got {type(item).__name__} {item!r}")
    return items


def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list:
    """d(output)/d(input) for each of `inputs`, without touching any ``.grad``.

    Returns floats, or with ``create_graph=True`` Values that record how each
    derivative depends on the inputs (so ``grad`` can be applied to them again). An input
    that `output` does not depend on gets 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__name__} {output!r}")
    inputs = _check_values("inputs", inputs)
    adjoints: dict[Value, float | Value] = {output: 1.0}
    with enable_grad():  # the derivative graph is recorded even inside no_grad()
        for node in reversed(topological_order(output)):
            g = adjoints.get(node)
            if g is None or node.is_leaf():
                continue
            parents = node.parents
            # create_graph: evaluate the op's rule on the Values themselves, so each local
            # derivative is a Value connected to the inputs; otherwise use the recorded floats.
            locals_ = node.op.local(node, *parents) if create_graph else node.local_grads
            for parent, local in zip(parents, locals_):
                term = local * g
                previous = adjoints.get(parent)
                adjoints[parent] = term if previous is None else previous + term
    results = [adjoints.get(x, 0.0) for x in inputs]
    if create_graph:
        return [r if isinstance(r, Value) else Value(r) for r in results]
    return [r.data if isinstance(r, Value) else float(r) for r in results]


def hessian(f: Callable[..., Value], inputs: Sequence[float]) -> list[list[float]]:
    """The matrix of second derivatives of ``f(*values)`` at the floats `inputs`.

    ``H[i][j] = ∂²f / ∂xᵢ∂xⱼ``: one reverse pass records the gradient as a graph, then one
    reverse pass over that graph per input gives a row.
    """
    xs = [Value(x) for x in inputs]
    y = f(*xs)
    if not isinstance(y, Value):
        raise TypeError(f"f must return a Value, got {type(y).__name__} {y!r}")
    first = grad(y, xs, create_graph=True)
    return [grad(g, xs) for g in first]
