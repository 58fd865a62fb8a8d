#!/usr/bin/env python3
"""Time this micrograd side by side with karpathy's micrograd 0.1.0, in one run.

    python benchmarks/run.py                  # the full run (make bench), ~2 minutes
    python benchmarks/run.py --quick          # a fast smoke run
    python benchmarks/run.py --compare FILE   # run, then compare with an earlier JSON
    python benchmarks/run.py --save-reference # a full run that also replaces results/latest.json

Every run is written to benchmarks/runs/ (not committed); the committed reference result,
benchmarks/results/latest.json, changes only with --save-reference.

micrograd 0.1.0 is installed with pip into benchmarks/.micrograd-0.1.0 (once; reused
afterwards). Both packages are imported as `micrograd`, so each side runs in its own
worker process (worker.py); the orchestrator alternates ours and theirs round by round and
reduces each case to a median (and a min). See README.md for what each case measures.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import compiled

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
THEIRS_DIR = HERE / ".micrograd-0.1.0"
RUNS_DIR = HERE / "runs"  # every run lands here (gitignored)
REFERENCE = HERE / "results" / "latest.json"  # the committed reference: only --save-reference writes it
SCHEMA = "micrograd-bench/1"

FULL = {
    "demo_rounds": 8,  # fresh model per round, `demo_steps` steps each, GC'd before each step
    "demo_steps": 3,
    "loop_rounds": 2,  # the notebook loop as run: steps 2.. of each round
    "loop_steps": 5,
    "phase_steps": 10,
    "gc_steps": 6,
    "memory_ops": 100_000,
    "linear_small": 10_000,
    "linear_small_reps": 15,
    "linear_big": 1_000_000,
    "linear_big_reps": 2,
    "deep_theirs": 100_000,
    "chain_ops": 10_000,
    "chain_rounds": 5,
    "chain_reps": 3,
    "hessian_reps": 5,
}
QUICK = {
    "demo_rounds": 2,
    "demo_steps": 2,
    "loop_rounds": 1,
    "loop_steps": 3,
    "phase_steps": 3,
    "gc_steps": 2,
    "memory_ops": 20_000,
    "linear_small": 10_000,
    "linear_small_reps": 5,
    "linear_big": 200_000,
    "linear_big_reps": 1,
    "deep_theirs": 20_000,
    "chain_ops": 2_000,
    "chain_rounds": 2,
    "chain_reps": 2,
    "hessian_reps": 2,
}

# The figures the engine must reach (README.md, "The cases", says why each one).
DEMO_SPEEDUP_TARGET = 25.0  # at least, times faster (aim: 30)
DEMO_SPEEDUP_AIM = 30.0
MEMORY_RATIO_TARGET = 0.25  # at most, ours / micrograd's bytes per op
LINEAR_RATIO_TARGET = 1.5  # at most, per-op time at 1M ops / at 10k ops, cyclic GC paused
HESSIAN_TARGET_S = 0.5  # "well under a second"
LOSS_AGREEMENT = 1e-9  # ours and micrograd compute the same demo loss


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- micrograd 0.1.0


def ensure_micrograd_010() -> str | None:
    """Install micrograd 0.1.0 into THEIRS_DIR unless it is there. Returns an error or None."""
    if (THEIRS_DIR / "micrograd" / "engine.py").is_file() and (THEIRS_DIR / "micrograd-0.1.0.dist-info").is_dir():
        return None
    log(f"installing micrograd 0.1.0 into {THEIRS_DIR.relative_to(ROOT)} (once) ...")
    staging = HERE / f".micrograd-0.1.0.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--target", str(staging), "micrograd==0.1.0",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        shutil.rmtree(staging, ignore_errors=True)
        return f"could not run pip ({error})"
    if done.returncode != 0 or not (staging / "micrograd" / "engine.py").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        detail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-6:])
        return f"`pip install micrograd==0.1.0` failed (exit {done.returncode}); offline?\n    {detail}"
    shutil.rmtree(THEIRS_DIR, ignore_errors=True)  # a broken earlier install
    os.replace(staging, THEIRS_DIR)
    return None


# --------------------------------------------------------------------------- workers


class WorkerError(RuntimeError):
    pass


class Worker:
    """A process with one `micrograd` on its path, running cases.py on request."""

    def __init__(self, side: str, package_root: Path) -> None:
        self.side = side
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "worker.py"), side, str(package_root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(ROOT),
        )
        hello = self._receive()
        self.info = hello

    def _receive(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise WorkerError(f"the {self.side} worker died (exit code {code})")
        message = json.loads(line)
        if not message["ok"]:
            raise WorkerError(f"{self.side}: {message['error']}\n{message.get('traceback', '')}")
        return message["result"]

    def call(self, case: str, **params) -> dict:
        self.process.stdin.write(json.dumps({"case": case, "params": params}) + "\n")
        self.process.stdin.flush()
        return self._receive()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Sides:
    """Fresh workers for one case (so no case inherits another's heap or garbage)."""

    def __init__(self, with_theirs: bool) -> None:
        self.with_theirs = with_theirs

    def __enter__(self):
        self.ours = Worker("ours", ROOT)
        self.theirs = Worker("theirs", THEIRS_DIR) if self.with_theirs else None
        return self

    def __exit__(self, *exc) -> None:
        self.ours.close()
        if self.theirs:
            self.theirs.close()

    def alternate(self, rounds: int, case: str, **params) -> tuple[list[dict], list[dict]]:
        """Run `case` on both sides `rounds` times, switching who goes first every round."""
        ours, theirs = [], []
        for r in range(rounds):
            order = [("ours", self.ours), ("theirs", self.theirs)]
            if r % 2:
                order.reverse()
            for side, worker in order:
                if worker is None:
                    continue
                (ours if side == "ours" else theirs).append(worker.call(case, **params))
        return ours, theirs


# --------------------------------------------------------------------------- the cases


def measure_demo(cfg: dict, with_theirs: bool) -> dict:
    log(f"demo step: {cfg['demo_rounds']} rounds x {cfg['demo_steps']} steps per side ...")
    with Sides(with_theirs) as sides:
        ours, theirs = sides.alternate(cfg["demo_rounds"], "demo_step", steps=cfg["demo_steps"], collect=True)
    result = {"ours": _times_summary([t for r in ours for t in r["times"]])}
    if with_theirs:
        result["theirs"] = _times_summary([t for r in theirs for t in r["times"]])
        loss_diff = max(abs(a - b) for o, t in zip(ours, theirs) for a, b in zip(o["losses"], t["losses"]))
        param_diff = max(abs(a - b) for o, t in zip(ours, theirs) for a, b in zip(o["params"], t["params"]))
        result["agreement"] = {
            "steps_compared": sum(len(o["losses"]) for o in ours),
            "max_loss_diff": loss_diff,
            "max_param_diff": param_diff,
            "first_loss": ours[0]["losses"][0],
            "first_accuracy": ours[0]["accuracy"][0],
        }
    log(f"demo step with the cyclic GC off: {cfg['demo_rounds']} rounds x {cfg['demo_steps']} steps per side ...")
    with Sides(with_theirs) as sides:
        ours, theirs = sides.alternate(
            cfg["demo_rounds"], "demo_step", steps=cfg["demo_steps"], collect=True, gc_off=True
        )
    result["nogc_ours"] = _times_summary([t for r in ours for t in r["times"]])
    if with_theirs:
        result["nogc_theirs"] = _times_summary([t for r in theirs for t in r["times"]])
    log(f"demo step as a training loop: {cfg['loop_rounds']} rounds x {cfg['loop_steps']} steps per side ...")
    with Sides(with_theirs) as sides:
        ours, theirs = sides.alternate(cfg["loop_rounds"], "demo_step", steps=cfg["loop_steps"], collect=False)
    result["loop_ours"] = _times_summary([t for r in ours for t in r["times"][1:]])
    result["loop_ours_first"] = _times_summary([r["times"][0] for r in ours])
    if with_theirs:
        result["loop_theirs"] = _times_summary([t for r in theirs for t in r["times"][1:]])
        result["loop_theirs_first"] = _times_summary([r["times"][0] for r in theirs])
    return result


def measure_phases(cfg: dict) -> dict:
    log("our demo step, phase by phase, and under different GC settings ...")
    with Sides(False) as sides:
        phases = sides.ours.call("demo_phases", steps=cfg["phase_steps"])
        gc_modes = sides.ours.call("demo_gc_modes", steps=cfg["gc_steps"])
    return {
        "nodes": phases["nodes"],
        "edges": phases["edges"],
        "phases": {name: statistics.median(values) for name, values in phases["phases"].items()},
        "gc_modes": {mode: statistics.median(times) for mode, times in gc_modes.items()},
    }


def measure_memory(cfg: dict, with_theirs: bool) -> dict:
    n = cfg["memory_ops"]
    log(f"memory per recorded op over {n:,}-op chains ...")
    result = {"ops": n, "chains": {}}
    with Sides(with_theirs) as sides:
        for kind in ("mul", "add", "relu", "tanh"):
            entry = {"ours": sides.ours.call("chain_memory", kind=kind, n=n)}
            if with_theirs:
                entry["theirs"] = sides.theirs.call("chain_memory", kind=kind, n=n)
            result["chains"][kind] = entry
        result["backward_ours"] = sides.ours.call("chain_backward_memory", kind="mul", n=n)
    return result


def measure_linear(cfg: dict, with_theirs: bool) -> dict:
    small, big = cfg["linear_small"], cfg["linear_big"]
    log(f"linear cost: {small:,}-op and {big:,}-op chains (x = x * y), forward + backward ...")
    result = {"small_ops": small, "big_ops": big}
    with Sides(with_theirs) as sides:
        for suffix, gc_off in (("", False), ("_nogc", True)):
            runs_small = sides.ours.call(
                "chain_time", kind="mul", n=small, reps=cfg["linear_small_reps"], gc_off=gc_off
            )
            runs_big = sides.ours.call("chain_time", kind="mul", n=big, reps=cfg["linear_big_reps"], gc_off=gc_off)
            best_small = min(range(len(runs_small["times"])), key=runs_small["times"].__getitem__)
            best_big = min(range(len(runs_big["times"])), key=runs_big["times"].__getitem__)
            result[f"small_per_op{suffix}"] = runs_small["times"][best_small] / small
            result[f"big_per_op{suffix}"] = runs_big["times"][best_big] / big
            result[f"small_forward_per_op{suffix}"] = runs_small["forward"][best_small] / small
            result[f"big_forward_per_op{suffix}"] = runs_big["forward"][best_big] / big
            result[f"big_seconds{suffix}"] = runs_big["times"][best_big]
        deep = sides.theirs.call("deep_backward", kind="mul", n=cfg["deep_theirs"]) if with_theirs else None
    if deep is not None:
        result["theirs_deep"] = {"ops": cfg["deep_theirs"], **deep}
    return result


def measure_chains(cfg: dict, with_theirs: bool) -> dict:
    n = cfg["chain_ops"]
    log(f"chains of {n:,} ops side by side ...")
    result = {"ops": n, "chains": {}}
    with Sides(with_theirs) as sides:
        for kind in ("mul", "add", "relu", "tanh"):
            ours, theirs = [], []
            for r in range(cfg["chain_rounds"]):
                order = ["ours", "theirs"] if r % 2 == 0 else ["theirs", "ours"]
                for side in order:
                    if side == "ours":
                        ours.append(sides.ours.call("chain_time", kind=kind, n=n, reps=cfg["chain_reps"]))
                    elif with_theirs:
                        # micrograd's recursive topological sort needs a deeper recursion limit
                        theirs.append(
                            sides.theirs.call(
                                "chain_time", kind=kind, n=n, reps=cfg["chain_reps"], recursion_limit=n + 5_000
                            )
                        )
            entry = {"ours": _chain_summary(ours, n)}
            if with_theirs:
                entry["theirs"] = _chain_summary(theirs, n)
            result["chains"][kind] = entry
    return result


def measure_hessian(cfg: dict) -> dict:
    log("hessian of a function of ten inputs ...")
    with Sides(False) as sides:
        result = sides.ours.call("hessian", reps=cfg["hessian_reps"])
    if "times" in result:
        result.update(_times_summary(result.pop("times")))
    return result


def _times_summary(times: list[float]) -> dict:
    return {"median": statistics.median(times), "min": min(times), "n": len(times), "samples": times}


def _chain_summary(runs: list[dict], n: int) -> dict:
    if any("skipped" in r for r in runs):
        return {"skipped": runs[0]["skipped"]}
    times = [t for r in runs for t in r["times"]]
    return {"per_op_min": min(times) / n, "per_op_median": statistics.median(times) / n}


# --------------------------------------------------------------------------- report


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} µs"
    return f"{seconds * 1e9:.0f} ns"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


