"""`draw_network`: an MLP as columns of neurons, as in Nielsen's chapter 2."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from math import prod
from typing import TYPE_CHECKING, Any

from micrograd.engine import Value, enable_grad
from micrograd.notation import role, shown
from micrograd.viz._core import (
    DIMMED,
    GRAD_INK,
    HIGHLIGHT,
    KIND_COLOURS,
    _check_limit,
    _escape,
    _import_graphviz,
    _new_drawing,
    _plural,
    _value_list,
    fmt,
)

if TYPE_CHECKING:
    import graphviz

DEFAULT_MAX_NEURONS = 200  # neurons plus inputs in a network view


# --------------------------------------------------------------------------- draw_network


def _layers_of(model: object) -> list:
    """The layers of an MLP, a single Layer or a list of Layers, each with `.neurons`."""
    if isinstance(getattr(model, "layers", None), Sequence):
        layers = list(model.layers)
    elif isinstance(getattr(model, "neurons", None), Sequence):
        layers = [model]
    elif isinstance(model, Sequence) and model and not isinstance(model, (str, bytes)):
        layers = list(model)
    else:
        raise TypeError(f"draw_network needs an MLP, a Layer or a list of Layers, got {type(model).__name__}")
    for layer in layers:
        neurons = getattr(layer, "neurons", None)
        if not neurons or not all(hasattr(n, "w") and hasattr(n, "b") for n in neurons):
            raise TypeError(f"draw_network: {layer!r} is not a layer of neurons")
    return layers


@dataclass
class _Trace:
    """One forward pass seen neuron by neuron: the inputs, and each neuron's z and a."""

    inputs: list[Value]
    z: list[list[Value]]  # z[layer][neuron]
    a: list[list[Value]]
    grads: bool  # whether their grads mean something (the caller ran backward on them)


Spot = tuple[int, int]  # (column, index): column 0 holds the inputs, column c the neurons of layer c
Weight = tuple[int, int, int]  # (c, k, i): the weight into neuron k of column c from node i of column c - 1


def _own_grad(value: Value) -> float:
    return value.grad


@dataclass
class _Marks:
    """What a network drawing makes stand out, and where its gradients come from."""

    grad: Callable[[Value], float | None] = _own_grad  # None: not known yet, drawn as "?"
    spots: set[Spot] = field(default_factory=set)  # neurons (or inputs) with a red border
    weights: set[Weight] = field(default_factory=set)  # weights drawn thick in `colour`
    colour: str = HIGHLIGHT
    dim_others: bool = False  # grey out the weights not in `weights`
    caption: str = ""  # a line above the legend


def _trace(layers: list, outputs: list[Value], grads: bool) -> _Trace:
    """Recover every neuron's z and a by walking back from the network's `outputs`.

    A neuron's output is activation(z), whose only parent is z (or z itself for a
    linear neuron), and z = Σwx+b has parents (w₁…wₙ, x₁…xₙ, b): the x's are the outputs
    of the layer before. Identity checks make sure the outputs came from this model.
    """
    if len(outputs) != len(layers[-1].neurons):
        raise ValueError(f"outputs: the model has {len(layers[-1].neurons)} outputs, got {len(outputs)} values")
    zs, acts = [], []
    current = outputs
    for depth in range(len(layers) - 1, -1, -1):
        neurons = layers[depth].neurons
        layer_z = [_weighted_input(neuron, a, depth, k) for k, (neuron, a) in enumerate(zip(neurons, current))]
        n = len(neurons[0].w)
        before = list(layer_z[0].parents[n : 2 * n])
        if any(list(z.parents[n : 2 * n]) != before for z in layer_z):
            raise ValueError(f"outputs: the neurons of layer {depth + 1} did not read the same inputs")
        zs.append(layer_z)
        acts.append(current)
        current = before
    return _Trace(current, zs[::-1], acts[::-1], grads)


