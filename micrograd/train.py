"""A small training loop: `fit` a model to (X, y) with a progress bar and a `History`.

It is the loop of micrograd's demo notebook, packaged: forward every sample, average the
loss, add the L2 penalty, `zero_grad()`, `backward()`, optimiser step, record the numbers.

>>> from micrograd.data import make_moons
>>> from micrograd.nn import MLP
>>> X, y = make_moons(100, noise=0.1, seed=0)
>>> model = MLP(2, [16, 16, 1], seed=0)
>>> history = fit(model, X, y, steps=3, l2=1e-4, progress=False)   # hinge loss, SGD 1.0 -> 0.1
>>> len(history.loss), 0 <= history.accuracy[-1] <= 1
(3, True)

tqdm (optional) draws the progress bar, as a widget in notebooks; without it, progress
is printed as plain lines.
"""

from __future__ import annotations

import gc
import math
import numbers
import os
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from micrograd import losses
from micrograd._errors import _brief
from micrograd._seeding import rng as _rng
from micrograd.compiler import compile_training
from micrograd.engine import Value, enable_grad, no_grad
from micrograd.optim import SGD, Optimizer

__all__ = ["History", "accuracy", "env_steps", "fit", "linear_decay", "predict"]

LOSSES = ("hinge", "binary_cross_entropy", "cross_entropy", "mse")


@dataclass
class History:
    """What `fit` recorded at every step, before that step's update (as micrograd prints).

    `loss` includes the L2 penalty; `accuracy` is the fraction of the step's batch
    classified right (empty for mse and custom losses); `lr` is the learning rate used.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(steps=0)"
        text = f"History(steps={len(self.loss)}, loss {self.loss[0]:.4g} -> {self.loss[-1]:.4g}"
        if self.accuracy:
            text += f", accuracy {self.accuracy[0]:.0%} -> {self.accuracy[-1]:.0%}"
        return text + ")"


def linear_decay(start: float, end: float, steps: int) -> Callable[[int], float]:
    """A learning-rate schedule going linearly from `start` (step 0) towards `end` (step `steps`).

    ``linear_decay(1.0, 0.1, 100)(k)`` is micrograd's ``1.0 - 0.9*k/100``, to the bit.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {_brief(steps)}")
    start, end = float(start), float(end)
    return lambda k: start + (end - start) * k / steps


def env_steps(default: int, variable: str = "MICROGRAD_STEPS") -> int:
    """`default`, or fewer if the environment variable `variable` asks for fewer.

    Notebooks write ``fit(..., steps=env_steps(100))`` so that CI, which sets
    MICROGRAD_STEPS=20, runs them short while people get the full run.
    """
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        limit = int(text)
    except ValueError:
        raise ValueError(f"{variable} must be a whole number of steps, got {text!r}") from None
    if limit < 1:
        raise ValueError(f"{variable} must be at least 1, got {limit}")
    return min(default, limit)


# --------------------------------------------------------------------------- labels and scoring


def _binary_labels(y: Sequence, loss: str) -> list[int]:
    """Binary labels as -1/+1; 0/1 and -1/+1 are both accepted."""
    values = {v if isinstance(v, numbers.Real) else repr(type(v)) for v in y}  # hashable, and never 0 or 1
    if values <= {0, 1}:
        return [2 * int(v) - 1 for v in y]
    if values <= {-1, 1}:
        return [int(v) for v in y]
    odd = [v for v in y if v not in (0, 1, -1)][:5]
    shown = f"labels such as {', '.join(map(_brief, odd))}" if odd else "a mix of 0, 1 and -1"
    raise ValueError(f"{loss} needs two classes labelled 0/1 (or -1/+1), got {shown}")


