"""micrograd.losses: hand-computed values, stability, gradients against finite differences."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd.engine import Value, topological_order
from micrograd.losses import binary_cross_entropy, cross_entropy, hinge, mse


def central_differences(f, xs: list[float], h: float = 1e-6) -> list[float]:
    """∂f/∂xᵢ by (f(x + h) - f(x - h)) / 2h, with f taking and returning floats."""
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(up) - f(down)) / (2 * h))
    return grads


def backward_grads(loss_of_values, xs: list[float]) -> list[float]:
    values = [Value(x) for x in xs]
    loss_of_values(values).backward()
    return [v.grad for v in values]


def close(a: list[float], b: list[float], tol: float = 1e-5) -> bool:
    return all(math.isclose(x, y, rel_tol=tol, abs_tol=tol) for x, y in zip(a, b))


# --------------------------------------------------------------------------- values by hand


def test_mse_by_hand():
    # ((1 - 0)² + (3 - 1)² + (-2 - -2)²) / 3 = 5/3
    assert math.isclose(mse([Value(1.0), Value(3.0), Value(-2.0)], [0.0, 1.0, -2.0]).data, 5 / 3)


def test_hinge_by_hand():
    # relu(1 - 1*2) = 0, relu(1 - 1*(-0.5)) = 1.5, relu(1 - (-1)*0.25) = 1.25 -> mean 2.75/3
    loss = hinge([Value(2.0), Value(-0.5), Value(0.25)], [1, 1, -1])
    assert math.isclose(loss.data, 2.75 / 3)


def test_hinge_matches_micrograds_demo_formula_bit_for_bit():
    scores = [Value(s) for s in (0.3, -1.7, 2.2, 0.0, -0.01)]
    labels = [1, -1, -1, 1, 1]
    micrograd = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
    expected = sum(micrograd) * (1.0 / len(micrograd))
    assert hinge(scores, labels).data == expected.data


def test_binary_cross_entropy_by_hand():
    # -log σ(2) for y=1, -log(1 - σ(-1)) for y=0, log 2 for x=0 either way
    logits, labels = [2.0, -1.0, 0.0], [1, 0, 1]
    expected = (math.log(1 + math.exp(-2.0)) + math.log(1 + math.exp(-1.0)) + math.log(2)) / 3
    assert math.isclose(binary_cross_entropy([Value(x) for x in logits], labels).data, expected)


def test_binary_cross_entropy_takes_soft_labels():
    x, y = 0.7, 0.25
    p = 1 / (1 + math.exp(-x))
    expected = -(y * math.log(p) + (1 - y) * math.log(1 - p))
    assert math.isclose(binary_cross_entropy([Value(x)], [y]).data, expected)


def test_cross_entropy_by_hand():
    rows = [[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]]
    labels = [2, 0]
    expected = 0.0
    for row, k in zip(rows, labels):
        expected += -math.log(math.exp(row[k]) / sum(math.exp(z) for z in row))
    loss = cross_entropy([[Value(z) for z in row] for row in rows], labels)
    assert math.isclose(loss.data, expected / 2)


def test_losses_accept_plain_numbers():
    assert mse([1.0, 2.0], [1.0, 2.0]).data == 0.0
    assert hinge([3.0], [1]).data == 0.0
    assert math.isclose(binary_cross_entropy([0.0], [0]).data, math.log(2))
    assert math.isclose(cross_entropy([[0.0, 0.0]], [1]).data, math.log(2))


# --------------------------------------------------------------------------- stability


@pytest.mark.parametrize("x", [1000.0, -1000.0, 5000.0, -5000.0, 1e6])
def test_binary_cross_entropy_is_stable_for_huge_logits(x):
    for y in (0, 1):
        v = Value(x)
        loss = binary_cross_entropy([v], [y])
        loss.backward()
        right = (x > 0) == (y == 1)
        assert loss.data == pytest.approx(0.0 if right else abs(x))
        # d/dx = σ(x) - y: 0 when right, ±1 when wrong
        assert v.grad == pytest.approx((1.0 if x > 0 else 0.0) - y)


def test_binary_cross_entropy_slope_at_zero_is_one_half_minus_label():
    # relu(x) + log(1 + exp(-|x|)) has kinks at 0 that would give slope -y here.
    for y in (0, 1):
        v = Value(0.0)
        binary_cross_entropy([v], [y]).backward()
        assert v.grad == 0.5 - y


def test_cross_entropy_is_stable_for_logits_in_the_thousands():
    row = [Value(3000.0), Value(1000.0), Value(2999.0)]
    loss = cross_entropy([row], [0])
    loss.backward()
    assert math.isclose(loss.data, math.log(1 + math.exp(-1.0)))
    e = math.exp(-1.0)
    assert close([v.grad for v in row], [1 / (1 + e) - 1, 0.0, e / (1 + e)])


# --------------------------------------------------------------------------- gradients


finite = st.floats(-6, 6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=5))
def test_mse_gradient_matches_finite_differences(pairs):
    preds, targets = [p for p, _ in pairs], [t for _, t in pairs]
    got = backward_grads(lambda v: mse(v, targets), preds)
    want = central_differences(lambda x: mse(x, targets).data, preds)
    assert close(got, want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(finite, st.sampled_from([-1, 1])), min_size=1, max_size=5))
def test_hinge_gradient_matches_finite_differences_away_from_the_kink(pairs):
    scores, labels = [s for s, _ in pairs], [y for _, y in pairs]
    assume(all(abs(1 - y * s) > 1e-3 for s, y in pairs))
    got = backward_grads(lambda v: hinge(v, labels), scores)
    want = central_differences(lambda x: hinge(x, labels).data, scores)
    assert close(got, want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-30, 30), st.sampled_from([0, 1, 0.3])), min_size=1, max_size=5))
def test_binary_cross_entropy_gradient_matches_finite_differences(pairs):
    logits, labels = [x for x, _ in pairs], [y for _, y in pairs]
    got = backward_grads(lambda v: binary_cross_entropy(v, labels), logits)
    want = central_differences(lambda x: binary_cross_entropy(x, labels).data, logits)
    assert close(got, want, 1e-4)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4).flatmap(lambda k: st.tuples(st.lists(finite, min_size=k, max_size=k), st.integers(0, k - 1))))
def test_cross_entropy_gradient_is_softmax_minus_one_hot_and_matches_finite_differences(case):
    row, k = case
    got = backward_grads(lambda v: cross_entropy([v], [k]), row)
    want = central_differences(lambda x: cross_entropy([x], [k]).data, row)
    assert close(got, want, 1e-4)
    exps = [math.exp(z - max(row)) for z in row]
    softmax = [e / sum(exps) for e in exps]
    assert close(got, [p - (j == k) for j, p in enumerate(softmax)], 1e-9)


def test_batch_losses_are_means_so_gradients_scale_with_one_over_n():
    v = [Value(0.0) for _ in range(4)]
    cross_entropy([[x, Value(0.0)] for x in v], [0, 0, 0, 0]).backward()
    assert all(math.isclose(x.grad, (0.5 - 1) / 4) for x in v)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: mse([1.0, 2.0], [1.0]), ValueError, "2 predictions but 1 targets"),
        (lambda: mse([], []), ValueError, "empty"),
        (lambda: mse(Value(1.0), [1.0]), TypeError, "sequence"),
        (lambda: mse(["a"], [1.0]), TypeError, "preds\\[0\\]"),
        (lambda: hinge([1.0], [0]), ValueError, "-1 or \\+1"),
        (lambda: hinge([1.0, 2.0], [1, 2]), ValueError, "index 1"),
        (lambda: hinge([1.0], [True]), ValueError, "-1 or \\+1"),
        (lambda: hinge([1.0], [1, 1]), ValueError, "1 scores but 2 labels"),
        (lambda: binary_cross_entropy([1.0], [2]), ValueError, "0 or 1"),
        (lambda: binary_cross_entropy([1.0], [-1]), ValueError, "0 or 1"),
        (lambda: binary_cross_entropy([1.0], ["1"]), TypeError, "labels\\[0\\]"),
        (lambda: binary_cross_entropy([1.0], [float("nan")]), ValueError, "finite"),
        (lambda: cross_entropy([[1.0, 2.0]], [2]), ValueError, "not a class of 0..1"),
        (lambda: cross_entropy([[1.0, 2.0]], [-1]), ValueError, "not a class"),
        (lambda: cross_entropy([[1.0, 2.0]], [1.0]), TypeError, "ints"),
        (lambda: cross_entropy([[1.0, 2.0]], [True]), TypeError, "ints"),
        (lambda: cross_entropy([[1.0, 2.0], [1.0]], [0, 0]), ValueError, "logits\\[1\\] has 1 classes"),
        (lambda: cross_entropy([[1.0]], [0]), ValueError, "at least 2 classes"),
        (lambda: cross_entropy([Value(1.0)], [0]), TypeError, "list of class scores"),
        (lambda: cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "1 rows of logits but 2 labels"),
    ],
)
def test_bad_inputs_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- hardening


@given(x=st.floats(1.0, 700.0), label=st.sampled_from([0, 1]))
def test_a_confident_right_binary_answer_keeps_its_tiny_loss_to_full_relative_precision(x, label):
    logit = x if label == 1 else -x
    loss = binary_cross_entropy([Value(logit)], [label])
    exact = math.log1p(math.exp(-x))  # -log σ(x) for the right class, as precise as libm gives
    assert loss.data == pytest.approx(exact, rel=1e-14, abs=0)
    logit_value = Value(logit)
    binary_cross_entropy([logit_value], [label]).backward()
    slope = math.exp(-x) / (1 + math.exp(-x))  # σ(-x): the gradient's size, tiny too
    assert abs(logit_value.grad) == pytest.approx(slope, rel=1e-14, abs=0)


def test_binary_cross_entropy_below_1e_8_is_not_rounded_to_zero():
    assert binary_cross_entropy([Value(40.0)], [1]).data == pytest.approx(4.248354255291589e-18, rel=1e-15)
    assert binary_cross_entropy([Value(-40.0)], [0]).data == pytest.approx(4.248354255291589e-18, rel=1e-15)


@given(gap=st.floats(20.0, 700.0), k=st.integers(0, 2))
def test_a_confident_right_class_keeps_its_tiny_cross_entropy(gap, k):
    row = [Value(-gap) for _ in range(3)]
    row[k] = Value(0.0)
    exact = math.log1p(2 * math.exp(-gap))
    assert cross_entropy([row], [k]).data == pytest.approx(exact, rel=1e-14, abs=0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: cross_entropy([[1.0, 2.0, 3.0]], [-1]), "label -1 at index 0 is not a class of 0..2"),
        (lambda: cross_entropy([[1.0, 2.0, 3.0]], [3]), "label 3 at index 0 is not a class of 0..2"),
        (lambda: cross_entropy([[1.0, 2.0]], [10**5000]), "not a class"),
        (lambda: binary_cross_entropy([1.0], [2]), "labels must be 0 or 1"),
        (lambda: binary_cross_entropy([1.0], [-1]), "labels must be 0 or 1"),
        (lambda: binary_cross_entropy([1.0], [10**5000]), "finite"),
        (lambda: hinge([1.0], [2]), "labels must be -1 or \\+1"),
        (lambda: hinge([1.0], [0]), "labels must be -1 or \\+1"),
    ],
    ids=["ce -1", "ce 3 of 3", "ce huge", "bce 2", "bce -1", "bce huge", "hinge 2", "hinge 0"],
)
def test_labels_outside_the_outputs_are_refused_with_a_short_clear_error(call, match):
    with pytest.raises(ValueError, match=match) as info:
        call()
    assert len(str(info.value)) < 200


# --------------------------------------------------------------------------- names


def test_every_loss_is_named_c_and_its_number_targets_y():
    s = [Value(0.5), Value(-1.0)]
    assert all(loss.label == "C" for loss in (mse(s, [1, 0]), hinge(s, [1, -1]), cross_entropy([s], [0])))
    assert binary_cross_entropy(s, [1, 0]).label == "C"
    leaves = {v.label for v in topological_order(mse(s, [1.0, 0.0])) if v.is_leaf()}
    assert {"y[1]", "y[2]", "1/n"} <= leaves
    assert "y" in {v.label for v in topological_order(hinge([s[0]], [1])) if v.is_leaf()}


def test_a_target_value_of_yours_keeps_its_label():
    target = Value(1.0, label="t")
    loss = mse([Value(0.5)], [target])
    assert target.label == "t" and target in topological_order(loss)
    unlabelled = Value(2.0)
    mse([Value(0.5)], [unlabelled])
    assert unlabelled.label == ""
