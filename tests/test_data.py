"""micrograd.data: shapes, balance, seeding, geometry and argument checks of the toy datasets."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.data import DATASETS, load_digits, make_blobs, make_circles, make_moons, make_spiral

MAKERS = {
    "moons": (make_moons, 2),
    "circles": (make_circles, 2),
    "spiral": (make_spiral, 3),
    "blobs": (make_blobs, 3),
}


@pytest.mark.parametrize("name", MAKERS)
def test_defaults_give_100_points_of_two_floats_and_int_labels(name):
    make, k = MAKERS[name]
    X, y = make(seed=0)
    assert len(X) == len(y) == 100
    assert all(isinstance(row, list) and len(row) == 2 and all(type(v) is float for v in row) for row in X)
    assert all(math.isfinite(v) for row in X for v in row)
    assert all(type(label) is int for label in y)
    assert set(y) == set(range(k))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(MAKERS)), st.integers(3, 60), st.integers(0, 10**6))
def test_classes_are_balanced_to_within_one_point(name, n, seed):
    make, k = MAKERS[name]
    _, y = make(n, seed=seed)
    counts = Counter(y)
    assert sum(counts.values()) == n
    assert set(counts) == set(range(k))
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize("name", MAKERS)
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(name):
    make, _ = MAKERS[name]
    assert make(50, seed=7) == make(50, seed=7)
    assert make(50, seed=7) != make(50, seed=8)
    assert make(50, seed=random.Random(7)) == make(50, seed=7)


@pytest.mark.parametrize("name", MAKERS)
def test_without_a_seed_the_global_random_decides(name):
    make, _ = MAKERS[name]
    random.seed(11)
    first = make(30)
    random.seed(11)
    assert make(30) == first


def test_points_come_shuffled():
    _, y = make_moons(100, seed=0)
    assert y != sorted(y)


def test_noiseless_moons_lie_on_their_half_circles():
    X, y = make_moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper moon: centre (0, 0)
            assert math.isclose(math.hypot(a, b), 1.0) and b >= -1e-12
        else:  # lower moon: centre (1, 0.5)
            assert math.isclose(math.hypot(a - 1, b - 0.5), 1.0) and b <= 0.5 + 1e-12


def test_noiseless_circles_have_radius_one_and_factor():
    X, y = make_circles(40, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y):
        assert math.isclose(math.hypot(a, b), 1.0 if label == 0 else 0.3)


def test_spiral_arms_stay_in_the_unit_disc_and_there_can_be_many():
    X, y = make_spiral(250, n_classes=5, seed=0)
    assert set(y) == set(range(5))
    assert all(0.1 - 1e-12 <= math.hypot(a, b) <= 1 + 1e-12 for a, b in X)  # noise turns points, never moves them out


def test_blobs_without_spread_sit_on_their_centres():
    X, y = make_blobs(6, centers=[(1.0, 2.0), (-3.0, 0.5)], std=0.0, seed=0)
    for (a, b), label in zip(X, y):
        assert (a, b) == ((1.0, 2.0), (-3.0, 0.5))[label]


def test_blob_centres_spread_evenly_around_the_origin():
    X, y = make_blobs(400, centers=4, std=0.5, seed=0)
    for c in range(4):
        points = [p for p, label in zip(X, y) if label == c]
        cx = sum(p[0] for p in points) / len(points)
        cy = sum(p[1] for p in points) / len(points)
        angle = 2 * math.pi * c / 4
        assert math.hypot(cx - 4 * math.cos(angle), cy - 4 * math.sin(angle)) < 0.3


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: make_moons(1), ValueError, "n_samples must be at least 2"),
        (lambda: make_moons(10.0), TypeError, "n_samples"),
        (lambda: make_moons(True), TypeError, "n_samples"),
        (lambda: make_moons(10, noise=-0.1), ValueError, "noise"),
        (lambda: make_moons(10, noise=float("nan")), ValueError, "noise"),
        (lambda: make_moons(10, seed="x"), TypeError, "seed"),
        (lambda: make_circles(10, factor=1.0), ValueError, "factor"),
        (lambda: make_circles(10, factor=0), ValueError, "factor"),
        (lambda: make_spiral(10, n_classes=1), ValueError, "n_classes"),
        (lambda: make_spiral(2, n_classes=3), ValueError, "n_samples must be at least 3"),
        (lambda: make_blobs(10, centers=0), ValueError, "centers"),
        (lambda: make_blobs(10, centers=[]), TypeError, "centers"),
        (lambda: make_blobs(10, centers=[(1.0, 2.0, 3.0)]), ValueError, "centers\\[0\\]"),
        (lambda: make_blobs(10, centers=[(1.0, float("inf"))]), ValueError, "centers\\[0\\]\\[1\\]"),
        (lambda: make_blobs(10, std=-1), ValueError, "std"),
        (lambda: make_blobs(2, centers=3), ValueError, "n_samples must be at least 3"),
    ],
)
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------- digits


def test_load_digits_gives_1797_images_of_64_pixels_in_0_1_split_by_digit():
    X_train, y_train, X_test, y_test = load_digits()
    assert (len(X_train), len(y_train), len(X_test), len(y_test)) == (1438, 1438, 359, 359)
    images = X_train + X_test
    assert all(len(x) == 64 for x in images)
    assert min(map(min, images)) == 0.0 and max(map(max, images)) == 1.0
    assert all(p * 16 == round(p * 16) for x in images[:50] for p in x)  # counts 0..16, scaled
    train, test = Counter(y_train), Counter(y_test)
    assert sorted(train) == sorted(test) == list(range(10))
    for digit in range(10):  # stratified: every digit split 80/20
        assert abs(test[digit] - 0.2 * (train[digit] + test[digit])) <= 0.5


def test_load_digits_split_depends_only_on_the_seed():
    assert load_digits() == load_digits(seed=0)
    other = load_digits(seed=1)
    assert other != load_digits()
    rows = lambda d: sorted(tuple(x) + (t,) for x, t in zip(d.X_train + d.X_test, d.y_train + d.y_test))  # noqa: E731
    assert rows(other) == rows(load_digits())  # the same images, split differently
    assert len(load_digits(test_fraction=0.5).X_test) == 898  # per digit: round(n / 2), half to even


def test_load_digits_first_image_is_the_ucis_first_test_digit():
    X_train, y_train, X_test, y_test = load_digits()
    zero = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]  # its first two rows, as counts
    assert any(x[:16] == [c / 16 for c in zero] and y == 0 for x, y in zip(X_train + X_test, y_train + y_test))


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, math.nan])
def test_load_digits_refuses_a_test_fraction_outside_0_1(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=fraction)


def test_datasets_lists_each_maker_with_its_number_of_classes():
    for name, (make, n_classes) in DATASETS.items():
        _, y = make(30, seed=0)
        assert len(set(y)) == n_classes, name
