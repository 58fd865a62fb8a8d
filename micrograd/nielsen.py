"""Nielsen's four equations of backpropagation, checked against what the engine computes.

In the notation of Nielsen's *Neural Networks and Deep Learning*, chapter 2: layer l has
weighted inputs zˡ = wˡ aˡ⁻¹ + bˡ and activations aˡ = σ(zˡ); the error of neuron j is
δˡⱼ = ∂C/∂zˡⱼ; the quadratic cost of one example is C = ½ Σⱼ (aᴸⱼ − yⱼ)². Then

    BP1  δᴸⱼ = ∂C/∂aᴸⱼ · σ'(zᴸⱼ)                the output layer's error
    BP2  δˡⱼ = (Σₖ wˡ⁺¹ₖⱼ δˡ⁺¹ₖ) · σ'(zˡⱼ)       each error from the next layer's: a SUM over k
    BP3  ∂C/∂bˡⱼ = δˡⱼ
    BP4  ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ

In this engine a neuron's weighted input zˡⱼ is one node (op ``Σwx+b``) and its activation
another whose only parent is z, so δˡⱼ is simply the ``grad`` of the z node after
``backward()``. `trace` runs a forward pass and hands you every z and a; `check_backprop_equations`
runs backward on the quadratic cost and evaluates both sides of all four equations.

Numbering follows Nielsen: layer 1 is the input, so ``trace.zs[0]`` holds z², and neurons
are numbered from 1 in labels and reports (``z²₁``); Python lists stay 0-based.

>>> from micrograd.nn import MLP
>>> model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
>>> report = check_backprop_equations(model, [0.5, -1.0], [1.0, 0.0])
>>> report.ok, len(report), sorted({c.equation for c in report})
(True, 37, ['BP1', 'BP2', 'BP3', 'BP4'])
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

from micrograd.engine import WEIGHTED_SUM, Value, enable_grad
from micrograd.nn import MLP, Layer
from micrograd.notation import role, shown

__all__ = ["BackpropReport", "Check", "Trace", "check_backprop_equations", "quadratic_cost", "trace"]

Model = MLP | Sequence[Layer]


def _label(value: Value, letter: str, *indices: int) -> None:
    """Label `value` with Nielsen's symbol (``z²₁``, ``w³₂₁``, ``w²₁₂,₃``) unless it has a
    label of its own: none, or the role name an `MLP` gave it (``z[2,1]``, the same symbol)."""
    plain = role(letter, *indices)
    if not value.label or value.label == plain:
        value.label = shown(plain)


# --------------------------------------------------------------------------- the forward pass


@dataclass(frozen=True)
class Trace:
    """Every weighted input z and activation a of one forward pass, layer by layer.

    Attributes:
        layers: the model's layers.
        inputs: the input values (Nielsen's a¹).
        zs: ``zs[i][j]`` is the weighted-input node of neuron j in the i-th layer of neurons
            (Nielsen's z with layer number i + 2). After ``backward()`` its grad is δ.
        activations: ``activations[i][j]``, the neuron's output (the same node as
            ``zs[i][j]`` in a linear layer).
    """

    layers: tuple[Layer, ...]
    inputs: tuple[Value, ...]
    zs: tuple[tuple[Value, ...], ...]
    activations: tuple[tuple[Value, ...], ...]

    @property
    def output(self) -> tuple[Value, ...]:
        """The last layer's activations, aᴸ."""
        return self.activations[-1]

    def inputs_to(self, i: int) -> tuple[Value, ...]:
        """What the i-th layer of neurons reads: the inputs, or the previous activations."""
        return self.inputs if i == 0 else self.activations[i - 1]

    def deltas(self) -> list[list[float]]:
        """δ for every neuron, ``deltas()[i][j] = zs[i][j].grad``: run ``backward()`` first."""
        return [[z.grad for z in layer] for layer in self.zs]


def _layers_of(model: Model) -> tuple[Layer, ...]:
    layers = model.layers if isinstance(model, MLP) else model
    if isinstance(layers, Layer):
        layers = [layers]
    layers = tuple(layers)
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise TypeError(f"model must be an MLP or a sequence of Layers, got {type(model).__name__}")
    return layers


def _weighted_input(a: Value, where: str) -> Value:
    """The z node of a neuron whose output is `a`: `a` itself, or the activation's parent."""
    if a.op == WEIGHTED_SUM:
        return a
    parents = a.parents
    if len(parents) == 1 and parents[0].op == WEIGHTED_SUM:
        return parents[0]
    raise TypeError(f"{where} is not activation(Σwx+b) (op {a.op!r}); trace needs micrograd.nn neurons")


def trace(model: Model, x: Sequence[float | Value]) -> Trace:
    """Run `model` forwards on `x` and keep every neuron's z and a.

    `model` is an `MLP` or a list of `Layer`s (to give the output layer a sigmoid, as
    Nielsen does, build ``MLP(..., output_activation="sigmoid")`` or the layers yourself).
    Numbers in `x` become input leaves labelled x₁, x₂…; each z and a node is labelled
    like ``z²₁`` and ``a²₁``, and parameters get Nielsen's names (``w²₁₂``: from neuron 2
    of layer 1 to neuron 1 of layer 2; ``b²₁``), so tables and drawings read like the book
    and printed labels too. These replace the role names an `MLP` gives (``w[2,1,2]``, the
    same symbols) but never a label you set. The graph is recorded even inside ``no_grad()``.

    >>> from micrograd.nn import MLP
    >>> t = trace(MLP(2, [3, 1], activation="sigmoid", seed=0), [1.0, 2.0])
    >>> [len(layer) for layer in t.zs], t.zs[0][0].label, t.activations[0][0].parents[0] is t.zs[0][0]
    ([3, 1], 'z²₁', True)
    """
    layers = _layers_of(model)
    if isinstance(x, (Value, int, float)):
        x = [x]
    inputs = tuple(v if isinstance(v, Value) else Value(v, label=shown(role("x", k))) for k, v in enumerate(x, 1))
    zs, activations = [], []
    current = list(inputs)
    with enable_grad():
        for i, layer in enumerate(layers):
            outputs = layer.forward(current)
            layer_zs = []
            _name_parameters(layer, i + 2)
            for j, a in enumerate(outputs):
                z = _weighted_input(a, f"neuron {j + 1} of layer {i + 2}")
                _label(z, "z", i + 2, j + 1)
                if a is not z:
                    _label(a, "a", i + 2, j + 1)
                layer_zs.append(z)
            zs.append(tuple(layer_zs))
            activations.append(tuple(outputs))
            current = outputs
    return Trace(layers, inputs, tuple(zs), tuple(activations))


def _name_parameters(layer: Layer, number: int) -> None:
    for j, neuron in enumerate(layer.neurons, 1):
        for k, w in enumerate(neuron.w, 1):
            _label(w, "w", number, j, k)
        _label(neuron.b, "b", number, j)


def quadratic_cost(outputs: Value | Sequence[Value], targets: float | Sequence[float]) -> Value:
    """Nielsen's quadratic cost of one example, C = ½ Σⱼ (aⱼ − yⱼ)², as a Value labelled C;
    targets given as numbers become leaves labelled y₁, y₂… (y for a single one).

    >>> quadratic_cost([Value(0.5), Value(1.0)], [1.0, 0.0]).data   # ½ (0.25 + 1)
    0.625
    """
    outputs = [outputs] if isinstance(outputs, Value) else list(outputs)
    targets = [targets] if isinstance(targets, (int, float)) else list(targets)
    if len(outputs) != len(targets):
        raise ValueError(f"quadratic_cost: {len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError("quadratic_cost needs at least one output")
    targets = [_target(y, j, len(targets)) for j, y in enumerate(targets, 1)]
    with enable_grad():
        total = (outputs[0] - targets[0]) ** 2
        for a, y in zip(outputs[1:], targets[1:]):
            total = total + (a - y) ** 2
        cost = 0.5 * total
    cost.label = "C"
    return cost


def _target(y: float | Value, j: int, n: int) -> float | Value:
    if isinstance(y, (Value, bool)) or not isinstance(y, (int, float)):
        return y  # a Value keeps its label; anything else is refused by the arithmetic, as before
    return Value(y, label="y" if n == 1 else shown(role("y", j)))


# --------------------------------------------------------------------------- the four equations


def _slope(activation: str, z: Value, a: Value) -> float:
    """σ'(z) for the neuron's activation, written from its textbook formula."""
    if activation == "sigmoid":
        return a.data * (1 - a.data)  # σ' = σ(1 − σ)
    if activation == "tanh":
        return 1 - a.data * a.data
    if activation == "relu":
        return 1.0 if z.data > 0 else 0.0  # 0 at the kink, as the engine
    if activation == "linear":
        return 1.0
    raise ValueError(f"no derivative known for activation {activation!r}")


@dataclass(frozen=True)
class Check:
    """One instance of one equation: the engine's number (`lhs`) and the formula's (`rhs`).

    `layer` uses Nielsen's numbering (the input is layer 1); `neuron` (j) and `source` (k,
    BP4 only) count from 1. For BP2, `terms` lists wˡ⁺¹ₖⱼ δˡ⁺¹ₖ for each k: one term per
    path through the next layer, added, not one term repeated.
    """

    equation: str
    layer: int
    neuron: int
    lhs: float
    rhs: float
    source: int | None = None
    terms: tuple[float, ...] = ()

    @property
    def error(self) -> float:
        return abs(self.lhs - self.rhs)

    def holds(self, rel_tol: float = 1e-12, abs_tol: float = 1e-15) -> bool:
        return math.isclose(self.lhs, self.rhs, rel_tol=rel_tol, abs_tol=abs_tol)


EQUATIONS = {
    "BP1": ("δᴸⱼ = ∂C/∂aᴸⱼ · σ'(zᴸⱼ)", "z.grad", "(aᴸⱼ − yⱼ) σ'(zᴸⱼ)"),
    "BP2": ("δˡⱼ = (Σₖ wˡ⁺¹ₖⱼ δˡ⁺¹ₖ) σ'(zˡⱼ)", "z.grad", "(Σₖ wₖⱼ δₖ) σ'(zⱼ)"),
    "BP3": ("∂C/∂bˡⱼ = δˡⱼ", "b.grad", "δˡⱼ"),
    "BP4": ("∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ", "w.grad", "aˡ⁻¹ₖ δˡⱼ"),
}


class BackpropReport(Sequence[Check]):
    """Every check of BP1–BP4 on one example, with a summary per equation.

    Attributes:
        trace: the forward pass (its z nodes hold δ in their grads).
        cost: the quadratic cost that was differentiated.
        rel_tol: the tolerance of `ok`. BP1, BP3 and BP4 hold to the last bit; BP2 adds
            the same terms as the engine but possibly in another order, so it agrees to
            rounding.
    """

    def __init__(self, trace: Trace, cost: Value, checks: Sequence[Check], rel_tol: float) -> None:
        self.trace = trace
        self.cost = cost
        self._checks = tuple(checks)
        self.rel_tol = rel_tol

    @overload
    def __getitem__(self, index: int) -> Check: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Check, ...]: ...

    def __getitem__(self, index):
        return self._checks[index]

    def __len__(self) -> int:
        return len(self._checks)

    def of(self, equation: str) -> list[Check]:
        """The checks of one equation ("BP1" … "BP4")."""
        if equation not in EQUATIONS:
            raise ValueError(f"unknown equation {equation!r}; choose one of {', '.join(EQUATIONS)}")
        return [c for c in self._checks if c.equation == equation]

    def max_error(self, equation: str | None = None) -> float:
        """The largest |lhs − rhs|, over one equation or all."""
        checks = self.of(equation) if equation else self._checks
        return max((c.error for c in checks), default=0.0)

    @property
    def ok(self) -> bool:
        """True when every check holds to `rel_tol`."""
        return all(c.holds(self.rel_tol) for c in self._checks)

    def _summary(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for name, (formula, engine, _) in EQUATIONS.items():
            checks = self.of(name)
            exact = sum(c.lhs == c.rhs for c in checks)
            verdict = "holds" if all(c.holds(self.rel_tol) for c in checks) else "FAILS"
            error = f"{self.max_error(name):.1e}  {verdict}"
            rows.append((name, formula, f"{len(checks)} × {engine}", f"{exact}/{len(checks)}", error))
        return rows

    def __str__(self) -> str:
        header = ("", "equation", "checked", "bit-exact", "max |lhs − rhs|")
        rows = [header, *self._summary()]
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = [f"Nielsen's equations on C = {self.cost.data!r}"]
        for row in rows:
            lines.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4])
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self) -> str:
        return f"BackpropReport({len(self)} checks, ok={self.ok}, max_error={self.max_error():.1e})"

    def _repr_html_(self) -> str:
        e = html.escape
        cells = "".join(f"<th>{e(h)}</th>" for h in ("", "equation", "checked", "bit-exact", "max |lhs − rhs|"))
        out = [
            "<table class='micrograd-nielsen'>",
            "<caption style='caption-side: top; text-align: left'>"
            f"<b>Nielsen's equations on C = {self.cost.data!r}</b></caption>",
            f"<thead><tr>{cells}</tr></thead><tbody>",
        ]
        for row in self._summary():
            out.append("<tr>" + "".join(f"<td style='text-align:left'>{e(cell)}</td>" for cell in row) + "</tr>")
        out.append("</tbody></table>")
        return "\n".join(out)


