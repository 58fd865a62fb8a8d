"""Drawings (micrograd.viz): DOT text, highlighting, rendering, the text fallback, limits."""

from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

graphviz = pytest.importorskip("graphviz")

from strategies import micrograd_readme_expression  # noqa: E402

import micrograd  # noqa: E402
from micrograd import Value, no_grad, topological_order  # noqa: E402
from micrograd.nn import MLP, Layer  # noqa: E402
from micrograd.viz import DEFAULT_MAX_NODES, KIND_COLOURS, draw_dot, draw_network, fmt  # noqa: E402
from micrograd.viz._core import GRAD_INK  # noqa: E402

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")

RED = "#d62728"  # the highlight colour
DIMMED = "#b8b8b8"


def names(root: Value) -> dict[Value, str]:
    """Each value's DOT node name, as draw_dot numbers them (topological order)."""
    return {node: f"v{i}" for i, node in enumerate(topological_order(root))}


def edge_lines(source: str, tail: str, head: str) -> list[str]:
    """The DOT lines of every edge tail -> head, in order."""
    edge = f"{tail} -> {head}"
    return [line.strip() for line in source.splitlines() if line.strip() == edge or line.strip().startswith(edge + " ")]


def node_line(source: str, name: str) -> str:
    (line,) = [line.strip() for line in source.splitlines() if line.strip().startswith(f"{name} [")]
    return line


def karpathy_example():
    """The expression from micrograd's README, with labels."""
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    g = micrograd_readme_expression(a, b)
    g.label = "g"
    g.backward()
    return a, b, g


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """A PATH on which Graphviz's `dot` cannot be found."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


# --------------------------------------------------------------------------- what a drawing shows


def test_values_show_label_data_and_grad_with_significant_figures():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    c.backward()
    source = draw_dot(c).source
    n = names(c)
    assert "<B>a</B>" in node_line(source, n[a])
    assert ">data 2<" in node_line(source, n[a]) and ">grad -2<" in node_line(source, n[a])
    assert ">data -3<" in node_line(source, n[b]) and ">grad 2<" in node_line(source, n[b])
    assert ">data -4<" in node_line(source, n[c]) and ">grad 1<" in node_line(source, n[c])


def test_numbers_are_printed_with_four_significant_figures_and_no_negative_zero():
    assert [fmt(6.0), fmt(-0.5), fmt(1 / 3), fmt(-0.0), fmt(-1e-7), fmt(2e12), fmt(12345.678), fmt(9.99996)] == [
        "6",
        "-0.5",
        "0.3333",
        "0",
        "-1e-07",
        "2e+12",
        "12346",
        "10",
    ]


def test_a_small_gradient_is_not_printed_as_zero():
    """Regression: with 4 decimals a neuron whose values were ~1e-5 showed 0.0000 everywhere."""
    assert [fmt(1.2345e-5), fmt(-0.00012344), fmt(5.4e-20)] == ["1.234e-05", "-0.0001234", "5.4e-20"]
    x = Value(1e-5, label="x")
    y = x * x
    y.backward()
    source = draw_dot(y).source
    assert ">data 1e-10<" in node_line(source, "v1") and ">grad 2e-05<" in node_line(source, "v0")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_fmt_keeps_four_significant_figures_of_every_nonzero_number(x):
    shown = float(fmt(x))
    assert (shown == 0) == (x == 0)
    assert math.isclose(shown, x, rel_tol=5e-4, abs_tol=0)


def test_each_operation_is_an_oval_before_its_value():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    source = draw_dot(c).source
    n = names(c)
    i = n[c][1:]
    assert "label=<*>" in node_line(source, f"op{i}")
    assert edge_lines(source, f"op{i}", n[c]) == [f"op{i} -> {n[c]}"]


def test_edges_from_parents_carry_the_local_derivative():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b).tanh()
    source = draw_dot(c).source
    n = names(c)
    product = c.parents[0]
    op = f"op{n[product][1:]}"
    assert edge_lines(source, n[a], op) == [f"{n[a]} -> {op} [label=-3]"]  # d(ab)/da = b
    assert edge_lines(source, n[b], op) == [f"{n[b]} -> {op} [label=2]"]
    tanh_op = f"op{n[c][1:]}"
    (line,) = edge_lines(source, n[product], tanh_op)
    assert f'label="{fmt(1 - c.data**2)}"' in line  # 2.458e-05: quoted by graphviz, never 0.0000


def test_local_derivatives_can_be_left_off():
    a = Value(2.0, label="a")
    source = draw_dot(a * 3 + a, show_local_grads=False).source
    assert not [line for line in source.splitlines() if "->" in line and "label=" in line]


def test_a_times_a_draws_two_parallel_edges():
    a = Value(3.0, label="a")
    y = a * a
    y.backward()
    source = draw_dot(y).source
    n = names(y)
    assert edge_lines(source, n[a], f"op{n[y][1:]}") == [f"{n[a]} -> op{n[y][1:]} [label=3]"] * 2
    assert ">grad 6<" in node_line(source, n[a])  # 3 + 3: one term per edge


def test_the_fused_neuron_op_draws_one_edge_per_argument():
    model = MLP(3, [1], seed=0)
    y = model([1.0, 2.0, 3.0])  # linear output neuron: y is the Σwx+b node itself
    source = draw_dot(y).source
    op = f"op{names(y)[y][1:]}"
    assert "label=<Σwx+b>" in node_line(source, op)
    assert sum(1 for line in source.splitlines() if line.strip().endswith("]") and f"-> {op} " in line) == 7


def test_kinds_of_value_are_told_apart_by_colour():
    model = MLP(1, [1], seed=0)
    x = Value(0.5, label="x")
    y = model([x]) * 2.0 + 1  # parameters (unlabelled), an input (labelled), constants, the output
    y.backward()
    source = draw_dot(y, params=model.parameters()).source
    n = names(y)
    w, b = model.parameters()
    constant = next(v for v in n if not v.parents and not v.label and v not in (w, b))
    shown = {"param": w, "bias": b, "input": x, "output": y, "interior": y.parents[0], "constant": constant}
    colours = {kind: re.search(r'BGCOLOR="(#\w+)"', node_line(source, n[v])).group(1) for kind, v in shown.items()}
    assert colours["param"] == colours["bias"]
    assert len({colours[k] for k in ("param", "input", "output", "interior", "constant")}) == 5


def test_inputs_hint_marks_unlabelled_leaves_as_inputs():
    x = Value(1.5)  # unlabelled: a constant unless said otherwise
    y = x * 2
    plain, hinted = draw_dot(y).source, draw_dot(y, inputs=[x]).source
    n = names(y)
    fill = {kind: colours[0] for kind, colours in KIND_COLOURS.items()}
    assert f'BGCOLOR="{fill["constant"]}"' in node_line(plain, n[x])
    assert f'BGCOLOR="{fill["input"]}"' in node_line(hinted, n[x])


def test_an_unlabelled_constant_is_named_by_its_value():
    """Regression: the y and the ½ of ½(a − y)² were boxes with no name."""
    a = Value(0.8, label="a")
    cost = 0.5 * (a - 0.25) ** 2
    cost.backward()
    source = draw_dot(cost).source
    constants = {v.data: v for v in topological_order(cost) if not v.parents and not v.label}
    half, target = constants[0.5], constants[0.25]
    n = names(cost)
    assert "<B>0.5</B>" in node_line(source, n[half]) and "data" not in node_line(source, n[half])
    assert "<B>0.25</B>" in node_line(source, n[target])
    assert ">grad " in node_line(source, n[half])  # ∂cost/∂½ is still shown
    assert "<B>a</B>" in node_line(source, n[a]) and ">data 0.8<" in node_line(source, n[a])


def test_parents_keep_their_order_in_the_layout():
    """Each oval's incoming edges are declared parent by parent and dot is told to keep that order."""
    c0, c1 = Value(1.0, label="C⁰"), Value(2.0, label="C¹")
    total = c0 + c1
    source = draw_dot(total).source
    assert "ordering=in" in source.splitlines()[1]  # the graph attributes
    n = names(total)
    lines = [line.strip() for line in source.splitlines()]
    first, second = (lines.index(f"{n[c]} -> op{n[total][1:]} [label=1]") for c in (c0, c1))
    assert first < second


