"""Neurons, layers and multi-layer perceptrons, called exactly as in micrograd 0.1.0.

>>> model = MLP(2, [16, 16, 1], seed=0)      # ReLU hidden layers, linear output
>>> score = model([1.0, -0.5])               # a Value, because the last layer has one neuron
>>> len(model.parameters())
337

A neuron's weighted input z = Σ wᵢxᵢ + b is one node (`weighted_sum`), followed by one
activation node, so δ = ∂C/∂z of every neuron is simply the grad of its z node.

An `MLP` names the values it builds by their role, in the notebooks' (Nielsen's) notation
(`micrograd.notation`): the input is layer 1, so the first hidden layer is layer 2, and
neurons and inputs count from 1. ``w[l,j,k]`` is the weight from neuron k of layer l − 1
(input k when l = 2) to neuron j of layer l, ``b[l,j]`` its bias, ``z[l,j]`` its weighted
input and ``a[l,j]`` its activation (a linear neuron's output is its ``z[l,j]``); inputs
given as numbers become ``x[k]``. Drawings and tables show them as w²₁₃, z²₁, a²₁, x₁. A
label you set always wins: an input Value keeps its own, and a parameter you relabel keeps
the new one.

>>> model = MLP(2, [3, 3, 2], seed=1)               # Nielsen's 2-3-3-2: layers 2 and 3 hidden
>>> model.layers[0].neurons[0].w[1].label, model.layers[2].neurons[1].b.label
('w[2,1,2]', 'b[4,2]')
>>> out = model([0.5, -1.0])
>>> [v.label for v in out[1].parents]              # a linear output: z⁴₂ = Σₖ w⁴₂ₖ a³ₖ + b⁴₂
['w[4,2,1]', 'w[4,2,2]', 'w[4,2,3]', 'a[3,1]', 'a[3,2]', 'a[3,3]', 'b[4,2]']

`MLP.save(path)` writes a model as JSON and `load(path)` reads it back; the loaded model
gives the same outputs, bit for bit.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Sequence

from micrograd._atomic import write_text_atomically
from micrograd._errors import _brief
from micrograd._seeding import Seed
from micrograd._seeding import rng as _rng
from micrograd.engine import Value, _data_of, _lift, _weighted_sum_node
from micrograd.notation import role

__all__ = ["ACTIVATIONS", "MAX_FILE_BYTES", "MAX_PARAMETERS", "Layer", "MLP", "Module", "Neuron", "from_dict", "load"]

# name -> how a neuron applies it to its weighted input z (one op, so its input is z itself)
ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


FORMAT = "micrograd-mlp"  # the "format" tag of a saved model
FORMAT_VERSION = 1
MAX_PARAMETERS = 1_000_000  # weights and biases `load` builds at most (~150 MB of Values)
MAX_FILE_BYTES = 64 * MAX_PARAMETERS  # a saved number takes at most ~26 bytes, with room for spacing


def _check_size(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {_brief(n)}")
    return n


def _check_activation(activation) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _as_inputs(x, nin: int, labels: Sequence[str] | None = None) -> list[Value]:
    """A neuron's input as a list of Values: numbers become leaves (labelled `labels[k]`
    when given), a lone value a list."""
    if isinstance(x, (Value, int, float)):
        x = [x]
    elif isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(f"inputs must be a sequence of numbers or Values, got {type(x).__name__} {_brief(x)}")
    inputs = []
    for k, xi in enumerate(x):
        v = _lift(xi)
        if v is None:
            raise TypeError(f"inputs must be numbers or Values, got {type(xi).__name__} {_brief(xi)}")
        if v is not xi and labels is not None and k < len(labels):  # a number we wrapped: name it
            v.label = labels[k]
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

    A neuron on its own names nothing; in an `MLP` it knows its place and names its
    weights, bias, z and a (see the module's docstring).
    """

    # The labels its z and a get on every forward pass ("" until an MLP names them); class
    # defaults, so that neurons pickled before they had names still work.
    _z_label = ""
    _a_label = ""

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
        z.label = self._z_label  # one store per node: naming costs nothing measurable
        if self._activate is None:
            return z
        a = self._activate(z)
        a.label = self._a_label
        return a

    def _name(self, layer: int, j: int) -> None:
        """Name this neuron's values as neuron `j` of layer `layer` (Nielsen's count); a
        parameter that already has a label keeps it."""
        for k, w in enumerate(self.w, 1):
            if not w.label:
                w.label = role("w", layer, j, k)
        if not self.b.label:
            self.b.label = role("b", layer, j)
        self._z_label = role("z", layer, j)
        self._a_label = role("a", layer, j)

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

    _input_labels: list[str] | None = None  # x[1], x[2]... for the first layer of an MLP

    def _name(self, layer: int) -> None:
        """Name the neurons' values as layer `layer` (Nielsen's count: 2 is the first hidden)."""
        for j, neuron in enumerate(self.neurons, 1):
            neuron._name(layer, j)
        if layer == 2:
            self._input_labels = [role("x", k) for k in range(1, len(self.neurons[0].w) + 1)]

    def forward(self, x) -> list[Value]:
        """The layer's outputs, always as a list (`x` may hold numbers or Values)."""
        nin = len(self.neurons[0].w)
        if type(x) is not list or len(x) != nin or any(type(xi) is not Value for xi in x):
            x = _as_inputs(x, nin, self._input_labels)
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
    Its values are named by their role (``w[2,1,1]``, ``z[2,1]``...: see the module's
    docstring for the numbering).

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
        _name_values(self)

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
        rename), so a crash never leaves half a model behind; through a symbolic link the
        link's target is replaced, and an existing file keeps its permissions. Only SIGKILL
        or a crash can leave the temporary ``.NAME.XXXXXXXX.tmp`` behind (`micrograd._atomic`). Floats are written with
        `repr`, which reads back to the identical float, so `load(path)` gives the same
        outputs bit for bit.
        """
        write_text_atomically(path, _dumps(_describe(self)))

    def to_dict(self) -> dict:
        """The saved file's content as a JSON-ready dict (`from_dict` reads it back)."""
        return _describe(self)


