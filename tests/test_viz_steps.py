"""Frames of the backward pass (micrograd.viz.steps): DOT text, the page's data and HTML, the widget."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from hypothesis import given, settings
from strategies import expressions, micrograd_readme_expression

graphviz = pytest.importorskip("graphviz")

from micrograd import Value, backward_steps, draw_dot  # noqa: E402
from micrograd.viz import fmt  # noqa: E402
from micrograd.viz._core import GRAD_INK, HIGHLIGHT  # noqa: E402
from micrograd.viz.steps import (  # noqa: E402
    _box_texts,
    _script_json,
    asset_text,
    draw_step,
    layout_drawing,
    page_data,
    page_html,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")


def node_label(source: str, name: str) -> str:
    (line,) = [line.strip() for line in source.splitlines() if line.strip().startswith(f"{name} [")]
    return line


def grad_cells(source: str) -> dict[str, str]:
    """Each value's id and the text of its grad cell (tags stripped)."""
    cells = {}
    for line in source.splitlines():
        match = re.match(r"\s*(v\d+) \[label=<(.*)> shape=plain", line)
        if match:
            text = re.sub(r"<[^>]+>", "|", match.group(2))
            (grad,) = [part for part in text.split("|") if part.startswith("grad ")]
            cells[match.group(1)] = grad
    return cells


def small():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    out = a * b + a
    return a, b, out, backward_steps(out)  # order: v0 a, v1 b, v2 a*b, v3 out


def test_frame_zero_knows_only_the_output():
    *_, steps = small()
    cells = grad_cells(draw_step(steps, 0).source)
    assert cells == {"v0": "grad ?", "v1": "grad ?", "v2": "grad ?", "v3": "grad 1"}


def test_a_frame_shows_running_sums_and_the_current_edge():
    *_, steps = small()
    source = draw_step(steps, 3).source  # step 3: a → a*b adds 3 to a's 1
    cells = grad_cells(source)
    assert cells["v0"] == "grad 4 = 1 + 3"
    assert cells["v1"] == "grad ?" and cells["v2"] == "grad 1"
    (current,) = [line for line in source.splitlines() if "×" in line and "->" in line]
    assert current.strip().startswith("v0 -> op2") and "1 × 3" not in current
    assert 'label="3 × 1 = 3"' in current and HIGHLIGHT in current
    used = [line for line in source.splitlines() if "->" in line and GRAD_INK in line]
    assert len(used) == 3  # op3 -> v3, a*b -> op3 and a -> op3: steps 1 and 2


def test_a_value_still_collecting_says_so():
    *_, steps = small()
    cells = grad_cells(draw_step(steps, 2).source)  # a has 1 from step 2; step 3 will add more
    assert cells["v0"].startswith("grad 1") and "so far" in node_label(draw_step(steps, 2).source, "v0")
    assert "so far" not in node_label(draw_step(steps, 3).source, "v0")


def test_a_skipped_step_draws_a_dashed_edge():
    x, y = Value(-1.0, label="x"), Value(2.0, label="y")
    steps = backward_steps((x * y).relu() + y)  # relu'(-2) = 0: x*y has gradient 0, its edges are skipped
    assert [s.skipped for s in steps][-2:] == [True, True]
    source = draw_step(steps, len(steps)).source  # the last one is the current edge, the other dashed
    assert len([line for line in source.splitlines() if "-> op" in line and "dashed" in line]) == 1


@settings(max_examples=60, deadline=None)
@given(expressions(max_steps=10))
def test_the_last_frame_agrees_with_draw_dot_after_backward(expr):
    out = expr(*[Value(x) for x in expr.inputs])
    steps = backward_steps(out)
    last = grad_cells(draw_step(steps, len(steps)).source)
    out.backward()
    after = grad_cells(draw_dot(out).source)
    assert set(last) == set(after)
    for name, cell in after.items():
        assert last[name].split(" = ")[0] == cell  # the sum written out comes after " = "


def test_readme_expression_last_frame_has_micrograds_numbers():
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    g = micrograd_readme_expression(a, b)
    source = draw_step(backward_steps(g), 45).source
    assert "grad 138.8 = " in source and "grad 645.6 = " in source  # 138.8338, 645.5773 to 4 figures