def check_backprop_equations(
    model: Model, x: Sequence[float | Value], y: float | Sequence[float], rel_tol: float = 1e-12
) -> BackpropReport:
    """Differentiate the quadratic cost of (x, y) with ``backward()`` and test BP1–BP4.

    Zeroes the model's gradients first (so the leaf grads are this example's alone) and
    leaves the gradients of this pass in place: ``report.trace.zs[i][j].grad`` is δ.
    Each equation is checked on every neuron (BP1: output layer; BP2: every hidden layer;
    BP3: every bias; BP4: every weight); the left side is the engine's gradient and the
    right side the textbook formula. Only BP1's right side comes from the data alone: BP2's
    takes the next layer's δ and BP3's and BP4's this layer's δ from the engine's z nodes, so
    the report shows that the engine's numbers satisfy each equation given the others
    (notebook 05 adds an independent computation in plain floats).
    """
    layers = _layers_of(model)
    for layer in layers:
        layer.zero_grad()
    t = trace(layers, x)
    cost = quadratic_cost(t.output, y)
    cost.backward()
    targets = [y] if isinstance(y, (int, float)) else list(y)
    checks = [*_bp1(t, targets), *_bp2(t), *_bp3_bp4(t)]
    return BackpropReport(t, cost, checks, rel_tol)


