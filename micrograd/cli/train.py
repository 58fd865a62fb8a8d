"""`micrograd train`: train an MLP on a toy dataset or the digits, save the model and two pictures.

    micrograd train --dataset moons --out out
    micrograd train --no-plots          # the model and the summary only: no matplotlib needed
    micrograd train --dataset digits --out out

The defaults on moons and circles are micrograd's demo: MLP(2, [16, 16, 1]), hinge loss
plus 1e-4 L2, 100 steps of SGD with the learning rate falling from 1.0 to 0.1. Spiral
and blobs have three classes, so they train with cross-entropy, and with Adam (0.05 falling
to 0.005), which copes with their larger or tangled inputs without tuning.

Digits (8×8 handwritten digits, `micrograd.data.load_digits`) trains MLP(64, [32, 10]) with
cross-entropy and Adam (0.01 falling to 0.001) on batches of 32 for 1500 steps (about 33
passes over the 1,438 training images), then prints the accuracy on the 359 test images.
The long default is shortened by the MICROGRAD_STEPS environment variable, as in notebooks.

Training runs compiled (`fit(..., compile=True)`): the same numbers as the engine, bit for
bit, several times faster. ``--no-compile`` runs it on the engine, for comparison.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

from micrograd import data
from micrograd._atomic import check_writable
from micrograd.data import DATASETS
from micrograd.nn import ACTIVATIONS, MLP
from micrograd.optim import SGD, Adam
from micrograd.train import accuracy, env_steps, fit, linear_decay, predict

DEFAULT_LR = {"sgd": 1.0, "adam": 0.05}
# (steps, hidden layers, batch size, Adam's learning rate) when not given
TOY_DEFAULTS = (100, [16, 16], None, DEFAULT_LR["adam"])
DIGITS_DEFAULTS = (1500, [32], 32, 0.01)


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {n}")
    return n


def _hidden(text: str) -> list[int]:
    """ "16,16" -> [16, 16]; "" or "none" -> [] (no hidden layer: a linear model)."""
    if text.strip().lower() in ("", "none"):
        return []
    sizes = []
    for part in text.split(","):
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected layer sizes separated by commas, like 16,16; got {text!r}"
            ) from None
        if n < 1:
            raise argparse.ArgumentTypeError(f"every hidden layer needs at least 1 neuron, got {text!r}")
        sizes.append(n)
    return sizes


def _rate(name: str):
    def parse(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(x) or x < 0 or (name == "lr" and x == 0):
            raise argparse.ArgumentTypeError(
                f"expected a {'positive' if name == 'lr' else 'non-negative'} number, got {text!r}"
            )
        return x

    return parse


def _check_out(out_dir: str, paths: list[str]) -> None:
    """Fail now, not after training, if the results cannot be written."""
    from micrograd.cli import UsageError

    if not out_dir.strip():
        raise UsageError("--out needs a folder name, like --out out")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UsageError(f"--out {out_dir} exists and is not a folder")
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out_dir}: cannot create the folder: {error.strerror or error}") from None
    for path in paths:
        try:
            check_writable(path)
        except OSError as error:
            raise UsageError(f"--out {out_dir}: cannot write {path}: {error.strerror or error}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", choices=[*DATASETS, "digits"], default="moons", help="toy dataset, or digits (default: moons)"
    )
    parser.add_argument(
        "--samples", type=_positive_int, default=100, metavar="N", help="points of a toy dataset (default: 100)"
    )
    parser.add_argument(
        "--steps", type=_positive_int, default=None, metavar="N", help="training steps (default: 100; digits 1500)"
    )
    parser.add_argument(
        "--hidden",
        type=_hidden,
        default=None,
        metavar="SIZES",
        help="hidden layer sizes, comma separated, or none for a linear model (default: 16,16; digits 32)",
    )
    parser.add_argument(
        "--activation", choices=list(ACTIVATIONS), default="relu", help="hidden activation (default: relu)"
    )
    parser.add_argument(
        "--optimizer",
        choices=["sgd", "adam"],
        default=None,
        help="default: sgd for two classes (micrograd's demo), adam for more",
    )
    parser.add_argument(
        "--lr",
        type=_rate("lr"),
        default=None,
        metavar="LR",
        help="starting learning rate, falling linearly to a tenth of it (default: 1.0 for sgd, 0.05 for adam; "
        "digits 0.01)",
    )
    parser.add_argument(
        "--l2", type=_rate("l2"), default=1e-4, metavar="ALPHA", help="L2 penalty on the weights (default: 1e-4)"
    )
    parser.add_argument(
        "--batch-size", type=_positive_int, default=None, metavar="N", help="samples per step (default: all; digits 32)"
    )
    parser.add_argument(
        "--no-compile", action="store_true", help="train on the engine instead of compiled code (the same numbers)"
    )
    parser.add_argument("--seed", type=int, default=1337, help="seed for the data and the weights (default: 1337)")
    parser.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    parser.add_argument(
        "--no-plots",
        dest="plots",
        action="store_false",
        help="skip the loss curve and the decision boundary: no matplotlib needed",
    )


def run(args: argparse.Namespace) -> int:
    from micrograd.cli import UsageError

    # Plotting is checked before training, so a missing extra costs no waiting.
    if args.plots:
        try:
            import matplotlib

            matplotlib.use("Agg")  # files only: no window, no display needed
            from micrograd.plot import plot_decision_boundary, plot_digits, plot_history, save_figure
        except ImportError:
            raise UsageError(
                "the pictures need matplotlib: pip install 'micrograd-paths[plot]', or train without them: --no-plots"
            ) from None

    digits = args.dataset == "digits"
    if digits:
        X, y, X_test, y_test = data.load_digits()  # the standard split (seed 0): comparable test figures
        n_classes, nin = 10, 64
        shown = f"digits: {len(X)} training and {len(X_test)} test images, {n_classes} classes"
    else:
        make, n_classes = DATASETS[args.dataset]
        if args.samples < n_classes:
            raise UsageError(f"--samples must be at least {n_classes} for {args.dataset}, got {args.samples}")
        X, y = make(args.samples, seed=args.seed)
        nin = 2
        shown = f"{args.dataset}: {len(X)} points, {n_classes} classes"
    out_dir = args.out
    model_path = os.path.join(out_dir, "model.json")
    loss_path = os.path.join(out_dir, "loss.png")
    boundary_path = os.path.join(out_dir, "test_digits.png" if digits else "decision_boundary.png")
    _check_out(out_dir, [model_path, loss_path, boundary_path] if args.plots else [model_path])

    default_steps, default_hidden, default_batch, adam_lr = DIGITS_DEFAULTS if digits else TOY_DEFAULTS
    steps = args.steps or (env_steps(default_steps) if digits else default_steps)
    hidden = default_hidden if args.hidden is None else args.hidden
    batch_size = args.batch_size or default_batch
    outputs = 1 if n_classes == 2 else n_classes
    model = MLP(nin, [*hidden, outputs], activation=args.activation, seed=args.seed)
    optimizer_name = args.optimizer or ("sgd" if n_classes == 2 else "adam")
    lr = args.lr if args.lr is not None else (adam_lr if optimizer_name == "adam" else DEFAULT_LR["sgd"])
    optimizer = (SGD if optimizer_name == "sgd" else Adam)(model.parameters(), lr=lr)
    loss = "hinge" if n_classes == 2 else "cross_entropy"

    shape = f"{nin}, [{', '.join(map(str, [*hidden, outputs]))}]"
    batches = f"batches of {batch_size}, " if batch_size else ""
    optimizer_shown = optimizer_name.upper() if optimizer_name == "sgd" else "Adam"
    print(
        f"{shown} | MLP({shape}) {args.activation}, "
        f"{len(model.parameters())} parameters | {loss.replace('_', '-')} loss + {args.l2:g} L2 | "
        f"{optimizer_shown} lr {lr:g} -> {lr / 10:g}, {batches}{steps} steps",
        flush=True,
    )
    started = time.perf_counter()
    history = fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=optimizer,
        steps=steps,
        lr=linear_decay(lr, lr / 10, steps),
        l2=args.l2,
        batch_size=batch_size,
        seed=args.seed,
        progress=True if sys.stderr.isatty() else "text",  # a bar on a terminal, lines in logs
        compile=not args.no_compile,
    )
    seconds = time.perf_counter() - started
    final = accuracy(model, X, y)
    print(
        f"trained in {seconds:.1f} s ({1000 * seconds / steps:.0f} ms/step): "
        f"final loss {history.loss[-1]:.4f}, training accuracy {final:.1%} ({round(final * len(X))}/{len(X)})",
        flush=True,
    )
    if digits:
        predicted = predict(model, X_test)
        right = sum(p == t for p, t in zip(predicted, y_test))
        print(f"test accuracy {right / len(y_test):.1%} ({right}/{len(y_test)})", flush=True)

    model.save(model_path)
    print(f"model:             {model_path}")
    if not args.plots:
        return 0
    import matplotlib.pyplot as plt

    fig = plot_history(history, title=f"Training on {args.dataset}")
    save_figure(fig, loss_path)
    plt.close(fig)
    if digits:
        shown = _some_test_digits(predicted, y_test)
        fig = plot_digits(
            [X_test[i] for i in shown],
            [y_test[i] for i in shown],
            [predicted[i] for i in shown],
            title=f"Test digits and predictions: {right}/{len(y_test)} right; mistakes in red",
        )
    else:
        fig = plot_decision_boundary(
            model,
            X,
            y,
            title=f"{args.dataset}: MLP({shape}), training accuracy {final:.0%}",
            margins=loss == "hinge",
        )
    save_figure(fig, boundary_path)
    plt.close(fig)
    print(f"loss curve:        {loss_path}")
    print(f"{'test digits:      ' if digits else 'decision boundary:'} {boundary_path}")
    return 0


def _some_test_digits(predicted: list[int], truth: list[int], count: int = 60) -> list[int]:
    """Indices of `count` test images in order: every mistake (up to half), then the first right ones."""
    wrong = [i for i, (p, t) in enumerate(zip(predicted, truth)) if p != t][: count // 2]
    right = [i for i, (p, t) in enumerate(zip(predicted, truth)) if p == t][: count - len(wrong)]
    return sorted(wrong + right)
