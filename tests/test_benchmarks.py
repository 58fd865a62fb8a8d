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


def test_a_quick_run_judges_only_what_it_can_measure():
    """150 of 1500 digits steps cannot reach the accuracy target: shown, never a FAIL; the
    time is judged as projected to the full run."""
    results = copy.deepcopy(REFERENCE["results"])
    digits = results["compiled"]["digits"]
    full = digits["steps"]
    results["compiled"]["digits_full_steps"] = full
    results["compiled"]["digits"] = {
        **digits,
        "steps": full // 10,
        "seconds": digits["seconds"] / 10,
        "test_accuracy": 0.6,
    }
    report = run.build_report(results, with_theirs=True)
    assert "pass" not in report.metrics["compiled.digits_accuracy"]
    assert report.metrics["compiled.digits_s"]["pass"] is True
    assert report.metrics["compiled.digits_s"]["value"] == pytest.approx(digits["seconds"])
    text = report.render()
    assert "not judged: a quick run" in text
    accuracy_rows = [row for row in report.rows if row[0] and "test accuracy" in row[0]]
    assert accuracy_rows and all(row[5] != "FAIL" for row in accuracy_rows)
    slow = copy.deepcopy(results)
    slow["compiled"]["digits"]["seconds"] = 7.0  # 70 s projected for 1500 steps
    assert run.build_report(slow, with_theirs=True).metrics["compiled.digits_s"]["pass"] is False


def test_a_full_run_still_judges_the_digits_accuracy():
    results = copy.deepcopy(REFERENCE["results"])
    results["compiled"]["digits"]["test_accuracy"] = 0.5
    assert run.build_report(results, with_theirs=True).metrics["compiled.digits_accuracy"]["pass"] is False


def test_every_figure_the_readme_quotes_is_the_reference_result():
    """One source for every figure: the committed reference run. The intro, the digits
    session's timing line and the compiled paragraph all quote it, formatted as shown."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = REFERENCE["metrics"]
    digits = REFERENCE["results"]["compiled"]["digits"]
    seconds, steps = digits["seconds"], digits["steps"]
    epoch = seconds / steps * 45
    theirs_epoch = m["compiled.digits_epoch_010_s"]["value"]
    speedup, vs_010, vs_engine = (
        m[k]["value"] for k in ("demo_step.speedup", "compiled.demo_vs_010", "compiled.demo_vs_engine")
    )
    expected = [
        f"{speedup:.1f}× faster on his demo step ({vs_010:.0f}× compiled",
        # the session's line as `micrograd train` prints it, with the reference's run of that same training
        f"trained in {seconds:.1f} s ({1000 * seconds / steps:.0f} ms/step): final loss {digits['final_loss']:.4f}",
        f"test accuracy {digits['test_accuracy']:.1%}",
        f"the demo step takes about\n{m['compiled.demo_s']['value'] * 1e3:.1f} ms",
        f"({vs_010:.0f}× and {vs_engine:.1f}× in the reference result)",
        f"digits train to {digits['test_accuracy']:.1%} test accuracy in {seconds:.1f} s of training",
        f"one epoch: {epoch * 1e3:.0f} ms compiled, about\n{theirs_epoch:.0f} s for micrograd 0.1.0",
    ]
    flat = re.sub(r"\s+", " ", readme)
    missing = [figure for figure in expected if re.sub(r"\s+", " ", figure) not in flat]
    assert not missing, f"the README does not quote the reference's figures: {missing}"
    for stale in ("30 to 45×", "17.5 s", "450× compiled", "12 ms/step"):
        assert stale not in readme
