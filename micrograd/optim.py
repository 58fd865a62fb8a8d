"""Optimisers: SGD (with momentum) and Adam, with PyTorch's update rules.

>>> from micrograd.nn import MLP
>>> model = MLP(2, [4, 1], seed=0)
>>> opt = SGD(model.parameters(), lr=0.1)
>>> loss = model([1.0, 2.0]) ** 2
>>> opt.zero_grad(); loss.backward(); opt.step()

The learning rate is the attribute `lr`; change it between steps for a schedule.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from micrograd._errors import _brief
from micrograd.engine import Value

__all__ = ["SGD", "Adam", "Optimizer"]


def _hyper(name: str, x, low: float = 0.0, high: float = math.inf, high_open: bool = False) -> float:
    """`x` as a float checked to lie in [low, high] (or [low, high) when `high_open`)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(x).__name__} {_brief(x)}")
    try:
        value = float(x)
    except OverflowError:  # an int beyond the float range
        value = math.inf
    if not math.isfinite(value) or value < low or value > high or (high_open and value == high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low:g}, {high:g}{bracket}, got {_brief(x)}")
    return value


class Optimizer:
    """Holds the parameters; `zero_grad()` resets their grads, `step()` updates them."""

    def __init__(self, params: Iterable[Value]) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()  # a Module: take its parameters, as a convenience
        if isinstance(params, Value):
            raise TypeError("params must be an iterable of Values (e.g. model.parameters()), got one Value")
        params = list(params)
        if not params:
            raise ValueError("the optimiser got an empty list of parameters")
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] must be a Value, got {type(p).__name__} {_brief(p)}")
            if id(p) in seen:
                raise ValueError(f"params[{i}] appears more than once; it would be updated twice per step")
            seen.add(id(p))
        self.params: list[Value] = params

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 (leaves accumulate across `backward()` calls)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def _apply(self, new_data: list[float]) -> None:
        # Every new value is checked before any is written, so a diverging step raises
        # and leaves the model as it was instead of half-updated with inf in it. Callers
        # commit their own state (moments, buffers, step count) only after this returns.
        for i, x in enumerate(new_data):
            if not math.isfinite(x):
                p = self.params[i]
                if not (math.isfinite(p.data) and math.isfinite(p.grad)):  # nothing overflowed: it came in
                    raise ValueError(
                        f"{type(self).__name__} step: parameter {i} has data {p.data!r} and grad {p.grad!r}, "
                        "which is not a finite number (was .data or .grad set to it?)"
                    )
                raise OverflowError(
                    f"{type(self).__name__} step made parameter {i} {x!r} (grad {self.params[i].grad!r}); "
                    f"the learning rate {self.lr!r} is probably too high"
                )
        for p, x in zip(self.params, new_data):
            p.data = x


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay (PyTorch's rule).

    Each step, for each parameter p with gradient g::

        d = g + weight_decay * p
        buf = d                     on the first step
        buf = momentum * buf + d    afterwards (when momentum > 0)
        p -= lr * buf               (p -= lr * d without momentum)
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params)
        self.lr = _hyper("lr", lr)
        self.momentum = _hyper("momentum", momentum, 0.0, 1.0)
        self.weight_decay = _hyper("weight_decay", weight_decay)
        self.buffers: list[float] | None = None  # momentum buffers, made on the first step

    def step(self) -> None:
        """Update every parameter from its current grad."""
        lr, momentum, wd = _hyper("lr", self.lr), self.momentum, self.weight_decay
        params = self.params
        d = [p.grad + wd * p.data for p in params] if wd else [p.grad for p in params]
        buffers = self.buffers
        if momentum:
            buffers = list(d) if buffers is None else [momentum * b + di for b, di in zip(buffers, d)]
            d = buffers
        self._apply([p.data - lr * di for p, di in zip(params, d)])
        self.buffers = buffers  # only once the step has succeeded: a failed step changes nothing


class Adam(Optimizer):
    """Adam (Kingma & Ba) with L2 weight decay added to the gradient, as PyTorch's `Adam`.

    Each step t = 1, 2, ... for each parameter p with gradient g::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g²
        m_hat = m / (1 - beta1**t)               v_hat = v / (1 - beta2**t)
        p -= lr * m_hat / (sqrt(v_hat) + eps)
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _hyper("lr", lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"betas must be a pair (beta1, beta2), got {_brief(betas)}") from None
        self.betas = (_hyper("betas[0]", beta1, 0.0, 1.0, True), _hyper("betas[1]", beta2, 0.0, 1.0, True))
        self.eps = _hyper("eps", eps)
        self.weight_decay = _hyper("weight_decay", weight_decay)
        self.t = 0  # steps taken
        self.m = [0.0] * len(self.params)  # first moments
        self.v = [0.0] * len(self.params)  # second moments

    def step(self) -> None:
        """Update every parameter from its current grad."""
        lr, (beta1, beta2), eps, wd = _hyper("lr", self.lr), self.betas, self.eps, self.weight_decay
        t = self.t + 1
        correction1 = 1.0 - beta1**t
        correction2 = 1.0 - beta2**t
        new_m, new_v, new_data = [], [], []
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad + wd * p.data if wd else p.grad
            m = beta1 * m + (1.0 - beta1) * g
            v = beta2 * v + (1.0 - beta2) * g * g
            new_m.append(m)
            new_v.append(v)
            denominator = math.sqrt(v / correction2) + eps
            # eps = 0 with a zero gradient so far: m is 0 too, and the step is 0, not 0/0.
            new_data.append(p.data - lr * (m / correction1) / denominator if denominator else p.data)
        for i, v in enumerate(new_v):  # g² can overflow while the step does not: v = inf would stall p for good
            if not math.isfinite(v):
                raise OverflowError(
                    f"Adam step: the squared gradient of parameter {i} overflows a float (grad {self.params[i].grad!r})"
                )
        self._apply(new_data)
        self.m, self.v, self.t = new_m, new_v, t
