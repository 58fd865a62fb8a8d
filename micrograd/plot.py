"""Pictures of training: the loss curve, the decision boundary, digits with their predictions
(matplotlib, optional).

>>> from micrograd.plot import plot_history, plot_decision_boundary, save_figure
>>> fig = plot_decision_boundary(model, X, y)            # doctest: +SKIP
>>> save_figure(fig, "out/decision_boundary.png")        # doctest: +SKIP

In Jupyter the figures show up by themselves (they are made with pyplot). Install the
extra with ``pip install 'micrograd-paths[plot]'``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from micrograd._atomic import atomic_writer
from micrograd._errors import _brief
from micrograd.engine import Value, no_grad
from micrograd.train import _class_labels

__all__ = ["CLASS_COLORS", "plot_decision_boundary", "plot_digits", "plot_history", "save_figure"]

# Binary problems use the two ends of the diverging score map (red for class 0 / negative
# scores, blue for class 1 / positive); more classes use these, one per class.
BINARY_COLORS = ("#c0392b", "#2166ac")
CLASS_COLORS = (
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
    "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
)  # fmt: skip


def _pyplot():
    """matplotlib's pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib, which is not installed: pip install 'micrograd-paths[plot]'"
        ) from None
    return plt


def save_figure(fig, path: str | os.PathLike, dpi: int = 150) -> None:
    """Save `fig` to `path` (format from the extension, PNG if none), atomically.

    The picture is written to a temporary file next to `path` and renamed over it, so a
    reader never sees half a PNG.
    """
    extension = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    with atomic_writer(path) as file:
        fig.savefig(file, format=extension, dpi=dpi, bbox_inches="tight", facecolor="white")


# --------------------------------------------------------------------------- loss curve


def plot_history(history, axes=None, title: str | None = None):
    """The loss per step (log scale) and, if recorded, the accuracy per step.

    `history` is what `micrograd.train.fit` returns (anything with `loss` and
    `accuracy` lists). `axes`: one or two matplotlib Axes to draw into; by default a new
    figure. Returns the figure.
    """
    plt = _pyplot()
    loss = list(history.loss)
    acc = [100 * a for a in getattr(history, "accuracy", [])]
    if not loss:
        raise ValueError("plot_history: the history is empty (no steps were taken)")
    panels = 2 if acc else 1
    if axes is None:
        fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 3.6), layout="constrained", squeeze=False)
        axes = list(axes[0])
    else:
        import numpy as np

        # One Axes, or any collection of them (a list, or the array plt.subplots returns).
        axes = [axes] if hasattr(axes, "plot") else list(np.ravel(axes))
        if len(axes) < panels:
            raise ValueError(f"plot_history: needs {panels} axes for loss and accuracy, got {len(axes)}")
        fig = axes[0].figure

    steps = range(1, len(loss) + 1)
    ax = axes[0]
    ax.plot(steps, loss, color=CLASS_COLORS[0], linewidth=2)
    if min(loss) > 0 and max(loss) / min(loss) > 20:  # a log scale shows the late, slow progress
        ax.set_yscale("log")
    ax.set_title("Loss", loc="left", fontweight="bold")
    ax.set_xlabel("step")
    ax.annotate(
        f"{loss[-1]:.4g}",
        xy=(len(loss), loss[-1]),
        xytext=(-4, 8),
        textcoords="offset points",
        ha="right",
        color=CLASS_COLORS[0],
    )
    if acc:
        ax = axes[1]
        ax.plot(steps, acc, color=CLASS_COLORS[2], linewidth=2)
        ax.set_ylim(min(acc) - 5 if min(acc) < 45 else 45, 102)
        ax.axhline(100, color="#999999", linewidth=0.8, linestyle=":")
        ax.set_title("Accuracy (%)", loc="left", fontweight="bold")
        ax.set_xlabel("step")
        ax.annotate(
            f"{acc[-1]:.0f}%",
            xy=(len(acc), acc[-1]),
            xytext=(-4, -14),
            textcoords="offset points",
            ha="right",
            color=CLASS_COLORS[2],
        )
    for ax in axes[:panels]:
        ax.grid(True, color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, len(loss) + 1)
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------- decision boundary


