"""The measured code. Runs inside a worker process (see worker.py), on either side.

The worker puts exactly one `micrograd` on `sys.path` (ours or micrograd 0.1.0), so the
same functions here measure both. Every case returns plain JSON-ready data; the
orchestrator (run.py) alternates the sides and reduces the numbers.

Nothing here prints: the worker's stdout carries the results.
"""

from __future__ import annotations

import gc
import importlib
import random
import sys
import tracemalloc
from time import perf_counter

import moons


def _engine():
    from micrograd.engine import Value

    return Value


# --------------------------------------------------------------------------- demo step


def notebook_demo(n_samples: int = 100, data_seed: int = 1337):
    """micrograd's demo notebook: its model, built after random.seed(1337), and its loss()."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X, y = moons.make_moons(n_samples, noise=0.1, seed=data_seed)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    # ---- the notebook, verbatim (numpy indexing and batching left out)
    def loss():
        Xb, yb = X, y
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    return model, loss


def demo_step(steps: int, collect: bool, gc_off: bool = False, n_samples: int = 100, data_seed: int = 1337) -> dict:
    """micrograd's demo notebook: build the model after random.seed(1337), then run
    `steps` iterations of its training loop, timing each loop body.

    With `collect`, the previous step's graph is dropped and the cyclic garbage collector
    run *before* the timer starts (so every step starts clean: the step's own cost). Without
    it the loop runs exactly as in the notebook, and a step also pays for disposing of the
    previous step's graph (reference counting for ours, the cyclic collector for micrograd's
    closures). With `gc_off` the cyclic collector is also disabled while the step runs:
    what is left is the arithmetic and bookkeeping alone.
    """
    model, loss = notebook_demo(n_samples, data_seed)

    times, losses, accuracies, collected = [], [], [], []
    total_loss = None
    for k in range(steps):
        if collect:
            total_loss = None
            collected.append(gc.collect())
        if gc_off:
            gc.disable()
        t0 = perf_counter()
        # ---- the notebook's loop body, verbatim
        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        # ----
        times.append(perf_counter() - t0)
        gc.enable()
        losses.append(float(total_loss.data))
        accuracies.append(float(acc))
    return {
        "times": times,
        "losses": losses,
        "accuracy": accuracies,
        "params": [float(p.data) for p in model.parameters()],
    }


def demo_phases(steps: int, n_samples: int = 100, data_seed: int = 1337) -> dict:
    """Ours only: where a demo step's time goes, and what the cyclic GC costs.

    Phases are timed one by one on the notebook's code. backward() is split in two by
    timing `topological_order` alone and backward() again on the same graph afterwards
    (outside the step total).
    """
    from micrograd.engine import Value
    from micrograd.nn import MLP

    try:
        from micrograd.engine import topological_order
    except ImportError:
        topological_order = None

    X, y = moons.make_moons(n_samples, noise=0.1, seed=data_seed)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])

    gc_time = [0.0]
    gc_count = [0]
    started = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            started[0] = perf_counter()
        else:
            gc_time[0] += perf_counter() - started[0]
            gc_count[0] += 1

    phases: dict[str, list[float]] = {}

    def record(name, seconds):
        phases.setdefault(name, []).append(seconds)

    nodes = edges = 0
    gc.callbacks.append(on_gc)
    try:
        for k in range(steps):
            gc.collect()
            gc_time[0] = 0.0
            gc_count[0] = 0
            t_start = t0 = perf_counter()
            inputs = [list(map(Value, xrow)) for xrow in X]
            t1 = perf_counter()
            record("inputs: list(map(Value, xrow))", t1 - t0)
            scores = list(map(model, inputs))
            t0 = perf_counter()
            record("forward: list(map(model, inputs))", t0 - t1)
            losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            t1 = perf_counter()
            record("hinge loss + sum(losses)", t1 - t0)
            reg_loss = 1e-4 * sum(p * p for p in model.parameters())
            total_loss = data_loss + reg_loss
            t0 = perf_counter()
            record("L2: sum(p*p for p in parameters)", t0 - t1)
            accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
            sum(accuracy) / len(accuracy)
            t1 = perf_counter()
            record("accuracy", t1 - t0)
            model.zero_grad()
            t0 = perf_counter()
            record("zero_grad", t0 - t1)
            total_loss.backward()
            t1 = perf_counter()
            backward = t1 - t0
            record("backward()", backward)
            learning_rate = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= learning_rate * p.grad
            t0 = perf_counter()
            record("SGD update", t0 - t1)
            gc_in_step = gc_time[0]
            collections = gc_count[0]
            if topological_order is not None:
                # Split backward() by timing, on the same graph (now warm, outside the step),
                # topological_order alone and backward() again (leaf grads double: harmless
                # here, zero_grad() comes first in the next step).
                t2 = perf_counter()
                order = topological_order(total_loss)
                t3 = perf_counter()
                total_loss.backward()
                t4 = perf_counter()
                share = (t3 - t2) / (t4 - t3)
                record("  of which topological_order", share * backward)
                record("  of which the edge loop", (1 - share) * backward)
                nodes = len(order)
                edges = sum(len(v.parents) for v in order)
                del order
                t0 = perf_counter()
            del inputs, scores, losses, data_loss, reg_loss, total_loss
            t1 = perf_counter()
            record("free the graph (refcounting)", t1 - t0)
            record("step total", t1 - t_start - (t0 - t2 if topological_order is not None else 0.0))
            record("cyclic GC (within the phases above)", gc_in_step)
            record("GC collections per step", collections)
    finally:
        gc.callbacks.remove(on_gc)
    return {"phases": phases, "nodes": nodes, "edges": edges}


def demo_gc_modes(steps: int, n_samples: int = 100, data_seed: int = 1337) -> dict:
    """Ours only: the notebook loop body under different cyclic-GC settings, per step."""
    import micrograd.nn as nn
    from micrograd.engine import Value

    X, y = moons.make_moons(n_samples, noise=0.1, seed=data_seed)

    def run(mode: str) -> list[float]:
        random.seed(1337)
        model = nn.MLP(2, [16, 16, 1])
        gc.collect()
        threshold = gc.get_threshold()
        if mode == "freeze":
            gc.freeze()  # the model and everything imported: out of the collector's sight
        elif mode == "threshold 10000":
            gc.set_threshold(10_000, threshold[1], threshold[2])
        times = []
        try:
            for k in range(steps):
                t0 = perf_counter()
                if mode == "disable during step":
                    gc.disable()
                inputs = [list(map(Value, xrow)) for xrow in X]
                scores = list(map(model, inputs))
                losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
                data_loss = sum(losses) * (1.0 / len(losses))
                reg_loss = 1e-4 * sum(p * p for p in model.parameters())
                total_loss = data_loss + reg_loss
                accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
                sum(accuracy) / len(accuracy)
                model.zero_grad()
                total_loss.backward()
                learning_rate = 1.0 - 0.9 * k / 100
                for p in model.parameters():
                    p.data -= learning_rate * p.grad
                if mode == "disable during step":
                    gc.enable()
                times.append(perf_counter() - t0)
        finally:
            gc.enable()
            gc.unfreeze()
            gc.set_threshold(*threshold)
        return times

    modes = ["default", "disable during step", "freeze", "threshold 10000"]
    results = {mode: [] for mode in modes}
    for _ in range(2):  # interleave the modes
        for mode in modes:
            results[mode] += run(mode)
    return results


# --------------------------------------------------------------------------- chains


def _chain(kind: str, n: int):
    """A chain of `n` recorded ops of one kind, and the leaf it starts from."""
    Value = _engine()
    x0 = Value(0.5)
    x = x0
    if kind == "mul":
        y = Value(1.0000001)
        for _ in range(n):
            x = x * y
    elif kind == "add":
        for _ in range(n):
            x = x + 1.0
    elif kind == "relu":
        for _ in range(n):
            x = x.relu()
    elif kind == "tanh":
        for _ in range(n):
            x = x.tanh()
    else:
        raise ValueError(kind)
    return x0, x


CHAIN_CODE = {"mul": "x = x * y", "add": "x = x + 1.0", "relu": "x = x.relu()", "tanh": "x = x.tanh()"}


def _missing(kind: str) -> str | None:
    if kind in ("relu", "tanh") and not hasattr(_engine(), kind):
        return f"this micrograd has no {kind}()"
    return None


def chain_memory(kind: str, n: int) -> dict:
    """Bytes traced by tracemalloc per recorded op, for a chain of `n` ops kept alive."""
    why = _missing(kind)
    if why:
        return {"skipped": why}
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        x0, x = _chain(kind, n)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del x0, x
    gc.collect()
    return {"bytes_per_op": (after - base) / n}


def chain_backward_memory(kind: str, n: int) -> dict:
    """Ours only (micrograd would need its recursion limit raised): the extra memory
    backward() holds at its peak, and keeps afterwards, per op."""
    gc.collect()
    x0, x = _chain(kind, n)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        x.backward()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del x0, x
    gc.collect()
    return {"peak_bytes_per_op": (peak - base) / n, "kept_bytes_per_op": (current - base) / n}


def chain_time(kind: str, n: int, reps: int, recursion_limit: int | None = None, gc_off: bool = False) -> dict:
    """Forward + backward seconds for a chain of `n` ops, `reps` times (fresh chain each),
    with the forward part timed separately.

    Disposing of the chain (and the cyclic collector's work for micrograd's closures) is
    left outside the timer. `gc_off` disables the cyclic collector while timing.
    """
    why = _missing(kind)
    if why:
        return {"skipped": why}
    old_limit = sys.getrecursionlimit()
    if recursion_limit:
        sys.setrecursionlimit(max(old_limit, recursion_limit))
    times, forward = [], []
    check = None
    try:
        for _ in range(reps):
            gc.collect()
            if gc_off:
                gc.disable()
            t0 = perf_counter()
            x0, x = _chain(kind, n)
            t1 = perf_counter()
            x.backward()
            t2 = perf_counter()
            gc.enable()
            times.append(t2 - t0)
            forward.append(t1 - t0)
            check = float(x0.grad)
            del x0, x
    finally:
        gc.enable()
        sys.setrecursionlimit(old_limit)
        gc.collect()
    return {"times": times, "forward": forward, "grad": check}


def deep_backward(kind: str, n: int) -> dict:
    """Does backward() on an `n`-op chain work at the default recursion limit?"""
    gc.collect()
    x0, x = _chain(kind, n)
    limit = sys.getrecursionlimit()
    t0 = perf_counter()
    try:
        x.backward()
    except RecursionError as error:
        outcome = {"ok": False, "error": f"RecursionError: {error}", "recursion_limit": limit}
    else:
        outcome = {"ok": True, "seconds": perf_counter() - t0, "grad": float(x0.grad)}
    del x0, x
    gc.collect()
    return outcome


# --------------------------------------------------------------------------- Hessian


def _hessian_function(*x):
    """A scalar function of 10 inputs: 55 pair terms and 10 log terms, ~320 recorded ops."""
    total = 0.0
    n = len(x)
    for i in range(n):
        for j in range(i, n):
            total = total + (x[i] * x[j] * 0.5 + 0.1 * (i - j)).tanh()
    for xi in x:
        total = total + (xi * xi + 1.0).log()
    return total


HESSIAN_POINT = [0.3 * k - 1.2 for k in range(10)]


def hessian(reps: int) -> dict:
    """Time `micrograd.autodiff.hessian` on `_hessian_function`; check it against central
    differences of `micrograd.autodiff.grad` and for symmetry."""
    try:
        autodiff = importlib.import_module("micrograd.autodiff")
        hessian_of = autodiff.hessian
        grad = autodiff.grad
    except (ImportError, AttributeError) as error:
        return {"skipped": f"micrograd.autodiff.hessian is not available ({error})"}
    Value = _engine()
    xs = [Value(v) for v in HESSIAN_POINT]
    out = _hessian_function(*xs)
    try:
        from micrograd.engine import topological_order

        ops = sum(1 for v in topological_order(out) if v.parents)
    except ImportError:
        ops = None
    times = []
    H = None
    for _ in range(reps):
        gc.collect()
        t0 = perf_counter()
        H = hessian_of(_hessian_function, HESSIAN_POINT)
        times.append(perf_counter() - t0)
    n = len(HESSIAN_POINT)
    asymmetry = max(abs(H[i][j] - H[j][i]) for i in range(n) for j in range(n))
    h = 1e-5
    worst = 0.0
    for j in range(n):
        up = list(HESSIAN_POINT)
        down = list(HESSIAN_POINT)
        up[j] += h
        down[j] -= h
        vu = [Value(v) for v in up]
        vd = [Value(v) for v in down]
        gu = grad(_hessian_function(*vu), vu)
        gd = grad(_hessian_function(*vd), vd)
        for i in range(n):
            worst = max(worst, abs((gu[i] - gd[i]) / (2 * h) - H[i][j]))
    return {"times": times, "ops": ops, "inputs": n, "asymmetry": asymmetry, "max_fd_error": worst}


CASES = {
    "demo_step": demo_step,
    "demo_phases": demo_phases,
    "demo_gc_modes": demo_gc_modes,
    "chain_memory": chain_memory,
    "chain_backward_memory": chain_backward_memory,
    "chain_time": chain_time,
    "deep_backward": deep_backward,
    "hessian": hessian,
}

import compiled  # noqa: E402 (the compiled-training cases, kept in their own file)

CASES.update(compiled.CASES)
