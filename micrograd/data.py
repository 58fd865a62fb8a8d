"""Toy 2-D datasets for classification, standard library only.

Each function returns ``(X, y)``: `X` a list of ``[x1, x2]`` floats and `y` a list of
int class labels ``0..k-1``, classes balanced (their sizes differ by at most one), in
shuffled order. The same `seed` gives the same data; no seed draws from the global
`random` module (so ``random.seed(...)`` works, as with `micrograd.nn`).

>>> X, y = make_moons(6, seed=0)
>>> len(X), sorted(y)
(6, [0, 0, 0, 1, 1, 1])
"""

from __future__ import annotations

import gzip
import math
import numbers
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from micrograd._errors import _brief
from micrograd._seeding import Seed
from micrograd._seeding import rng as _rng

__all__ = ["DATASETS", "Digits", "load_digits", "make_blobs", "make_circles", "make_moons", "make_spiral"]

Dataset = tuple[list[list[float]], list[int]]




def _count(name: str, n, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(n).__name__} {_brief(n)}")
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {_brief(n)}")
    return int(n)


def _real(name: str, x, low: float = 0.0, high: float = math.inf, open_ends: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(x).__name__} {_brief(x)}")
    try:
        value = float(x)
    except OverflowError:  # an int beyond the float range
        value = math.inf
    inside = low < value < high if open_ends else low <= value <= high
    if not math.isfinite(value) or not inside:
        ends = "()" if open_ends else "[]"
        raise ValueError(f"{name} must be in {ends[0]}{low:g}, {high:g}{ends[1]}, got {_brief(x)}")
    return value


def _split(n_samples: int, k: int) -> list[int]:
    """Class sizes for `n_samples` points in `k` classes, differing by at most one."""
    return [n_samples // k + (1 if c < n_samples % k else 0) for c in range(k)]


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [start]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _finish(points: list[tuple[float, float, int]], noise: float, rng) -> Dataset:
    """Add Gaussian noise to every coordinate, shuffle, and split into (X, y)."""
    gauss = rng.gauss
    if noise:
        points = [(x + gauss(0.0, noise), y + gauss(0.0, noise), c) for x, y, c in points]
    rng.shuffle(points)
    return [[x, y] for x, y, _ in points], [c for _, _, c in points]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Seed = None) -> Dataset:
    """Two interleaving half circles (as scikit-learn's `make_moons`).

    Class 0 is the upper moon (centre (0, 0), radius 1), class 1 the lower one
    (centre (1, 0.5)); `noise` is the standard deviation of Gaussian noise added to
    each coordinate.
    """
    n_samples = _count("n_samples", n_samples, 2)
    noise = _real("noise", noise)
    rng = _rng(seed)
    n_upper, n_lower = _split(n_samples, 2)
    points = [(math.cos(t), math.sin(t), 0) for t in _linspace(0.0, math.pi, n_upper)]
    points += [(1.0 - math.cos(t), 0.5 - math.sin(t), 1) for t in _linspace(0.0, math.pi, n_lower)]
    return _finish(points, noise, rng)


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None) -> Dataset:
    """A circle inside a circle: class 0 on the unit circle, class 1 on radius `factor`."""
    n_samples = _count("n_samples", n_samples, 2)
    noise = _real("noise", noise)
    factor = _real("factor", factor, 0.0, 1.0, open_ends=True)
    rng = _rng(seed)
    n_outer, n_inner = _split(n_samples, 2)
    points = [(math.cos(t), math.sin(t), 0) for t in _linspace(0.0, 2 * math.pi, n_outer, endpoint=False)]
    points += [
        (factor * math.cos(t), factor * math.sin(t), 1) for t in _linspace(0.0, 2 * math.pi, n_inner, endpoint=False)
    ]
    return _finish(points, noise, rng)


