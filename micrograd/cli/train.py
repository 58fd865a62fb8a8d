"""`micrograd train`: train an MLP on a toy dataset, save the model and two pictures.

    micrograd train --dataset moons --out out

The defaults on moons and circles are micrograd's demo: MLP(2, [16, 16, 1]), hinge loss
plus 1e-4 L2, 100 steps of SGD with the learning rate falling from 1.0 to 0.1. Spiral
and blobs have three classes, so they train with cross-entropy, and with Adam (0.05 falling
to 0.005), which copes with their larger or tangled inputs without tuning.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

from micrograd.data import DATASETS
from micrograd.nn import ACTIVATIONS, MLP
from micrograd.optim import SGD, Adam
from micrograd.train import accuracy, fit, linear_decay

DEFAULT_LR = {"sgd": 1.0, "adam": 0.05}


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=DATASETS, default="moons", help="toy dataset (default: moons)")
    parser.add_argument("--samples", type=_positive_int, default=100, metavar="N", help="points (default: 100)")
    parser.add_argument("--steps", type=_positive_int, default=100, metavar="N", help="training steps (default: 100)")
    parser.add_argument(
        "--hidden",
        type=_hidden,
        default=[16, 16],
        metavar="SIZES",
        help="hidden layer sizes, comma separated, or none for a linear model (default: 16,16)",
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
        help="starting learning rate, falling linearly to a tenth of it (default: 1.0 for sgd, 0.05 for adam)",
    )
    parser.add_argument(
        "--l2", type=_rate("l2"), default=1e-4, metavar="ALPHA", help="L2 penalty on the weights (default: 1e-4)"
    )
    parser.add_argument(
        "--batch-size", type=_positive_int, default=None, metavar="N", help="samples per step (default: all)"
    )
    parser.add_argument("--seed", type=int, default=1337, help="seed for the data and the weights (default: 1337)")
    parser.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")


def run(args: argparse.Namespace) -> int:
    from micrograd.cli import UsageError

    # Plotting is checked before training, so a missing extra costs no waiting.
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no window, no display needed
        from micrograd.plot import plot_decision_boundary, plot_history, save_figure
    except ImportError:
        raise UsageError("the pictures need matplotlib: pip install 'micrograd-paths[plot]'") from None

    make, n_classes = DATASETS[args.dataset]
    if args.samples < n_classes:
        raise UsageError(f"--samples must be at least {n_classes} for {args.dataset}, got {args.samples}")
    out_dir = args.out
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise UsageError(f"--out {out_dir} exists and is not a folder")
    os.makedirs(out_dir, exist_ok=True)

    X, y = make(args.samples, seed=args.seed)
    outputs = 1 if n_classes == 2 else n_classes
    model = MLP(2, [*args.hidden, outputs], activation=args.activation, seed=args.seed)
    optimizer_name = args.optimizer or ("sgd" if n_classes == 2 else "adam")
    lr = args.lr if args.lr is not None else DEFAULT_LR[optimizer_name]
    optimizer = (SGD if optimizer_name == "sgd" else Adam)(model.parameters(), lr=lr)
    loss = "hinge" if n_classes == 2 else "cross_entropy"

    shape = f"2, [{', '.join(map(str, [*args.hidden, outputs]))}]"
    print(
        f"{args.dataset}: {len(X)} points, {n_classes} classes | MLP({shape}) {args.activation}, "
        f"{len(model.parameters())} parameters | {loss.replace('_', '-')} loss + {args.l2:g} L2 | "
        f"{optimizer_name.upper() if optimizer_name == 'sgd' else 'Adam'} lr {lr:g} -> {lr / 10:g}, {args.steps} steps",
        flush=True,
    )
    started = time.perf_counter()
    history = fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=optimizer,
        steps=args.steps,
        lr=linear_decay(lr, lr / 10, args.steps),
        l2=args.l2,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=True if sys.stderr.isatty() else "text",  # a bar on a terminal, lines in logs
    )
    seconds = time.perf_counter() - started
    final = accuracy(model, X, y)
    print(
        f"trained in {seconds:.1f} s ({1000 * seconds / args.steps:.0f} ms/step): "
        f"final loss {history.loss[-1]:.4f}, training accuracy {final:.1%} ({round(final * len(X))}/{len(X)})",
        flush=True,
    )

    model_path = os.path.join(out_dir, "model.json")
    loss_path = os.path.join(out_dir, "loss.png")
    boundary_path = os.path.join(out_dir, "decision_boundary.png")
    model.save(model_path)
    import matplotlib.pyplot as plt

    fig = plot_history(history, title=f"Training on {args.dataset}")
    save_figure(fig, loss_path)
    plt.close(fig)
    fig = plot_decision_boundary(
        model,
        X,
        y,
        title=f"{args.dataset}: MLP({shape}), training accuracy {final:.0%}",
        margins=loss == "hinge",
    )
    save_figure(fig, boundary_path)
    plt.close(fig)
    print(f"model:             {model_path}")
    print(f"loss curve:        {loss_path}")
    print(f"decision boundary: {boundary_path}")
    return 0
