"""micrograd: a scalar reverse-mode autodiff engine that shows why backprop sums over paths.

>>> from micrograd import Value
>>> a, b = Value(2.0), Value(-3.0)
>>> c = a * b + a
>>> c.backward()
>>> a.grad, b.grad
(-2.0, 2.0)
"""

from importlib import import_module

from micrograd.engine import Value, enable_grad, is_grad_enabled, no_grad, topological_order, weighted_sum
from micrograd.gradcheck import GradcheckError, gradcheck  # eager: the module has the same name

__version__ = "0.2.0"

# Public names that live in other modules, imported on first use so that `import micrograd`
# stays pure standard library (drawing needs the optional `graphviz` package).
_LAZY = {
    "grad": "micrograd.autodiff",
    "hessian": "micrograd.autodiff",
    "count_edges": "micrograd.explain",
    "draw_dot": "micrograd.viz",
    "draw_network": "micrograd.viz",
    "paths": "micrograd.explain",
    "count_paths": "micrograd.explain",
    "forward_grad": "micrograd.explain",
    "Path": "micrograd.explain",
    "PathTable": "micrograd.explain",
    "backward_steps": "micrograd.steps",
    "BackwardSteps": "micrograd.steps",
}

__all__ = [
    "GradcheckError",
    "Value",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "weighted_sum",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'micrograd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