def _class_labels(n_outputs: int, y: Sequence, where: str) -> list[int]:
    """The labels as class numbers for a model with `n_outputs` outputs: 0/1 (or -1/+1)
    for one output, 0..k-1 for k outputs; anything else is an error naming `where`."""
    if n_outputs == 1:
        return [(s + 1) // 2 for s in _binary_labels(y, f"{where}: a model with one output")]
    return [losses.class_index(t, n_outputs, i, where) for i, t in enumerate(y)]


def _is_correct_binary(score: float, sign: int) -> bool:
    return (score > 0) == (sign > 0)


def _argmax(row: Sequence[float]) -> int:
    best = 0
    for j in range(1, len(row)):
        if row[j] > row[best]:
            best = j
    return best


def _output_data(output) -> float | list[float]:
    """A model output's numbers: a float for one Value, else a list (what the accuracy tests read)."""
    return output.data if isinstance(output, Value) else [z.data for z in output]


def _decide(output) -> int:
    """The class a model output stands for: score > 0 -> 1 for one output, else argmax."""
    if isinstance(output, Value):
        return 1 if output.data > 0 else 0
    return _argmax(_output_data(output))


def predict(model: Callable, X: Sequence[Sequence[float]]) -> list[int]:
    """Class predictions, without recording graphs: for one output, 1 if score > 0 else 0;
    for several, the index of the largest."""
    with no_grad():
        return [_decide(model(list(x))) for x in X]


def accuracy(model: Callable, X: Sequence[Sequence[float]], y: Sequence[int]) -> float:
    """Fraction of samples `predict` gets right. Binary labels may be 0/1 or -1/+1; with
    k outputs the labels must be 0..k-1 (a label the model cannot output is an error)."""
    if len(X) != len(y):
        raise ValueError(f"accuracy: {len(X)} samples but {len(y)} labels")
    if not X:
        raise ValueError("accuracy: no samples")
    with no_grad():
        outputs = [model(list(x)) for x in X]
    labels = _class_labels(1 if isinstance(outputs[0], Value) else len(outputs[0]), y, "accuracy")
    return sum(_decide(output) == t for output, t in zip(outputs, labels)) / len(y)


# --------------------------------------------------------------------------- progress


class _TextProgress:
    """Plain progress lines, about ten per run: for logs, and when tqdm is missing."""

    def __init__(self, total: int, file) -> None:
        self.total, self.file, self.n = total, file, 0
        self.every = max(1, total // 10)
        self.width = len(str(total))

    def update(self, loss: float, acc: float | None) -> None:
        self.n += 1
        if self.n % self.every == 0 or self.n == self.total:
            line = f"step {self.n:{self.width}d}/{self.total}  loss {loss:.4f}"
            if acc is not None:
                line += f"  accuracy {acc:.0%}"
            print(line, file=self.file, flush=True)

    def close(self) -> None:
        pass


class _BarProgress:
    """A tqdm bar (a widget in notebooks) with the loss and accuracy after it."""

    def __init__(self, total: int, tqdm, file) -> None:
        self.bar = tqdm(total=total, desc="training", unit="step", file=file, dynamic_ncols=True)

    def update(self, loss: float, acc: float | None) -> None:
        text = f"loss {loss:.4f}" if acc is None else f"loss {loss:.4f}, accuracy {acc:.0%}"
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _progress(kind, total: int):
    if kind is False or kind is None:
        return None
    file = sys.stderr
    if kind == "text":
        return _TextProgress(total, file)
    if kind is not True and kind != "bar":
        raise ValueError(f"progress must be True, False, 'bar' or 'text', got {_brief(kind)}")
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: say what is happening in plain lines instead
        return _TextProgress(total, file)
    return _BarProgress(total, tqdm, file)


# --------------------------------------------------------------------------- fit


def fit(
    model: Callable,
    X: Sequence[Sequence[float]],
    y: Sequence,
    *,
    loss: str | Callable = "auto",
    optimizer: Optimizer | None = None,
    steps: int = 100,
    lr: float | Callable[[int], float] | None = None,
    l2: float = 0.0,
    batch_size: int | None = None,
    seed: int | random.Random | None = None,
    progress: bool | str = True,
    callback: Callable[[int, History], None] | None = None,
    compile: bool = False,
) -> History:
    """Train `model` on inputs `X` and labels `y` for `steps` steps; return the `History`.

    Args:
        model: a Module (e.g. `MLP`) or any callable from an input row to a Value (one
            output) or a list of Values (one per class); it needs `parameters()` unless
            an `optimizer` is given.
        X, y: the data; `y` holds class labels 0..k-1 (binary ones may be -1/+1), or
            targets for "mse".
        loss: "hinge" (micrograd's max-margin loss; labels become -1/+1),
            "binary_cross_entropy" (from logits), "cross_entropy" (one output per
            class), "mse", or a function ``loss(outputs, labels) -> Value``. "auto" picks
            hinge for a model with one output and cross-entropy otherwise.
        optimizer: defaults to `SGD` on the model's parameters.
        lr: a learning rate, or a schedule ``lr(step) -> float`` set on the optimiser
            before every step. With neither `lr` nor `optimizer`, micrograd's schedule:
            1.0 falling linearly to 0.1 (`linear_decay(1.0, 0.1, steps)`).
        l2: adds ``l2 * Σ p²`` over the parameters to the loss (micrograd's demo uses 1e-4).
        batch_size: samples per step, drawn at random without replacement (from `seed`);
            None uses the whole data set every step.
        progress: True for a tqdm bar (plain lines if tqdm is missing), "text" for
            plain lines, False for silence. Progress goes to stderr.
        callback: called as ``callback(step, history)`` after every step.
        compile: run each step as compiled code (`micrograd.compile`): the model's forward,
            the per-sample loss and backward are recorded once and replayed on floats,
            without building Values, looping over the batch in the compiled code. The
            losses, gradients and updates are the same as without it, bit for bit. Needs a
            model whose graph does not depend on the data (an `MLP`) and the "hinge" or
            "cross_entropy" loss. A step that overflows runs again on the engine, which
            raises its error.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {_brief(steps)}")
    if len(X) != len(y):
        raise ValueError(f"fit: {len(X)} samples in X but {len(y)} labels in y")
    if not len(X):
        raise ValueError("fit: X is empty")
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not (math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a non-negative number, got {_brief(l2)}")
    n = len(X)
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {_brief(batch_size)}")
    full_batch = batch_size is None or batch_size >= n

    # Inputs become leaves once, not every step.
    inputs = []
    for i, row in enumerate(X):
        try:
            inputs.append([v if type(v) is Value else Value(v) for v in row])
        except TypeError as error:
            raise TypeError(f"fit: X[{i}]: {error}") from None

    with no_grad():
        first = model(inputs[0])  # how many outputs: which loss, and which labels make sense
    if loss == "auto":
        loss = "hinge" if isinstance(first, Value) else "cross_entropy"
    loss_fn, labels, correct = _loss_setup(loss, y, first)
    program = None
    if compile:
        if loss not in ("hinge", "cross_entropy"):
            raise ValueError(f"compile=True supports the 'hinge' and 'cross_entropy' losses, not {loss!r}")
        if not hasattr(model, "parameters"):
            raise TypeError("compile=True needs a model with parameters() (a Module such as MLP)")
        program = compile_training(model, loss, [v.data for v in inputs[0]], labels)
        rows = [[v.data for v in row] for row in inputs]
        model_params = model.parameters()

    params = model.parameters() if optimizer is None or l2 else None
    if optimizer is None:
        optimizer = SGD(params, lr=1.0)
        if lr is None:
            lr = linear_decay(1.0, 0.1, max(steps, 1))
    schedule = lr if callable(lr) else None
    if lr is not None and schedule is None:
        optimizer.lr = lr
    rng = _rng(seed)

    history = History()
    bar = _progress(progress, steps)
    try:
        for k in range(steps):
            if schedule is not None:
                optimizer.lr = schedule(k)
            chosen = range(n) if full_batch else rng.sample(range(n), batch_size)
            batch_y = labels if full_batch else [labels[i] for i in chosen]

            try:
                # enable_grad: inside a caller's no_grad() nothing would be recorded, and
                # every step would silently train nothing.
                with _cyclic_gc_paused(), enable_grad():
                    optimizer.zero_grad()
                    step = None
                    if program is not None:
                        step = _compiled_step(program, model_params, [(rows[i], labels[i]) for i in chosen], l2)
                    if step is None:  # not compiled, or it overflowed: the engine (and its errors)
                        outputs = [model(inputs[i]) for i in chosen]
                        total = loss_fn(outputs, batch_y)
                        if l2:
                            total = total + l2 * sum(p * p for p in params)
                        total.backward()
                        step = total.data, (list(map(_output_data, outputs)) if correct else None)
                    used_lr = optimizer.lr
                    optimizer.step()
            except ArithmeticError as error:  # overflow: the weights have run off to huge values
                raise _diverged(error, k, steps, optimizer.lr) from error

            loss_value, outputs = step
            acc = None if correct is None else sum(map(correct, outputs, batch_y)) / len(batch_y)
            history.loss.append(loss_value)
            history.lr.append(used_lr)
            if acc is not None:
                history.accuracy.append(acc)
            if bar is not None:
                bar.update(loss_value, acc)
            if callback is not None:
                callback(k, history)
    finally:
        if bar is not None:
            bar.close()
    return history


def _compiled_step(program, params: list[Value], batch: list, l2: float) -> tuple[float, list] | None:
    """One step's loss, with the parameters' grads set, from the compiled program; None if
    anything overflowed (the caller then runs the step on the engine, for its error).

    The arithmetic is the engine's on the same graph, in `backward()`'s order: each
    sample's term gets the gradient 1/n of the mean, and the L2 penalty, which backward()
    reaches last, adds p·l2 twice (p*p has two edges into p).
    """
    data = [p.data for p in params]
    n = len(batch)
    try:
        terms, outputs, grads, check = program(data, batch, 1.0 / n)
    except (ArithmeticError, ValueError):
        return None
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    total = total * (1.0 / n)
    if l2:
        penalty = 0.0
        for p in data:
            penalty = penalty + p * p
        total = total + l2 * penalty
        grads = [g + p * l2 + p * l2 for g, p in zip(grads, data)]
    if not (math.isfinite(check) and math.isfinite(total) and all(map(math.isfinite, grads))):
        return None
    for p, g in zip(params, grads):
        p.grad = g
    return total, outputs


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one training step.

    A step's graph has no reference cycles (it is freed by reference counting alone), so
    the collector can find nothing in it; its collections while the graph is built cost
    about a sixth of a step (measured by `make bench`). It resumes when the step ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _diverged(error: ArithmeticError, k: int, steps: int, lr: float) -> ArithmeticError:
    """The same kind of error, saying where training stopped and what usually helps."""
    detail = str(error)
    if len(detail) > 100:  # the engine lists every operand; the start says which op
        detail = detail[:100] + "..."
    return type(error)(
        f"training diverged at step {k + 1} of {steps} with learning rate {lr:g} ({detail}); "
        "a smaller learning rate usually helps"
    )


def _loss_setup(loss, y: Sequence, output):
    """(loss function, labels as the loss wants them, per-sample correctness test or None),
    for a model whose output on one sample is `output`."""
    if callable(loss):
        return loss, list(y), None
    one_output = isinstance(output, Value)
    if loss in ("hinge", "binary_cross_entropy", "bce", "cross_entropy") and one_output != (loss != "cross_entropy"):
        if one_output:
            raise ValueError("fit: cross_entropy needs one output per class; this model has one output (use hinge)")
        raise ValueError(f"fit: {loss} needs a model with one output; this one has {len(output)} (use cross_entropy)")
    if loss == "hinge":
        return losses.hinge, _binary_labels(y, "fit: hinge"), _is_correct_binary
    if loss in ("binary_cross_entropy", "bce"):
        signs = _binary_labels(y, "fit: binary_cross_entropy")
        # The loss wants 0/1; accuracy compares signs, so keep both and translate here.
        return (
            lambda outputs, labels: losses.binary_cross_entropy(outputs, [(s + 1) // 2 for s in labels]),
            signs,
            _is_correct_binary,
        )
    if loss == "cross_entropy":
        labels = [losses.class_index(t, len(output), i, "fit") for i, t in enumerate(y)]
        return losses.cross_entropy, labels, lambda output, label: _argmax(output) == label
    if loss == "mse":
        return losses.mse, list(y), None
    raise ValueError(f"unknown loss {_brief(loss)}; choose one of {', '.join(LOSSES)}, or pass a function")
