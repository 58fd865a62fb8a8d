"""Neurons, layers and multi-layer perceptrons, called exactly as in micrograd 0.1.0.

>>> model = MLP(2, [16, 16, 1], seed=0)      # ReLU hidden layers, linear output
>>> score = model([1.0, -0.5])               # a Value, because the last layer has one neuron
>>> len(model.parameters())
337

A neuron's weighted input z = Σ wᵢxᵢ + b is one node (`weighted_sum`), followed by one
activation node, so δ = ∂C/∂z of every neuron is simply the grad of its z node.

`MLP.save(path)` writes a model as JSON and `load(path)` reads it back; the loaded model
gives the same outputs, bit for bit.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence

from micrograd._atomic import write_text_atomically
from micrograd._seeding import Seed
from micrograd._seeding import rng as _rng
from micrograd.engine import Value, _data_of, _lift, _weighted_sum_node

__all__ = ["ACTIVATIONS", "Layer", "MLP", "Module", "Neuron", "from_dict", "load"]

# name -> how a neuron applies it to its weighted input z (one op, so its input is z itself)
ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


FORMAT = "micrograd-mlp"  # the "format" tag of a saved model
FORMAT_VERSION = 1




def _check_size(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return n


def _check_activation(activation) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _as_inputs(x, nin: int) -> list[Value]:
    """A neuron's input as a list of Values: numbers become leaves, a lone value a list."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    elif isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(f"inputs must be a sequence of numbers or Values, got {type(x).__name__} {x!r}")
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
    ("relu", "tanh", "sigmoid", "linear") overrides it. `seed` (an int or a
    `random.Random`) makes the weights reproducible; without it they come from the global
    `random`, as in micrograd.
    """

    def __init__(self, nin: int, nonlin: bool = True, activation: str | None = None, seed: Seed = None) -> None:
        _check_size("nin", nin)
        if activation is None:
            activation = "relu" if nonlin else "linear"
        _check_activation(activation)
        rng = _rng(seed)
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.nonlin = activation != "linear"
        self._activate = ACTIVATIONS[activation]

    def __call__(self, x) -> Value:
        w = self.w
        if type(x) is not list or len(x) != len(w) or any(type(xi) is not Value for xi in x):
            x = _as_inputs(x, len(w))
        return self._forward(x, list(map(_data_of, x)))

    def _forward(self, x: list[Value], x_data: list[float]) -> Value:
        # The hot path: `x` is known to be a list of len(w) Values and x_data their data.
        z = _weighted_sum_node(self.w, x, self.b, x_data)
        return self._activate(z) if self._activate else z

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        name = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}[self.activation]
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons reading the same inputs. Returns a Value if `nout == 1`, else a list.

    Keyword arguments (`nonlin`, `activation`, `seed`) go to every `Neuron`; one seed
    makes one generator shared by all of them.
    """

    def __init__(self, nin: int, nout: int, **kwargs) -> None:
        _check_size("nout", nout)
        kwargs["seed"] = _rng(kwargs.get("seed"))  # one generator for all neurons
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x) -> list[Value]:
        """The layer's outputs, always as a list (`x` may hold numbers or Values)."""
        nin = len(self.neurons[0].w)
        if type(x) is not list or len(x) != nin or any(type(xi) is not Value for xi in x):
            x = _as_inputs(x, nin)
        x_data = list(map(_data_of, x))  # inputs checked and read once for all neurons
        return [n._forward(x, x_data) for n in self.neurons]

    def __call__(self, x):
        out = self.forward(x)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Fully connected layers of sizes `nouts`; hidden layers use `activation`, the last
    layer `output_activation` (linear, as micrograd). Returns a Value when the last layer
    has one neuron, else a list. Inputs may be numbers or Values.

    The same `seed` gives the same weights; no seed draws from `random`, as micrograd.

    >>> model = MLP(2, [4, 3], activation="tanh", seed=1)
    >>> len(model([0.5, -1.0]))
    3
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        seed: Seed = None,
        *,
        output_activation: str = "linear",
    ) -> None:
        _check_size("nin", nin)
        nouts = list(nouts)
        if not nouts:
            raise ValueError("nouts must list at least one layer size")
        for n in nouts:
            _check_size("every layer size in nouts", n)
        _check_activation(activation)  # even when there is no hidden layer to use it
        _check_activation(output_activation)
        rng = _rng(seed)
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=activation if i != last else output_activation, seed=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        layers = self.layers
        x = layers[0].forward(x)  # checks and converts the input once
        for layer in layers[1:]:
            # Lists between layers, so hidden layers of width 1 work; a layer's output is a
            # fresh list of Values, so it goes straight to the neurons.
            x_data = list(map(_data_of, x))
            x = [n._forward(x, x_data) for n in layer.neurons]
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

    # -- saving

    def save(self, path: str | os.PathLike) -> None:
        """Write the architecture, activations and weights to `path` as JSON, atomically.

        The file is replaced in one step (a temporary file in the same directory, then a
        rename), so a crash never leaves half a model behind. Floats are written with
        `repr`, which reads back to the identical float, so `load(path)` gives the same
        outputs bit for bit.
        """
        write_text_atomically(path, _dumps(_describe(self)))

    def to_dict(self) -> dict:
        """The saved file's content as a JSON-ready dict (`from_dict` reads it back)."""
        return _describe(self)