def _grid(X: Sequence[Sequence[float]], resolution: int, margin: float):
    import numpy as np

    xs = np.array([row[0] for row in X], dtype=float)
    ys = np.array([row[1] for row in X], dtype=float)
    span = max(xs.max() - xs.min(), ys.max() - ys.min(), 1e-9)
    pad = margin * span
    gx = np.linspace(xs.min() - pad, xs.max() + pad, resolution)
    gy = np.linspace(ys.min() - pad, ys.max() + pad, resolution)
    return xs, ys, gx, gy


def _evaluate(model: Callable, gx, gy):
    """The model's outputs over the grid, as an array (ny, nx) or (ny, nx, classes).

    Under no_grad(): each output is a plain number, no graph is kept.
    """
    import numpy as np

    rows = []
    with no_grad():
        for y in gy:
            y = float(y)
            row = []
            for x in gx:
                out = model([float(x), y])
                row.append(out.data if isinstance(out, Value) else [o.data for o in out])
            rows.append(row)
    return np.array(rows, dtype=float)


def plot_decision_boundary(
    model: Callable,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    ax=None,
    resolution: int = 100,
    margin: float = 0.12,
    title: str | None = None,
    margins: bool = False,
):
    """The model's score over the plane, its decision boundary, and the data on top.

    One output (binary): the score in a red-white-blue map, white at the boundary
    score = 0, with the boundary drawn in black. Several outputs: each point of the plane
    takes the colours of the classes mixed by their softmax probabilities, so regions are
    solid where the model is sure and blend where it is not. Points are the data, coloured
    by their true class.

    `resolution` is the grid size per side (the model runs resolution² times, under
    `no_grad()`); `margin` the blank border as a fraction of the data's extent;
    `margins=True` also draws the lines score = ±1 dashed (the hinge loss's margins).
    The legend names the classes and the lines drawn. Returns the figure.
    """
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm, to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    if len(X) != len(y):
        raise ValueError(f"plot_decision_boundary: {len(X)} points but {len(y)} labels")
    if not len(X):
        raise ValueError("plot_decision_boundary: no points to draw")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int of at least 2, got {_brief(resolution)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 5.2), layout="constrained")
    fig = ax.figure

    xs, ys, gx, gy = _grid(X, resolution, margin)
    scores = _evaluate(model, gx, gy)
    extent = (gx[0], gx[-1], gy[0], gy[-1])
    # A label the model cannot output is an error, not a point silently left undrawn.
    labels = np.array(_class_labels(1 if scores.ndim == 2 else scores.shape[2], y, "plot_decision_boundary"))
    lines = []  # legend entries for the lines drawn over the picture

    if scores.ndim == 2:  # one output: a score, class 1 where it is positive
        colors = BINARY_COLORS
        # Each side of 0 saturates at the 95th percentile of its own scores, so a few
        # extreme corners do not wash out the part near the boundary, and a side whose
        # scores are all small still gets its full colour.
        negative, positive = -scores[scores < 0], scores[scores > 0]
        low = float(np.percentile(negative, 95)) if negative.size else 1.0
        high = float(np.percentile(positive, 95)) if positive.size else 1.0
        cmap = LinearSegmentedColormap.from_list("score", [colors[0], "#ffffff", colors[1]])
        image = ax.imshow(
            scores,
            origin="lower",
            extent=extent,
            cmap=cmap,
            norm=TwoSlopeNorm(vcenter=0.0, vmin=-max(low, 1e-9), vmax=max(high, 1e-9)),
            interpolation="bilinear",
            aspect="equal",
            alpha=0.85,
        )
        if scores.min() < 0 < scores.max():
            ax.contour(gx, gy, scores, levels=[0.0], colors="#222222", linewidths=1.6)
            lines.append(Line2D([], [], color="#222222", linewidth=1.6, label="boundary (score 0)"))
        if margins:  # where the hinge loss stops charging: |score| >= 1 on the right side
            ax.contour(gx, gy, scores, levels=[-1.0, 1.0], colors="#444444", linewidths=0.9, linestyles="--", alpha=0.6)
            label = "hinge margins (score ±1)"
            lines.append(Line2D([], [], color="#444444", linewidth=0.9, linestyle="--", alpha=0.6, label=label))
        bar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02, extend="both", extendfrac=0.03)
        # The two halves of the bar have different scales: ticks for each half separately.
        ticks = [t for t in MaxNLocator(3).tick_values(-low, 0) if -low <= t < 0] + [0.0]
        ticks += [t for t in MaxNLocator(3).tick_values(0, high) if 0 < t <= high]
        bar.set_ticks(ticks, labels=[f"{t:g}" for t in ticks])
        bar.set_label("model score   (class 1 where > 0)")
        bar.outline.set_visible(False)
        n_classes = 2
    else:
        n_classes = scores.shape[2]
        if n_classes > len(CLASS_COLORS):
            raise ValueError(f"plot_decision_boundary: at most {len(CLASS_COLORS)} classes, got {n_classes}")
        colors = CLASS_COLORS
        shifted = np.exp(scores - scores.max(axis=2, keepdims=True))
        probs = shifted / shifted.sum(axis=2, keepdims=True)
        palette = np.array([to_rgb(c) for c in colors[:n_classes]])
        mixed = probs @ palette  # each pixel: the class colours weighted by probability
        faded = 0.55 * mixed + 0.45  # lighter than the points, so they stand out
        ax.imshow(faded, origin="lower", extent=extent, interpolation="bilinear", aspect="equal")
        # Class c wins where its score beats the best other one; the zero line of that
        # lead is the border of c's region (contours of the argmax would be staircases).
        drawn = False
        for c in range(n_classes):
            others = np.delete(scores, c, axis=2).max(axis=2)
            lead = scores[:, :, c] - others
            if lead.min() < 0 < lead.max():
                ax.contour(gx, gy, lead, levels=[0.0], colors="#222222", linewidths=1.3)
                drawn = True
        if drawn:
            lines.append(Line2D([], [], color="#222222", linewidth=1.3, label="boundaries"))

    for c in range(n_classes):
        chosen = labels == c
        ax.scatter(xs[chosen], ys[chosen], s=34, color=colors[c], edgecolors="white", linewidths=0.9, zorder=3)
    handles = [
        Line2D(
            [], [], marker="o", linestyle="", markersize=7, color=colors[c], markeredgecolor="white", label=f"class {c}"
        )
        for c in range(n_classes)
    ]
    ax.legend(handles=handles + lines, loc="best", framealpha=0.9, fontsize=9, borderpad=0.5)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    for side in ax.spines.values():
        side.set_color("#bbbbbb")
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
    return fig