def _weighted_input(neuron: Any, a: Value, depth: int, k: int) -> Value:
    """The z node behind a neuron's output `a`, checked to be that neuron's."""
    z = a if neuron.activation == "linear" else (a.parents[0] if a.op == neuron.activation else None)
    n = len(neuron.w)
    if (
        z is None
        or len(z.parents) != 2 * n + 1
        or any(p is not w for p, w in zip(z.parents, neuron.w))
        or z.parents[-1] is not neuron.b
    ):
        raise ValueError(
            f"outputs were not computed by this model (layer {depth + 1}, neuron {k + 1} does not match): pass "
            "what model(x) returned, computed with gradients recorded (not under no_grad())"
        )
    return z


def _forward(layers: list, x: object) -> list[Value]:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"x must be the network's input numbers, got {type(x).__name__} {x!r}")
    values = x
    with enable_grad():  # z is found through the recorded graph, even inside no_grad()
        for layer in layers:
            values = layer.forward(values)
    return values


# Sizes in inches for _NetworkLayout.
_ROW_HEIGHT = 0.22
_GAP_BETWEEN_NEURONS = 0.6
_WEIGHT_LABEL_WIDTH = 0.75
_AUTO_WEIGHT_LABELS_UP_TO = 12  # weights between two columns; beyond this the labels crowd


def _grad_text(grad: float | None) -> str:
    return "?" if grad is None else fmt(grad)


def _network_table(
    title: str, rows: list[tuple[str, float, str | None]], colours: tuple, grads: bool, marked: bool = False
) -> str:
    """A neuron (or input) as a small table: name, value and ∂C/∂(name) (as text) per row;
    a red border when `marked`."""
    fill, border, _ = colours
    if marked:
        border = HIGHLIGHT
    span = 3 if grads else 2
    cells = [f'<TR><TD COLSPAN="{span}"><B>{title}</B></TD></TR>']
    if rows:
        grad_head = f'<TD ALIGN="RIGHT"><FONT COLOR="{GRAD_INK}">∂C/∂·</FONT></TD>' if grads else ""
        cells.append(f'<TR><TD></TD><TD ALIGN="RIGHT"><FONT COLOR="#707070">value</FONT></TD>{grad_head}</TR>')
    for name, value, grad in rows:
        grad_cell = ""
        if grads:
            # An empty cell, not an empty FONT: graphviz rejects <FONT></FONT>.
            shown = f'<FONT COLOR="{GRAD_INK}">{grad}</FONT>' if grad is not None else ""
            grad_cell = f'<TD ALIGN="RIGHT">{shown}</TD>'
        cells.append(f'<TR><TD ALIGN="LEFT"><I>{name}</I></TD><TD ALIGN="RIGHT">{fmt(value)}</TD>{grad_cell}</TR>')
    width = 2 if marked else 1
    return (
        f'<<TABLE BORDER="{width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" BGCOLOR="{fill}" COLOR="{border}">'
        f"{''.join(cells)}</TABLE>>"
    )


def _weight_colour(w: float) -> str:
    return "#3b6fb6" if w >= 0 else "#c0392b"  # blue excites, red inhibits


def _weight_label(w: Value, grads: bool, marks: _Marks, colour: str, name: str = "w") -> str:
    # ∂C/∂w goes under w without its name (the legend says so): a short label keeps the
    # columns close enough for Jupyter to show the drawing without shrinking its text.
    grad = f'<TR><TD><FONT COLOR="{GRAD_INK}">{_grad_text(marks.grad(w))}</FONT></TD></TR>' if grads else ""
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1" STYLE="rounded" BGCOLOR="white" '
        f'COLOR="{colour}"><TR><TD><FONT COLOR="{colour}">{_escape(name)} {fmt(w.data)}</FONT></TD></TR>{grad}</TABLE>>'
    )


def _pos(x: float, y: float) -> str:
    return f"{x:.2f},{y:.2f}!"  # "!" pins the node where we put it


