"""Neurons, layers and multi-layer perceptrons, called exactly as in micrograd 0.1.0.

>>> model = MLP(2, [16, 16, 1], seed=0)      # ReLU hidden layers, linear output
>>> score = model([Value(1.0), Value(-0.5)])  # a Value, because the last layer has one neuron
>>> len(model.parameters())
337

A neuron's weighted input z = Σ wᵢxᵢ + b is one node (`weighted_sum`), followed by one
activation node, so δ = ∂C/∂z of every neuron is simply the grad of its z node.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from micrograd.engine import Value, _lift, weighted_sum

__all__ = ["ACTIVATIONS", "Layer", "MLP", "Module", "Neuron"]

# name -> how a neuron applies it to its weighted input z
ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}

Seed = int | random.Random | None


def _rng(seed: Seed):
    """No seed: the global `random` module, so `random.seed(...)` works as in micrograd."""
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__} {seed!r}")
    return random.Random(seed)


def _check_size(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return n


def _as_inputs(x, nin: int) -> list[Value]:
    """A neuron's input as a list of Values: numbers become leaves, a lone value a list."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    inputs = []
    for xi in x:
        v = _lift(xi)
        if v is None:
            raise TypeError(f"inputs must be numbers or Values, got {type(xi).__name__} {xi!r}")
        inputs.append(v)
    if len(inputs) != nin:
        raise ValueError(f"expected {nin} inputs, got {len(inputs)}")
    return inputs


class Module:
    """Something with parameters: `parameters()` lists them, `zero_grad()` resets them."""

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        return []


class Neuron(Module):
    """activation(Σ wᵢxᵢ + b), weights uniform in [-1, 1], bias 0 (as micrograd).

    `nonlin=True` means ReLU and `nonlin=False` linear, as in micrograd; `activation`
    ("relu", "tanh", "sigmoid", "linear") overrides it.
    """

    def __init__(self, nin: int, nonlin: bool = True, activation: str | None = None, seed: Seed = None) -> None:
        _check_size("nin", nin)
        if activation is None:
            activation = "relu" if nonlin else "linear"
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        rng = _rng(seed)
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.nonlin = activation != "linear"
        self._activate = ACTIVATIONS[activation]

    def __call__(self, x) -> Value:
        w = self.w
        if type(x) is not list or any(type(xi) is not Value for xi in x) or len(x) != len(w):
            x = _as_inputs(x, len(w))
        z = weighted_sum(w, x, self.b)
        return self._activate(z) if self._activate else z

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        name = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}[self.activation]
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons reading the same inputs. Returns a Value if `nout == 1`, else a list."""

    def __init__(self, nin: int, nout: int, **kwargs) -> None:
        _check_size("nout", nout)
        kwargs["seed"] = _rng(kwargs.get("seed"))  # one generator for all neurons
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x) -> list[Value]:
        """The layer's outputs, always as a list."""
        neurons = self.neurons
        if type(x) is not list or any(type(xi) is not Value for xi in x):
            x = _as_inputs(x, len(neurons[0].w))
        return [n(x) for n in neurons]

    def __call__(self, x):
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Fully connected layers of sizes `nouts`; hidden layers use `activation`, the last
    layer is linear. Returns a Value when the last layer has one neuron, else a list.

    The same `seed` gives the same weights; no seed draws from `random`, as micrograd.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", seed: Seed = None) -> None:
        _check_size("nin", nin)
        nouts = list(nouts)
        if not nouts:
            raise ValueError("nouts must list at least one layer size")
        rng = _rng(seed)
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=activation if i != last else "linear", seed=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer.forward(x)  # lists between layers, so hidden layers of width 1 work
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
