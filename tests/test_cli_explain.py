"""`micrograd explain`: happy paths, the graph file, and one-line errors for bad input."""

from __future__ import annotations

import importlib.util
import io
import keyword
import os
import shutil
import subprocess
import sys
import unicodedata
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.cli import main
from micrograd.expression import FUNCTIONS

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "micrograd", "explain", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def has_drawing() -> bool:
    return importlib.util.find_spec("graphviz") is not None and importlib.util.find_spec("micrograd.viz") is not None


needs_drawing = pytest.mark.skipif(not has_drawing(), reason="micrograd.viz or the graphviz package is missing")


# --------------------------------------------------------------------------- happy paths


def test_the_classic_example_prints_value_gradients_and_both_path_tables():
    result = run_cli("a*b + a", "a=2", "b=3")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("a*b + a = 8.0\n  with a = 2.0, b = 3.0\n")
    assert "∂/∂a = 4.0   forward mode: 4.0" in out
    assert "∂/∂b = 2.0   forward mode: 2.0" in out
    assert "∂(a*b + a)/∂a: sum over 2 paths" in out
    assert "a → a*b → a*b + a  3 × 1" in out
    assert "∂(a*b + a)/∂b: sum over 1 path" in out
    assert out.count("(equal)") == 2


def test_wrt_limits_the_tables_to_the_inputs_asked_for(capsys):
    assert main(["explain", "tanh(w*x + b)", "w=0.5", "x=2", "b=-1", "--wrt", "w"]) == 0
    out = capsys.readouterr().out
    assert "∂tanh(w*x + b)/∂w: sum over 1 path" in out
    assert "w → w*x → w*x + b → tanh(w*x + b)  2 × 1 × 1" in out
    assert "/∂x:" not in out and "/∂b:" not in out
    assert "∂/∂x = 0.5" in out  # every gradient is still printed


def test_parallel_edges_show_as_separate_paths(capsys):
    assert main(["explain", "a*a", "a=3"]) == 0
    out = capsys.readouterr().out
    assert "a →₀ a*a" in out and "a →₁ a*a" in out and "∂/∂a = 6.0" in out