def _network_legend(trace: _Trace | None, grads: bool, marks: _Marks) -> str:
    parts = ["blue: w &gt; 0, red: w &lt; 0, thicker: larger |w|"]
    if marks.dim_others:
        parts[0] = f'<FONT COLOR="{HIGHLIGHT}">highlighted paths</FONT>, other weights grey'
    if grads:
        known = "grads from your backward()" if marks.grad is _own_grad else "known so far, ? not yet"
        parts.append(f"∂C/∂·: {known}; on an edge, w above ∂C/∂w")
    if trace and trace.grads:
        parts.append("δ = ∂C/∂z")
    legend = "   ·   ".join(parts)
    if marks.caption:
        legend = f'<FONT COLOR="{HIGHLIGHT}" POINT-SIZE="12">{_escape(marks.caption)}</FONT><BR/>{legend}'
    return f'<<FONT POINT-SIZE="10">{legend}</FONT>>'


def draw_network(
    model: object,
    x: object = None,
    *,
    outputs: Value | Sequence[Value] | None = None,
    show_weights: bool | None = None,
    show_grads: bool = True,
    max_neurons: int | None = DEFAULT_MAX_NEURONS,
    highlight: Value | None = None,
    names: bool = False,
) -> graphviz.Digraph:
    """Draw an MLP as columns of neurons, as in Nielsen's "Neural Networks and Deep
    Learning", chapter 2.

    `model` is an MLP, a Layer or a list of Layers. Each neuron shows its bias b; each
    edge is a weight with its value w, blue for w > 0 and red for w < 0, thicker for
    larger |w|. With `show_grads`, ∂C/∂b and ∂C/∂w are shown too: they are ``b.grad``
    and ``w.grad``, so call ``backward()`` on your cost first. `show_weights` puts a
    label with w (and ∂C/∂w under it) on every edge; by default only when no two neighbouring
    columns are joined by more than 12 weights, beyond which the labels cannot fit.

    To see a forward pass too, pass one of
      - `x`, an input: the drawing runs the forward pass itself and shows every neuron's
        weighted input z and activation a (no ∂C/∂z: that pass has no cost);
      - `outputs`, what ``model(x)`` returned (or ``micrograd.nielsen.trace(...).output``)
        after you ran ``backward()`` on a cost C made from it: the drawing also shows
        ∂C/∂z (Nielsen's δ) and ∂C/∂a of every neuron, exactly as your backward pass
        computed them.

    `names` numbers the columns as Nielsen does (layer 1 is the input, so the first hidden
    layer is layer 2) and writes each weight's name on its edge, wˡⱼₖ (w³₁₂: into neuron 1 of
    layer 3, from neuron 2 of layer 2), so that a drawing reads in the notation of the text.

    `highlight` makes every path from one value to the outputs (and so to the cost) stand
    out: a weight or bias of the model, or (with `x` or `outputs`) an input, or a neuron's
    z or a. From a hidden activation of the 2-3-3-2 network there are 3 × 2 = 6 paths.

    More than `max_neurons` inputs and neurons raise ``ValueError`` (None: no limit).

    >>> from micrograd.nn import MLP
    >>> model = MLP(2, [3, 3, 2], activation="sigmoid", seed=0)
    >>> out = model([0.5, -1.0])
    >>> cost = 0.5 * ((out[0] - 1) ** 2 + out[1] ** 2)
    >>> cost.backward()
    >>> drawing = draw_network(model, outputs=out)   # z, a, δ, w and ∂C/∂w everywhere
    >>> drawing.engine                                # the view places its nodes itself
    'neato'
    """
    layers = _layers_of(model)
    _check_limit("max_neurons", max_neurons)
    sizes = [len(layers[0].neurons[0].w)] + [len(layer.neurons) for layer in layers]
    if max_neurons is not None and sum(sizes) > max_neurons:
        raise ValueError(
            f"draw_network: the model has {sum(sizes)} neurons and inputs, over the limit max_neurons={max_neurons}; "
            "draw a smaller model, or raise the limit with max_neurons=N (None for no limit)"
        )
    if x is not None and outputs is not None:
        raise ValueError("draw_network: pass x (to run a forward pass) or outputs (from your own), not both")
    if show_weights is None:
        show_weights = max(m * n for m, n in pairwise(sizes)) <= _AUTO_WEIGHT_LABELS_UP_TO
    _import_graphviz()

    trace = None
    if outputs is not None:
        trace = _trace(layers, _value_list("outputs", outputs), grads=True)
    elif x is not None:
        trace = _trace(layers, _forward(layers, x), grads=False)
    marks = _Marks()
    if highlight is not None:
        marks = _paths_from(highlight, layers, trace, sizes, names=names)
    return _network_drawing(layers, sizes, trace, show_weights, show_grads, marks, names=names)