def _positions(drawing, rankdir):
    """Where dot puts each value: its coordinate across the ranks (x for TB, −y for LR)."""
    import json

    layout = json.loads(drawing.pipe(format="json0"))
    across = {}
    for obj in layout["objects"]:
        if obj.get("name", "").startswith("v") and "pos" in obj:
            x, y = map(float, obj["pos"].split(","))
            across[obj["name"]] = x if rankdir == "TB" else -y
    return across


@needs_dot
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_neurons_and_costs_are_laid_out_in_order(rankdir):
    """Regression: a 2-3-3-2 network's graph came out as z³₂, z³₁, z³₃ and C¹ left of C⁰."""
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=0)
    from micrograd.nielsen import trace

    t = trace(model, [0.5, -1.0])
    out = list(t.output)
    c0, c1 = 0.5 * (out[0] - 1.0) ** 2, 0.5 * (out[1] - 0.0) ** 2
    cost = c0 + c1
    cost.backward()
    across = _positions(draw_dot(cost, hide=model.parameters(), rankdir=rankdir), rankdir)
    n = names(cost)
    for layer in t.zs:
        spots = [across[n[z]] for z in layer]
        assert spots == sorted(spots), [z.label for z in layer]
    assert across[n[c0]] < across[n[c1]]


def test_the_legend_names_the_kinds_present_and_can_be_turned_off():
    a = Value(2.0, label="a")
    y = a * 3
    assert "input" in draw_dot(y).source and "local derivatives" in draw_dot(y).source
    assert "local derivatives" not in draw_dot(y, legend=False).source


def test_hidden_leaves_are_left_out_with_their_edges():
    model = MLP(2, [2, 1], seed=0)
    x = [Value(1.0, label="x1"), Value(-1.0, label="x2")]
    y = model(x)
    y.backward()
    source = draw_dot(y, params=model.parameters(), hide=model.parameters()).source
    n = names(y)
    lines = [line.strip() for line in source.splitlines()]
    for p in model.parameters():
        assert not any(line.startswith(f"{n[p]} ") for line in lines)  # neither its box nor its edges
    first = model.layers[0].neurons[0]
    z = next(v for v in n if v.parents and v.parents[0] is first.w[0])  # that neuron's Σwx+b
    (edge,) = edge_lines(source, n[x[0]], f"op{n[z][1:]}")
    assert f"label={fmt(first.w[0].data)}" in edge  # the weight is still there, as the local derivative
    assert "parameter" not in source  # nor in the legend
    assert "parameter" in draw_dot(y, params=model.parameters()).source


def test_only_leaves_can_be_hidden():
    a = Value(2.0, label="a")
    b = a * 3
    with pytest.raises(ValueError, match="only leaves"):
        draw_dot(b + 1, hide=[b])


# --------------------------------------------------------------------------- highlighting


