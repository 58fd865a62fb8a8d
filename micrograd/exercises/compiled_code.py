"""Exercises of notebook 11: a gradient summed over two paths read off the edges of a drawing
before the compiled code shows it, and the number of ``+=`` lines `micrograd.compile` writes
for one neuron before it is printed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from micrograd.autodiff import grad
from micrograd.engine import Value, topological_order
from micrograd.exercises._core import exercise, judge_count, judge_number


def _two_paths_mistakes(out: Value, a: Value, b: Value) -> dict[float, str]:
    slope = 1 - out.data**2  # tanh's local derivative, on the edge out of d
    return {
        slope * 1.0: "that is one path, a → d → out; a also reaches d through c = a·b.",
        slope * b.data: "that is one path, a → c → d → out; a also feeds d directly.",
        1.0 + b.data: "the two paths are summed, but each still passes the tanh edge: its local derivative is missing.",
        slope * slope * b.data: "that multiplies the two paths together; each path is a product of its edges, "
        "and the paths are added.",
    }


@exercise(
    "11.two-paths",
    "From the local derivatives on the drawing's edges, what is ∂out/∂a?",
    hint="list the paths from a to out; multiply the edge numbers along each, then add the paths.",
    judge=judge_number(rel=1e-6, abs_tol=1e-12, mistakes=_two_paths_mistakes),
)
def gradient_over_two_paths(out: Value, a: Value, b: Value) -> float:
    return grad(out, [a])[0]


def _edges_to_inputs(f: Callable[..., Value], inputs: Sequence[float]) -> int:
    """The edges of f's graph that carry a gradient towards an input: those into values that
    depend on an input. An edge into a constant (a pixel) carries nothing, and gets no line."""
    xs = [Value(v) for v in inputs]
    depends = set(xs)
    edges = 0
    for node in topological_order(f(*xs)):  # parents first
        if any(p in depends for p in node.parents):
            depends.add(node)
            edges += sum(p in depends for p in node.parents)
    return edges


def _lines_mistakes(f: Callable[..., Value], inputs: Sequence[float]) -> dict[float, str]:
    n = len(inputs)  # the parameters: the weights and the bias
    return {
        n - 1: "those are the weights; the bias has an edge into the sum too, and so has the sum into the relu.",
        n: "one line per parameter, and one is missing: the relu's edge from the sum.",
        2: "one line per operation is the forward pass; the backward pass has one line per edge.",
        2 * n - 1: "the pixels are constants: no gradient needs to reach them, so their edges get no lines.",
        2 * n + 1: "the pixels are constants: no gradient needs to reach them, so their edges get no lines.",
    }


@exercise(
    "11.backward-lines",
    "How many `+=` lines will the compiled backward pass of the first neuron have?",
    hint="one line per edge that carries a gradient towards a parameter: into the sum, and into the relu.",
    judge=judge_count(mistakes=_lines_mistakes),
)
def backward_lines(f: Callable[..., Value], inputs: Sequence[float]) -> int:
    return _edges_to_inputs(f, inputs)
