"""micrograd.optim: each update rule against steps computed by hand (PyTorch's formulas)."""

from __future__ import annotations

import math

import pytest

from micrograd.engine import Value
from micrograd.nn import MLP
from micrograd.optim import SGD, Adam


def param(data: float, grad: float) -> Value:
    p = Value(data)
    p.grad = grad
    return p


def test_plain_sgd_step_by_hand():
    p, q = param(1.0, 0.5), param(-2.0, -4.0)
    SGD([p, q], lr=0.1).step()
    assert p.data == 1.0 - 0.1 * 0.5
    assert q.data == -2.0 - 0.1 * -4.0


def test_sgd_weight_decay_adds_wd_times_p_to_the_gradient():
    p = param(2.0, 0.5)
    SGD([p], lr=0.1, weight_decay=0.01).step()
    assert p.data == 2.0 - 0.1 * (0.5 + 0.01 * 2.0)


def test_sgd_momentum_three_steps_by_hand():
    # PyTorch: buf = d on the first step, then buf = momentum * buf + d; p -= lr * buf.
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    grads = [1.0, -0.5, 2.0]
    expected_p, buf = 1.0, None
    for g in grads:
        p.grad = g
        opt.step()
        d = g + 0.1 * expected_p
        buf = d if buf is None else 0.9 * buf + d
        expected_p = expected_p - 0.1 * buf
        assert p.data == expected_p
    # The same numbers worked on paper:
    # step 1: d = 1 + 0.1*1 = 1.1,                buf = 1.1,                     p = 1 - 0.11 = 0.89
    # step 2: d = -0.5 + 0.1*0.89 = -0.411,       buf = 0.9*1.1 - 0.411 = 0.579, p = 0.8321
    # step 3: d = 2 + 0.1*0.8321 = 2.08321,       buf = 0.5211 + 2.08321,        p = 0.8321 - 0.260431
    assert math.isclose(opt.buffers[0], 2.60431, rel_tol=1e-12)
    assert math.isclose(p.data, 0.571669, rel_tol=1e-12)


def test_adam_first_step_moves_each_parameter_by_about_lr_against_its_gradient():
    # Step 1: m = (1-β1) g, v = (1-β2) g², m_hat = g, v_hat = g²: p -= lr * g / (|g| + eps).
    p, q = param(1.0, 0.2), param(1.0, -30.0)
    Adam([p, q], lr=0.01).step()
    assert math.isclose(p.data, 1.0 - 0.01 * 0.2 / (0.2 + 1e-8), rel_tol=1e-15)
    assert math.isclose(q.data, 1.0 + 0.01 * 30.0 / (30.0 + 1e-8), rel_tol=1e-15)


def test_adam_three_steps_by_hand_with_weight_decay():
    lr, b1, b2, eps, wd = 0.05, 0.8, 0.9, 1e-6, 0.1
    p = Value(0.5)
    opt = Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    x, m, v = 0.5, 0.0, 0.0
    for t, g in enumerate([0.3, -1.2, 0.7], start=1):
        p.grad = g
        opt.step()
        g = g + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        x = x - lr * m_hat / (math.sqrt(v_hat) + eps)
        assert math.isclose(p.data, x, rel_tol=1e-14), t
    assert opt.t == 3


def test_adam_with_zero_eps_and_zero_gradient_does_not_move():
    p = param(1.0, 0.0)
    Adam([p], lr=0.1, eps=0.0).step()
    assert p.data == 1.0


def test_learning_rate_can_change_between_steps():
    p = param(1.0, 1.0)
    opt = SGD([p], lr=0.5)
    opt.lr = 0.25
    opt.step()
    assert p.data == 0.75


def test_zero_grad_resets_every_parameter():
    ps = [param(1.0, 3.0), param(2.0, -1.0)]
    opt = Adam(ps)
    opt.zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def test_a_module_is_accepted_for_its_parameters():
    model = MLP(2, [3, 1], seed=0)
    assert SGD(model, lr=0.1).params == model.parameters()


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.2, momentum=0.5), lambda ps: Adam(ps, lr=0.1)])
def test_optimisers_minimise_a_quadratic(make):
    x, y = Value(3.0), Value(-2.0)
    opt = make([x, y])
    for _ in range(300):
        loss = (x - 1) ** 2 + 2 * (y + 0.5) ** 2
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert abs(x.data - 1) < 1e-2 and abs(y.data + 0.5) < 1e-2