def _name_values(model: MLP) -> None:
    """Give every layer its number, Nielsen's: the input is layer 1, the first hidden layer 2."""
    for layer_number, layer in enumerate(model.layers, 2):
        layer._name(layer_number)


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


def load(path: str | os.PathLike) -> MLP:
    """Read a model written by `MLP.save`. It gives the same outputs as the saved one.

    Raises `FileNotFoundError` if there is no such file and `ValueError`, naming the file
    and the problem, for anything else that is not a well-formed model: an empty,
    truncated, binary or non-JSON file, JSON nested deeper than Python's reader allows, a
    wrong shape, count or type anywhere. The whole description is checked before any
    weight is built, and a model may hold at most `MAX_PARAMETERS` weights and biases in a
    file of at most `MAX_FILE_BYTES`, so no file can make `load` exhaust memory. A UTF-8
    byte order mark at the start (some Windows editors add one) is accepted.
    """
    shown = os.fspath(path)

    def bad(what: str) -> ValueError:
        return ValueError(f"cannot load a model from {shown}: {what}")

    if stat.S_ISFIFO(os.stat(path).st_mode):  # opening one would wait for a writer, maybe forever
        raise bad("it is a named pipe, not a model file")
    with open(path, "rb") as file:
        raw = _read_at_most(file, MAX_FILE_BYTES + 1)  # a huge file, or /dev/zero, is refused
    if len(raw) > MAX_FILE_BYTES:
        raise bad(f"the file is larger than {MAX_FILE_BYTES:,} bytes, more than any loadable model")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise bad("the file is UTF-16 text; a model file is UTF-8")
    try:
        text = raw.decode("utf-8-sig")  # "-sig": a leading byte order mark is dropped
    except UnicodeDecodeError:
        raise bad("the file is not UTF-8 text (not a saved model?)") from None
    if not text.strip():
        raise bad("the file is empty")
    _check_skeleton(text, bad)  # before json builds anything: no file builds more than a model needs
    try:
        # NaN and Infinity are read as floats so that the check of each field rejects them
        # by name (a weight, 'nin', ...) like every other non-finite number.
        doc = json.loads(text, parse_constant=float)
    except json.JSONDecodeError as error:
        raise bad(f"not valid JSON, the file may be truncated ({error})") from None
    except RecursionError:
        raise bad("the JSON is nested too deeply to be a model") from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        raise bad("a number in the file has too many digits") from None
    return _build(_checked(doc, bad))


