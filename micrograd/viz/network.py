"""`draw_network`: an MLP as columns of neurons, as in Nielsen's chapter 2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from micrograd.engine import Value, enable_grad
from micrograd.viz._core import (
    GRAD_INK,
    KIND_COLOURS,
    _check_limit,
    _escape,
    _import_graphviz,
    _new_drawing,
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


def _network_table(title: str, rows: list[tuple[str, float, float | None]], colours: tuple, grads: bool) -> str:
    """A neuron (or input) as a small table: name, value and ∂C/∂(name) per row."""
    fill, border, _ = colours
    span = 3 if grads else 2
    cells = [f'<TR><TD COLSPAN="{span}"><B>{title}</B></TD></TR>']
    if rows:
        grad_head = f'<TD ALIGN="RIGHT"><FONT COLOR="{GRAD_INK}">∂C/∂·</FONT></TD>' if grads else ""
        cells.append(f'<TR><TD></TD><TD ALIGN="RIGHT"><FONT COLOR="#707070">value</FONT></TD>{grad_head}</TR>')
    for name, value, grad in rows:
        grad_cell = ""
        if grads:
            # An empty cell, not an empty FONT: graphviz rejects <FONT></FONT>.
            shown = f'<FONT COLOR="{GRAD_INK}">{fmt(grad)}</FONT>' if grad is not None else ""
            grad_cell = f'<TD ALIGN="RIGHT">{shown}</TD>'
        cells.append(f'<TR><TD ALIGN="LEFT"><I>{name}</I></TD><TD ALIGN="RIGHT">{fmt(value)}</TD>{grad_cell}</TR>')
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" BGCOLOR="{fill}" COLOR="{border}">'
        f"{''.join(cells)}</TABLE>>"
    )


def _weight_colour(w: float) -> str:
    return "#3b6fb6" if w >= 0 else "#c0392b"  # blue excites, red inhibits


def _weight_label(w: Value, grads: bool) -> str:
    colour = _weight_colour(w.data)
    # ∂C/∂w goes under w without its name (the legend says so): a short label keeps the
    # columns close enough for Jupyter to show the drawing without shrinking its text.
    grad = f'<TR><TD><FONT COLOR="{GRAD_INK}">{fmt(w.grad)}</FONT></TD></TR>' if grads else ""
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1" STYLE="rounded" BGCOLOR="white" '
        f'COLOR="{colour}"><TR><TD><FONT COLOR="{colour}">w {fmt(w.data)}</FONT></TD></TR>{grad}</TABLE>>'
    )


def _pos(x: float, y: float) -> str:
    return f"{x:.2f},{y:.2f}!"  # "!" pins the node where we put it


def _network_legend(trace: _Trace | None, grads: bool) -> str:
    parts = ["blue: w &gt; 0, red: w &lt; 0, thicker: larger |w|"]
    if grads:
        parts.append("∂C/∂·: grads from your backward(); on an edge, w above ∂C/∂w")
    if trace and trace.grads:
        parts.append("δ = ∂C/∂z")
    return f'<<FONT POINT-SIZE="10">{"   ·   ".join(parts)}</FONT>>'


def draw_network(
    model: object,
    x: object = None,
    *,
    outputs: Value | Sequence[Value] | None = None,
    show_weights: bool | None = None,
    show_grads: bool = True,
    max_neurons: int | None = DEFAULT_MAX_NEURONS,
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

    layout = _NetworkLayout(sizes, rows=2 + (3 if trace else 1), grads=show_grads, weight_labels=show_weights)
    drawing = _new_drawing("network", engine="neato", outputorder="edgesfirst", splines="line")
    drawing.attr(label=_network_legend(trace, show_grads), labelloc="b")
    text = []
    for c, n in enumerate(sizes):
        drawing.node(f"title{c}", _column_title(layers, c), shape="plaintext", fontcolor="#505050", pos=layout.title(c))
        for k in range(n):
            label, line = _input_node(trace, k, show_grads) if c == 0 else _neuron_node(layers, trace, c, k, show_grads)
            drawing.node(f"L{c}_{k}", label, shape="plain", pos=layout.node(c, k))
            text.append(line)
    largest = max(abs(w.data) for layer in layers for neuron in layer.neurons for w in neuron.w) or 1.0
    for c in range(1, len(sizes)):
        for k, neuron in enumerate(layers[c - 1].neurons):
            for i, w in enumerate(neuron.w):
                _draw_weight(drawing, layout, (c - 1, i), (c, k), w, largest, show_weights, show_grads)
    drawing.text_summary = "\n".join(text)
    return drawing


class _NetworkLayout:
    """Where the network view puts things, in inches: column c at x[c], its nodes
    centred on y = 0, the first at the top.

    Sizes are estimated from the tables' contents (12 pt text). The view places every
    node itself (neato with pinned positions) so that layers are exact columns and each
    weight's label sits on its own edge, not wherever `dot` finds room.
    """

    def __init__(self, sizes: list[int], rows: int, grads: bool, weight_labels: bool) -> None:
        self.pitch = rows * _ROW_HEIGHT + 0.1 + _GAP_BETWEEN_NEURONS
        self.widths = [1.5 if grads else 0.8] + [1.7 if grads else 1.0] * (len(sizes) - 1)
        self.x = [0.0]
        for c in range(1, len(sizes)):
            if weight_labels:  # room for one label per source side by side
                between = _WEIGHT_LABEL_WIDTH * sizes[c - 1] + 0.3
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
) -> None:
    """One weight: an edge coloured by its sign, as thick as |w|, labelled on the way."""
    tail, head = f"L{source[0]}_{source[1]}", f"L{target[0]}_{target[1]}"
    style = {"color": _weight_colour(w.data), "penwidth": f"{0.6 + 2.4 * abs(w.data) / largest:.2f}"}
    if not labelled:
        drawing.edge(tail, head, **style)
        return
    # The label is a node on the edge: two straight halves look like one line through it.
    box = f"w{target[0]}_{target[1]}_{source[1]}"
    drawing.node(box, _weight_label(w, grads), shape="plain", fontsize="10", pos=layout.weight_label(source, target))
    drawing.edge(tail, box, arrowhead="none", **style)
    drawing.edge(box, head, **style)


def _input_node(trace: _Trace | None, i: int, show_grads: bool) -> tuple[str, str]:
    """The i-th input's table and its line in the text fallback."""
    value = trace.inputs[i] if trace else None
    title = _escape(value.label) if value is not None and value.label else f"x<SUB>{i + 1}</SUB>"
    grads = show_grads and trace is not None and trace.grads
    rows = []
    line = f"input x{i + 1}"
    if value is not None:
        rows.append(("x", value.data, value.grad if grads else None))
        line += f": {fmt(value.data)}" + (f" (∂C/∂x {fmt(value.grad)})" if grads else "")
    return _network_table(title, rows, KIND_COLOURS["input"], grads), line


