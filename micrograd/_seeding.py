"""Where random numbers come from: a seed, a generator, or (as in micrograd) the global one."""

from __future__ import annotations

import random

from micrograd._errors import _brief

Seed = int | random.Random | None


def rng(seed: Seed):
    """No seed: the global `random` module, so `random.seed(...)` works as in micrograd;
    an int: a fresh `random.Random(seed)`; a generator: itself (so layers can share one)."""
    if seed is None or seed is random:
        return random
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__} {_brief(seed)}")
    return random.Random(seed)