def test_highlighting_a_value_marks_every_path_from_it_to_the_output():
    a, _, g = karpathy_example()
    source = draw_dot(g, highlight=a).source
    n = names(g)
    on_paths = {v for v in n if v is a or _depends_on(v, a)}
    for value, name in n.items():
        assert (f'COLOR="{RED}"' in node_line(source, name)) == (value in on_paths), value
    for child, name in n.items():
        for parent in child.parents:
            line = edge_lines(source, n[parent], f"op{name[1:]}")
            marked = parent in on_paths
            assert all((f'color="{RED}"' in ln) == marked for ln in line)
            assert all((f'color="{DIMMED}"' in ln) == (not marked) for ln in line)


def _depends_on(value: Value, leaf: Value) -> bool:
    return value is not leaf and leaf in topological_order(value)


def test_highlighting_a_path_marks_exactly_its_parallel_edge():
    a = Value(3.0, label="a")
    y = a * a
    n = names(y)
    second = SimpleNamespace(nodes=(a, y), local_grads=(3.0,), product=3.0, edge_indices=(1,))
    first_line, second_line = edge_lines(draw_dot(y, highlight=second).source, n[a], f"op{n[y][1:]}")
    assert DIMMED in first_line and RED not in first_line
    assert RED in second_line and "penwidth=2.5" in second_line


def test_a_path_without_edge_indices_marks_every_edge_between_its_nodes():
    a = Value(3.0, label="a")
    y = a * a
    n = names(y)
    path = SimpleNamespace(nodes=[a, y])
    lines = edge_lines(draw_dot(y, highlight=path).source, n[a], f"op{n[y][1:]}")
    assert len(lines) == 2 and all(RED in line for line in lines)


def test_highlighting_the_paths_from_micrograd_paths():
    _, b, g = karpathy_example()
    table = micrograd.paths(g, b)
    by_table = draw_dot(g, highlight=table).source
    by_list = draw_dot(g, highlight=list(table)).source
    by_node = draw_dot(g, highlight=b).source
    assert by_table == by_list == by_node  # all paths from b = the cone of b
    single = draw_dot(g, highlight=table[0]).source
    assert single.count(RED) < by_table.count(RED)


def test_highlighting_several_values_marks_the_union():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = Value(3.0, label="c")
    y = a * b + c
    n = names(y)
    source = draw_dot(y, highlight=[a, c]).source
    assert RED in node_line(source, n[a]) and RED in node_line(source, n[c])
    assert RED not in node_line(source, n[b])


def test_no_highlight_dims_nothing():
    a = Value(1.0, label="a")
    source = draw_dot(a * 2 + a).source
    assert DIMMED not in source and RED not in source


def test_an_empty_highlight_dims_nothing():
    a = Value(1.0, label="a")
    y = a * 2 + a
    assert draw_dot(y, highlight=[]).source == draw_dot(y).source


@pytest.mark.parametrize("bad", ["a", 42, 1.5, [Value(1.0), 3], {"nodes": 1}])
def test_highlight_of_the_wrong_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="highlight"):
        draw_dot(Value(1.0) * 2, highlight=bad)


def test_highlighting_a_value_outside_the_graph_is_a_clear_error():
    a, stranger = Value(1.0, label="a"), Value(2.0, label="stranger")
    with pytest.raises(ValueError, match=r"stranger.*not part of the drawn graph"):
        draw_dot(a * 2, highlight=stranger)


def test_a_path_that_does_not_follow_the_graph_is_a_clear_error():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    y = a * b
    with pytest.raises(ValueError, match="edge_indices"):
        draw_dot(y, highlight=SimpleNamespace(nodes=(a, y), edge_indices=(1,)))  # parents[1] is b
    z = y * 2
    with pytest.raises(ValueError, match="not an edge"):
        draw_dot(z, highlight=SimpleNamespace(nodes=(a, z)))  # skips y


# --------------------------------------------------------------------------- determinism and escaping


def test_the_same_graph_gives_the_same_dot_text():
    drawings = []
    for _ in range(2):
        a, _, g = karpathy_example()
        drawings.append(draw_dot(g, highlight=micrograd.paths(g, a)).source)
    assert drawings[0] == drawings[1]
    assert not re.search(r"\d{9,}", drawings[0])  # no id()s


def test_the_same_graph_gives_the_same_dot_text_in_another_process():
    script = (
        "import sys; sys.path.insert(0, 'tests'); from test_viz import karpathy_example, draw_dot\n"
        "a, b, g = karpathy_example(); print(draw_dot(g, highlight=a).source)"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs[0] == runs[1] and "digraph" in runs[0]


HOSTILE = 'a|b<c>{d} "q" &\\n]'


def test_labels_are_escaped():
    a = Value(1.0, label=HOSTILE)
    source = draw_dot(a * 2).source
    assert "a|b&lt;c&gt;{d} &quot;q&quot; &amp;\\n&#93;" in source  # ] before a tag trips dot 2.43
    assert "<c>" not in source


def test_newlines_in_labels_become_line_breaks():
    assert "one<BR/>two" in draw_dot(Value(1.0, label="one\ntwo") * 2).source


@needs_dot
def test_escaped_labels_render():
    a = Value(1.0, label=HOSTILE)
    b = Value(2.0, label="x\ny")
    svg = draw_dot(a * b).pipe(format="svg", encoding="utf-8")
    assert "a|b&lt;c&gt;{d} &quot;q&quot; &amp;\\n]" in svg


# --------------------------------------------------------------------------- rendering and Jupyter


@needs_dot
def test_renders_to_svg_through_dot():
    a, _, g = karpathy_example()
    drawing = draw_dot(g, highlight=a)
    svg = drawing._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "grad 138.8" in svg  # a.grad = 138.8338, as in micrograd's README, to 4 significant figures
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]