# --------------------------------------------------------------------------- digits


def plot_digits(
    images: Sequence[Sequence[float]],
    labels: Sequence[int],
    predictions: Sequence[int] | None = None,
    columns: int = 10,
    title: str | None = None,
):
    """A grid of 8×8 digit images (rows of 64 pixels in [0, 1]), each titled with its label.

    With `predictions`, each title is the prediction, and a mistake is marked: a red frame
    and ``7 (true 9)``. Returns the figure.
    """
    n = len(images)
    if n == 0:
        raise ValueError("plot_digits: no images")
    if len(labels) != n or (predictions is not None and len(predictions) != n):
        raise ValueError(f"plot_digits: {n} images but {len(labels)} labels" + (
            "" if predictions is None else f" and {len(predictions)} predictions"
        ))
    for i, image in enumerate(images):
        if len(image) != 64:
            raise ValueError(f"plot_digits: image {i} has {len(image)} pixels, expected 64 (8×8)")
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be a positive int, got {columns!r}")
    plt = _pyplot()
    columns = min(columns, n)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(1.1 * columns, 1.3 * rows + (0.4 if title else 0)), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= n:
            ax.set_axis_off()
            continue
        ax.imshow([images[k][r * 8 : r * 8 + 8] for r in range(8)], cmap="gray_r", vmin=0.0, vmax=1.0)
        if predictions is None:
            ax.set_title(str(labels[k]), fontsize=10)
            continue
        wrong = predictions[k] != labels[k]
        ax.set_title(f"{predictions[k]} (true {labels[k]})" if wrong else str(predictions[k]),
                     fontsize=9, color="#c0392b" if wrong else "black")
        for spine in ax.spines.values():
            spine.set_edgecolor("#c0392b" if wrong else "#bbbbbb")
            spine.set_linewidth(2.5 if wrong else 0.5)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