def test_a_diverging_step_raises_and_leaves_the_parameters_as_they_were():
    p, q = param(1.0, 1.0), param(1.0, 1e308)
    opt = SGD([p, q], lr=1e10)
    with pytest.raises(OverflowError, match=r"parameter 1 .*learning rate"):
        opt.step()
    assert (p.data, q.data) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: SGD([Value(1.0)], lr=-0.1), ValueError, "lr"),
        (lambda: SGD([Value(1.0)], lr=float("nan")), ValueError, "lr"),
        (lambda: SGD([Value(1.0)], lr="0.1"), TypeError, "lr"),
        (lambda: SGD([Value(1.0)], lr=True), TypeError, "lr"),
        (lambda: SGD([Value(1.0)], lr=0.1, momentum=-0.5), ValueError, "momentum"),
        (lambda: SGD([Value(1.0)], lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
        (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, "betas\\[1\\]"),
        (lambda: Adam([Value(1.0)], betas=(-0.1, 0.9)), ValueError, "betas\\[0\\]"),
        (lambda: Adam([Value(1.0)], betas=0.9), TypeError, "pair"),
        (lambda: Adam([Value(1.0)], eps=-1e-8), ValueError, "eps"),
        (lambda: Adam([Value(1.0)], weight_decay=float("inf")), ValueError, "weight_decay"),
        (lambda: SGD([], lr=0.1), ValueError, "empty"),
        (lambda: SGD([1.0], lr=0.1), TypeError, "params\\[0\\]"),
        (lambda: SGD(Value(1.0), lr=0.1), TypeError, "one Value"),
        (lambda: Adam([Value(1.0)] * 2), ValueError, "more than once"),
    ],
)
def test_bad_hyperparameters_and_parameters_are_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_bad_learning_rate_set_later_is_caught_at_the_step():
    opt = SGD([param(1.0, 1.0)], lr=0.1)
    opt.lr = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.step()


def _state(opt) -> dict:
    """Every piece of an optimiser's state, copied."""
    return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(opt).items() if k != "params"}


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=1e10),
        lambda ps: SGD(ps, lr=1e10, momentum=0.9),
        lambda ps: SGD(ps, lr=1e10, momentum=0.9, weight_decay=0.1),
        lambda ps: Adam(ps, lr=0.1, eps=0.0),
        lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
    ],
    ids=["sgd", "sgd momentum", "sgd momentum decay", "adam", "adam decay"],
)
def test_a_failed_step_leaves_every_piece_of_optimiser_state_as_it_was(make):
    p, q = param(1.0, 1.0), param(1.0, 1.0)
    opt = make([p, q])
    opt.step()  # a first step that works, so there are buffers and moments to protect
    before = (_state(opt), p.data, q.data)
    q.grad = 1e308  # the next step overflows (SGD: the new value; Adam: g²)
    with pytest.raises(OverflowError):
        opt.step()
    assert (_state(opt), p.data, q.data) == before
    q.grad = 1.0
    opt.step()  # and the optimiser carries on from where it was


@pytest.mark.parametrize("lr", [10**5000, -(10**5000)], ids=["huge", "huge negative"])
def test_a_5000_digit_learning_rate_is_a_short_clear_error(lr):
    with pytest.raises(ValueError, match="lr must be in") as info:
        SGD([Value(1.0)], lr=lr)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("where", ["data", "grad"])
def test_a_nan_written_into_a_parameter_is_not_reported_as_a_learning_rate_too_high(where):
    p = param(1.0, 1.0)
    setattr(p, where, math.nan)
    with pytest.raises(ValueError, match="not a finite number") as info:
        SGD([p], lr=0.1).step()
    assert "learning rate" not in str(info.value)
