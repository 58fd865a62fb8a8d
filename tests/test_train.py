"""micrograd.train: fit() is micrograd's demo loop, reaches full accuracy, reports progress."""

from __future__ import annotations

import random
import sys

import pytest

from micrograd.data import make_blobs, make_moons
from micrograd.engine import Value, no_grad
from micrograd.nn import MLP
from micrograd.optim import SGD, Adam
from micrograd.train import History, accuracy, env_steps, fit, linear_decay, predict


def micrograd_demo(X, ys, model, steps):
    """The training loop of micrograd's demo notebook, as it is written there."""
    history = []
    for k in range(steps):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        acc = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(ys, scores)]
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, sum(acc) / len(acc)))
    return history


def test_fit_is_micrograds_demo_loop_to_the_bit():
    X, y = make_moons(100, noise=0.1, seed=1337)
    random.seed(1337)
    expected = micrograd_demo(X, [2 * v - 1 for v in y], MLP(2, [16, 16, 1]), steps=20)
    random.seed(1337)
    history = fit(MLP(2, [16, 16, 1]), X, y, steps=20, lr=linear_decay(1.0, 0.1, 100), l2=1e-4, progress=False)
    assert list(zip(history.loss, history.accuracy)) == expected


def test_micrograd_style_run_reaches_full_accuracy_on_moons():
    # micrograd's demo: MLP(2, [16, 16, 1]), hinge + 1e-4 L2, 100 steps of SGD 1.0 -> 0.1.
    X, y = make_moons(100, noise=0.1, seed=1337)
    model = MLP(2, [16, 16, 1], seed=1337)
    history = fit(model, X, y, steps=100, l2=1e-4, progress=False)
    assert history.accuracy[-1] == 1.0
    assert accuracy(model, X, y) == 1.0
    assert history.loss[-1] < 0.05 < history.loss[0]
    assert history.lr[0] == 1.0 and history.lr[-1] == pytest.approx(0.109)


def test_cross_entropy_with_adam_separates_three_blobs():
    X, y = make_blobs(60, centers=3, seed=0)
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, X, y, optimizer=Adam(model.parameters(), lr=0.05), steps=40, progress=False)
    assert accuracy(model, X, y) == 1.0
    assert history.loss[-1] < history.loss[0]


def test_auto_loss_is_hinge_for_one_output_and_cross_entropy_for_several():
    X, y = make_blobs(12, centers=3, seed=1)
    history = fit(MLP(2, [3], seed=0), X, y, steps=1, lr=0.01, progress=False)
    assert len(history.accuracy) == 1
    X2, y2 = make_moons(10, seed=1)
    model = MLP(2, [4, 1], seed=0)
    before = fit(MLP(2, [4, 1], seed=0), X2, y2, steps=1, loss="hinge", lr=0.1, progress=False)
    after = fit(model, X2, y2, steps=1, lr=0.1, progress=False)
    assert before.loss == after.loss


def test_binary_labels_may_be_zero_one_or_plus_minus_one():
    X, y = make_moons(20, seed=2)
    a = fit(MLP(2, [4, 1], seed=0), X, y, steps=3, lr=0.1, progress=False)
    b = fit(MLP(2, [4, 1], seed=0), X, [2 * v - 1 for v in y], steps=3, lr=0.1, progress=False)
    assert a == b


def test_binary_cross_entropy_trains():
    X, y = make_moons(40, seed=3)
    model = MLP(2, [8, 8, 1], seed=0)
    history = fit(model, X, y, loss="binary_cross_entropy", optimizer=Adam(model.parameters(), lr=0.05), steps=60,
                  progress=False)  # fmt: skip
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.accuracy[-1] >= 0.9


def test_mse_and_custom_losses_record_no_accuracy():
    X = [[0.0, 1.0], [1.0, 0.0]]
    history = fit(MLP(2, [1], seed=0), X, [1.0, -1.0], loss="mse", lr=0.1, steps=5, progress=False)
    assert len(history.loss) == 5 and history.accuracy == []
    calls = []

    def my_loss(outputs, labels):
        calls.append(len(outputs))
        return sum((o - t) ** 2 for o, t in zip(outputs, labels))

    fit(MLP(2, [1], seed=0), X, [1.0, -1.0], loss=my_loss, lr=0.1, steps=2, progress=False)
    assert calls == [2, 2]


