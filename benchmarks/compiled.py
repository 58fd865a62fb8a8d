"""Benchmarks of compiled training (`micrograd.compile`, `fit(..., compile=True)`).

Cases (run inside the workers, registered in cases.CASES):

- ``compiled_demo``: micrograd's demo step (the notebook's data, model and loop: 100 moons,
  MLP(2, [16, 16, 1]) after random.seed(1337), hinge + 1e-4 L2, SGD 1.0 -> 0.1) run by
  ``fit(..., compile=True)`` and by plain ``fit()`` in the same worker, rounds alternating.
  A step is the time between two of fit's callbacks (the first step, which also compiles,
  is reported apart). Both runs' losses are returned, to check they agree to the bit.
- ``digits_training``: ``micrograd train --dataset digits``'s model and defaults
  (MLP(64, [32, 10]), cross-entropy + 1e-4 L2, Adam 0.01 -> 0.001, batches of 32, 1500
  steps), compiled: the training wall time and the test accuracy.
- ``digits_batch`` (both sides): one batch of 32 digits through MLP(64, [32, 10]) the way
  micrograd 0.1.0 can run it (forward, a squared error to one-hot targets because 0.1.0
  has no exp or log, backward, SGD), timed for a few batches; an epoch is 45 batches.

The orchestration (``measure``) and the table rows (``report``) are called from run.py.
"""

from __future__ import annotations

import gzip
import random
import statistics
from pathlib import Path
from time import perf_counter

import moons

DIGITS_FILE = Path(__file__).resolve().parent.parent / "micrograd" / "_data" / "digits.csv.gz"
BATCH = 32
EPOCH_BATCHES = 45  # 1438 training images / 32 per batch, rounded up

CONFIG = {
    "full": {"demo_rounds": 4, "demo_steps": 8, "digits_steps": 1500, "digits_batches": 3},
    "quick": {"demo_rounds": 1, "demo_steps": 4, "digits_steps": 150, "digits_batches": 1},
}
TARGETS = {"demo_vs_010": 250.0, "demo_vs_engine": 3.0, "digits_seconds": 60.0, "digits_accuracy": 0.95}


# --------------------------------------------------------------------------- cases (in a worker)


def compiled_demo(steps: int, compiled: bool) -> dict:
    """`steps` steps of micrograd's demo loop through fit(), compiled or not; per-step times."""
    from micrograd.nn import MLP
    from micrograd.train import fit, linear_decay

    X, y = moons.make_moons(100, noise=0.1, seed=1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    stamps = []
    start = perf_counter()
    history = fit(
        model,
        X,
        y,
        steps=steps,
        lr=linear_decay(1.0, 0.1, 100),  # the notebook's 1.0 - 0.9 * k / 100
        l2=1e-4,
        progress=False,
        compile=compiled,
        callback=lambda k, h: stamps.append(perf_counter()),
    )
    times = [b - a for a, b in zip([start, *stamps], stamps)]
    return {"first": times[0], "times": times[1:], "losses": history.loss}


def _digit_rows() -> list[tuple[list[float], int]]:
    rows = []
    for line in gzip.decompress(DIGITS_FILE.read_bytes()).decode("ascii").split():
        values = [int(v) for v in line.split(",")]
        rows.append(([v / 16 for v in values[:64]], values[64]))
    return rows


def digits_training(steps: int) -> dict:
    """`micrograd train --dataset digits`'s training, compiled: seconds and test accuracy."""
    from micrograd.data import load_digits
    from micrograd.nn import MLP
    from micrograd.optim import Adam
    from micrograd.train import accuracy, fit, linear_decay

    X, y, X_test, y_test = load_digits()
    model = MLP(64, [32, 10], seed=1337)
    start = perf_counter()
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=Adam(model.parameters(), lr=0.01),
        lr=linear_decay(0.01, 0.001, steps),
        l2=1e-4,
        steps=steps,
        batch_size=BATCH,
        seed=1337,
        progress=False,
        compile=True,
    )
    seconds = perf_counter() - start
    return {
        "seconds": seconds,
        "steps": steps,
        "test_accuracy": accuracy(model, X_test, y_test),
        "final_loss": history.loss[-1],
    }


