"""micrograd: a scalar reverse-mode autodiff engine that shows why backprop sums over paths."""

from micrograd.engine import Value, is_grad_enabled, no_grad, topological_order, weighted_sum

__all__ = ["Value", "is_grad_enabled", "no_grad", "topological_order", "weighted_sum"]
__version__ = "0.2.0"