def test_minibatches_have_the_asked_size_and_follow_the_seed():
    X, y = make_moons(30, seed=4)
    sizes = []
    fit(MLP(2, [4, 1], seed=0), X, y, loss=lambda o, t: sizes.append(len(o)) or sum(o), lr=0.01, batch_size=7,
        steps=3, seed=1, progress=False)  # fmt: skip
    assert sizes == [7, 7, 7]
    runs = [fit(MLP(2, [4, 1], seed=0), X, y, batch_size=5, steps=4, seed=9, progress=False) for _ in range(2)]
    assert runs[0] == runs[1]


def test_a_given_optimizer_keeps_its_learning_rate_unless_lr_is_given():
    X, y = make_moons(10, seed=5)
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.3)
    assert fit(model, X, y, optimizer=opt, steps=2, progress=False).lr == [0.3, 0.3]
    assert fit(model, X, y, optimizer=opt, lr=lambda k: 0.1 * (k + 1), steps=2, progress=False).lr == [0.1, 0.2]


def test_callback_sees_every_step():
    X, y = make_moons(10, seed=5)
    seen = []
    fit(MLP(2, [3, 1], seed=0), X, y, steps=4, progress=False, callback=lambda k, h: seen.append((k, len(h))))
    assert seen == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_zero_steps_give_an_empty_history():
    X, y = make_moons(10, seed=5)
    history = fit(MLP(2, [3, 1], seed=0), X, y, steps=0, progress=False)
    assert len(history) == 0 and repr(history) == "History(steps=0)"


def test_history_repr_summarises_the_run():
    h = History(loss=[0.9, 0.01], accuracy=[0.5, 1.0], lr=[1.0, 1.0])
    assert repr(h) == "History(steps=2, loss 0.9 -> 0.01, accuracy 50% -> 100%)"


def test_text_progress_prints_about_ten_lines_to_stderr(capsys):
    X, y = make_moons(10, seed=5)
    fit(MLP(2, [3, 1], seed=0), X, y, steps=20, progress="text")
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == ""
    assert len(lines) == 10
    assert lines[-1].startswith("step 20/20  loss ") and "accuracy" in lines[-1]


def test_progress_bar_shows_loss_and_accuracy(capsys):
    pytest.importorskip("tqdm")
    X, y = make_moons(10, seed=5)
    fit(MLP(2, [3, 1], seed=0), X, y, steps=5, progress=True)
    err = capsys.readouterr().err
    assert "5/5" in err and "loss" in err and "accuracy" in err


def test_without_tqdm_progress_falls_back_to_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes `from tqdm.auto import ...` fail
    X, y = make_moons(10, seed=5)
    fit(MLP(2, [3, 1], seed=0), X, y, steps=3, progress=True)
    assert capsys.readouterr().err.splitlines()[-1].startswith("step 3/3")


def test_no_progress_means_silence(capsys):
    X, y = make_moons(10, seed=5)
    fit(MLP(2, [3, 1], seed=0), X, y, steps=3, progress=False)
    assert capsys.readouterr() == ("", "")


def test_predict_and_accuracy_build_no_graph():
    model = MLP(2, [3, 2], seed=0)
    outputs = []

    def spy(x):
        out = model(x)
        outputs.extend(out)
        return out

    X = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
    labels = predict(spy, X)
    assert all(o.parents == () for o in outputs)
    assert set(labels) <= {0, 1}
    assert accuracy(model, X, labels) == 1.0
    binary = MLP(2, [3, 1], seed=0)
    assert accuracy(binary, X, [2 * p - 1 for p in predict(binary, X)]) == 1.0


def test_linear_decay_is_micrograds_schedule_to_the_bit():
    schedule = linear_decay(1.0, 0.1, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]