class Report:
    """Rows for the table, and flat metrics for the JSON file and --compare."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, str]] = []
        self.metrics: dict[str, dict] = {}

    def row(self, case: str, ours: str = "", theirs: str = "", ratio: str = "", target: str = "", result: str = ""):
        self.rows.append((case, ours, theirs, ratio, target, result))

    def section(self, title: str) -> None:
        self.rows.append((title, None, None, None, None, None))

    def metric(self, name: str, value: float, unit: str, better: str, passed: bool | None = None) -> None:
        self.metrics[name] = {"value": value, "unit": unit, "better": better}
        if passed is not None:
            self.metrics[name]["pass"] = passed

    def render(self) -> str:
        header = ("case", "ours", "micrograd 0.1.0", "ratio", "target", "result")
        body = [r for r in self.rows if r[1] is not None]
        widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(6)]
        line = "  ".join("-" * w for w in widths)
        out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), line]
        for r in self.rows:
            if r[1] is None:
                out.append(r[0])
            else:
                out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        return "\n".join(out)


def build_report(results: dict, with_theirs: bool) -> Report:
    rep = Report()
    NA = "n/a (not installed)"

    demo = results["demo"]
    rep.section("micrograd's demo step: 100 moons, MLP(2,[16,16,1]), hinge + L2, backward, SGD (median, min)")
    o = demo["ours"]
    if with_theirs:
        t = demo["theirs"]
        speedup = t["median"] / o["median"]
        speedup_min = t["min"] / o["min"]
        ok = speedup >= DEMO_SPEEDUP_TARGET
        rep.row(
            "  one step, GC'd before it",
            f"{fmt_time(o['median'])} ({fmt_time(o['min'])})",
            f"{fmt_time(t['median'])} ({fmt_time(t['min'])})",
            f"{speedup:.1f}× faster ({speedup_min:.1f}×)",
            f"≥ {DEMO_SPEEDUP_TARGET:.0f}× (aim {DEMO_SPEEDUP_AIM:.0f}×)",
            verdict(ok) + (" (aim met)" if speedup >= DEMO_SPEEDUP_AIM else ""),
        )
        rep.metric("demo_step.speedup", speedup, "x", "higher", ok)
        rep.metric("demo_step.speedup_min", speedup_min, "x", "higher")
        rep.metric("demo_step.theirs_s", t["median"], "s", "neither")
        lo, lt = demo["loop_ours"], demo["loop_theirs"]
        loop_speedup = lt["median"] / lo["median"]
        rep.row(
            "  the notebook loop as run (steps 2+)",
            fmt_time(lo["median"]),
            fmt_time(lt["median"]),
            f"{loop_speedup:.1f}× faster",
            "info",
            "",
        )
        rep.row(
            "  the loop's first step",
            fmt_time(demo["loop_ours_first"]["median"]),
            fmt_time(demo["loop_theirs_first"]["median"]),
            f"{demo['loop_theirs_first']['median'] / demo['loop_ours_first']['median']:.1f}× faster",
            "info",
            "",
        )
        no, nt = demo["nogc_ours"], demo["nogc_theirs"]
        rep.row(
            "  one step, cyclic GC off on both sides",
            fmt_time(no["median"]),
            fmt_time(nt["median"]),
            f"{nt['median'] / no['median']:.1f}× faster",
            "info",
            "",
        )
        rep.metric("demo_nogc.speedup", nt["median"] / no["median"], "x", "higher")
        rep.metric("demo_loop.speedup", loop_speedup, "x", "higher")
        rep.metric("demo_loop.theirs_s", lt["median"], "s", "neither")
        a = demo["agreement"]
        ok = max(a["max_loss_diff"], a["max_param_diff"]) <= LOSS_AGREEMENT
        rep.row(
            f"  same numbers as micrograd ({a['steps_compared']} steps)",
            f"loss {a['first_loss']:.6f}",
            f"max |Δloss| {a['max_loss_diff']:.1e}",
            f"max |Δparam| {a['max_param_diff']:.1e}",
            f"≤ {LOSS_AGREEMENT:.0e}",
            verdict(ok),
        )
        rep.metric("demo_step.max_loss_diff", a["max_loss_diff"], "", "lower", ok)
    else:
        rep.row("  one step, GC'd before it", f"{fmt_time(o['median'])} ({fmt_time(o['min'])})", NA)
        rep.row("  the notebook loop as run (steps 2+)", fmt_time(demo["loop_ours"]["median"]), NA)
    rep.metric("demo_step.ours_s", o["median"], "s", "lower")
    rep.metric("demo_loop.ours_s", demo["loop_ours"]["median"], "s", "lower")

    mem = results["memory"]
    rep.section(f"memory per recorded op (tracemalloc, {mem['ops']:,}-op chain kept alive)")
    for kind, entry in mem["chains"].items():
        from cases import CHAIN_CODE

        o, t = entry["ours"], entry.get("theirs")
        ours_text = o.get("skipped") or f"{o['bytes_per_op']:.0f} B"
        if t is None:
            rep.row(f"  {CHAIN_CODE[kind]}", ours_text, NA)
        elif "skipped" in t or "skipped" in o:
            rep.row(f"  {CHAIN_CODE[kind]}", ours_text, t.get("skipped") or f"{t['bytes_per_op']:.0f} B", "", "info")
        else:
            ratio = o["bytes_per_op"] / t["bytes_per_op"]
            is_target = kind == "mul"
            ok = ratio <= MEMORY_RATIO_TARGET
            rep.row(
                f"  {CHAIN_CODE[kind]}",
                ours_text,
                f"{t['bytes_per_op']:.0f} B",
                f"{ratio:.2f}× the memory",
                f"≤ {MEMORY_RATIO_TARGET}×" if is_target else "info",
                verdict(ok) if is_target else "",
            )
            rep.metric(f"memory.{kind}.ratio", ratio, "x", "lower", ok if is_target else None)
            rep.metric(f"memory.{kind}.theirs_bytes", t["bytes_per_op"], "B", "neither")
        if "bytes_per_op" in o:
            rep.metric(f"memory.{kind}.ours_bytes", o["bytes_per_op"], "B", "lower")
    b = mem["backward_ours"]
    rep.row(
        "  backward() on x = x * y: peak extra / kept",
        f"{b['peak_bytes_per_op']:.0f} B / {b['kept_bytes_per_op']:.0f} B",
        "",
        "",
        "info",
    )

    lin = results["linear"]
    rep.section("linear cost: forward + backward per op, x = x * y (min of runs)")

    def split(suffix: str, size: str) -> str:
        total, fwd = lin[f"{size}_per_op{suffix}"], lin[f"{size}_forward_per_op{suffix}"]
        return f"{fmt_time(total)}/op (fwd {fmt_time(fwd)} + bwd {fmt_time(total - fwd)})"

    # The target is the engine's own work, so it is measured with the cyclic GC paused; the
    # default-GC figure is shown beside it because it is what a long chain costs in practice.
    for suffix, gc_mode, metric in (("_nogc", "cyclic GC paused", "gc_paused"), ("", "default GC", "default_gc")):
        ratio = lin[f"big_per_op{suffix}"] / lin[f"small_per_op{suffix}"]
        is_target = suffix == "_nogc"
        ok = ratio <= LINEAR_RATIO_TARGET
        rep.row(f"  {lin['small_ops']:,}-op chain, {gc_mode}", split(suffix, "small"))
        rep.row(
            f"  {lin['big_ops']:,}-op chain, {gc_mode} ({fmt_time(lin[f'big_seconds{suffix}'])} in all)",
            split(suffix, "big"),
            "",
            f"{ratio:.2f}× the {lin['small_ops']:,}-op per-op time",
            f"≤ {LINEAR_RATIO_TARGET}×" if is_target else "info",
            verdict(ok) if is_target else "",
        )
        rep.metric(f"linear.ratio_{metric}", ratio, "x", "lower", ok if is_target else None)
    rep.section("  (default GC: CPython's full collections traverse every live node, so they cost more per op")
    rep.section("   as the live graph grows; the target is the engine's own work, the GC-paused figure)")
    rep.metric("linear.small_per_op_s", lin["small_per_op"], "s", "lower")
    rep.metric("linear.big_per_op_s", lin["big_per_op"], "s", "lower")
    deep = lin.get("theirs_deep")
    if deep is not None:
        if deep["ok"]:
            text = f"works ({fmt_time(deep['seconds'])})"
        else:
            text = f"RecursionError (limit {deep['recursion_limit']})"
        rep.row(f"  backward() on a {deep['ops']:,}-op chain", "works (iterative)", text, "", "info")

    ch = results["chains"]
    rep.section(f"chains of {ch['ops']:,} ops, forward + backward per op (micrograd: recursion limit raised)")
    for kind, entry in ch["chains"].items():
        from cases import CHAIN_CODE

        o, t = entry["ours"], entry.get("theirs")
        ours_text = o.get("skipped") or fmt_time(o["per_op_median"]) + "/op"
        if t is None:
            rep.row(f"  {CHAIN_CODE[kind]}", ours_text, NA)
        elif "skipped" in t or "skipped" in o:
            rep.row(f"  {CHAIN_CODE[kind]}", ours_text, t.get("skipped") or fmt_time(t["per_op_median"]), "", "info")
        else:
            speedup = t["per_op_median"] / o["per_op_median"]
            rep.row(
                f"  {CHAIN_CODE[kind]}",
                ours_text,
                fmt_time(t["per_op_median"]) + "/op",
                f"{speedup:.1f}× faster" if speedup >= 1 else f"{1 / speedup:.1f}× SLOWER",
                "info",
            )
            rep.metric(f"chain.{kind}.speedup", speedup, "x", "higher")
        if "per_op_median" in o:
            rep.metric(f"chain.{kind}.ours_per_op_s", o["per_op_median"], "s", "lower")

    hes = results["hessian"]
    rep.section("Hessian (micrograd.autodiff.hessian), ours only")
    if "skipped" in hes:
        rep.row("  10 inputs", "skipped: " + hes["skipped"], "", "", "", "skipped")
    else:
        ok = hes["median"] < HESSIAN_TARGET_S
        rep.row(
            f"  {hes['inputs']} inputs, {hes['ops']} ops (median, min)",
            f"{fmt_time(hes['median'])} ({fmt_time(hes['min'])})",
            "micrograd has none",
            "",
            f"< {HESSIAN_TARGET_S} s",
            verdict(ok),
        )
        close = hes["max_fd_error"] < 1e-6 and hes["asymmetry"] < 1e-9
        rep.row(
            "  vs central differences of grad()",
            f"max |Δ| {hes['max_fd_error']:.1e}",
            "",
            f"asymmetry {hes['asymmetry']:.1e}",
            "≤ 1e-6",
            verdict(close),
        )
        rep.metric("hessian.seconds", hes["median"], "s", "lower", ok)
    compiled.report(rep, results, with_theirs, fmt_time, verdict)
    return rep


def render_phases(phases: dict) -> str:
    step = phases["phases"]["step total"]
    lines = [
        f"Our demo step, phase by phase (median of steps; graph: {phases['nodes']:,} nodes, {phases['edges']:,} edges)"
    ]
    names = [n for n in phases["phases"] if not n.startswith("  of which")]
    names[names.index("backward()") + 1 : names.index("backward()") + 1] = [
        n for n in phases["phases"] if n.startswith("  of which")
    ]
    for name in names:
        seconds = phases["phases"][name]
        if name == "GC collections per step":
            lines.append(f"  {name:<40} {seconds:>9.0f}")
        elif name != "step total":
            lines.append(f"  {name:<40} {fmt_time(seconds):>9}  {100 * seconds / step:5.1f}%")
    lines.append(f"  {'step total (incl. freeing the graph)':<40} {fmt_time(step):>9}  100.0%")
    lines.append("The notebook loop body under cyclic-GC settings (median per step):")
    base = phases["gc_modes"]["default"]
    for mode, seconds in phases["gc_modes"].items():
        lines.append(f"  {mode:<40} {fmt_time(seconds):>9}  {100 * (seconds / base - 1):+5.1f}%")
    return "\n".join(lines)


# --------------------------------------------------------------------------- files


def git_state() -> dict:
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "engine_dirty": bool(git("status", "--porcelain", "micrograd")),
    }


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    info = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
    }
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def write_json_atomically(path: Path, doc: dict) -> None:
    from micrograd._atomic import write_text_atomically  # the project's writer: no temporary file left

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, json.dumps(doc, indent=1, sort_keys=False) + "\n")


def compare(old: dict, new: dict, old_name: str) -> str:
    lines = [f"Compared with {old_name} ({old.get('date', '?')}, commit {old.get('git', {}).get('commit', '?')}):"]
    om, nm = old.get("machine", {}), new.get("machine", {})
    for key in ("python", "processor", "cpu_count"):
        if om.get(key) != nm.get(key):
            lines.append(
                f"  note: {key} differs ({om.get(key)} then, {nm.get(key)} now): absolute times may not compare"
            )
    if old.get("mode") != new.get("mode"):
        lines.append(f"  note: that was a {old.get('mode')} run, this is a {new.get('mode')} run")
    names = [n for n in new["metrics"] if n in old.get("metrics", {})]
    width = max((len(n) for n in names), default=10)
    for name in names:
        a, b = old["metrics"][name], new["metrics"][name]
        if not a["value"]:
            continue
        change = b["value"] / a["value"] - 1
        if abs(change) < 0.05:
            mark = "same (within ±5%)"
        elif b["better"] == "neither":
            mark = "changed (micrograd 0.1.0's figure)"
        else:
            better = (change > 0) == (b["better"] == "higher")
            mark = "better" if better else "WORSE"
        was = "" if a.get("pass") is None else verdict(a["pass"])
        now = "" if b.get("pass") is None else verdict(b["pass"])
        flip = f"  {was} -> {now}" if was != now else ""
        lines.append(f"  {name:<{width}}  {_fmt_metric(a):>12} -> {_fmt_metric(b):>12}  {change:+7.1%}  {mark}{flip}")
    for name in sorted(set(old.get("metrics", {})) - set(new["metrics"])):
        lines.append(f"  {name:<{width}}  (not measured now)")
    for name in new["metrics"]:
        if name not in old.get("metrics", {}):
            lines.append(f"  {name:<{width}}  {'(new)':>12} -> {_fmt_metric(new['metrics'][name]):>12}")
    return "\n".join(lines)


def default_output(quick: bool) -> Path:
    """Where a run goes without --output: the ignored runs/ folder, never the reference."""
    return RUNS_DIR / ("quick.json" if quick else "full.json")


def shown(path: Path) -> Path:
    """`path` relative to the repository when it is inside it (shorter to read)."""
    path = path.resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _fmt_metric(m: dict) -> str:
    if m["unit"] == "s":
        return fmt_time(m["value"])
    if m["unit"] == "x":
        return f"{m['value']:.2f}×"
    if m["unit"] == "B":
        return f"{m['value']:.0f} B"
    return f"{m['value']:.2g}"


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (smaller sizes, fewer rounds)")
    parser.add_argument("--compare", metavar="FILE", help="compare this run with an earlier results JSON")
    parser.add_argument(
        "--output", metavar="FILE", help="where to write the results (default: runs/full.json or runs/quick.json)"
    )
    parser.add_argument(
        "--save-reference",
        action="store_true",
        help=f"also replace the committed reference result, {REFERENCE.relative_to(ROOT)} (full runs only)",
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    args = parser.parse_args(argv)
    if args.save_reference and args.quick:
        parser.error("--save-reference needs a full run: a quick run's figures are not a reference")

    previous = None
    if args.compare:
        try:
            previous = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"cannot read {args.compare}: {error}", file=sys.stderr)
            return 2
    cfg = QUICK if args.quick else FULL
    output = Path(args.output) if args.output else default_output(args.quick)

    problem = ensure_micrograd_010()
    with_theirs = problem is None
    if problem:
        log(f"\nmicrograd 0.1.0 is not available: {problem}")
        log("Measuring ours alone; the side-by-side figures are missing.\n")

    started = time.perf_counter()
    load_before = load_average()
    try:
        results = {
            "demo": measure_demo(cfg, with_theirs),
            "phases": measure_phases(cfg),
            "memory": measure_memory(cfg, with_theirs),
            "linear": measure_linear(cfg, with_theirs),
            "chains": measure_chains(cfg, with_theirs),
            "hessian": measure_hessian(cfg),
            "compiled": compiled.measure(args.quick, with_theirs, Sides, log),
        }
    except WorkerError as error:
        print(f"benchmark aborted: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    report = build_report(results, with_theirs)

    doc = {
        "schema": SCHEMA,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": load_average()},
        "git": git_state(),
        "micrograd_010": "benchmarks/.micrograd-0.1.0" if with_theirs else None,
        "seconds": round(elapsed, 1),
        "config": cfg,
        "metrics": report.metrics,
        "results": results,
    }
    write_json_atomically(output, doc)
    # The reference is what the README's figures come from: only a complete side-by-side run.
    save_reference = args.save_reference and with_theirs
    if save_reference:
        write_json_atomically(REFERENCE, doc)

    m = doc["machine"]
    print(
        f"micrograd benchmarks ({doc['mode']} run, {elapsed:.0f} s): Python {m['python']}, {m['platform']}, "
        f"{m['cpu_count']} CPUs ({m['processor']}); commit {doc['git']['commit']}"
        + (" + uncommitted changes in micrograd/" if doc["git"]["engine_dirty"] else "")
    )
    print(f"load average before/after: {load_before} / {doc['load_average']['after']}")
    print()
    print(report.render())
    print()
    print(render_phases(results["phases"]))
    print()
    failed = [name for name, metric in report.metrics.items() if metric.get("pass") is False]
    also = f" and to the reference {shown(REFERENCE)}" if save_reference else ""
    print(f"results written to {shown(output)}{also}")
    if failed:
        print("targets missed: " + ", ".join(failed))
    if previous is not None:
        print()
        print(compare(previous, doc, args.compare))
    if not with_theirs:
        print(f"\nmicrograd 0.1.0 could not be installed: {problem}")
        if args.save_reference:
            print(f"{shown(REFERENCE)} is unchanged: a reference needs both sides")
        return 1
    return 1 if (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