# --------------------------------------------------------------------------- save / load


def _describe(model: MLP) -> dict:
    """The JSON-ready description of `model`."""
    activations = []
    layers = []
    for i, layer in enumerate(model.layers):
        kinds = {n.activation for n in layer.neurons}
        if len(kinds) != 1:
            raise ValueError(f"cannot save: layer {i} mixes activations {sorted(kinds)}; a layer has one")
        activations.append(kinds.pop())
        layers.append(
            {
                "weights": [[w.data for w in n.w] for n in layer.neurons],
                "biases": [n.b.data for n in layer.neurons],
            }
        )
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "nin": len(model.layers[0].neurons[0].w),
        "nouts": [len(layer.neurons) for layer in model.layers],
        "activations": activations,
        "layers": layers,
    }


def _dumps(doc: dict) -> str:
    """JSON with one line per neuron's weights: small files a person can read and diff."""
    head = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items() if k != "layers")
    layers = []
    for layer in doc["layers"]:
        rows = ",\n".join(f"        {json.dumps(row)}" for row in layer["weights"])
        biases = json.dumps(layer["biases"])
        layers.append(f'    {{\n      "weights": [\n{rows}\n      ],\n      "biases": {biases}\n    }}')
    return "{\n" + head + ',\n  "layers": [\n' + ",\n".join(layers) + "\n  ]\n}\n"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a finite number")


def load(path: str | os.PathLike) -> MLP:
    """Read a model written by `MLP.save`. It gives the same outputs as the saved one.

    Raises `FileNotFoundError` if there is no such file and `ValueError`, naming the file
    and the problem, if it is empty, truncated, not JSON or not a well-formed model.
    """
    shown = os.fspath(path)

    def bad(what: str) -> ValueError:
        return ValueError(f"cannot load a model from {shown}: {what}")

    with open(path, "rb") as file:
        raw = file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad("the file is not UTF-8 text (not a saved model?)") from None
    if not text.strip():
        raise bad("the file is empty")
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise bad(f"not valid JSON, the file may be truncated ({error})") from None
    except ValueError as error:  # NaN / Infinity from _reject_constant
        raise bad(str(error)) from None
    return _build(doc, bad)


def from_dict(doc: object, source: str = "a model description") -> MLP:
    """The model that `MLP.to_dict()` described; `ValueError` naming `source` and the problem
    if `doc` is not a well-formed model.

    >>> model = MLP(2, [3, 1], seed=0)
    >>> from_dict(model.to_dict())([0.5, 1.0]).data == model([0.5, 1.0]).data
    True
    """

    def bad(what: str) -> ValueError:
        return ValueError(f"cannot load a model from {source}: {what}")

    return _build(doc, bad)