def _network_drawing(
    layers: list,
    sizes: list[int],
    trace: _Trace | None,
    show_weights: bool,
    show_grads: bool,
    marks: _Marks,
    *,
    names: bool = False,
) -> graphviz.Digraph:
    """The network view of checked arguments, emphasising what `marks` says."""
    layout = _NetworkLayout(
        sizes, rows=2 + (3 if trace else 1), grads=show_grads, weight_labels=show_weights, named=names
    )
    drawing = _new_drawing("network", engine="neato", outputorder="edgesfirst", splines="line")
    drawing.attr(label=_network_legend(trace, show_grads, marks), labelloc="b")
    text = [marks.caption] if marks.caption else []
    for c, n in enumerate(sizes):
        title = _nielsen_title(layers, c) if names else _column_title(layers, c)
        drawing.node(f"title{c}", title, shape="plaintext", fontcolor="#505050", pos=layout.title(c))
        for k in range(n):
            if c == 0:
                label, line = _input_node(trace, k, show_grads, marks)
            else:
                label, line = _neuron_node(layers, trace, c, k, show_grads, marks)
            drawing.node(f"L{c}_{k}", label, shape="plain", pos=layout.node(c, k))
            text.append(line)
    largest = max(abs(w.data) for layer in layers for neuron in layer.neurons for w in neuron.w) or 1.0
    for c in range(1, len(sizes)):
        for k, neuron in enumerate(layers[c - 1].neurons):
            for i, w in enumerate(neuron.w):
                name = shown(role("w", c + 1, k + 1, i + 1)) if names else "w"
                _draw_weight(drawing, layout, (c - 1, i), (c, k), w, largest, show_weights, show_grads, marks, name)
    drawing.text_summary = "\n".join(text)
    weights = sum(m * n for m, n in pairwise(sizes))
    neurons = _plural(sum(sizes[1:]), "neuron")
    drawing.size = f"a {'-'.join(map(str, sizes))} network, {neurons}, {_plural(weights, 'weight')}"
    return drawing


def _paths_from(
    start: object, layers: list, trace: _Trace | None, sizes: list[int], names: bool = False
) -> _Marks:
    """Marks for every path from `start` (a weight, a bias, an input, a z or an a) to the outputs.

    The network is fully connected, so from neuron k of column c every neuron of every later
    column is reached, and the paths number the product of the later columns' sizes.
    """
    if not isinstance(start, Value):
        raise TypeError(
            f"highlight must be a Value of the network (a weight, bias, z or a), got {type(start).__name__}"
        )
    spot, weights, name = _locate(start, layers, trace)
    if names and start.label:
        name = shown(start.label)  # a²₁, w³₁₂: the value's own name, as the columns are numbered
    c, k = spot
    marked = {spot} | {(later, j) for later in range(c + 1, len(sizes)) for j in range(sizes[later])}
    weights |= {(c + 1, j, k) for j in range(sizes[c + 1])} if c + 1 < len(sizes) else set()
    weights |= {
        (later, j, i)
        for later in range(c + 2, len(sizes))
        for j in range(sizes[later])
        for i in range(sizes[later - 1])
    }
    count = prod(sizes[c + 1 :])
    caption = f"{count} path{'' if count == 1 else 's'} from {name} to the output{'s' if sizes[-1] > 1 else ''}"
    return _Marks(spots=marked, weights=weights, dim_others=True, caption=caption)


def _spot_name(layers: list, spot: Spot) -> str:
    """``input 2``, ``hidden layer 1, neuron 3``, ``output layer, neuron 1``."""
    c, k = spot
    return f"input {k + 1}" if c == 0 else f"{_column_title(layers, c, activation=False)}, neuron {k + 1}"