# What the JSON of the largest loadable model can hold, so that a file is measured before it
# is parsed. Its containers: the top object, nouts, activations, layers, and per layer an
# object, its weights, one row per neuron and its biases: 4 + 3·layers + neurons, and since
# every neuron has at least two parameters (a weight and its bias) and every layer a neuron,
# at most 4 + 2·MAX_PARAMETERS. Its values (so its commas): the parameters, one size and one
# activation per layer, and a few keys, at most MAX_PARAMETERS + 4 per container. Its depth:
# {"layers": [{"weights": [[...]]}]} is 5 deep.
MAX_JSON_DEPTH = 5
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _json_limits() -> tuple[int, int]:
    """(containers, commas) the JSON of a model of `MAX_PARAMETERS` parameters can hold."""
    containers = 4 + 2 * MAX_PARAMETERS
    return containers, MAX_PARAMETERS + 4 * containers


def _check_skeleton(text: str, bad) -> None:
    """Refuse, before parsing, JSON no model file can be: more containers, values or nesting
    than the largest loadable model needs. Counting takes a few C-speed passes over the text
    and memory for one copy of it, where parsing 21 million tiny containers took 1.6 GB."""
    max_containers, max_commas = _json_limits()
    skeleton = _JSON_STRING.sub('""', text)  # brackets and commas inside strings are not structure
    containers = skeleton.count("[") + skeleton.count("{")
    if containers > max_containers:
        raise bad(f"the JSON holds {containers:,} arrays and objects; a model file holds at most {max_containers:,}")
    commas = skeleton.count(",")
    if commas > max_commas:
        raise bad(f"the JSON holds {commas:,} values; a model file holds at most {max_commas:,}")
    depth = 0
    for match in _BRACKET.finditer(skeleton):  # at most max_containers opening brackets
        if match.group() in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise bad(f"the JSON is nested more than {MAX_JSON_DEPTH} deep; a model file is never deeper")
        else:
            depth -= 1


def from_dict(doc: object, source: str = "a model description") -> MLP:
    """The model that `MLP.to_dict()` described; `ValueError` naming `source` and the problem
    if `doc` is not a well-formed model (checked whole, with `load`'s limits, before anything
    is built).

    >>> model = MLP(2, [3, 1], seed=0)
    >>> from_dict(model.to_dict())([0.5, 1.0]).data == model([0.5, 1.0]).data
    True
    """

    def bad(what: str) -> ValueError:
        return ValueError(f"cannot load a model from {source}: {what}")

    return _build(_checked(doc, bad))