@needs_dot
def test_renders_to_png(tmp_path):
    drawing = draw_dot(Value(2.0, label="a") ** 2)
    path = drawing.render(tmp_path / "graph", format="png", cleanup=True)
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


@needs_dot
def test_render_writes_the_picture_and_no_leftover_dot_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    drawing = draw_dot(Value(2.0, label="a") ** 2)
    assert drawing.render("graph", format="png") == "graph.png"
    assert os.listdir(tmp_path) == ["graph.png"]
    assert drawing.render("kept", format="svg", cleanup=False) == "kept.svg"  # the DOT source only on request
    assert sorted(os.listdir(tmp_path)) == ["graph.png", "kept", "kept.svg"]
    assert (tmp_path / "kept").read_text(encoding="utf-8") == drawing.source


def test_repr_says_what_is_drawn_and_how_to_see_it():
    a = Value(2.0, label="a")
    y = a * a + 1  # values a, a*a, 1, y; edges a->a*a twice, a*a->y, 1->y
    text = repr(draw_dot(y))
    assert text.startswith("<micrograd drawing: 4 values, 4 edges; Jupyter shows it") and text.endswith(">")
    assert '.render("graph", format="png") writes graph.png' in text and ".view()" in text
    assert "object at 0x" not in text
    assert repr(draw_dot(y, hide=[a])).startswith("<micrograd drawing: 3 values, 2 edges;")  # what is shown
    assert repr(draw_dot(a)).startswith("<micrograd drawing: 1 value, 0 edges;")


def test_repr_of_a_network_counts_its_neurons_and_weights():
    model = MLP(2, [3, 3, 2], activation="sigmoid", seed=0)
    assert repr(draw_network(model)).startswith("<micrograd drawing: a 2-3-3-2 network, 8 neurons, 21 weights;")


def test_without_dot_jupyter_shows_text_that_says_how_to_install_graphviz(no_dot):
    a = Value(2.0, label="a")
    y = a * a
    y.backward()
    drawing = draw_dot(y)
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    text = bundle["text/plain"]
    assert "apt-get install graphviz" in text and "brew install graphviz" in text
    assert "v0 (a) = leaf   data 2   grad 4" in text
    assert "v1 = v0 * v0   data 4   grad 1" in text
    assert drawing._repr_svg_() is None


def test_without_dot_ipython_displays_the_text_instead_of_failing(no_dot):
    shell = pytest.importorskip("IPython.core.interactiveshell").InteractiveShell.instance()
    data, _ = shell.display_formatter.format(draw_dot(Value(1.0, label="a") + 1))
    assert "image/svg+xml" not in data
    assert "apt-get install graphviz" in data["text/plain"]


def test_without_dot_pipe_and_render_raise_as_graphviz_does(no_dot, tmp_path):
    drawing = draw_dot(Value(1.0, label="a") * 2)
    with pytest.raises(graphviz.ExecutableNotFound):
        drawing.pipe(format="svg")
    with pytest.raises(graphviz.ExecutableNotFound):
        drawing.render(tmp_path / "g", format="png")


def test_without_dot_a_notebook_cell_still_runs(no_dot, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "from micrograd import Value, draw_dot\na = Value(2.0, label='a')\ny = a * a\ny.backward()\ndraw_dot(y)"
        )
    )
    client = nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": "."}})
    client.execute()
    (output,) = notebook.cells[0].outputs
    assert output["output_type"] == "execute_result"
    assert "apt-get install graphviz" in output["data"]["text/plain"]


def test_a_failing_dot_also_falls_back_to_text():
    drawing = draw_dot(Value(1.0, label="a") * 2)

    def failing_pipe(*args, **kwargs):
        raise graphviz.CalledProcessError(1, ["dot"], output=b"", stderr=b"Error: out of memory")

    drawing.pipe = failing_pipe
    text = drawing._repr_mimebundle_()["text/plain"]
    assert "dot` failed (Error: out of memory)" in text and "v1 (a) = leaf" in text
    assert "apt-get" not in text  # dot is there: installing it is not the advice
    assert drawing._repr_svg_() is None


def test_a_drawing_is_a_graphviz_digraph():
    drawing = draw_dot(Value(1.0) * 2)
    assert isinstance(drawing, graphviz.Digraph)
    assert type(drawing).__qualname__ == "Drawing"
    assert isinstance(draw_network(MLP(2, [1], seed=0)), graphviz.Digraph)