def _locate(value: Value, layers: list, trace: _Trace | None) -> tuple[Spot, set[Weight], str]:
    """Where `value` sits in the drawing: its neuron (or input), the weight it is (if one), a name."""
    for c, layer in enumerate(layers, 1):
        for k, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                if w is value:
                    return (
                        (c, k),
                        {(c, k, i)},
                        f"the weight {_spot_name(layers, (c - 1, i))} → {_spot_name(layers, (c, k))}",
                    )
            if neuron.b is value:
                return (c, k), set(), f"b of {_spot_name(layers, (c, k))}"
    if trace is not None:
        for i, x in enumerate(trace.inputs):
            if x is value:
                return (0, i), set(), f"input {i + 1}"
        for c, (zs, acts) in enumerate(zip(trace.z, trace.a), 1):
            for k, (z, a) in enumerate(zip(zs, acts)):
                if value is z or value is a:
                    return (c, k), set(), f"{'a' if value is a else 'z'} of {_spot_name(layers, (c, k))}"
    where = "the model's weights and biases" + (
        " or the traced forward pass" if trace else " (pass x or outputs for z, a)"
    )
    raise ValueError(f"highlight: {value!r} is none of {where}")


class _NetworkLayout:
    """Where the network view puts things, in inches: column c at x[c], its nodes
    centred on y = 0, the first at the top.

    Sizes are estimated from the tables' contents (12 pt text). The view places every
    node itself (neato with pinned positions) so that layers are exact columns and each
    weight's label sits on its own edge, not wherever `dot` finds room.
    """

    def __init__(self, sizes: list[int], rows: int, grads: bool, weight_labels: bool, named: bool = False) -> None:
        self.pitch = rows * _ROW_HEIGHT + 0.1 + _GAP_BETWEEN_NEURONS
        self.widths = [1.5 if grads else 0.8] + [1.7 if grads else 1.0] * (len(sizes) - 1)
        self.x = [0.0]
        for c in range(1, len(sizes)):
            if weight_labels:  # room for one label per source side by side
                between = (_WEIGHT_LABEL_WIDTH + (0.22 if named else 0.0)) * sizes[c - 1] + 0.3
            else:  # room for the fan of lines to stay apart
                between = max(1.4, 0.25 * max(sizes[c - 1], sizes[c]))
            self.x.append(self.x[-1] + (self.widths[c - 1] + self.widths[c]) / 2 + between)
        self.y = [[((n - 1) / 2 - k) * self.pitch for k in range(n)] for n in sizes]
        self.sizes = sizes

    def node(self, c: int, k: int) -> str:
        return _pos(self.x[c], self.y[c][k])

    def title(self, c: int) -> str:
        top = max(column[0] for column in self.y) + self.pitch / 2 + 0.1
        return _pos(self.x[c], top)

    def weight_label(self, source: tuple[int, int], target: tuple[int, int]) -> str:
        """A point on the straight edge from source to target, (column, index) each.

        Sources further down put their labels further right, so that labels of
        different edges seldom land on the same spot.
        """
        (c0, i), (c1, k) = source, target
        m = self.sizes[c0]
        t = 0.55 if m == 1 else 0.3 + 0.5 * i / (m - 1)
        x_start, x_end = self.x[c0] + self.widths[c0] / 2, self.x[c1] - self.widths[c1] / 2
        x = x_start + t * (x_end - x_start)
        slope = (self.y[c1][k] - self.y[c0][i]) / (self.x[c1] - self.x[c0])
        return _pos(x, self.y[c0][i] + (x - self.x[c0]) * slope)


def _nielsen_title(layers: list, c: int) -> str:
    """Column c as Nielsen numbers layers: ``layer 1 (input)``, ``layer 2 (hidden, sigmoid)``."""
    if c == 0:
        return "layer 1 (input)"
    kind = "output" if c == len(layers) else "hidden"
    activations = {neuron.activation for neuron in layers[c - 1].neurons}
    return f"layer {c + 1} ({kind}, {activations.pop()})" if len(activations) == 1 else f"layer {c + 1} ({kind})"