def test_env_steps_shortens_but_never_lengthens(monkeypatch):
    monkeypatch.delenv("MICROGRAD_STEPS", raising=False)
    assert env_steps(100) == 100
    monkeypatch.setenv("MICROGRAD_STEPS", "20")
    assert env_steps(100) == 20
    assert env_steps(10) == 10
    monkeypatch.setenv("MICROGRAD_STEPS", "many")
    with pytest.raises(ValueError, match="MICROGRAD_STEPS"):
        env_steps(100)
    monkeypatch.setenv("MICROGRAD_STEPS", "0")
    with pytest.raises(ValueError, match="at least 1"):
        env_steps(100)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, ValueError, "steps"),
        ({"l2": -1e-4}, ValueError, "l2"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"loss": "focal"}, ValueError, "unknown loss 'focal'"),
        ({"progress": "fancy"}, ValueError, "progress"),
        ({"y": [0, 1, 2, 0]}, ValueError, "0/1"),
        ({"y": [0, 1]}, ValueError, "4 samples in X but 2 labels"),
        ({"X": [[0.0, "a"]] * 4}, TypeError, "X\\[0\\]"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, error, match):
    args = {"X": [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]], "y": [0, 1, 1, 0], "steps": 1, "progress": False}
    args.update(kwargs)
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(error, match=match):
        fit(MLP(2, [2, 1], seed=0), X, y, **args)