def _neuron_node(layers: list, trace: _Trace | None, c: int, k: int, show_grads: bool) -> tuple[str, str]:
    """Neuron k of layer c (1 = first hidden layer): its table and its text lines."""
    neuron = layers[c - 1].neurons[k]

    def shown(name: str, v: Value, grad_known: bool) -> str:
        return f"{name} {fmt(v.data)}" + (f" (∂C/∂{name} {fmt(v.grad)})" if grad_known else "")

    rows = [("b", neuron.b.data, neuron.b.grad)]
    parts = [shown("b", neuron.b, show_grads)]
    if trace:
        z, a = trace.z[c - 1][k], trace.a[c - 1][k]
        grads = show_grads and trace.grads
        rows += [("z", z.data, z.grad if grads else None), ("a", a.data, a.grad if grads else None)]
        parts += [shown("z", z, grads), shown("a", a, grads)]
    source = "x" if c == 1 else "neuron "
    weights = [shown("w", w, show_grads) + f" from {source}{i + 1}" for i, w in enumerate(neuron.w)]
    name = f"{_column_title(layers, c, activation=False)}, neuron {k + 1} ({neuron.activation})"
    line = f"{name}: {', '.join(parts)}\n    " + "; ".join(weights)
    colours = KIND_COLOURS["output" if c == len(layers) else "interior"]
    return _network_table(f"neuron {k + 1}", rows, colours, show_grads), line
