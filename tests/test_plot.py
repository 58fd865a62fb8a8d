"""micrograd.plot: the pictures are written (atomically), and drawing builds no graph."""

from __future__ import annotations

import os
import sys

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from micrograd.data import make_moons, make_spiral  # noqa: E402
from micrograd.engine import Value, is_grad_enabled  # noqa: E402
from micrograd.nn import MLP  # noqa: E402
from micrograd.plot import plot_decision_boundary, plot_history, save_figure  # noqa: E402
from micrograd.train import History  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_loss_and_accuracy_curves_are_saved_as_png(tmp_path):
    history = History(loss=[1.0, 0.5, 0.02], accuracy=[0.5, 0.8, 1.0], lr=[1.0] * 3)
    fig = plot_history(history, title="run")
    assert len(fig.axes) == 2
    assert fig.axes[0].get_yscale() == "log"  # a 50x drop is shown on a log scale
    save_figure(fig, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes().startswith(PNG)


def test_history_without_accuracy_draws_only_the_loss():
    fig = plot_history(History(loss=[1.0, 0.9], accuracy=[], lr=[0.1, 0.1]))
    assert len(fig.axes) == 1


def test_plot_history_draws_into_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert plot_history(History(loss=[1.0, 0.5], accuracy=[0.5, 1.0]), axes=axes) is fig
    with pytest.raises(ValueError, match="needs 2 axes"):
        plot_history(History(loss=[1.0, 0.5], accuracy=[0.5, 1.0]), axes=axes[0])


def test_an_empty_history_is_a_clear_error():
    with pytest.raises(ValueError, match="empty"):
        plot_history(History())


def spy_on(model, calls):
    """The model, noting whether gradients were being recorded at each call."""

    def spied(x):
        out = model(x)
        calls.append((is_grad_enabled(), out))
        return out

    return spied


def test_binary_decision_boundary_is_drawn_without_building_graphs(tmp_path):
    X, y = make_moons(30, seed=0)
    calls = []
    fig = plot_decision_boundary(spy_on(MLP(2, [8, 1], seed=0), calls), X, y, resolution=12, margins=True)
    assert len(calls) == 12 * 12
    assert not any(recording for recording, _ in calls)
    assert all(out.parents == () for _, out in calls)
    save_figure(fig, tmp_path / "boundary.png")
    assert (tmp_path / "boundary.png").read_bytes().startswith(PNG)


def test_multiclass_decision_boundary_is_drawn_without_building_graphs(tmp_path):
    X, y = make_spiral(30, seed=0)
    calls = []
    fig = plot_decision_boundary(spy_on(MLP(2, [8, 3], seed=0), calls), X, y, resolution=10, title="spiral")
    assert not any(recording for recording, _ in calls)
    assert all(o.parents == () for _, out in calls for o in out)
    save_figure(fig, tmp_path / "boundary.png")
    assert (tmp_path / "boundary.png").read_bytes().startswith(PNG)


def legend_labels(fig) -> list[str]:
    return [text.get_text() for text in fig.axes[0].get_legend().get_texts()]


def test_the_legend_names_the_classes_the_boundary_and_the_dashed_margins():
    X, y = make_moons(30, seed=0)
    def first_coordinate(x):  # a score that crosses 0 and ±1 inside the picture
        return Value(x[0])

    fig = plot_decision_boundary(first_coordinate, X, y, resolution=8, margins=True)
    assert legend_labels(fig) == ["class 0", "class 1", "boundary (score 0)", "hinge margins (score ±1)"]
    dashed = fig.axes[0].get_legend().get_lines()[-1]
    assert dashed.get_linestyle() == "--"
    fig = plot_decision_boundary(first_coordinate, X, y, resolution=8)
    assert legend_labels(fig) == ["class 0", "class 1", "boundary (score 0)"]


def test_the_multiclass_legend_names_the_boundaries():
    X, y = make_spiral(30, seed=0)

    def by_coordinate(x):
        return [Value(x[0]), Value(x[1]), Value(-x[0] - x[1])]

    fig = plot_decision_boundary(by_coordinate, X, y, resolution=8)
    assert legend_labels(fig) == ["class 0", "class 1", "class 2", "boundaries"]


def test_decision_boundary_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    X, y = make_moons(10, seed=0)
    assert plot_decision_boundary(MLP(2, [4, 1], seed=0), X, y, ax=ax, resolution=5) is fig


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"y": [0]}, "10 points but 1 labels"),
        ({"resolution": 1}, "resolution"),
        ({"X": [], "y": []}, "no points"),
    ],
)
def test_bad_arguments_are_clear_errors(args, match):
    X, y = make_moons(10, seed=0)
    kwargs = {"X": X, "y": y, **args}
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(MLP(2, [4, 1], seed=0), **kwargs)


def test_a_failed_save_leaves_the_old_picture_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "loss.png"
    path.write_bytes(b"old picture")
    fig = plot_history(History(loss=[1.0, 0.5]))

    def broken(file, **kwargs):
        file.write(b"half a png")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(OSError, match="simulated"):
        save_figure(fig, path)
    assert path.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["loss.png"]


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"micrograd-paths\[plot\]"):
        plot_history(History(loss=[1.0]))


@pytest.mark.parametrize(
    ("nouts", "labels", "match"),
    [([4, 3], [0, -1, 2], "label -1 at index 1 is not a class of 0..2"), ([4, 1], [0, 2, 1], "one output")],
    ids=["-1 of 3", "2 of 1"],
)
def test_a_label_the_model_cannot_output_is_an_error_not_a_point_left_out(nouts, labels, match):
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(MLP(2, nouts, seed=0), [[0.1, 0.2], [0.3, -0.1], [-0.5, 0.4]], labels, resolution=5)
    plt.close("all")


def test_plot_digits_marks_the_mistakes(tmp_path):
    from micrograd.data import load_digits
    from micrograd.plot import plot_digits

    X, y = load_digits().X_test[:12], load_digits().y_test[:12]
    predicted = list(y)
    predicted[3] = (y[3] + 1) % 10
    fig = plot_digits(X, y, predicted, columns=5, title="test")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 12 and titles[3] == f"{predicted[3]} (true {y[3]})"
    red = [ax for ax in fig.axes if ax.title.get_color() == "#c0392b"]
    assert len(red) == 1
    save_figure(fig, tmp_path / "digits.png")
    assert (tmp_path / "digits.png").read_bytes().startswith(b"\x89PNG")
    plt.close(fig)
    plain = plot_digits(X, y)  # without predictions: the labels
    assert [ax.get_title() for ax in plain.axes if ax.get_title()] == [str(t) for t in y]
    plt.close(plain)


@pytest.mark.parametrize(
    "images, labels, match",
    [([], [], "no images"), ([[0.0] * 64], [1, 2], "1 images but 2 labels"), ([[0.0] * 10], [1], "10 pixels")],
)
def test_plot_digits_bad_input(images, labels, match):
    from micrograd.plot import plot_digits

    with pytest.raises(ValueError, match=match):
        plot_digits(images, labels)