def test_divergence_says_where_training_stopped_and_what_helps():
    X, y = make_blobs(30, centers=3, seed=0)
    model = MLP(2, [8, 3], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(OverflowError, match=r"training diverged at step \d+ of 30 .*smaller learning rate") as info:
        fit(model, X, y, lr=1e6, steps=30, progress=False)
    assert len(str(info.value)) < 300
    assert [p.data for p in model.parameters()] != before


def test_fit_pauses_the_cyclic_gc_only_during_each_step_and_restores_it():
    import gc

    from micrograd import losses

    seen = []

    def mse_noting_gc(outputs, targets):
        seen.append(gc.isenabled())
        return losses.mse(outputs, targets)

    X, y = make_moons(10, seed=0)
    model = MLP(2, [4, 1], seed=0)
    during_callbacks = []

    def note(k, history):
        during_callbacks.append(gc.isenabled())

    fit(model, X, y, loss=mse_noting_gc, steps=3, progress=False, callback=note)
    assert seen == [False] * 3 and during_callbacks == [True] * 3 and gc.isenabled()
    gc.disable()
    try:
        fit(model, X, y, loss=mse_noting_gc, steps=1, progress=False)
        assert not gc.isenabled()  # a caller's choice to keep it off is kept
    finally:
        gc.enable()


# --------------------------------------------------------------------------- hardening

_X = [[0.1, 0.2], [0.3, -0.1], [-0.5, 0.4]]


@pytest.mark.parametrize(
    ("nouts", "labels", "match"),
    [
        ([4, 3], [0, -1, 2], "accuracy: label -1 at index 1 is not a class of 0..2"),
        ([4, 3], [0, 3, 2], "accuracy: label 3 at index 1 is not a class of 0..2"),
        ([4, 3], [0, 1.5, 2], "accuracy: labels must be ints"),
        ([4, 1], [0, 2, 1], "accuracy: a model with one output needs two classes labelled 0/1"),
        ([4, 1], [0, -1, 1], "a mix of 0, 1 and -1"),
        ([4, 1], [0, [1], 1], "labels such as \\[1\\]"),
        ([4, 1], [0, 10**5000, 1], "an int of about 5001 digits"),
    ],
    ids=["-1 of 3", "3 of 3", "float of 3", "2 of 1", "mixed", "unhashable", "huge"],
)
def test_accuracy_refuses_labels_the_model_cannot_output(nouts, labels, match):
    with pytest.raises((ValueError, TypeError), match=match) as info:
        accuracy(MLP(2, nouts, seed=0), _X, labels)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize(
    ("nouts", "labels", "loss", "match"),
    [
        ([4, 3], [0, -1, 2], "auto", "fit: label -1 at index 1 is not a class of 0..2"),
        ([4, 3], [0, 5, 2], "cross_entropy", "fit: label 5 at index 1"),
        ([4, 1], [0, 2, 1], "auto", "fit: hinge needs two classes labelled 0/1"),
        ([4, 1], [0, 2, 1], "binary_cross_entropy", "fit: binary_cross_entropy needs two classes"),
        ([4, 3], [0, 1, 1], "hinge", "fit: hinge needs a model with one output; this one has 3"),
        ([4, 1], [0, 1, 1], "cross_entropy", "fit: cross_entropy needs one output per class"),
    ],
    ids=["-1 of 3", "5 of 3", "2 of 1 hinge", "2 of 1 bce", "hinge on 3 outputs", "ce on 1 output"],
)
def test_fit_refuses_labels_the_model_cannot_output_before_training(nouts, labels, loss, match):
    model = MLP(2, nouts, seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=match):
        fit(model, _X, labels, loss=loss, steps=2, progress=False)
    assert [p.data for p in model.parameters()] == before


def test_fit_inside_no_grad_still_trains_instead_of_silently_doing_nothing():
    X, y = make_moons(40, noise=0.1, seed=0)
    outside = MLP(2, [8, 1], seed=3)
    inside = MLP(2, [8, 1], seed=3)
    expected = fit(outside, X, y, steps=3, progress=False)
    with no_grad():
        history = fit(inside, X, y, steps=3, progress=False)
    assert history.loss == expected.loss
    assert [p.data for p in inside.parameters()] == [p.data for p in outside.parameters()]


def test_a_gradient_that_overflows_in_training_stops_it_with_a_clear_error():
    model = MLP(1, [1], seed=0)
    model.layers[0].neurons[0].w[0].data = 1e-290  # z = w·x = 1e10 and the loss 1e20 are finite,
    with pytest.raises(OverflowError, match=r"training diverged at step 1 .*backward\(\): the gradient of"):
        fit(model, [[1e300]], [0.0], loss="mse", lr=0.1, steps=1, progress=False)  # ∂/∂w = 2·1e10·1e300 is not


# --------------------------------------------------------------------------- fit(compile=True)


def _fit_twice(make_model, X, y, make_optimizer=None, **kwargs):
    """(history, parameters) of fit() and of fit(compile=True) from the same starting model."""
    runs = []
    for compiled in (False, True):
        model = make_model()
        if make_optimizer is not None:
            kwargs["optimizer"] = make_optimizer(model)
        history = fit(model, X, y, progress=False, compile=compiled, **kwargs)
        runs.append((history, [p.data for p in model.parameters()]))
    return runs


@pytest.mark.parametrize("batch_size", [None, 16])
def test_fit_compiled_gives_the_same_losses_and_weights_as_fit_to_the_bit_on_moons(batch_size):
    X, y = make_moons(100, noise=0.1, seed=0)
    (plain, plain_params), (compiled, compiled_params) = _fit_twice(
        lambda: MLP(2, [16, 16, 1], seed=1337), X, y, steps=15, l2=1e-4, batch_size=batch_size, seed=2
    )
    assert compiled.loss == plain.loss  # floats compared exactly
    assert compiled.accuracy == plain.accuracy and compiled.lr == plain.lr
    assert compiled_params == plain_params


def test_fit_compiled_matches_fit_with_cross_entropy_and_adam():
    X, y = make_blobs(60, 3, seed=0)
    (plain, plain_params), (compiled, compiled_params) = _fit_twice(
        lambda: MLP(2, [8, 3], seed=0),
        X,
        y,
        steps=10,
        batch_size=12,
        seed=1,
        make_optimizer=lambda model: Adam(model.parameters(), lr=0.05),
    )
    assert compiled.loss == plain.loss and compiled.accuracy == plain.accuracy
    assert compiled_params == plain_params


def test_fit_compiled_refuses_what_it_cannot_compile():
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match="compile=True supports the 'hinge' and 'cross_entropy' losses"):
        fit(MLP(2, [4, 1], seed=0), X, y, loss="mse", steps=1, progress=False, compile=True)


def test_fit_compiled_diverging_raises_the_engines_error():
    X, y = make_moons(20, seed=0)
    errors = []
    for compiled in (False, True):
        with pytest.raises(ArithmeticError) as info:
            fit(MLP(2, [8, 1], seed=0), X, y, lr=1e150, steps=50, progress=False, compile=compiled)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]
    assert "training diverged" in errors[1][1]
