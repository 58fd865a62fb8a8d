"""Exercises of notebook 10, watching backward() add up the paths.

- ``10.running-sum``: a node's running sum after a step where a second contribution arrives.
- ``10.term-count``: how many terms an input's gradient is the sum of, by the end of the pass:
  one per edge out of it that carries something, not one per path.
- ``10.overwritten``: what a backward pass with ``=`` instead of ``+=`` leaves in a gradient.
- ``10.equals-bug``: write that broken backward pass yourself; `gradcheck` must catch it on
  ``a + a`` and pass it where no value is used twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from micrograd.engine import Value, topological_order
from micrograd.exercises._code import raised
from micrograd.exercises._core import describe, exercise, judge_count, judge_number
from micrograd.explain import forward_grad
from micrograd.gradcheck import GradcheckError, gradcheck
from micrograd.steps import Step, backward_steps

# --------------------------------------------------------------------------- the running sum


def _running_sum_mistakes(step) -> dict[float, str]:
    # Later entries win where values coincide (local == contribution when upstream is 1).
    return {
        step.local: "that is the local derivative alone; the contribution is local × upstream.",
        step.before: "that is the sum before this step; this step adds its own contribution to it.",
        step.contribution: (
            "that is this step's contribution alone, as if it replaced what was there: the = instead of += "
            "bug. The node already holds the contributions of earlier steps."
        ),
    }


@exercise(
    "10.running-sum",
    "The parent's gradient after this step: what it held before, plus local × upstream.",
    hint="Read the parent's gradient so far from the previous steps, then add this step's local × upstream.",
    judge=judge_number(rel=1e-4, mistakes=_running_sum_mistakes),
)
def _running_sum(step) -> float:
    return step.before + step.local * step.upstream


# --------------------------------------------------------------------------- terms, not paths


def _steps_into(output: Value, wrt: Value) -> list[Step]:
    if not isinstance(wrt, Value):
        raise TypeError(f"wrt should be a Value of the graph, got {type(wrt).__name__} {wrt!r}")
    into = [step for step in backward_steps(output) if step.parent is wrt]
    if not into:
        raise ValueError(f"wrt ({wrt!r}) is not used in the graph of the output")
    return into


def _term_count_mistakes(output: Value, wrt: Value) -> dict[float, str]:
    into = _steps_into(output, wrt)
    terms = sum(not step.skipped for step in into)
    # Earlier entries lose where two mistakes give the same number: the later is the likelier slip.
    return {
        terms - 1: (
            "that counts the additions (the steps that bring a second, a third, … term); the first "
            "contribution, which starts the sum, is a term too."
        ),
        1: (
            "one term would mean the gradient arrives in one piece, along one edge; this value is used "
            "more than once, and every use is an edge with its own step."
        ),
        len(into): (
            "that is one term per use (per edge out of it). backward() takes a step along every edge, "
            "but a step whose upstream gradient is 0 is skipped and adds nothing: is every consumer's "
            "gradient nonzero here?"
        ),
        sum(step.path_count for step in into): (
            "that is the number of paths, one product each, as notebook 1 adds them. backward() never "
            "lists paths: a term arrives along one of this value's own edges and carries, already "
            "summed, every path beyond that edge."
        ),
    }


@exercise(
    "10.term-count",
    "By the end of backward(), how many terms (contributions that add something) is wrt's gradient the sum of?",
    hint="Count the edges out of the value (its uses), then ask of each whether anything flows back along it.",
    judge=judge_count(mistakes=_term_count_mistakes),
)
def _term_count(output: Value, wrt: Value) -> int:
    return sum(not step.skipped for step in _steps_into(output, wrt))


# --------------------------------------------------------------------------- the = bug


def overwriting_backward(root: Value) -> None:
    """`backward()` with the classic bug: ``parent.grad = local * grad`` instead of ``+=``.

    Each contribution *replaces* the ones before it, so a value with several consumers
    keeps only the last path's share. Kept here to compare with and for the exercises.
    """
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad = local * node.grad  # the bug: = throws away what other paths brought


def _with_grads_kept(output: Value, run: Callable[[], float]) -> float:
    """Run `run` (which may overwrite grads in `output`'s graph), then restore every grad."""
    order = topological_order(output)
    saved = [node.grad for node in order]
    try:
        return run()
    finally:
        for node, g in zip(order, saved):
            node.grad = g


def _overwritten_mistakes(output: Value, wrt: Value) -> dict[float, str]:
    return {
        forward_grad(output, wrt): (
            "that is the true gradient, every path added up. With = each contribution replaces the one "
            "before it: which one is written last?"
        ),
        0.0: "something is written into it: every path ends with a contribution to it.",
    }


@exercise(
    "10.overwritten",
    "With = instead of +=, what does the gradient of `wrt` end up as?",
    hint="Go through the steps in backward()'s order; with = only the last write into a node survives, "
    "and the nodes upstream may be wrong already.",
    judge=judge_number(rel=1e-9, mistakes=_overwritten_mistakes),
)
def _overwritten(output: Value, wrt: Value) -> float:
    def run() -> float:
        overwriting_backward(output)
        return wrt.grad

    return _with_grads_kept(output, run)


# The graphs the judge tries a backward pass on: one where no value is used twice (the bug
# is invisible there) and one where a value is used twice (a + a: the bug shows).
_TREE = (lambda a, b, c: (a * b + c).tanh() * 2.0, [0.7, -1.3, 0.4])
_REUSE = (lambda a: a + a, [3.0])


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]