def make_spiral(n_samples: int = 100, n_classes: int = 3, noise: float = 0.1, seed: Seed = None) -> Dataset:
    """`n_classes` interleaved spiral arms (the CS231n dataset), within the unit disc.

    Arm c starts near the centre at angle 2πc/k and winds outwards by 3/4 of a turn; along
    it the radius grows from 0.1 to 1. `noise` is the standard deviation of Gaussian noise
    added to each point's angle, in radians: it moves a point by about `noise` at the rim
    and less near the centre, where the arms are close together.
    """
    n_classes = _count("n_classes", n_classes, 2)
    n_samples = _count("n_samples", n_samples, n_classes)
    noise = _real("noise", noise)
    rng = _rng(seed)
    points = []
    for c, n in enumerate(_split(n_samples, n_classes)):
        for r in _linspace(0.1, 1.0, n):
            t = 2 * math.pi * c / n_classes + 1.5 * math.pi * r
            if noise:
                t += rng.gauss(0.0, noise)
            points.append((r * math.cos(t), r * math.sin(t), c))
    return _finish(points, 0.0, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    std: float = 1.0,
    seed: Seed = None,
) -> Dataset:
    """Gaussian blobs, one class per centre, each with standard deviation `std`.

    `centers` is a number of classes, placed evenly on a circle of radius 4 around the
    origin, or a list of ``(x, y)`` centres.
    """
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = _count("centers", centers, 1)
        centres = [(4.0 * math.cos(2 * math.pi * c / k), 4.0 * math.sin(2 * math.pi * c / k)) for c in range(k)]
    elif isinstance(centers, (list, tuple)) and centers:
        centres = []
        for i, point in enumerate(centers):
            if not isinstance(point, (list, tuple)) or len(point) != 2:
                raise ValueError(f"centers[{i}] must be a pair (x, y), got {_brief(point)}")
            centres.append(
                (_real(f"centers[{i}][0]", point[0], -math.inf), _real(f"centers[{i}][1]", point[1], -math.inf))
            )
    else:
        raise TypeError(f"centers must be a positive int or a non-empty list of (x, y) pairs, got {_brief(centers)}")
    n_samples = _count("n_samples", n_samples, len(centres))
    std = _real("std", std)
    rng = _rng(seed)
    points = [
        (cx, cy, c) for c, ((cx, cy), n) in enumerate(zip(centres, _split(n_samples, len(centres)))) for _ in range(n)
    ]
    return _finish(points, std, rng)


# name -> (make function, number of classes): the datasets the command line and the explorer offer
DATASETS = {
    "moons": (make_moons, 2),
    "circles": (make_circles, 2),
    "spiral": (make_spiral, 3),
    "blobs": (make_blobs, 3),
}


# --------------------------------------------------------------------------- real data: digits


class Digits(NamedTuple):
    """A train/test split of the digits: ``X_train, y_train, X_test, y_test = load_digits()``."""

    X_train: list[list[float]]
    y_train: list[int]
    X_test: list[list[float]]
    y_test: list[int]


DIGITS_FILE = "digits.csv.gz"  # in micrograd/_data, with DIGITS-LICENSE.txt (CC BY 4.0, UCI)


@lru_cache(maxsize=1)
def _digit_rows() -> tuple[tuple[int, ...], ...]:
    """The 1,797 rows of the shipped file: 64 pixel counts 0..16, then the digit."""
    raw = resources.files("micrograd").joinpath("_data", DIGITS_FILE).read_bytes()
    rows = tuple(tuple(map(int, line.split(","))) for line in gzip.decompress(raw).decode("ascii").split())
    if len(rows) != 1797 or any(len(r) != 65 or not 0 <= r[64] <= 9 for r in rows):
        raise ValueError(f"micrograd/_data/{DIGITS_FILE} is damaged: reinstall micrograd-paths")
    return rows


def load_digits(test_fraction: float = 0.2, seed: Seed = 0) -> Digits:
    """The 8×8 handwritten digits (1,797 images, 10 classes), split into train and test sets.

    Each image is a row of 64 pixels, 8 rows of 8 from the top left, scaled from the
    original counts 0..16 to [0, 1]; the label is the digit 0..9. Every digit is split in
    the same proportion (a stratified split), `test_fraction` of it going to the test
    set, then both sets are shuffled. The split depends only on `seed` (0 by default, so
    everyone's test set is the same).

    The data is the test set of the UCI "Optical Recognition of Handwritten Digits"
    (Alpaydin and Kaynak, 1998; CC BY 4.0), the copy scikit-learn ships, included in the
    package (58 kB) so that it works offline: see micrograd/_data/DIGITS-LICENSE.txt.

    >>> X_train, y_train, X_test, y_test = load_digits()
    >>> len(X_train), len(X_test), len(X_train[0])
    (1438, 359, 64)
    """
    test_fraction = _real("test_fraction", test_fraction, 0.0, 1.0, open_ends=True)
    rng = _rng(seed)
    by_digit: list[list[tuple[int, ...]]] = [[] for _ in range(10)]
    for row in _digit_rows():
        by_digit[row[64]].append(row)
    train, test = [], []
    for rows in by_digit:
        rows = list(rows)
        rng.shuffle(rows)
        k = round(len(rows) * test_fraction)
        test += rows[:k]
        train += rows[k:]
    if not train or not test:
        raise ValueError(f"test_fraction={test_fraction!r} leaves the train or the test set empty")
    rng.shuffle(train)
    rng.shuffle(test)

    def split(rows):
        return [[p / 16 for p in row[:64]] for row in rows], [row[64] for row in rows]

    return Digits(*split(train), *split(test))