def _read_at_most(file, limit: int) -> bytes:
    # In pieces: file.read(limit) would reserve `limit` bytes whatever the file's size.
    chunks, size = [], 0
    while size < limit:
        chunk = file.read(min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class _Description:
    """A checked model description: every size, name and number known to be usable."""

    def __init__(self, nin: int, nouts: list[int], activations: list[str], layers: list) -> None:
        self.nin, self.nouts, self.activations = nin, nouts, activations
        self.layers = layers  # per layer: (rows of float weights, float biases)


def _checked(doc, bad) -> _Description:
    """Check the whole parsed description, its size first, before anything is built."""
    if not isinstance(doc, dict):
        raise bad(f"expected a JSON object, found {_shown(doc)}")
    if doc.get("format") != FORMAT:
        raise bad(f"'format' is {_shown(doc.get('format'))}, expected {FORMAT!r}")
    version = doc.get("version")
    if not _is_int(version) or version < 1:
        raise bad(f"'version' must be a positive integer, found {_shown(version)}")
    if version > FORMAT_VERSION:
        raise bad(f"format version {_shown(version)} is newer than this micrograd reads ({FORMAT_VERSION})")
    for key in ("nin", "nouts", "activations", "layers"):
        if key not in doc:
            raise bad(f"the key {key!r} is missing")
    nin, nouts, activations, layers = doc["nin"], doc["nouts"], doc["activations"], doc["layers"]
    if not _is_int(nin) or nin < 1:
        raise bad(f"'nin' must be a positive integer, found {_shown(nin)}")
    if not isinstance(nouts, list) or not nouts or not all(_is_int(n) and n >= 1 for n in nouts):
        raise bad(f"'nouts' must be a non-empty list of positive integers, found {_shown(nouts)}")
    sizes = [nin] + nouts
    count = sum((fan_in + 1) * nout for fan_in, nout in zip(sizes, nouts))
    if count > MAX_PARAMETERS:
        many = f"{count:,}" if count < 10**30 else f"about 10^{int(count.bit_length() * 0.30103)}"
        raise bad(f"the model would have {many} parameters; load reads at most {MAX_PARAMETERS:,}")
    if not isinstance(activations, list) or len(activations) != len(nouts):
        raise bad(f"'activations' must list one activation per layer ({len(nouts)}), found {_shown(activations)}")
    for i, name in enumerate(activations):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise bad(f"activations[{i}] is {_shown(name)}; known: {', '.join(ACTIVATIONS)}")
    if not isinstance(layers, list) or len(layers) != len(nouts):
        raise bad(f"'layers' must hold {len(nouts)} layers (one per entry of nouts), found {_length(layers)}")
    checked = []
    for i, (entry, fan_in, nout) in enumerate(zip(layers, sizes, nouts)):
        where = f"layers[{i}]"
        if not isinstance(entry, dict) or "weights" not in entry or "biases" not in entry:
            raise bad(f"{where} must be an object with 'weights' and 'biases', found {_shown(entry)}")
        weights, biases = entry["weights"], entry["biases"]
        if not isinstance(weights, list) or len(weights) != nout:
            raise bad(f"{where}.weights must hold {nout} rows (one per neuron), found {_length(weights)}")
        if not isinstance(biases, list) or len(biases) != nout:
            raise bad(f"{where}.biases must hold {nout} numbers (one per neuron), found {_length(biases)}")
        rows = []
        for j, row in enumerate(weights):
            if not isinstance(row, list) or len(row) != fan_in:
                raise bad(f"{where}.weights[{j}] must hold {fan_in} numbers, found {_length(row)}")
            rows.append([_number(w, f"{where}.weights[{j}][{k}]", bad) for k, w in enumerate(row)])
        checked.append((rows, [_number(b, f"{where}.biases[{j}]", bad) for j, b in enumerate(biases)]))
    return _Description(nin, nouts, activations, checked)


def _build(description: _Description) -> MLP:
    """The MLP a checked description describes."""
    built = []
    fan_in = description.nin
    for (rows, biases), nout, activation in zip(description.layers, description.nouts, description.activations):
        layer = Layer(fan_in, nout, activation=activation, seed=0)  # seeded: leaves `random` alone
        for neuron, row, bias in zip(layer.neurons, rows, biases):
            for w, x in zip(neuron.w, row):
                w.data = x
            neuron.b.data = bias
        built.append(layer)
        fan_in = nout
    model = MLP.__new__(MLP)  # the layers are built already: an MLP is nothing but its layers
    model.layers = built
    _name_values(model)
    return model


def _is_int(x) -> bool:
    return type(x) is int


def _shown(x) -> str:
    """A JSON value as a message shows it: short, whatever its size or nesting."""
    if isinstance(x, (list, dict)):
        return f"a JSON {'array' if isinstance(x, list) else 'object'} of {len(x)} items"
    if _is_int(x) and abs(x) >= 10**30:  # never str(): past sys.get_int_max_str_digits() it raises
        return f"an integer of about {int(abs(x).bit_length() * 0.30103) + 1:,} digits"
    text = repr(x)
    return text if len(text) <= 40 else text[:39] + "…"


def _length(x) -> str:
    return str(len(x)) if isinstance(x, list) else _shown(x)


def _number(x, where: str, bad) -> float:
    if type(x) in (int, float):
        try:
            value = float(x)
        except OverflowError:  # an int beyond the float range
            value = math.inf
        if math.isfinite(value):
            return value
    raise bad(f"{where} must be a finite number, found {_shown(x)}")