def digits_batch(batches: int) -> dict:
    """Batches of 32 digits, forward + squared error + backward + SGD, as micrograd 0.1.0 can."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    rows = _digit_rows()
    random.seed(1337)
    model = MLP(64, [32, 10])
    times = []
    for b in range(batches):
        batch = rows[b * BATCH : (b + 1) * BATCH]
        start = perf_counter()
        total = Value(0.0)
        for x, label in batch:
            scores = model([Value(v) for v in x])
            for j, z in enumerate(scores):
                total = total + (z - (1.0 if j == label else 0.0)) ** 2
        total = total * (1.0 / len(batch))
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= 0.01 * p.grad
        times.append(perf_counter() - start)
    return {"times": times}


CASES = {"compiled_demo": compiled_demo, "digits_training": digits_training, "digits_batch": digits_batch}


# --------------------------------------------------------------------------- orchestration (run.py)


def measure(quick: bool, with_theirs: bool, sides_class, log) -> dict:
    cfg = CONFIG["quick" if quick else "full"]
    log(f"compiled demo step: {cfg['demo_rounds']} rounds x {cfg['demo_steps']} steps, compiled and not ...")
    compiled, plain = [], []
    with sides_class(False) as sides:
        for r in range(cfg["demo_rounds"]):
            for flag in (True, False) if r % 2 == 0 else (False, True):
                run = sides.ours.call("compiled_demo", steps=cfg["demo_steps"], compiled=flag)
                (compiled if flag else plain).append(run)
    result = {
        "compiled": statistics.median(t for run in compiled for t in run["times"]),
        "compiled_first": statistics.median(run["first"] for run in compiled),
        "plain": statistics.median(t for run in plain for t in run["times"]),
        "same_losses": all(c["losses"] == p["losses"] for c, p in zip(compiled, plain)),
        "digits_full_steps": CONFIG["full"]["digits_steps"],  # what the digits targets are set for
    }
    log(f"digits: training {cfg['digits_steps']} steps, compiled ...")
    with sides_class(False) as sides:
        result["digits"] = sides.ours.call("digits_training", steps=cfg["digits_steps"])
    log(f"digits: {cfg['digits_batches']} batches of {BATCH} per side, as micrograd 0.1.0 runs them ...")
    with sides_class(with_theirs) as sides:
        ours, theirs = sides.alternate(1, "digits_batch", batches=cfg["digits_batches"])
    result["digits_batch_ours"] = statistics.median(ours[0]["times"])
    if with_theirs:
        result["digits_batch_theirs"] = statistics.median(theirs[0]["times"])
    return result


def report(rep, results: dict, with_theirs: bool, fmt_time, verdict) -> None:
    c = results["compiled"]
    rep.section("compiled training: fit(..., compile=True), pure Python (median per step)")
    if with_theirs:
        theirs = results["demo"]["theirs"]["median"]
        speedup = theirs / c["compiled"]
        ok = speedup >= TARGETS["demo_vs_010"]
        rep.row("  demo step, compiled", fmt_time(c["compiled"]), fmt_time(theirs), f"{speedup:.0f}× faster", "≥ 250×",
                verdict(ok))  # fmt: skip
        rep.metric("compiled.demo_vs_010", speedup, "x", "higher", ok)
    vs_engine = c["plain"] / c["compiled"]
    ok = vs_engine >= TARGETS["demo_vs_engine"]
    rep.row("  ...vs fit() on the engine, same worker", fmt_time(c["compiled"]), f"engine {fmt_time(c['plain'])}",
            f"{vs_engine:.1f}× faster", "≥ 3×", verdict(ok))  # fmt: skip
    rep.metric("compiled.demo_vs_engine", vs_engine, "x", "higher", ok)
    rep.metric("compiled.demo_s", c["compiled"], "s", "lower")
    rep.row("  ...first step (records and compiles)", fmt_time(c["compiled_first"]))
    rep.row("  ...losses equal to fit()'s, to the bit", "yes" if c["same_losses"] else "NO", "", "", "equal",
            verdict(c["same_losses"]))  # fmt: skip
    d = c["digits"]
    full_steps = c.get("digits_full_steps", d["steps"])
    if d["steps"] >= full_steps:
        fast = d["seconds"] <= TARGETS["digits_seconds"]
        good = d["test_accuracy"] >= TARGETS["digits_accuracy"]
        rep.row(f"  digits: MLP(64,[32,10]) {d['steps']} steps of 32, training", fmt_time(d["seconds"]), "", "",
                "≤ 60 s", verdict(fast))  # fmt: skip
        rep.row("  digits: test accuracy", f"{d['test_accuracy']:.1%}", "", "", "≥ 95%", verdict(good))
        rep.metric("compiled.digits_s", d["seconds"], "s", "lower", fast)
        rep.metric("compiled.digits_accuracy", d["test_accuracy"], "", "higher", good)
    else:  # a quick run: the time scales with the steps and is judged so; the accuracy of a
        # run cut short says nothing about the full run's, so it is shown, not judged
        projected = d["seconds"] / d["steps"] * full_steps
        fast = projected <= TARGETS["digits_seconds"]
        rep.row(f"  digits: {d['steps']} of {full_steps} steps, training", fmt_time(d["seconds"]),
                f"{fmt_time(projected)} for {full_steps}", "", "≤ 60 s", verdict(fast))  # fmt: skip
        rep.row(f"  digits: test accuracy after {d['steps']} steps", f"{d['test_accuracy']:.1%}", "", "",
                "not judged: a quick run", "info")  # fmt: skip
        rep.metric("compiled.digits_s", projected, "s", "lower", fast)
        rep.metric("compiled.digits_accuracy", d["test_accuracy"], "", "higher")
    our_epoch = d["seconds"] / d["steps"] * EPOCH_BATCHES
    engine_epoch = c["digits_batch_ours"] * EPOCH_BATCHES
    theirs_epoch = c.get("digits_batch_theirs")
    rep.row(
        "  digits: one epoch (45 batches of 32)",
        f"{fmt_time(our_epoch)} compiled; engine {fmt_time(engine_epoch)}",
        "n/a" if theirs_epoch is None else f"{fmt_time(theirs_epoch * EPOCH_BATCHES)} (est.)",
        "" if theirs_epoch is None else f"{theirs_epoch * EPOCH_BATCHES / our_epoch:.0f}× faster",
        "info",
    )
    if theirs_epoch is not None:
        rep.metric("compiled.digits_epoch_010_s", theirs_epoch * EPOCH_BATCHES, "s", "neither")