def test_without_the_graphviz_package_draw_dot_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` now fails
    with pytest.raises(ImportError, match=re.escape("pip install 'micrograd-paths[viz]'")):
        draw_dot(Value(1.0) * 2)
    with pytest.raises(ImportError, match=re.escape("pip install 'micrograd-paths[viz]'")):
        draw_network(MLP(2, [1], seed=0))


def test_importing_micrograd_does_not_import_graphviz():
    code = "import sys, micrograd; micrograd.Value(1.0) * 2; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_draw_dot_is_exported_lazily():
    assert micrograd.draw_dot is draw_dot and micrograd.draw_network is draw_network


# --------------------------------------------------------------------------- bad input and large graphs


@pytest.mark.parametrize("root", [3.0, "a", None])
def test_root_must_be_a_value(root):
    with pytest.raises(TypeError, match="draw_dot needs a Value"):
        draw_dot(root)


def test_a_list_of_outputs_gets_a_hint():
    with pytest.raises(TypeError, match="one output at a time"):
        draw_dot([Value(1.0), Value(2.0)])


def test_rankdir_is_checked():
    assert "rankdir=TB" in draw_dot(Value(1.0) * 2, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(Value(1.0) * 2, rankdir="sideways")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_max_nodes_is_checked(bad):
    with pytest.raises(ValueError, match="max_nodes"):
        draw_dot(Value(1.0) * 2, max_nodes=bad)


@pytest.mark.parametrize("bad", [3, "ab", [Value(1.0), "x"]])
def test_params_and_inputs_must_be_values(bad):
    with pytest.raises(TypeError, match="params"):
        draw_dot(Value(1.0) * 2, params=bad)
    with pytest.raises(TypeError, match="inputs"):
        draw_dot(Value(1.0) * 2, inputs=bad)


def chain(n: int) -> Value:
    x = Value(1.0, label="x")
    v = x
    for _ in range(n):
        v = v + x
    return v


def test_a_graph_of_tens_of_thousands_of_values_is_refused_at_once_with_its_size():
    big = chain(50_000)
    start = time.perf_counter()
    with pytest.raises(ValueError) as error:
        draw_dot(big)
    assert time.perf_counter() - start < 5  # generous: it takes milliseconds
    message = str(error.value)
    assert "50,001 values" in message and f"max_nodes={DEFAULT_MAX_NODES:,}" in message
    assert "max_nodes=None" in message


def test_a_huge_graph_is_counted_only_so_far():
    with pytest.raises(ValueError, match="more than 100,000 values"):
        draw_dot(chain(150_000))


def test_the_limit_can_be_raised_or_removed():
    y = chain(DEFAULT_MAX_NODES)  # one value over the limit
    with pytest.raises(ValueError):
        draw_dot(y)
    assert draw_dot(y, max_nodes=DEFAULT_MAX_NODES + 1).source == draw_dot(y, max_nodes=None).source


def test_a_graph_exactly_at_the_limit_is_drawn():
    draw_dot(chain(9), max_nodes=10)  # x and 9 sums
    with pytest.raises(ValueError, match="11 values"):
        draw_dot(chain(10), max_nodes=10)


def test_the_text_fallback_of_a_long_graph_is_shortened():
    text = draw_dot(chain(200)).fallback_text()
    assert "141 earlier values not listed" in text
    assert len(text.splitlines()) < 70


# --------------------------------------------------------------------------- network view


def network_2332(**kwargs):
    model = MLP(2, [3, 3, 2], activation="sigmoid", seed=0, **kwargs)
    out = model([Value(0.5, label="x1"), Value(-1.0, label="x2")])
    cost = 0.5 * ((out[0] - 1) ** 2 + (out[1] - 0) ** 2)
    cost.backward()
    return model, out


def positions(source: str) -> dict[str, tuple[float, float]]:
    found = re.findall(r'^\s*(\w+) \[.*pos="([-\d.]+),([-\d.]+)!"', source, flags=re.M)
    return {name: (float(x), float(y)) for name, x, y in found}


def test_network_has_one_node_per_input_and_neuron_in_columns():
    model, _ = network_2332()
    source = draw_network(model).source
    pos = positions(source)
    columns = [[f"L{c}_{k}" for k in range(n)] for c, n in enumerate([2, 3, 3, 2])]
    for column in columns:
        assert len({pos[name][0] for name in column}) == 1  # one x per layer
        ys = [pos[name][1] for name in column]
        assert ys == sorted(ys, reverse=True)  # first neuron on top
    assert [pos[column[0]][0] for column in columns] == sorted(pos[column[0]][0] for column in columns)
    assert "hidden layer 1 (sigmoid)" in source and "output layer (linear)" in source


def test_network_weights_show_w_and_their_gradient():
    model, _ = network_2332()
    source = draw_network(model).source
    layer2 = model.layers[1]
    w = layer2.neurons[2].w[1]  # from neuron 2 of hidden layer 1 to neuron 3 of hidden layer 2
    label = node_line(source, "w2_2_1")
    assert f"w {fmt(w.data)}" in label and f'COLOR="{GRAD_INK}">{fmt(w.grad)}<' in label  # ∂C/∂w under w
    assert edge_lines(source, "L1_1", "w2_2_1") and edge_lines(source, "w2_2_1", "L2_2")
    colour = "#3b6fb6" if w.data >= 0 else "#c0392b"
    assert colour in edge_lines(source, "w2_2_1", "L2_2")[0]
    assert sum(1 for line in source.splitlines() if re.match(r"\s*w\d_\d_\d \[", line)) == 6 + 9 + 6


def test_network_labels_sit_on_their_edges():
    model, _ = network_2332()
    pos = positions(draw_network(model).source)
    for name, (x, y) in pos.items():
        if not name.startswith("w"):
            continue
        c, k, i = map(int, name[1:].split("_"))
        (x0, y0), (x1, y1) = pos[f"L{c - 1}_{i}"], pos[f"L{c}_{k}"]
        assert x0 < x < x1
        assert y == pytest.approx(y0 + (x - x0) / (x1 - x0) * (y1 - y0), abs=0.011)  # positions have 2 decimals


def test_network_with_x_shows_z_and_a_of_a_forward_pass():
    model, _ = network_2332()
    x = [0.5, -1.0]
    source = draw_network(model, x).source
    neuron = model.layers[0].neurons[1]
    z = neuron.w[0].data * 0.5 + neuron.w[1].data * -1.0 + neuron.b.data
    a = Value(z).sigmoid().data
    label = node_line(source, "L1_1")
    assert f'<I>z</I></TD><TD ALIGN="RIGHT">{fmt(z)}' in label
    assert f'<I>a</I></TD><TD ALIGN="RIGHT">{fmt(a)}' in label
    assert "δ = ∂C/∂z" not in source  # a fresh forward pass has no gradients of z to show


def test_network_with_x_works_inside_no_grad():
    model, _ = network_2332()
    with no_grad():
        inside = draw_network(model, [0.5, -1.0]).source
    assert inside == draw_network(model, [0.5, -1.0]).source


def test_network_with_outputs_shows_delta_from_your_backward_pass():
    model, out = network_2332()
    source = draw_network(model, outputs=out).source
    z = out[1]  # linear output neuron: its output is its z
    assert f"{fmt(z.data)}" in node_line(source, "L3_1") and f"{fmt(z.grad)}" in node_line(source, "L3_1")
    a = out[0].parents[3]  # the output Σwx+b's parents are (w1, w2, w3, a1, a2, a3, b)
    label = node_line(source, "L2_0")
    assert fmt(a.data) in label and fmt(a.grad) in label and fmt(a.parents[0].grad) in label  # a, ∂C/∂a, δ
    assert "δ = ∂C/∂z" in source


def test_network_outputs_from_the_nielsen_trace():
    nielsen = pytest.importorskip("micrograd.nielsen")
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = nielsen.trace(model, [0.5, -1.0])
    cost = nielsen.quadratic_cost(t.output, [1.0, 0.0])
    cost.backward()
    source = draw_network(model, outputs=t.output).source
    assert "output layer (sigmoid)" in source
    assert f"{fmt(t.zs[0][0].grad)}" in node_line(source, "L1_0")
    assert "x₁" in node_line(source, "L0_0")


def test_network_outputs_of_another_model_are_refused():
    model, _ = network_2332()
    _, out = network_2332()  # the same shape and seed, but other Values
    with pytest.raises(ValueError, match="not computed by this model"):
        draw_network(model, outputs=out)
    with no_grad():
        quiet = model([0.5, -1.0])
    with pytest.raises(ValueError, match="no_grad"):
        draw_network(model, outputs=quiet)
    with pytest.raises(ValueError, match="2 outputs, got 1"):
        draw_network(model, outputs=out[0])


def test_network_bad_arguments():
    model, out = network_2332()
    with pytest.raises(ValueError, match="not both"):
        draw_network(model, [0.5, -1.0], outputs=out)
    with pytest.raises(TypeError, match="MLP"):
        draw_network("model")
    with pytest.raises(TypeError, match="outputs"):
        draw_network(model, outputs="ab")
    with pytest.raises(TypeError, match="input numbers"):
        draw_network(model, "ab")
    with pytest.raises(ValueError, match="expected 2 inputs"):
        draw_network(model, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="max_neurons=5"):
        draw_network(model, max_neurons=5)


def test_network_of_a_single_layer_or_a_list_of_layers():
    layer = Layer(2, 3, seed=0)
    assert draw_network(layer).source == draw_network([layer]).source
    assert "output layer (relu)" in draw_network(layer).source


def test_big_networks_leave_weight_labels_off_by_default():
    model = MLP(2, [16, 16, 1], seed=0)
    source = draw_network(model, [1.0, 2.0]).source
    assert not re.search(r"^\s*w\d", source, flags=re.M)
    assert len(edge_lines(source, "L1_0", "L2_0")) == 1  # one straight edge per weight
    assert re.search(r"^\s*w\d", draw_network(model, show_weights=True).source, flags=re.M)


def test_network_without_grads():
    model, _ = network_2332()
    source = draw_network(model, [0.5, -1.0], show_grads=False).source
    assert "∂C/∂" not in source


def test_network_text_fallback_lists_every_neuron_and_weight(no_dot):
    model, out = network_2332()
    text = draw_network(model, outputs=out)._repr_mimebundle_()["text/plain"]
    assert "apt-get install graphviz" in text
    assert "hidden layer 2, neuron 3 (sigmoid)" in text
    w = model.layers[2].neurons[1].w[0]
    assert f"w {fmt(w.data)} (∂C/∂w {fmt(w.grad)}) from neuron 1" in text


@needs_dot
def test_network_renders_to_svg():
    model, out = network_2332()
    svg = draw_network(model, outputs=out)._repr_svg_()
    assert "<svg" in svg and "hidden layer 1 (sigmoid)" in svg


@needs_dot
def test_network_2332_with_every_label_fits_jupyter_without_shrinking_its_text():
    """Regression: the 2-3-3-2 network with w and ∂C/∂w on every edge was 1320 pt wide, so
    Jupyter shrank it to about half size. 1000 pt keeps 12 pt text readable (see test_notebooks)."""
    model, out = network_2332()
    svg = draw_network(model, outputs=out).pipe(format="svg", encoding="utf-8")
    width = float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg).group(1))
    assert width <= 1000


# --------------------------------------------------------------------------- network view: highlighted paths


def weight_edges(source: str) -> dict[tuple[str, str], str]:
    """(tail, head) of each weight's edge (into a label box or a neuron) and its colour."""
    found = re.findall(r'^\s*(\w+) -> (\w+) \[.*?color="(#[0-9a-f]{6})"', source, flags=re.M)
    return {(tail, head): colour for tail, head, colour in found}


def test_network_highlights_the_six_paths_from_a_hidden_activation():
    from micrograd.nielsen import trace

    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = trace(model, [0.5, -1.0])  # the 2-3-3-2 network of notebook 3
    source = draw_network(model, outputs=t.output, highlight=t.activations[0][0]).source
    edges = weight_edges(source)
    red = {edge for edge, colour in edges.items() if colour == RED}
    # 3 weights out of that neuron, and all 3 × 2 weights into the outputs: two halves each (labelled edges)
    into = {head for _, head in red if head.startswith("L")}
    assert {tail for tail, _ in red if tail.startswith("L")} == {"L1_0", "L2_0", "L2_1", "L2_2"}
    assert into == {"L2_0", "L2_1", "L2_2", "L3_0", "L3_1"}
    assert len(red) == 2 * (3 + 6)
    assert all(colour == DIMMED for edge, colour in edges.items() if edge not in red)
    assert "6 paths from a of hidden layer 1, neuron 1 to the outputs" in source


def test_network_highlights_from_a_weight_and_names_it():
    model, _out = network_2332()
    w = model.layers[0].neurons[1].w[0]  # from input 1 into hidden layer 1, neuron 2
    source = draw_network(model, highlight=w).source
    red = {edge for edge, colour in weight_edges(source).items() if colour == RED}
    assert ("L0_0", "w1_1_0") in red and ("w1_1_0", "L1_1") in red
    assert "6 paths from the weight input 1 → hidden layer 1, neuron 2 to the outputs" in source


def test_network_highlight_refuses_values_that_are_not_in_the_drawing():
    model, out = network_2332()
    with pytest.raises(ValueError, match=r"highlight: .* is none of the model.s weights and biases"):
        draw_network(model, highlight=Value(1.0))
    with pytest.raises(ValueError, match="pass x or outputs for z, a"):
        draw_network(model, highlight=out[0])
    with pytest.raises(TypeError, match="highlight must be a Value"):
        draw_network(model, highlight="w")


# --------------------------------------------------------------------------- hostile labels

# Characters XML cannot hold made `dot` fail although any label was promised to be safe.
UNREADABLE_BY_DOT = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n") + "\ud800\udfff\ufffe\uffff"


def test_control_characters_and_lone_surrogates_are_shown_as_escapes():
    a = Value(1.0, label="bell\x07 nul\x00 cr\r half\ud800 end\ufffe")
    source = draw_dot(a * 2, show_local_grads=False).source
    assert "bell\\x07 nul\\x00 cr\\r half\\ud800 end\\ufffe" in source
    source.encode("utf-8")  # a lone surrogate would make this fail
    text = draw_dot(a * 2).fallback_text()
    assert "bell\\x07" in text and "half\\ud800" in text
    text.encode("utf-8")


def test_every_character_dot_cannot_read_is_escaped_in_labels_and_operation_names():
    for ch in UNREADABLE_BY_DOT:
        a = Value(1.0, label=f"<{ch}>")
        y = a * 2
        y.op = f"op{ch}"  # a name of the user's own op
        source = draw_dot(y).source
        assert ch not in source, repr(ch)


any_label = st.text(
    st.characters(exclude_categories=()) | st.sampled_from(UNREADABLE_BY_DOT + "<>&\"'|{}\\\n"), max_size=20
)


@needs_dot
@settings(max_examples=60, deadline=None)
@given(any_label, any_label)
def test_any_label_renders_through_dot(first, second):
    a, b = Value(1.0, label=first), Value(2.0, label=second)
    y = a * b + a
    y.label = first + second
    y.backward()
    svg = draw_dot(y, highlight=a).pipe(format="svg", timeout=60)
    assert b"</svg>" in svg


# --------------------------------------------------------------------------- dot's time is bounded


@needs_dot
def test_pipe_with_a_timeout_stops_dot_and_says_so():
    drawing = draw_dot(chain(20))
    with pytest.raises(micrograd.viz.DotTimeoutError, match="took more than 1e-06 s"):
        drawing.pipe(format="svg", timeout=1e-6)
    assert drawing.pipe(format="svg", timeout=60).rstrip().endswith(b"</svg>")  # a fair limit: the picture


@needs_dot
def test_jupyter_shows_the_text_when_dot_runs_out_of_time():
    *_, g = karpathy_example()
    drawing = draw_dot(g)
    drawing.timeout = 1e-6
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith("[Graphviz's `dot` took more than 1e-06 s to lay out this drawing")
    assert "grad 138.8" in bundle["text/plain"]
    assert drawing._repr_svg_() is None


@needs_dot
def test_the_default_time_limit_applies_to_jupyter(monkeypatch):
    monkeypatch.setattr(micrograd.viz._core, "DOT_TIMEOUT", 1e-6)
    assert list(draw_dot(Value(1.0, label="a") * 2)._repr_mimebundle_()) == ["text/plain"]


def test_without_dot_a_timed_pipe_raises_as_graphviz_does(no_dot):
    with pytest.raises(graphviz.ExecutableNotFound):
        draw_dot(Value(1.0, label="a") * 2).pipe(format="svg", timeout=10)


def test_a_timed_pipe_of_a_failing_dot_raises_as_graphviz_does(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: out of memory' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(graphviz.CalledProcessError) as info:
        draw_dot(Value(1.0, label="a") * 2).pipe(format="svg", timeout=10)
    assert b"out of memory" in info.value.stderr


# --------------------------------------------------------------------------- layouts dot finishes


def fan_out(terms: int) -> Value:
    """a + a + … + a: one value used by every operation of a chain (explain "a+a+…+a")."""
    a = Value(1.0, label="a")
    total = a
    for _ in range(terms - 1):
        total = total + a
    return total


def copies_in(source: str) -> list[str]:
    return re.findall(r"^\t(v\d+_for_op\d+_\d+) \[", source, flags=re.M)


def test_small_graphs_are_drawn_as_before_without_copies():
    *_, g = karpathy_example()
    y = Value(3.0, label="x") * Value(3.0, label="x")
    model = MLP(2, [16, 16, 1], seed=0)
    for root in (g, fan_out(20), y, model([0.5, -1.0])):
        source = draw_dot(root).source
        assert copies_in(source) == [] and "again" not in source


def test_a_value_used_far_down_a_long_chain_is_drawn_again_beside_each_distant_use():
    """explain "a+a+…+a" with 99 terms never finished: 99 edges from a along the chain."""
    root = fan_out(99)
    root.backward()
    source = draw_dot(root, highlight=root.parents[1]).source
    n = names(root)
    a = root.parents[1]
    copies = copies_in(source)
    assert copies and all(name.startswith(f"{n[a]}_for_op") for name in copies)
    assert len(re.findall(rf"^\t{n[a]} -> ", source, flags=re.M)) + len(copies) == 99  # every edge once
    # each copy is a dashed box with a's label, data and grad, feeding one op with the local derivative
    for name in copies:
        line = node_line(source, name)
        assert 'STYLE="dashed"' in line and "<B>a</B>" in line and "grad 99" in line
        (edge,) = [e for e in source.splitlines() if e.startswith(f"\t{name} -> ")]
        assert "label=1" in edge and "penwidth" in edge  # still highlighted
    assert "the same value again, beside a distant use" in source


def test_without_a_legend_long_edges_still_start_at_copies():
    source = draw_dot(fan_out(60), legend=False).source
    assert copies_in(source) and "again" not in source


def dag(seed: int, size: int) -> Value:
    rng = __import__("random").Random(seed)
    values = [Value(0.5, label="x"), Value(0.25, label="y")]
    while len(values) < size:
        values.append(values[-1] + values[rng.randrange(len(values))] * 0.5)
    return values[-1]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(3, 160))
def test_with_or_without_copies_every_edge_is_drawn_exactly_once(seed, size):
    root = dag(seed, size)
    order = topological_order(root)
    source = draw_dot(root, max_nodes=None).source
    drawn = re.findall(r"^\t(v\d+)(?:_for_op\d+_\d+)? -> (op\d+)", source, flags=re.M)
    expected = [(f"v{order.index(p)}", f"op{i}") for i, node in enumerate(order) for p in node.parents]
    assert sorted(drawn) == sorted(expected)


@needs_dot
def test_the_layout_of_a_long_fan_out_is_the_same_picture_without_its_long_edges():
    """A real layout: dot puts each copy next to its use, so no edge crosses the chain."""
    layout = json.loads(draw_dot(fan_out(40)).pipe(format="json0", timeout=120))
    ranks = {}
    for obj in layout["objects"]:
        x, _ = map(float, obj["pos"].split(","))
        ranks[obj["name"]] = x
    longest = max(
        ranks[layout["objects"][e["head"]]["name"]] - ranks[layout["objects"][e["tail"]]["name"]]
        for e in layout["edges"]
    )
    assert longest < 0.2 * (max(ranks.values()) - min(ranks.values()))


def test_grads_false_hides_every_gradient_but_keeps_the_local_derivatives():
    x = Value(3.0, label="x")
    y = x * x + 1
    y.backward()
    shown, hidden = draw_dot(y).source, draw_dot(y, grads=False).source
    assert "grad 6" in shown and "grad 6" not in hidden
    assert hidden.count("grad ?") == 4  # x, the 1, x*x and y
    assert "label=3" in hidden  # the local derivatives stay on the edges


def test_draw_network_names_columns_and_weights_as_nielsen_does():
    from micrograd.nielsen import trace
    from micrograd.nn import MLP

    model = MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = trace(model, [0.5, -1.0])
    plain = draw_network(model, outputs=t.output, show_grads=False).source
    named = draw_network(model, outputs=t.output, show_grads=False, names=True, highlight=t.activations[0][0]).source
    assert "hidden layer 1" in plain and "w²₁₂" not in plain
    assert "layer 1 (input)" in named and "layer 2 (hidden, sigmoid)" in named and "layer 3 (output, sigmoid)" in named
    assert "w²₁₂" in named and "w³₂₃" in named  # into neuron 2 of layer 3, from neuron 3 of layer 2
    assert "2 paths from a²₁ to the outputs" in named


# --------------------------------------------------------------------------- one escaping for drawings and pages

from hypothesis import HealthCheck as _HealthCheck  # noqa: E402
from hypothesis import given as _given  # noqa: E402
from hypothesis import settings as _settings  # noqa: E402
from hypothesis import strategies as _st  # noqa: E402

from micrograd.notation import visible as _visible_text  # noqa: E402

# Any code point at all, lone surrogates, controls, U+FFFE/U+FFFF and line separators included.
_ANY_CHAR = _st.one_of(
    _st.characters(),
    _st.integers(0xD800, 0xDFFF).map(chr),
    _st.sampled_from(["\x00", "\x07", "\r", "\n", "\x1b", "\ufffe", "\uffff", "\u2028", "\x85", "<", "&", '"']),
)


def test_drawings_and_pages_share_one_escaping():
    from micrograd.viz import _core

    assert _core._visible is _visible_text


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
@_settings(max_examples=25, deadline=None, suppress_health_check=[_HealthCheck.function_scoped_fixture])
@_given(_st.lists(_st.text(_ANY_CHAR, min_size=1, max_size=8), min_size=3, max_size=3))
def test_any_label_is_drawn_and_saved_as_a_page(tmp_path, labels):
    from micrograd import backward_steps

    a = Value(2.0, label=labels[0])
    b = Value(-1.0, label=labels[1])
    out = (a * b + a).tanh()
    out.label = labels[2]
    source = draw_dot(out).source
    source.encode("utf-8")  # strict: what dot is given
    path = tmp_path / "page.html"
    backward_steps(out).save_html(path)
    page = path.read_bytes().decode("utf-8")  # strict
    for label in labels:
        shown = _visible_text(label)
        assert not [ch for ch in shown if 0xD800 <= ord(ch) <= 0xDFFF]
        assert html.escape(shown).replace("\n", "<BR/>") in source or not shown.strip()
    assert "<title>" in page