def test_too_many_paths_are_counted_not_listed(capsys):
    text = "*".join(["a"] * 12)
    assert main(["explain", text, "a=1.01", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "12 paths, more than --limit 5: counted, not listed" in out
    assert "sum over" not in out


def test_an_expression_without_inputs_just_prints_its_value(capsys):
    assert main(["explain", "2*3 + 1"]) == 0
    assert capsys.readouterr().out.startswith("2*3 + 1 = 7.0\n  (no inputs, so no gradients)")


def test_an_expression_starting_with_minus_works_after_a_double_dash(capsys):
    assert main(["explain", "--", "-a*2", "a=1.5"]) == 0
    assert "∂/∂a = -2.0" in capsys.readouterr().out


def test_an_unused_input_has_gradient_zero_and_no_path(capsys):
    assert main(["explain", "a*2", "a=1", "b=5"]) == 0
    out = capsys.readouterr().out
    assert "∂/∂b = 0.0" in out and "no path" in out


def test_an_ascii_terminal_gets_question_marks_not_an_error():
    result = run_cli("a*a", "a=2", env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "?/?a = 4.0" in result.stdout


# --------------------------------------------------------------------------- the graph file


def test_a_dot_file_is_written_without_needing_dot(tmp_path, capsys):
    pytest.importorskip("graphviz")
    if importlib.util.find_spec("micrograd.viz") is None:
        pytest.skip("micrograd.viz is missing")
    target = tmp_path / "g.dot"
    assert main(["explain", "a*b + a", "a=2", "b=3", "--graph", str(target)]) == 0
    source = target.read_text()
    assert source.lstrip().startswith(("digraph", "strict digraph"))
    assert "penwidth" in source  # the paths are drawn heavier
    assert f"graph written to {target}" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["g.dot"]  # no temporary file left behind


@needs_drawing
def test_inputs_with_too_many_paths_are_still_highlighted(tmp_path, capsys):
    target = tmp_path / "g.dot"
    assert main(["explain", "a*a*a*a", "a=1.1", "--limit", "2", "--graph", str(target)]) == 0
    assert "counted, not listed" in capsys.readouterr().out
    assert "penwidth" in target.read_text()


@needs_drawing
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graph_writes_an_svg_with_the_paths_highlighted(tmp_path):
    target = tmp_path / "graph.svg"
    result = run_cli("a*b + a", "a=2", "b=3", "--wrt", "a", "--graph", str(target))
    assert result.returncode == 0, result.stderr
    svg = target.read_text()
    assert "<svg" in svg and "</svg>" in svg
    assert [p.name for p in tmp_path.iterdir()] == ["graph.svg"]


@needs_drawing
@pytest.mark.parametrize("flag, name", [("--graph", "graph.svg"), ("--html", "steps.html")])
def test_without_dot_a_drawing_is_a_one_line_error_and_nothing_is_written(tmp_path, flag, name):
    env = {**os.environ, "PATH": str(tmp_path)}  # a PATH with no dot on it
    target = tmp_path / name
    result = run_cli("a*b", "a=2", "b=3", flag, str(target), env=env)
    assert result.returncode == 2
    assert_one_line_error(result.stderr)
    assert "dot" in result.stderr
    assert not target.exists()


# --------------------------------------------------------------------------- --steps and --html


def test_steps_prints_the_step_table_after_the_paths(capsys):
    assert main(["explain", "a*b + a", "a=2", "b=3", "--steps"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("backward() of a*b + a: 4 steps") :]
    assert "     3  a → a*b        3      1         3             1 + 3 = 4           + term 2, final" in table
    assert table.rstrip().endswith("gradients: ∂(a*b + a)/∂a = 4, ∂(a*b + a)/∂b = 2")


@needs_drawing
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_mistake_prints_the_comparison_after_the_gradients(capsys):
    assert main(["explain", "a*a", "a=3", "--mistake", "set_of_parents"]) == 0
    out = capsys.readouterr().out
    assert "∂/∂a = 6.0" in out
    assert "with the mistake set_of_parents: parents stored as a set" in out
    assert "set_of_parents on a*a: 1 of 2 gradients wrong; first wrong at step 2 of 2 (a →₁ a*a)" in out
    table = out[out.index("set_of_parents on a*a") :]
    assert table.index("a →₁ a*a is lost") < table.index("∂(a*a)/∂a: sum over 2 paths")  # before the paths
    assert [line.split() for line in table.splitlines()[2:4]] == [["a*a", "1", "1"], ["a", "6", "3", "✗"]]


@pytest.mark.parametrize("name", ["overwrite", "no_topological_order", "recursion_without_visited", "no_zero_grad",
                                  "backward_twice", "set_of_parents", "wrong_local"])  # fmt: skip
def test_every_mistake_runs_from_the_command_line(name):
    result = run_cli("tanh((a + a)*(a + a)) + relu(b)", "a=0.25", "b=2", "--mistake", name)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"with the mistake {name}: " in result.stdout
    assert f"\n{name} on tanh((a + a)*(a + a" in result.stdout and " gradients wrong" in result.stdout


def test_html_writes_the_step_through_page_and_nothing_else(tmp_path):
    target = tmp_path / "steps.html"
    result = run_cli("a*a + a", "a=3", "--html", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(f"step-through page written to {target}")
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "MicrogradSteps.mount" in page
    assert page.count("<svg") == 0  # the frames are inside the JSON, with < escaped
    assert "\\u003csvg" in page
    assert "<title>backward() of a*a + a</title>" in page
    assert [p.name for p in tmp_path.iterdir()] == ["steps.html"]  # no temporary file left


def test_html_into_a_missing_directory_is_refused_before_any_work(tmp_path):
    result = run_cli("a*b", "a=2", "b=3", "--html", str(tmp_path / "nowhere" / "steps.html"))
    assert result.returncode == 2
    assert_one_line_error(result.stderr)
    assert "does not exist" in result.stderr


# --------------------------------------------------------------------------- bad input

BAD = [
    (["a*b", "a2", "b=1"], "expected NAME=VALUE (like a=2), got 'a2'"),
    (["a", "=2"], "expected NAME=VALUE"),
    (["a", "a="], "expected NAME=VALUE"),
    (["a", "a=x"], "'x' is not a number"),
    (["a", "a=nan"], "finite"),
    (["a", "a=inf"], "finite"),
    (["a", "a=1e999"], "finite"),
    (["a", "a=1", "a=2"], "a is given twice"),
    (["x1", "x1=1", "x₁=2"], "x1 is given twice (x1=1 and x₁=2, as x₁ is read as x1)"),
    (["x1", "x₁=1", "ｘ1=2"], "as x₁ and ｘ1 are read as x1"),
    (["a", "a=1", "--wrt", "ｃ"], "--wrt ｃ: there is no input named 'ｃ' (inputs: a)"),
    (["x₁", "x₁=1"], "invalid character '₁'"),
    (["a", "1a=2"], "not a valid name"),
    (["exp(a)", "exp=2"], "taken by the function exp()"),
    (["a + c", "a=1"], "unknown name 'c'"),
    (["a", "a=1", "--wrt", "c"], "--wrt c: there is no input named 'c' (inputs: a)"),
    (["__import__('os')"], "unknown function '__import__'"),
    (["__import__('os').system('echo hi')"], "only the functions"),
    (["a.__class__", "a=1"], "attribute access is not allowed"),
    (["9**9**9"], "too large"),
    (["(lambda: 1)()"], "only the functions"),
    (["[1]"], "a list is not allowed"),
    (["a if b else c", "a=1", "b=2", "c=3"], "conditional expression"),
    (["a" * 5000, "a=1"], "the limit is 1000"),
    (["(" * 300 + "a" + ")" * 300, "a=1"], "too many nested parentheses"),
    (["exp(1000)"], "overflows a float"),
    (["log(0)"], "log is defined only for positive numbers"),
    (["a/b", "a=1", "b=0"], "division by zero"),
    (["sqrt(a)", "a=-1"], "sqrt of a negative number"),
    (["a*", "a=1"], "cannot parse"),
    (["a", "a=1", "--graph", "out.jpg"], "unsupported file type '.jpg'"),
    (["a", "a=1", "--graph", "noext"], "unsupported file type no suffix"),
    (["a", "a=1", "--graph", "/nonexistent/dir/g.svg"], "does not exist"),
    (["a", "a=1", "--graph", ""], "--graph needs a file name"),
    (["a", "a=1", "--graph", "  "], "--graph needs a file name"),
    (["a", "a=1", "--limit", "-1"], "--limit must be at least 0"),
    (["a*a", "a=1", "--mistake", "overwrites"], "--mistake overwrites: no such mistake (the mistakes are overwrite, "),
    (["a*a", "a=1", "--mistake", ""], "--mistake : no such mistake"),
    (["log(a)", "a=0.1", "--mistake", "no_zero_grad"], "no_zero_grad: after the first step (lr=0.1)"),
    (["a*b*b", "a=1e-300", "b=1e300"], "the gradient of 'a' overflows a float on the edge 'a' → 'a*b'"),
    (["a*b*b - a*b*b", "a=1e-300", "b=1e300"], "the gradient of 'a' overflows a float on the edge"),
    (["exp(x)*y*y", "x=-700", "y=1e300"], "the gradient of 'exp(x)' overflows a float on the edge 'exp(x)' → "),
]


def assert_one_line_error(stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("micrograd explain: error: ")


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a)[:30] for a, _ in BAD])
def test_bad_input_is_one_line_on_stderr_and_exit_status_2(args, message, capsys):
    assert main(["explain", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err)
    assert message in captured.err


@pytest.mark.parametrize(
    "args",
    [["a.__class__", "a=1"], ["9**9**9"], ["a", "a=1", "a=2"], ["log(0)"], ["x" * 100000]],
    ids=["attribute", "power tower", "duplicate", "log(0)", "100k characters"],
)
def test_bad_input_through_python_m_micrograd(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert_one_line_error(result.stderr)


# --------------------------------------------------------------------------- names and streams


def test_wrt_reads_full_width_and_ligature_names_as_the_inputs_are_read(capsys):
    assert main(["explain", "ａ*ﬁ", "a=2", "fi=3", "--wrt", "ａ", "--wrt", "ﬁ"]) == 0
    captured = capsys.readouterr()
    assert "∂(ａ*ﬁ)/∂a: sum over 1 path" in captured.out and "∂(ａ*ﬁ)/∂fi: sum over 1 path" in captured.out
    assert captured.err.splitlines() == [
        "micrograd explain: note: ａ is read as a (as Python reads names)",
        "micrograd explain: note: ﬁ is read as fi (as Python reads names)",
    ]


def test_a_renamed_input_is_said_not_silent(capsys):
    assert main(["explain", "x1*2", "x₁=3"]) == 0
    captured = capsys.readouterr()
    assert "with x1 = 3.0" in captured.out
    assert captured.err == "micrograd explain: note: x₁ is read as x1 (as Python reads names)\n"


ALIKE = st.text(st.sampled_from("aｂﬁxX_ＡⅡ𝐱²ªᵢ"), min_size=1, max_size=4)


@settings(max_examples=100, deadline=None)
@given(ALIKE)
def test_any_spelling_of_a_name_works_wherever_it_is_typed_and_renames_are_said(name):
    read = unicodedata.normalize("NFKC", name)
    if not read.isidentifier() or keyword.iskeyword(read) or read in FUNCTIONS:
        return
    # Python's parser takes x₁ nowhere, but an assignment x₁=1 can still name the input x1
    written = name if name.isidentifier() else read
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(["explain", f"{written}*2", f"{name}=1.5", "--wrt", name])
    assert status == 0, err.getvalue()
    assert f"∂/∂{read} = 2.0" in out.getvalue()
    notes = err.getvalue().splitlines()
    assert notes == (
        [] if read == name else [f"micrograd explain: note: {name} is read as {read} (as Python reads names)"]
    )


def test_a_closed_standard_output_is_one_line_and_status_2():
    for command in (["explain", "a*b", "a=1", "b=2"], ["train", "--steps", "1"]):
        result = subprocess.run(
            [sys.executable, "-m", "micrograd", *command],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
            preexec_fn=lambda: os.close(1),
        )
        assert result.returncode == 2
        assert result.stderr == "micrograd: error: standard output is closed, so there is nowhere to print\n"


def test_a_read_only_standard_output_is_one_line_and_status_2():
    with open(os.devnull) as read_only:
        result = subprocess.run(
            [sys.executable, "-m", "micrograd", "explain", "a*b", "a=1", "b=2"],
            stdout=read_only,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
    assert result.returncode == 2
    assert_one_line_error(result.stderr)


@needs_drawing
@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_dot_running_out_of_time_is_one_line_after_the_tables_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("micrograd.viz._core.DOT_TIMEOUT", 1e-6)  # any real layout takes longer
    target = tmp_path / "g.svg"
    assert main(["explain", "a*b + a", "a=2", "b=3", "--graph", str(target)]) == 2
    captured = capsys.readouterr()
    assert "∂(a*b + a)/∂a: sum over 2 paths" in captured.out  # the text version is there
    assert_one_line_error(captured.err)
    assert "`dot` took more than 1e-06 s" in captured.err and "nothing was written" in captured.err
    assert list(tmp_path.iterdir()) == []


def test_a_graph_file_that_cannot_be_written_is_refused_before_any_output(tmp_path, unwritable_folder, capsys):
    (tmp_path / "in-the-way.svg").mkdir()
    for target in (os.path.join(unwritable_folder, "g.svg"), str(tmp_path / "in-the-way.svg")):
        assert main(["explain", "a*b", "a=1", "b=2", "--graph", target]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert_one_line_error(captured.err)
        assert f"--graph {target}: cannot write it" in captured.err and ".tmp" not in captured.err