def _gradcheck_verdict(backward: Callable[[Value], None], f, inputs) -> GradcheckError | None:
    """None when gradcheck passes `backward` on f at inputs, else the GradcheckError."""
    try:
        gradcheck(f, inputs, backward=backward)
    except GradcheckError as e:
        return e
    return None


# Graphs where only inputs are used more than once, so every consumer's gradient is right
# even under the bug: there the = bug leaves in each such input exactly ONE of its edges'
# contributions (whichever is written last), never their sum and never anything else.
_ONE_PATH_KEPT = [
    (lambda a: a + a, [3.0]),
    (lambda a, b: a * 3.0 + a * 5.0 + b, [0.5, -1.0]),
    (lambda a, b: (a * b).tanh() + a * -2.0 + b * b * 0.5, [0.7, 1.3]),
]


def _contributions(f, inputs) -> tuple[list[float], list[list[float]]]:
    """backward()'s gradient of each input, and each input's contributions edge by edge."""
    xs = [Value(v) for v in inputs]
    out = f(*xs)
    out.backward()
    edges: list[list[float]] = [[] for _ in xs]
    for node in topological_order(out):
        for parent, local in zip(node.parents, node.local_grads):
            for i, x in enumerate(xs):
                if parent is x:
                    edges[i].append(local * node.grad)
    return [x.grad for x in xs], edges


def _overwriting_leaf_grads(f, inputs, edges_reversed: bool) -> list[float]:
    """What the = bug leaves in f's inputs, each node's edges visited in order or reversed."""
    xs = [Value(v) for v in inputs]
    root = f(*xs)
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        edges = list(zip(node.parents, node.local_grads))
        for parent, local in reversed(edges) if edges_reversed else edges:
            parent.grad = local * node.grad
    return [x.grad for x in xs]


def _not_the_equals_bug(backward: Callable[[Value], None]) -> str | None:
    """Where `backward` does something other than the = bug, or None.

    On these graphs the = bug leaves in each input used more than once exactly one of its
    edges' contributions: the last one written, in backward()'s order (each node's edges
    may be visited either way round). Anything else is another bug.
    """
    for f, inputs in _ONE_PATH_KEPT:
        want, edges = _contributions(f, inputs)
        xs = [Value(v) for v in inputs]
        backward(f(*xs))
        got = [x.grad for x in xs]
        bugs = [_overwriting_leaf_grads(f, inputs, flipped) for flipped in (False, True)]
        if any(all(math.isclose(g, b, rel_tol=1e-9, abs_tol=1e-12) for g, b in zip(got, bug)) for bug in bugs):
            continue
        for g, correct, contributions in zip(got, want, edges):
            if len(contributions) <= 1 and not math.isclose(g, correct, rel_tol=1e-9, abs_tol=1e-12):
                return f"on {_SHOWN[f]} at {inputs}, an input used once has {g:.6g}, not {correct:.6g}"
        for g, bug, contributions in zip(got, bugs[0], edges):
            if len(contributions) > 1 and not math.isclose(g, bug, rel_tol=1e-9, abs_tol=1e-12):
                shown = ", ".join(f"{c:.6g}" for c in contributions)
                return (
                    f"on {_SHOWN[f]} at {inputs}, an input used {len(contributions)} times (its edges bring {shown}) "
                    f"is left with {g:.6g}; = leaves the last contribution written, {bug:.6g}"
                )
        return f"on {_SHOWN[f]} at {inputs} it leaves {got}, where = leaves {bugs[0]}"
    return None


_SHOWN = {f: text for (f, _), text in zip(_ONE_PATH_KEPT, ["a + a", "a·3 + a·5 + b", "tanh(a·b) − 2a + b²/2"])}


def _judge_equals_bug(answer: Any, expected: Any, context: Mapping[str, Any]) -> tuple[bool, str]:
    if not callable(answer):
        return False, f"the answer should be a function root -> None (your backward pass), got {describe(answer)}"
    try:
        on_tree = _gradcheck_verdict(answer, *_TREE)
        on_reuse = _gradcheck_verdict(answer, *_REUSE)
        other = _not_the_equals_bug(answer) if on_tree is None and on_reuse is not None else None
    except Exception as e:  # the reader's code: any error is a wrong answer, shown as such
        return False, f"your backward pass raised {raised(e)}"
    if on_tree is not None:
        return False, (
            "it is wrong even on tanh(a·b + c)·2, where no value is used twice, so it is more broken "
            f"than the = bug: {_first_line(on_tree)}"
        )
    if on_reuse is None:
        return False, (
            "gradcheck passes it on a + a: it adds both contributions, so it is the correct backward. "
            "The bug is to assign each contribution instead of adding it."
        )
    if other is not None:
        return False, (f"gradcheck catches it, but it is another bug than the = one: {other}. Change only `+=` to `=`.")
    mismatch = on_reuse.mismatches[0]
    return True, (
        f"gradcheck caught it on a + a: analytical {mismatch.analytical!r}, numerical "
        f"{mismatch.numerical:.6g}. One of the two paths was overwritten."
    )


@exercise(
    "10.equals-bug",
    "Write backward() with = instead of += (a function of the output); gradcheck must catch it.",
    hint="Start from the backward pass in the notebook and change the one line that updates parent.grad.",
    judge=_judge_equals_bug,
)
def _equals_bug() -> Callable[[Value], None]:
    return overwriting_backward