def _bp1(t: Trace, targets: list[float]) -> list[Check]:
    last = len(t.zs) - 1
    activation = t.layers[last].neurons[0].activation
    checks = []
    for j, (z, a, y) in enumerate(zip(t.zs[last], t.output, targets)):
        # ∂C/∂aᴸⱼ of C = ½ Σ (a − y)² is (aᴸⱼ − yⱼ)
        checks.append(Check("BP1", last + 2, j + 1, z.grad, (a.data - y) * _slope(activation, z, a)))
    return checks


def _bp2(t: Trace) -> list[Check]:
    checks = []
    for i in range(len(t.zs) - 1):
        activation = t.layers[i].neurons[0].activation
        following = t.layers[i + 1].neurons
        for j, (z, a) in enumerate(zip(t.zs[i], t.activations[i])):
            terms = tuple(n.w[j].data * dz.grad for n, dz in zip(following, t.zs[i + 1]))
            rhs = math.fsum(terms) * _slope(activation, z, a)
            checks.append(Check("BP2", i + 2, j + 1, z.grad, rhs, terms=terms))
    return checks


def _bp3_bp4(t: Trace) -> list[Check]:
    checks = []
    for i, layer in enumerate(t.layers):
        inputs = t.inputs_to(i)
        for j, (neuron, z) in enumerate(zip(layer.neurons, t.zs[i])):
            checks.append(Check("BP3", i + 2, j + 1, neuron.b.grad, z.grad))
            for k, (w, source) in enumerate(zip(neuron.w, inputs)):
                checks.append(Check("BP4", i + 2, j + 1, w.grad, source.data * z.grad, source=k + 1))
    return checks
