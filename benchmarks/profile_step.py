#!/usr/bin/env python3
"""Where our demo step spends its time: cProfile of micrograd's notebook loop.

    .venv/bin/python benchmarks/profile_step.py [--steps N] [--sort tottime|cumulative]
    .venv/bin/python benchmarks/profile_step.py --spin 20   # for py-spy (see README.md)

cProfile adds a fixed cost to every Python-level call, so it inflates call-heavy code
(the op methods) against loop-heavy code (backward's edge loop); use it to see *which*
functions matter, and `run.py` (phases) or py-spy for their true shares. Not run by
`make bench`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]  # ours, then moons.py

from cases import notebook_demo  # noqa: E402


def make_loop():
    model, loss = notebook_demo()

    def steps(n: int) -> None:
        for k in range(n):
            total_loss, _acc = loss()
            model.zero_grad()
            total_loss.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= learning_rate * p.grad

    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--spin", type=float, help="just run steps for this many seconds (for py-spy)")
    args = parser.parse_args()
    steps = make_loop()
    steps(2)  # warm up
    if args.spin:
        end = time.perf_counter() + args.spin
        n = 0
        while time.perf_counter() < end:
            steps(1)
            n += 1
        print(f"{n} steps, {args.spin / n * 1e3:.1f} ms each")
        return
    t0 = time.perf_counter()
    steps(args.steps)
    plain = (time.perf_counter() - t0) / args.steps
    profiler = cProfile.Profile()
    profiler.enable()
    steps(args.steps)
    profiler.disable()
    print(f"{plain * 1e3:.1f} ms per step without the profiler; profile of {args.steps} steps:")
    pstats.Stats(profiler).strip_dirs().sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
