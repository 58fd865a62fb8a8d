"""backward_steps (micrograd.steps): backward() as a sequence of steps, replayed bit for bit."""

from __future__ import annotations

import math
import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import expressions, micrograd_readme_expression

import micrograd
from micrograd import Value, backward_steps, count_paths, topological_order, weighted_sum
from micrograd.notation import shown
from micrograd.steps import BackwardSteps, Step


def bits(x: float) -> bytes:
    """The float's exact bits: tells 0.0 from -0.0, unlike ==."""
    return struct.pack("<d", x)


def readme_graph():
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    g = micrograd_readme_expression(a, b)
    g.label = "g"
    return a, b, g


def assert_replay_is_backward(output: Value) -> BackwardSteps:
    """Steps first (no grad touched), then backward(): every value's grad equals the replay, bits and all."""
    order = topological_order(output)
    for node in order:
        node.grad = 0.0  # backward() accumulates into leaves: start them where the steps start
    steps = backward_steps(output)
    assert all(bits(node.grad) == bits(0.0) for node in order)  # nothing touched
    replay = steps.grads_after(len(steps))
    output.backward()
    for node in order:
        assert bits(replay[node]) == bits(node.grad), node
    return steps


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(expressions(max_steps=14))
def test_replaying_the_steps_gives_backward_bit_for_bit_on_random_graphs(expr):
    out = expr(*[Value(x) for x in expr.inputs])
    assert_replay_is_backward(out)


@settings(max_examples=150, deadline=None)
@given(expressions(max_steps=12))
def test_each_step_is_backwards_arithmetic_in_backwards_order(expr):
    out = expr(*[Value(x) for x in expr.inputs])
    steps = backward_steps(out)
    order = topological_order(out)
    # Exactly the edges backward() walks, in its order: children from the output down, parents in order.
    expected = [(child, j) for child in reversed(order) for j in range(len(child.parents))]
    assert [(s.child, s.argument) for s in steps] == expected
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))
    grads = steps.grads_after()
    running: dict[Value, float] = {}
    seen_final: set[Value] = set()
    for s in steps:
        assert s.parent is s.child.parents[s.argument]
        assert bits(s.local) == bits(s.child.local_grads[s.argument])
        assert bits(s.upstream) == bits(grads[s.child])  # the child is final when its edges are walked
        assert bits(s.contribution) == bits(s.local * s.upstream)
        assert bits(s.before) == bits(running.get(s.parent, 0.0))
        if s.skipped:
            assert s.upstream == 0 and bits(s.after) == bits(s.before) and s.term == 0
        else:
            assert bits(s.after) == bits(s.before + s.contribution)
        running[s.parent] = s.after
        assert s.parent not in seen_final  # nothing arrives after the step marked final
        if s.final:
            seen_final.add(s.parent)
        assert s.first == (s.term == 1) and s.summing == (s.term > 1)
        assert s.path_count == count_paths(out, s.child)
    assert seen_final == set(order) - {out}  # every value but the output gets its final step