def _column_title(layers: list, c: int, activation: bool = True) -> str:
    if c == 0:
        return "inputs"
    title = "output layer" if c == len(layers) else f"hidden layer {c}"
    if not activation:
        return title
    activations = {neuron.activation for neuron in layers[c - 1].neurons}
    return f"{title} ({activations.pop()})" if len(activations) == 1 else title


def _draw_weight(
    drawing: graphviz.Digraph,
    layout: _NetworkLayout,
    source: tuple[int, int],
    target: tuple[int, int],
    w: Value,
    largest: float,
    labelled: bool,
    grads: bool,
    marks: _Marks,
    name: str = "w",
) -> None:
    """One weight: an edge coloured by its sign (red and thick when marked, grey when
    others are), as thick as |w|, labelled on the way."""
    tail, head = f"L{source[0]}_{source[1]}", f"L{target[0]}_{target[1]}"
    colour, width = _weight_colour(w.data), 0.6 + 2.4 * abs(w.data) / largest
    if (*target, source[1]) in marks.weights:
        colour, width = marks.colour, max(width, 2.5)
    elif marks.dim_others:
        colour = DIMMED
    style = {"color": colour, "penwidth": f"{width:.2f}"}
    if not labelled:
        drawing.edge(tail, head, **style)
        return
    # The label is a node on the edge: two straight halves look like one line through it.
    box = f"w{target[0]}_{target[1]}_{source[1]}"
    label = _weight_label(w, grads, marks, colour, name)
    drawing.node(box, label, shape="plain", fontsize="10", pos=layout.weight_label(source, target))
    drawing.edge(tail, box, arrowhead="none", **style)
    drawing.edge(box, head, **style)


def _input_node(trace: _Trace | None, i: int, show_grads: bool, marks: _Marks) -> tuple[str, str]:
    """The i-th input's table and its line in the text fallback."""
    value = trace.inputs[i] if trace else None
    title = _escape(shown(value.label)) if value is not None and value.label else f"x<SUB>{i + 1}</SUB>"
    grads = show_grads and trace is not None and trace.grads
    rows = []
    line = f"input x{i + 1}"
    if value is not None:
        grad = _grad_text(marks.grad(value))
        rows.append(("x", value.data, grad if grads else None))
        line += f": {fmt(value.data)}" + (f" (∂C/∂x {grad})" if grads else "")
    return _network_table(title, rows, KIND_COLOURS["input"], grads, (0, i) in marks.spots), line


def _neuron_node(
    layers: list, trace: _Trace | None, c: int, k: int, show_grads: bool, marks: _Marks
) -> tuple[str, str]:
    """Neuron k of layer c (1 = first hidden layer): its table and its text lines."""
    neuron = layers[c - 1].neurons[k]

    def shown(name: str, v: Value, grad_known: bool) -> str:
        return f"{name} {fmt(v.data)}" + (f" (∂C/∂{name} {_grad_text(marks.grad(v))})" if grad_known else "")

    rows = [("b", neuron.b.data, _grad_text(marks.grad(neuron.b)))]
    parts = [shown("b", neuron.b, show_grads)]
    if trace:
        z, a = trace.z[c - 1][k], trace.a[c - 1][k]
        grads = show_grads and trace.grads
        rows += [(name, v.data, _grad_text(marks.grad(v)) if grads else None) for name, v in (("z", z), ("a", a))]
        parts += [shown("z", z, grads), shown("a", a, grads)]
    source = "x" if c == 1 else "neuron "
    weights = [shown("w", w, show_grads) + f" from {source}{i + 1}" for i, w in enumerate(neuron.w)]
    name = f"{_column_title(layers, c, activation=False)}, neuron {k + 1} ({neuron.activation})"
    line = f"{name}: {', '.join(parts)}\n    " + "; ".join(weights)
    colours = KIND_COLOURS["output" if c == len(layers) else "interior"]
    return _network_table(f"neuron {k + 1}", rows, colours, show_grads, (c, k) in marks.spots), line