def test_hidden_leaves_are_left_out_of_every_frame_with_their_edges():
    *_, steps = small()
    for k in range(len(steps) + 1):
        source = draw_step(steps, k, hide=[steps.order[1]]).source  # b
        assert "v1 " not in source and "v1 ->" not in source
        assert set(grad_cells(source)) == {"v0", "v2", "v3"}
    assert 'label="3 × 1 = 3"' in draw_step(steps, 3, hide=[steps.order[1]]).source  # a's edge is still drawn
    with pytest.raises(ValueError, match="hide: only leaves can be left out"):
        draw_step(steps, 0, hide=[steps.output])


def test_the_frame_legend_puts_the_step_marks_on_a_second_line():
    *_, steps = small()
    legend = draw_step(steps, 1).source.split("label=<<FONT POINT-SIZE")[1]
    kinds, marks = legend.split("</TD></TR><TR>")
    assert "computed" in kinds and "used edges" not in kinds
    assert "used edges" in marks and "grad ?: not reached yet" in marks and "computed" not in marks


def test_bad_frames_and_arguments_are_clear_errors():
    *_, steps = small()
    with pytest.raises(ValueError, match="frame must be an int from 0 to 4"):
        draw_step(steps, 5)
    with pytest.raises(TypeError, match=r"draw_step needs micrograd\.backward_steps"):
        draw_step(Value(1.0), 0)
    with pytest.raises(ValueError, match="rankdir"):
        draw_step(steps, 0, rankdir="sideways")


def test_the_methods_on_the_steps_draw_the_same():
    *_, steps = small()
    assert steps.draw(2).source == draw_step(steps, 2).source
    assert steps.draw().source == draw_step(steps, 4).source


# --------------------------------------------------------------------------- the page


def test_json_in_a_script_element_cannot_end_it():
    text = _script_json({"x": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"x": "</script><!-- & \u2028"}


def test_assets_are_package_data_with_the_documented_interface():
    js, css, template = asset_text("stepthrough.js"), asset_text("stepthrough.css"), asset_text("stepthrough.html")
    assert "MicrogradSteps.mount(container, data, options)" in js and "global.MicrogradSteps = {" in js
    assert "</script" not in js.lower() and "</style" not in css.lower()
    for marker in ("{{title}}", "{{css}}", "{{js}}", "{{data}}"):
        assert template.count(marker) == 1
    widget = asset_text("stepthrough_widget.js")
    assert "export default" in widget and "MicrogradSteps.mount(el" in widget


def test_the_data_module_does_not_import_the_drawings():
    import ast
    from pathlib import Path

    import micrograd.steps

    tree = ast.parse(Path(micrograd.steps.__file__).read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and m.startswith("micrograd.viz")]


@needs_dot
def test_page_data_lays_the_graph_out_once_with_ids_for_every_value_and_edge():
    *_, steps = small()
    data = page_data(steps)
    json.dumps(data, allow_nan=False)  # JSON-ready
    assert data["version"] == 2 and data["svg"].startswith("<svg") and "digraph" in data["dot"]
    ids = set(re.findall(r'<g id="([^"]+)"', data["svg"]))
    assert {"v0", "v1", "v2", "v3", "op2", "op3", "o2", "o3"} <= ids
    assert {row["edge_id"] for row in data["steps"]} <= ids  # every step's edge can be found
    assert [row["number"] for row in data["steps"]] == [1, 2, 3, 4]
    row = data["steps"][2]
    assert (row["parent"], row["child"], row["before"], row["after"], row["summing"], row["final"]) == (
        "v0", "v2", 1.0, 4.0, True, True,
    )  # fmt: skip
    assert row["grad"] == "4 = 1 + 3" and row["label"] == "3 × 1 = 3" and row["sum"] == "∂(a*b + a)/∂a = 4 = 1 + 3"
    assert data["nodes"] == {"v0": "a", "v1": "b", "v2": "a*b", "v3": "a*b + a"}
    assert data["title"] == "backward() of a*b + a" and data["notice"] is None
    assert page_data(steps, layout=False)["svg"] is None  # for a page that lays the DOT out itself


@needs_dot
def test_the_last_frame_sums_one_inputs_paths_to_backwards_gradient():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + a) * a
    summary = page_data(backward_steps(out))["summary"]
    out.backward()
    assert summary["grads"] == [
        {"name": "∂((a*b + a)*a)/∂a", "grad": "-8"},
        {"name": "∂((a*b + a)*a)/∂b", "grad": "4"},
    ]
    assert a.grad == -8 and summary["wrt"] == "a" and len(summary["paths"]) == 3
    assert summary["equation"] == "∂((a*b + a)*a)/∂a = -6 + 2 + (-4) = -8" and summary["grad"] == "-8"


