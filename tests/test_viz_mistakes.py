"""draw_mistake (micrograd.viz.mistakes): draw_dot's graph with a mistake's gradients beside the
right ones and the first diverging step marked."""

from __future__ import annotations

import re
import shutil

import pytest

graphviz = pytest.importorskip("graphviz")

from test_mistakes import doubled  # noqa: E402

from micrograd import Value  # noqa: E402
from micrograd.mistakes import NAMES, compare  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.viz import draw_dot  # noqa: E402
from micrograd.viz._core import HIGHLIGHT  # noqa: E402
from micrograd.viz.mistakes import draw_mistake  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def edge_lines(source: str) -> list[str]:
    """Each edge statement, its attributes too (a label may span lines)."""
    return re.findall(r"\w+ -> \w+(?: \[[^\]]*\])?", source)


def test_wrong_gradients_sit_beside_the_right_ones_and_are_marked():
    _, _, c = doubled()
    source = draw_mistake(compare(c, "overwrite")).source
    assert 'grad 4 · <FONT COLOR="#d62728"><B>1 ✗' in source  # a
    assert 'grad 2 · <FONT COLOR="#d62728"><B>1 ✗' in source  # b
    assert "grad 1 ✓<" in source  # c: right, so not marked
    assert "what overwrite gives" in source  # the legend names the mistake
    assert source.count(" ✗</B>") == 2


def test_the_first_diverging_step_is_the_red_edge_saying_what_it_did():
    _, _, c = doubled()
    report = compare(c, "overwrite")
    source = draw_mistake(report).source
    red = [line for line in edge_lines(source) if f'color="{HIGHLIGHT}"' in line and "label" in line]
    assert len(red) == 1
    assert red[0].startswith("v1 -> op2")  # b →₁ c: the second edge from b into c
    assert "step 2: wrote 1 over 1" in red[0]
    assert "step 2" in red[0] and report.first_divergence == 2


def test_without_a_divergence_nothing_is_red():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    report = compare(a * b + 1, "overwrite")
    assert report.first_divergence is None
    source = draw_mistake(report).source
    assert " ✗</B>" not in source
    assert not any(f'color="{HIGHLIGHT}"' in line for line in edge_lines(source))


def test_it_is_draw_dots_graph_box_for_box_and_edge_for_edge():
    model = MLP(2, [3, 3, 2], seed=0)
    outputs = model([Value(0.5, label="x[1]"), Value(-1.0, label="x[2]")])
    loss = sum((o - t) ** 2 for o, t in zip(outputs, (1.0, 0.0)))
    report = compare(loss, "no_topological_order")
    ours, theirs = draw_mistake(report).source, draw_dot(loss).source
    arrows = re.compile(r"^\s*(\w+) -> (\w+)", re.M)
    assert arrows.findall(ours) == arrows.findall(theirs)
    assert re.findall(r"^\s*(v\d+) \[", ours, re.M) == re.findall(r"^\s*(v\d+) \[", theirs, re.M)
    assert "w²₁₁" in ours  # role names shown as the notebooks write them


def test_a_lost_edge_is_dashed_and_a_wrong_local_derivative_shows_beside_the_right_one():
    a = Value(3.0, label="a")
    source = draw_mistake(compare(a * a, "set_of_parents")).source
    assert "step 2: lost" in source
    x = Value(0.5, label="x")
    source = draw_mistake(compare(x.tanh(), "wrong_local")).source
    assert "0.7864 (wrong: 0.75)" in source
    y = Value(3.0, label="y")
    source = draw_mistake(compare(y.relu() * 2, "wrong_local")).source
    assert "1 (wrong: 3)" in source


def test_no_zero_grad_draws_the_second_step():
    a = Value(1.0, label="a")
    source = draw_mistake(compare(a * a, "no_zero_grad")).source
    assert "data 0.8" in source  # a after the first step: 1 - 0.1 × 2
    assert "grad 1.6 · " in source and "<B>3.6 ✗" in source
    assert a.data == 1.0


def test_a_gradient_passed_on_too_early_is_labelled_with_both_upstreams():
    _, _, c = doubled()
    source = draw_mistake(compare(c, "no_topological_order")).source
    assert "step 3: upstream 1, not 2" in source


def test_recursion_without_visited_marks_the_edge_run_again():
    _, _, c = doubled()
    source = draw_mistake(compare(c, "recursion_without_visited")).source
    assert "step 3: again (2×)" in source


@pytest.mark.parametrize("name", NAMES)
def test_every_mistake_draws(name):
    x = Value(0.5, label="x")
    b = x + x
    out = (b * b).tanh() + b.relu()
    drawing = draw_mistake(compare(out, name))
    assert name in drawing.source
    assert drawing.text_summary == str(compare(out, name))


def test_labels_are_escaped():
    a = Value(1.0, label="<a&>")
    b = a + a
    b.label = "</TD>"
    source = draw_mistake(compare(b, "overwrite")).source
    assert "&lt;a&amp;&gt;" in source and "&lt;/TD&gt;" in source
    assert "<a&>" not in source


def test_hide_leaves_out_leaves_as_draw_dot_does():
    model = MLP(2, [3, 2], seed=0)
    outputs = model([Value(0.5, label="x[1]"), Value(-1.0, label="x[2]")])
    loss = sum(o * o for o in outputs)
    source = draw_mistake(compare(loss, "overwrite"), hide=model.parameters()).source
    assert "w²₁₁" not in source
    assert "x₁" in source


def test_bad_input_is_a_clear_error():
    with pytest.raises(TypeError, match=r"draw_mistake needs a report from micrograd.mistakes.compare"):
        draw_mistake(Value(1.0))
    _, _, c = doubled()
    with pytest.raises(ValueError, match="rankdir must be one of"):
        draw_mistake(compare(c, "overwrite"), rankdir="XY")
    with pytest.raises(ValueError, match="over the limit max_nodes=2"):
        draw_mistake(compare(c, "overwrite"), max_nodes=2)


def test_the_report_draws_itself():
    _, _, c = doubled()
    report = compare(c, "overwrite")
    assert report.draw().source == draw_mistake(report).source


@needs_dot
def test_it_renders_to_svg():
    _, _, c = doubled()
    svg = draw_mistake(compare(c, "overwrite")).pipe("svg").decode()
    assert "<svg" in svg and "1 ✗" in svg
