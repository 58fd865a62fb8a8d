"""benchmarks/run.py without timing anything: verdicts, where runs go, the README's figures.

The benchmarks themselves run with `make bench`, never here (no timed tests).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import run  # noqa: E402  (benchmarks/run.py)

REFERENCE = json.loads(run.REFERENCE.read_text(encoding="utf-8"))


def test_the_reference_verdicts_follow_the_current_rules():
    assert run.build_report(REFERENCE["results"], with_theirs=True).metrics == REFERENCE["metrics"]


def test_linear_cost_is_judged_with_the_gc_paused_and_the_default_gc_is_information():
    results = copy.deepcopy(REFERENCE["results"])
    linear = results["linear"]
    linear["big_per_op"] = 10 * linear["small_per_op"]  # the default GC far over 1.5x: no verdict
    metrics = run.build_report(results, with_theirs=True).metrics
    assert metrics["linear.ratio_default_gc"]["value"] == pytest.approx(10)
    assert "pass" not in metrics["linear.ratio_default_gc"]
    assert metrics["linear.ratio_gc_paused"]["pass"] is True
    linear["big_per_op_nogc"] = 1.6 * linear["small_per_op_nogc"]
    assert run.build_report(results, with_theirs=True).metrics["linear.ratio_gc_paused"]["pass"] is False


def test_the_report_says_why_the_default_gc_figure_is_not_the_target():
    text = run.build_report(REFERENCE["results"], with_theirs=True).render()
    assert "cyclic GC paused" in text and "default GC" in text
    assert "full collections traverse every live node" in text


def test_runs_go_to_an_ignored_folder_not_the_committed_reference():
    for quick in (False, True):
        output = run.default_output(quick)
        assert output.parent == ROOT / "benchmarks" / "runs" and output != run.REFERENCE
    assert "benchmarks/runs/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_a_quick_run_cannot_become_the_reference(monkeypatch, capsys):
    monkeypatch.setattr(run, "ensure_micrograd_010", lambda: pytest.fail("nothing may be measured"))
    with pytest.raises(SystemExit) as exit_:
        run.main(["--quick", "--save-reference"])
    assert exit_.value.code == 2
    assert "--save-reference needs a full run" in capsys.readouterr().err


def test_the_readme_speed_table_shows_the_reference_figures():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Speed and memory") :]
    table = table[: table.index("\n\n", table.index("| |"))]
    m = REFERENCE["metrics"]
    expected = [
        f"{m['demo_step.ours_s']['value'] * 1e3:.1f} ms",
        f"{m['demo_step.theirs_s']['value'] * 1e3:.0f} ms",
        f"{m['demo_step.speedup']['value']:.1f}× faster",
        f"{m['memory.mul.ours_bytes']['value']:.0f} B",
        f"{m['memory.mul.theirs_bytes']['value']:.0f} B",
        f"{m['memory.mul.ratio']['value']:.2f}×",
        f"{m['linear.ratio_gc_paused']['value']:.2f}×",
        f"{m['linear.ratio_default_gc']['value']:.2f}×",
    ]
    missing = [figure for figure in expected if not re.search(rf"\| {re.escape(figure)}[ |(]", table)]
    assert not missing, f"the README's speed table does not show the reference's {missing}"