def test_boxes_write_a_sum_of_a_few_terms_and_count_longer_ones():
    x = Value(0.5, label="x")
    out = x * 1.0 + x * 2.0 + x * 3.0 + x * 4.0
    steps = backward_steps(out)
    texts = [t for s, t in zip(steps, _box_texts(steps)) if s.parent is x]
    assert texts == ["1", "3 = 1 + 2", "6 = 1 + 2 + 3", "10 (4 terms)"]  # the last term first: x * 4.0


def test_the_layout_reserves_room_for_the_widest_frame():
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    steps = backward_steps(micrograd_readme_expression(a, b))
    source = layout_drawing(steps).source
    assert source.count("WIDTH=") >= len(steps) + len(steps.order) - 1  # every box and edge label has its room
    assert "id=v0" in source.replace('"', "") and "id=e" in source.replace('"', "")


@needs_dot
def test_most_steps_skipped_are_explained_and_minus_zero_is_not_printed():
    x, w, b = Value(-1.0, label="x"), Value(2.0, label="w"), Value(0.5, label="b")
    out = (x * w + b).relu()  # z = -1.5: relu passes 0 back, and backward() skips z and all before it
    data = page_data(backward_steps(out))
    assert data["notice"] and "skipped" in data["notice"] and "is 0" in data["notice"]
    assert not any(cell == "-0" for row in data["steps"] for cell in row["cells"])