def _build(doc, bad) -> MLP:
    """An MLP from a parsed description, checking every field as it goes."""
    if not isinstance(doc, dict):
        raise bad(f"expected a JSON object, found {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise bad(f"'format' is {doc.get('format')!r}, expected {FORMAT!r}")
    version = doc.get("version")
    if not _is_int(version) or version < 1:
        raise bad(f"'version' must be a positive integer, found {version!r}")
    if version > FORMAT_VERSION:
        raise bad(f"format version {version} is newer than this micrograd reads ({FORMAT_VERSION})")
    for key in ("nin", "nouts", "activations", "layers"):
        if key not in doc:
            raise bad(f"the key {key!r} is missing")
    nin, nouts, activations, layers = doc["nin"], doc["nouts"], doc["activations"], doc["layers"]
    if not _is_int(nin) or nin < 1:
        raise bad(f"'nin' must be a positive integer, found {nin!r}")
    if not isinstance(nouts, list) or not nouts or not all(_is_int(n) and n >= 1 for n in nouts):
        raise bad(f"'nouts' must be a non-empty list of positive integers, found {nouts!r}")
    if not isinstance(activations, list) or len(activations) != len(nouts):
        raise bad(f"'activations' must list one activation per layer ({len(nouts)}), found {activations!r}")
    for i, name in enumerate(activations):
        if name not in ACTIVATIONS:
            raise bad(f"activations[{i}] is {name!r}; known: {', '.join(ACTIVATIONS)}")
    if not isinstance(layers, list) or len(layers) != len(nouts):
        found = len(layers) if isinstance(layers, list) else type(layers).__name__
        raise bad(f"'layers' must hold {len(nouts)} layers (one per entry of nouts), found {found}")

    built = []
    fan_in = nin
    for i, (entry, nout, activation) in enumerate(zip(layers, nouts, activations)):
        where = f"layers[{i}]"
        if not isinstance(entry, dict) or "weights" not in entry or "biases" not in entry:
            raise bad(f"{where} must be an object with 'weights' and 'biases'")
        weights, biases = entry["weights"], entry["biases"]
        if not isinstance(weights, list) or len(weights) != nout:
            raise bad(f"{where}.weights must hold {nout} rows (one per neuron), found {_length(weights)}")
        if not isinstance(biases, list) or len(biases) != nout:
            raise bad(f"{where}.biases must hold {nout} numbers (one per neuron), found {_length(biases)}")
        layer = Layer(fan_in, nout, activation=activation, seed=0)  # seeded: leaves `random` alone
        for j, (neuron, row, bias) in enumerate(zip(layer.neurons, weights, biases)):
            if not isinstance(row, list) or len(row) != fan_in:
                raise bad(f"{where}.weights[{j}] must hold {fan_in} numbers, found {_length(row)}")
            for k, w in enumerate(row):
                neuron.w[k].data = _number(w, f"{where}.weights[{j}][{k}]", bad)
            neuron.b.data = _number(bias, f"{where}.biases[{j}]", bad)
        built.append(layer)
        fan_in = nout

    model = MLP.__new__(MLP)  # the layers are built already: an MLP is nothing but its layers
    model.layers = built
    return model


def _is_int(x) -> bool:
    return type(x) is int


def _length(x) -> str:
    return str(len(x)) if isinstance(x, list) else f"a {type(x).__name__}"


def _number(x, where: str, bad) -> float:
    if type(x) in (int, float):
        try:
            value = float(x)
        except OverflowError:  # an int beyond the float range
            value = math.inf
        if math.isfinite(value):
            return value
    shown = repr(x) if len(repr(x)) < 40 else repr(x)[:40] + "..."
    raise bad(f"{where} must be a finite number, found {shown}")