@settings(max_examples=60, deadline=None)
@given(expressions(max_steps=8), st.data())
def test_a_steps_paths_are_the_paths_through_its_edge_and_add_up_to_its_contribution(expr, data):
    out = expr(*[Value(x) for x in expr.inputs])
    steps = backward_steps(out)
    step = data.draw(st.sampled_from(list(steps)), label="step")
    listed = step.paths(limit=None)
    assert len(listed) == step.path_count
    for p in listed:
        assert p.nodes[0] is step.parent and p.nodes[1] is step.child and p.nodes[-1] is out
        assert p.edge_indices[0] == step.argument
    if not step.skipped:
        total = math.fsum(p.product for p in listed)
        assert total == pytest.approx(step.contribution, rel=1e-9, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(expressions(max_steps=10), st.integers(0, 40))
def test_grads_after_k_steps_are_the_running_sums_of_the_steps_so_far(expr, k):
    out = expr(*[Value(x) for x in expr.inputs])
    steps = backward_steps(out)
    k = min(k, len(steps))
    known = steps.grads_after(k)
    assert known[out] == 1.0
    reached = {s.parent for s in steps[:k]} | {out}
    assert set(known) == reached
    for s in steps[:k]:
        assert bits(known[s.parent]) == bits(steps.grads_after(k)[s.parent])
    for node in reached - {out}:
        last = [s for s in steps[:k] if s.parent is node][-1]
        assert bits(known[node]) == bits(last.after)
        assert steps.terms_after(node, k) == [s.contribution for s in steps[:k] if s.parent is node and not s.skipped]


# --------------------------------------------------------------------------- examples


def test_micrograds_readme_expression_replays_to_its_gradients():
    a, b, g = readme_graph()
    steps = assert_replay_is_backward(g)
    assert f"{a.grad:.4f}" == "138.8338" and f"{b.grad:.4f}" == "645.5773"  # micrograd's README numbers
    assert len(steps) == micrograd.count_edges(g) == 45
    assert steps.sums == 11
    # a receives four contributions; the last one completes it.
    into_a = [s for s in steps if s.parent is a and not s.skipped]
    assert [s.term for s in into_a] == [1, 2, 3, 4] and into_a[-1].final


def test_a_times_a_is_two_steps_one_per_argument():
    a = Value(3.0, label="a")
    steps = backward_steps(a * a)
    assert [(s.argument, s.local, s.contribution, s.before, s.after) for s in steps] == [
        (0, 3.0, 3.0, 0.0, 3.0),
        (1, 3.0, 3.0, 3.0, 6.0),
    ]
    assert [s.first for s in steps] == [True, False] and [s.summing for s in steps] == [False, True]
    assert [s.final for s in steps] == [False, True]
    assert "a →₀ a*a" in str(steps) and "a →₁ a*a" in str(steps)


def test_zero_gradient_values_have_skipped_steps_that_add_nothing():
    # relu(-1) has gradient 0 w.r.t. its input, so backward() skips x's edges below it.
    x = Value(-1.0, label="x")
    y = Value(2.0, label="y")
    out = (x * y).relu() + y
    steps = assert_replay_is_backward(out)
    skipped = [s for s in steps if s.skipped]
    assert {s.parent for s in skipped} == {x, y}
    assert all(s.upstream == 0 and s.after == s.before and s.term == 0 for s in skipped)
    assert "skipped: upstream is 0, nothing added" in str(steps)
    assert x.grad == 0.0 and steps.grads_after()[x] == 0.0


def test_a_leaf_output_has_no_steps_and_gradient_one():
    x = Value(2.0, label="x")
    steps = backward_steps(x)
    assert len(steps) == 0 and steps.grads_after() == {x: 1.0}
    assert "no edges" in str(steps)


def test_steps_touch_no_grad_even_when_grads_are_stale():
    _a, _b, g = readme_graph()
    nodes = topological_order(g)
    for k, node in enumerate(nodes):
        node.grad = k + 0.25
    steps = backward_steps(g)
    steps.grads_after(), str(steps), steps._repr_html_()
    assert [n.grad for n in nodes] == [k + 0.25 for k in range(len(nodes))]


def test_a_neuron_weighted_sum_node_is_one_step_per_argument():
    w, x, bias = [Value(0.5, label="w1"), Value(-1.0, label="w2")], [Value(2.0), Value(3.0)], Value(0.1, label="b")
    z = weighted_sum(w, x, bias).tanh()
    steps = assert_replay_is_backward(z)
    assert len(steps) == 1 + 5


def test_frames_out_of_range_are_a_clear_error():
    a = Value(1.0)
    steps = backward_steps(a * 2)
    for bad in (-1, 3, 1.5, True, "1"):
        with pytest.raises(ValueError, match=r"frame must be an int from 0 to 2"):
            steps.grads_after(bad)


def test_backward_steps_needs_a_value():
    with pytest.raises(TypeError, match=r"backward_steps needs a Value.*got list"):
        backward_steps([Value(1.0)])


# --------------------------------------------------------------------------- the table


def test_the_table_shows_each_step_and_flags_the_sums():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    text = str(backward_steps(a * b + a))
    lines = text.splitlines()
    assert lines[0] == "backward() of a*b + a: 4 steps, one per edge; 1 sum"
    assert lines[1].split() == ["step", "edge", "local", "upstream", "contribution", "∂(a*b", "+", "a)/∂parent", "note"]
    assert " ".join(lines[4].split()) == "3 a → a*b 3 1 3 1 + 3 = 4 + term 2, final"
    assert lines[-1] == "  gradients: ∂(a*b + a)/∂a = 4, ∂(a*b + a)/∂b = 2"  # a name not one symbol: (...)


def test_negative_contributions_are_bracketed_in_the_sum():
    a = Value(2.0, label="a")
    text = str(backward_steps(a - a * 3))
    assert "1 + (-3) = -2" in text


def test_a_long_pass_elides_the_middle_of_the_table():
    x = Value(0.5, label="x")
    y = x
    for _ in range(60):
        y = y.tanh()
    steps = backward_steps(y)
    lines = str(steps).splitlines()
    assert len(steps) == 60
    assert "… 20 more steps not shown …" in lines[2 + 20]
    assert lines[2].split()[0] == "1" and lines[-3].split()[0] == "60"
    assert lines[-1] == "  #n: the n-th value of that name, in the order computed (tanh#2: the second tanh)"
    assert "more steps not shown" in steps._repr_html_()


def test_html_table_marks_sums_and_escapes_labels():
    a = Value(2.0, label="<a>")
    html_text = backward_steps(a * a)._repr_html_()
    assert "&lt;a&gt;" in html_text and "<a>" not in html_text.replace("<a>", "", 0)
    assert "class='summing final'" in html_text
    assert html_text.count("<tr class=") == 2


def test_arithmetic_and_sum_text_write_the_sum_out():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    steps = backward_steps(a * b + a)
    assert steps.sum_text(a, 0) == "?" and steps.sum_text(a, 2) == "1" and steps.sum_text(a, 3) == "4 = 1 + 3"
    expected = "a → a*b: 3 × 1 = 3; ∂(a*b + a)/∂a = 4 = 1 + 3 (term 2: the sum over paths, final)"
    assert steps.arithmetic(steps[2]) == expected
    assert repr(steps) == "BackwardSteps(4 steps of a*b + a, 1 sums)"


def test_public_names_come_from_the_package():
    assert micrograd.backward_steps is backward_steps and micrograd.BackwardSteps is BackwardSteps
    assert "backward_steps" in dir(micrograd) and isinstance(backward_steps(Value(1.0) * 2)[0], Step)


def test_importing_steps_needs_no_graphviz():
    import subprocess
    import sys

    code = "import sys, micrograd; micrograd.backward_steps; assert 'graphviz' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_docstring_examples_run():
    import doctest

    import micrograd.steps

    assert doctest.testmod(micrograd.steps).failed == 0


def test_the_readme_step_table_is_what_the_code_prints():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("```\nbackward() of L:") + 4
    shown = readme[start : readme.index("```", start)].rstrip("\n")
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    L = d * a
    L.label = "L"
    assert str(backward_steps(L)) == shown


# --------------------------------------------------------------------------- names learners know


def network_steps(sizes, seed=0):
    from micrograd import losses
    from micrograd.nn import MLP

    model = MLP(2, sizes, seed=seed)
    out = model([0.5, -1.0])
    cost = losses.mse(out if isinstance(out, list) else [out], [1.0] * sizes[-1])
    return model, backward_steps(cost)


@pytest.mark.parametrize("sizes", [[3, 3, 2], [16, 16, 1]])
def test_a_networks_step_table_names_values_by_role_not_by_value(sizes):
    model, steps = network_steps(sizes)
    names = steps.names()
    assert steps._heading().startswith("backward() of C: ")
    for p in model.parameters():
        assert names[p] == shown(p.label) and names[p][0] in "wb"  # w²₁₁, never its number
    edges = [steps.edge_text(s) for s in steps]
    assert not any("Σwx+b" in edge or re.search(r"\S#\d", edge) for edge in edges)
    assert "x₁ → z²₁" in edges and "w²₁₁ → z²₁" in edges
    assert not steps.names_note()  # every name is unique: nothing to explain


def test_a_step_writes_its_derivative_with_the_output_and_parentheses():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    inner = a * b + a
    out = inner * a
    out.label = "C"
    steps = backward_steps(out)
    step = next(s for s in steps if s.parent is inner)
    assert steps.arithmetic(step).startswith("a*b + a → C: 2 × 1 = 2; ∂C/∂(a*b + a) = 2 ")
    assert steps.partial(a) == "∂C/∂a" and str(steps).splitlines()[1].split()[5] == "∂C/∂parent"


def test_a_number_suffix_is_explained_in_the_table_and_the_page_heading():
    a = Value(1.0, label="a")
    steps = backward_steps(a * 2 + a * 2)
    note = "#n: the n-th value of that name, in the order computed (2#2: the second 2)"
    assert steps.names_note() == note and str(steps).endswith(note) and note in steps._repr_html_()
    assert steps._heading(note=True).endswith(f"; 1 sum. {note}")
