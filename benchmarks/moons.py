"""The moons data set for the benchmarks, standard library only.

Both sides of the comparison import this same file, so they train on identical numbers
(it does not use `micrograd.data`, which exists on one side only). The construction is
scikit-learn's `make_moons`: two half circles of radius 1, the second shifted to (1, 0.5),
Gaussian noise on each coordinate, samples shuffled; labels are -1/+1 as in micrograd's
demo notebook (`y = y*2 - 1`).

The notebook keeps X in a numpy array, so micrograd's Values there hold numpy float64s,
whose arithmetic is slower than Python floats. Plain floats here are the conservative
choice: they make micrograd as fast as it can be.
"""

from __future__ import annotations

import math
import random


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int = 1337) -> tuple[list[list[float]], list[int]]:
    """`n_samples` points as lists of two floats, and labels in {-1, +1}."""
    rng = random.Random(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out

    def angles(n: int) -> list[float]:
        return [math.pi * i / (n - 1) if n > 1 else 0.0 for i in range(n)]

    points = [(math.cos(t), math.sin(t), -1) for t in angles(n_out)]
    points += [(1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5, 1) for t in angles(n_in)]
    rng.shuffle(points)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b, _ in points]
    y = [label for _, _, label in points]
    return X, y
