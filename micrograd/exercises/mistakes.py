"""Exercises of notebook 12, how backward() goes wrong (`micrograd.mistakes`).

- ``12.depth-first``: predict ∂c/∂a for ``a = 1; b = a + a; c = b + b`` when the local
  rules are applied depth-first from the output as values are first reached (no sorting).
- ``12.which-mistake``: given the gradients some mistake produced, name the mistake.
- ``12.overwrite-safe``: on which of some graphs does overwriting (``=`` for ``+=``) give
  the right gradients? (The trees: no value used twice.)
- ``12.network-layers``: on the 2-3-3-2 network, which layers' weights and biases does
  overwriting still get right?
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from micrograd.engine import Value, topological_order
from micrograd.exercises._core import exercise, judge_number
from micrograd.mistakes import NAMES, _differs, compare, wrong_gradients
from micrograd.notation import parse

# --------------------------------------------------------------------------- depth-first, no sorting


def _depth_first_mistakes(output: Value, wrt: Value) -> dict[float, str]:
    return {
        wrong_gradients(output, "overwrite")[wrt]: (
            "that is what overwriting (= instead of +=) gives. Here every edge adds; what goes wrong is "
            "when a value passes its gradient on."
        ),
        wrong_gradients(output, "recursion_without_visited")[wrt]: (
            "that is the recursion without a visited set, which passes a value on every time it is "
            "reached. With the visited set each value is passed on once: but is its gradient complete then?"
        ),
        compare(output, "overwrite").right[wrt]: (
            "that is backward()'s answer, every path added up. The depth-first pass goes down into a value "
            "as soon as the first edge reaches it: how much gradient does it hold at that moment?"
        ),
    }


@exercise(
    "12.depth-first",
    "∂c/∂a when each edge adds local × gradient and the search goes down into a parent the first time it "
    "reaches it (a visited set, no topological sort).",
    hint="Follow the code: c's first edge gives b its first 1, then the search goes down into b at once, "
    "before c's second edge has added the other 1.",
    judge=judge_number(rel=1e-9, mistakes=_depth_first_mistakes),
)
def _depth_first(output: Value, wrt: Value) -> float:
    return wrong_gradients(output, "no_topological_order")[wrt]


# --------------------------------------------------------------------------- which mistake?

_PUZZLE = "no_topological_order"  # the mistake behind notebook 12's puzzle (kept out of the notebook)


def puzzle_gradients(output: Value) -> dict[Value, float]:
    """The gradients one of the mistakes gives on `output`: which one is exercise
    ``12.which-mistake``."""
    return wrong_gradients(output, _PUZZLE)


def _same(grads: Mapping[Value, float], other: Mapping[Value, float]) -> bool:
    return all(not _differs(g, other.get(node, 0.0)) for node, g in grads.items())


def _matching(output: Value, grads: Mapping[Value, float]) -> list[str]:
    found = []
    for name in NAMES:
        try:
            if _same(grads, wrong_gradients(output, name)):
                found.append(name)
        except ValueError:  # recursion_without_visited refuses a graph with too many paths
            continue
    return found


def _judge_which(answer: Any, expected: str, context: Mapping[str, Any]) -> tuple[bool, str]:
    output, grads = context["output"], context["grads"]
    if not isinstance(answer, str) or answer not in NAMES:
        return False, f"the answer should be one of the names {', '.join(NAMES)}, got {answer!r}"
    if answer in _matching(output, grads):
        return True, f"{answer} gives exactly these gradients."
    theirs = wrong_gradients(output, answer)
    right = compare(output, answer).right
    if _same(theirs, right):
        return False, f"{answer} gives the right gradients on this graph, and these are not all right."
    node = next(node for node in reversed(topological_order(output)) if _differs(grads[node], theirs[node]))
    name = node.label or f"the {node.op or 'leaf'} value"
    return False, f"{answer} would give {name} the gradient {theirs[node]:g}, not {grads[node]:g}."


@exercise(
    "12.which-mistake",
    "Which mistake (a name from micrograd.mistakes.NAMES) produced these gradients?",
    hint="Compare with the right gradients first: which values are wrong, and by how much? Too small "
    "means a path was lost; too large, counted twice.",
    judge=_judge_which,
)
def _which(output: Value, grads: Mapping[Value, float]) -> str:
    found = _matching(output, grads)
    if not found:
        raise ValueError("no mistake in micrograd.mistakes gives these gradients")
    return found[0]


# --------------------------------------------------------------------------- where overwriting is harmless


def _names_of(answer: Any, graphs: Mapping[str, Value]) -> set[str] | str:
    """The answer as a set of graph names, or why it is not one."""
    if isinstance(answer, str):
        answer = [answer]
    if not isinstance(answer, Iterable):
        return f"the answer should be a list of the graphs' names ({', '.join(graphs)}), got {answer!r}"
    chosen = set(answer)
    unknown = [name for name in chosen if name not in graphs]
    if unknown:
        return f"there is no graph named {', '.join(map(repr, unknown))} (the graphs: {', '.join(graphs)})"
    return chosen


def _judge_safe(answer: Any, expected: set[str], context: Mapping[str, Any]) -> tuple[bool, str]:
    graphs = context["graphs"]
    chosen = _names_of(answer, graphs)
    if isinstance(chosen, str):
        return False, chosen
    if chosen == expected:
        return True, "exactly the trees: where no value is used twice, no value has a sum to lose."
    wrongly_in = sorted(chosen - expected)
    left_out = sorted(expected - chosen)
    parts = []
    if wrongly_in:
        parts.append(
            f"{', '.join(wrongly_in)}: some value there is used twice, and the second contribution overwrites the first"
        )
    if left_out:
        parts.append(f"{', '.join(left_out)}: overwriting is right there too (does any value have two consumers?)")
    return False, "; ".join(parts) + "."


@exercise(
    "12.overwrite-safe",
    "On which of these graphs does backward() with = instead of += give every gradient right? (a list of their names)",
    hint="A value gets more than one contribution only if more than one operation uses it.",
    judge=_judge_safe,
)
def _overwrite_safe(graphs: Mapping[str, Value]) -> set[str]:
    return {name for name, output in graphs.items() if compare(output, "overwrite").first_divergence is None}


# --------------------------------------------------------------------------- the network


_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def _layer_of(node: Value) -> int | None:
    """The layer of a weight or bias, named plain (``w[4,1,2]``) or as shown (``w⁴₁₂``)."""
    label = node.label
    role = parse(label) if label else None
    if role is not None:
        return role[1][0] if role[0] in "wb" and len(role[1]) >= 2 else None
    if len(label) < 2 or label[0] not in "wb":
        return None
    digits = ""
    for ch in label[1:]:
        if ch not in _SUPERSCRIPTS:
            break
        digits += str(_SUPERSCRIPTS.index(ch))
    return int(digits) if digits else None


def _right_layers(output: Value) -> list[int]:
    report = compare(output, "overwrite")
    layers: dict[int, bool] = {}
    for node in report.order:
        layer = _layer_of(node)
        if layer is not None:
            layers[layer] = layers.get(layer, True) and not _differs(report.right[node], report.wrong[node])
    return sorted(layer for layer, right in layers.items() if right)


def _judge_layers(answer: Any, expected: list[int], context: Mapping[str, Any]) -> tuple[bool, str]:
    if isinstance(answer, int) and not isinstance(answer, bool):
        answer = [answer]
    if not isinstance(answer, Iterable) or not all(isinstance(x, int) and not isinstance(x, bool) for x in answer):
        return False, f"the answer should be a list of layer numbers (Nielsen's: 2 is the first hidden), got {answer!r}"
    chosen = set(answer)
    if chosen == set(expected):
        return True, (
            "where every value between a weight and the cost has one consumer, no gradient on the way is a sum, "
            "so overwriting loses nothing."
        )
    if 1 in chosen:
        return False, "layer 1 is the input: it has no weights or biases."
    if chosen - set(expected):
        return False, (
            "a hidden neuron's activation feeds every neuron of the next layer, so its gradient is a sum, "
            "and overwriting keeps one term of it: every weight before it is wrong."
        )
    return False, "some weights are right: follow one back to the cost; is any value on the way used twice?"


@exercise(
    "12.network-layers",
    "With = instead of +=, the weights and biases of which layers of the network still get the right "
    "gradient? (a list of Nielsen's layer numbers)",
    hint="A weight's gradient is right when every value between it and the cost has one consumer.",
    judge=_judge_layers,
)
def _network_layers(output: Value) -> list[int]:
    return _right_layers(output)