@needs_dot
def test_page_html_inlines_everything_and_needs_no_network(tmp_path):
    *_, steps = small()
    page = page_html(page_data(steps, title="{{js}} </title>"))
    assert "<title>{{js}} &lt;/title&gt;</title>" in page  # inserted text is never searched for markers
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert "<script src" not in page and "<link" not in page
    path = tmp_path / "page.html"
    steps.save_html(path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@needs_dot
def test_a_long_pass_has_no_step_cap():
    x = Value(0.5, label="x")
    y = x
    for _ in range(300):
        y = y.tanh()
    data = page_data(backward_steps(y))
    assert len(data["steps"]) == 300 and data["svg"].count('class="node"') == 601


def test_bad_arguments_to_the_page_are_clear_errors():
    *_, steps = small()
    with pytest.raises(TypeError, match=r"page_data needs micrograd\.backward_steps"):
        page_data("a*b")
    with pytest.raises(TypeError, match="notice must be a str or None"):
        page_data(steps, notice=3)


# --------------------------------------------------------------------------- Jupyter


@needs_dot
def test_the_widget_runs_the_pages_script_and_keeps_its_step():
    anywidget = pytest.importorskip("anywidget")
    *_, steps = small()
    view = steps.widget(interval_ms=500)
    assert isinstance(view, anywidget.AnyWidget)
    assert "MicrogradSteps" in view._esm and "export default" in view._esm
    data = json.loads(view.data)
    assert data == {**page_data(steps), "interval_ms": 500}
    assert view.step == 0
    view.step = 3  # the kernel's side of the trait the page keeps in step
    assert view.step == 3
    assert "Run this cell with a live kernel" in view._repr_mimebundle_()[0]["text/plain"]


# --------------------------------------------------------------------------- the network, neuron by neuron


def network_frames():
    from micrograd.nielsen import trace
    from micrograd.nn import MLP

    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = trace(model, [0.5, -1.0])
    cost = 0.5 * ((t.output[0] - 1.0) ** 2 + (t.output[1] - 0.0) ** 2)
    return model, t, cost, backward_steps(cost).network(model, t.output)


def test_network_frames_go_back_layer_by_layer_one_neuron_at_a_time():
    _model, _t, _cost, frames = network_frames()
    assert len(frames) == 8
    layers = [c for c, _ in frames.neurons]
    assert layers == sorted(layers, reverse=True)  # the output layer first (BP1), then BP2 backwards
    numbers = [frames.step_number(n) for n in range(len(frames) + 1)]
    assert numbers == sorted(numbers) and numbers[-1] == len(frames.steps)


def test_each_network_frame_states_bp1_or_bp2_with_backwards_numbers():
    _model, t, cost, frames = network_frames()
    cost.backward()
    for n, (c, j) in enumerate(frames.neurons, 1):
        z, a = t.zs[c - 1][j], t.activations[c - 1][j]
        equation = frames.equation(n)
        assert equation.startswith("BP1" if c == 3 else "BP2")
        assert equation.endswith(f"× {fmt(a.local_grads[0])} = {fmt(z.grad)}")  # δ = (…) × σ'(z)
        if c < 3:  # one term w·δ per neuron of the next layer
            nxt = t.zs[c]
            assert equation.count(" + ") == len(nxt) - 1
            expected = [zz.local_grads[zz.parents.index(a)] * zz.grad for zz in nxt]
            assert frames.steps.terms_after(a, frames.step_number(n)) == expected


def test_network_frames_show_unknown_gradients_as_question_marks_until_reached():
    model, t, cost, frames = network_frames()
    first = frames.draw(0).source
    assert "?" in first and "before any neuron" in first
    cost.backward()
    last = frames.draw(len(frames)).source
    assert ">?<" not in last
    # The last frame shows every gradient backward() computed, as draw_network does.
    mine = re.findall(r">(-?\d+\.\d{4})<", draw_network_source(model, t))
    assert sorted(re.findall(r">(-?\d+\.\d{4})<", last)) == sorted(mine)
    current = frames.draw(3).source  # hidden layer 2: BP2, its weights to the outputs in purple
    assert current.count(f'color="{GRAD_INK}"') >= 2 * 2 and "BP2: δ = (Σ w·δ) × σ&#x27;(z)" in current


def draw_network_source(model, t) -> str:
    from micrograd import draw_network

    return draw_network(model, outputs=t.output).source


def test_network_frames_refuse_outputs_from_another_pass():
    from micrograd.nn import MLP

    model = MLP(2, [2, 1], seed=0)
    out = model([1.0, 2.0])
    other = model([1.0, 2.0])
    with pytest.raises(ValueError, match="not part of this backward pass"):
        backward_steps(out * 2).network(model, other)
    with pytest.raises(ValueError, match="frame must be an int from 0 to 3"):
        backward_steps(out * 2).network(model, out).draw(4)


@needs_dot
def test_network_view_has_a_page_and_a_widget(tmp_path):
    pytest.importorskip("anywidget")
    *_, frames = network_frames()
    data = frames.page_data()
    assert data["mode"] == "frames" and len(data["frames"]) == len(frames) + 1
    assert "BP1" in data["steps"][0]["what"] and "BP2" in data["steps"][2]["what"]
    path = tmp_path / "neurons.html"
    frames.save_html(path)
    assert "MicrogradSteps.mount" in path.read_text(encoding="utf-8")
    assert json.loads(frames.widget().data)["mode"] == "frames"


# --------------------------------------------------------------------------- mistakes beside the right pass


@needs_dot
def test_each_mistakes_rows_replay_its_wrong_pass_write_by_write():
    from micrograd import mistakes

    a = Value(1.0, label="a")
    b = a + a
    c = b + b
    steps = backward_steps(c)
    data = page_data(steps)
    assert data["mistake_names"] == list(mistakes.NAMES) and set(data["mistakes"]) == set(mistakes.NAMES)
    index = {f"v{i}": node for i, node in enumerate(steps.order)}
    for name, entry in data["mistakes"].items():
        comparison = mistakes.compare(c, name)
        assert entry["first_divergence"] == comparison.first_divergence and entry["explanation"]
        for k, row in enumerate(entry["steps"], 1):  # each write's parent shows what the wrong pass wrote
            assert row["grad"] == fmt(comparison.wrong_after(k)[index[row["parent"]]]), (name, k)
        marked = [row["number"] for row in entry["steps"] if row["diverges"]]
        assert marked == ([] if comparison.divergent is None else [comparison.divergent.position])
    overwrite = data["mistakes"]["overwrite"]["steps"]
    assert any("overwrote" in row["sum"] for row in overwrite)


def test_unknown_mistakes_are_a_clear_error_and_none_can_be_asked_for():
    *_, steps = small()
    with pytest.raises(ValueError, match="unknown 'bogus'; the mistakes are overwrite"):
        page_data(steps, mistakes=["bogus"], layout=False)
    assert page_data(steps, mistakes=(), layout=False)["mistakes"] == {}


@needs_dot
def test_save_html_writes_a_title_with_a_lone_surrogate_as_an_escape(tmp_path):
    *_, steps = small()
    path = tmp_path / "odd.html"
    steps.save_html(path, title="odd \ud800 title")
    assert "odd \\ud800 title" in path.read_text(encoding="utf-8")
