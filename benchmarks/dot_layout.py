"""How long Graphviz's `dot` takes to lay out `draw_dot` drawings of 500 values (the default
max_nodes), for the shapes of graph that cost it most. Ours only; not part of `make bench`.

    .venv/bin/python benchmarks/dot_layout.py                  # each shape once
    .venv/bin/python benchmarks/dot_layout.py --rounds 3       # median of 3
    .venv/bin/python benchmarks/dot_layout.py --without-copies # as before the copies (limit 60 s)

dot's work grows with the ranks its edges cross. A value used along a whole chain (the
``a`` of ``a + a + … + a``) or interior values reused far down a graph cross thousands;
`draw_dot` then starts each long edge at a dashed copy of its value (see `_LAYOUT_BUDGET` in
micrograd/viz/graph.py). ``--without-copies`` switches that off to show what it saves.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd import Value
from micrograd.engine import topological_order, weighted_sum
from micrograd.nn import MLP
from micrograd.viz import DotTimeoutError, draw_dot, graph

SIZE = 500


def fan_out() -> Value:
    """a + a + … + a: one leaf used by every operation of a chain."""
    a = Value(1.0, label="a")
    total = a
    while len(topological_order(total)) < SIZE:
        total = total + a
    return total


def two_leaves() -> Value:
    """a running product that takes a and b in turn: two leaves used all along."""
    a, b = Value(1.0, label="a"), Value(1.0, label="b")
    total = a
    for i in range(SIZE - 3):
        total = total * (a if i % 2 else b)
    return total


def reused_interior() -> Value:
    """each value adds the previous one and a random earlier one: long edges everywhere."""
    rng = random.Random(0)
    values = [Value(0.5, label="x")]
    while len(values) < SIZE:
        values.append(values[-1] + values[rng.randrange(len(values))])
    return values[-1]


def chain() -> Value:
    """tanh(tanh(…(x))): 500 values in a row, no reuse."""
    y = Value(0.5, label="x")
    for _ in range(SIZE - 1):
        y = y.tanh()
    return y


def mlp() -> Value:
    """one example through MLP(10, [16, 14, 1]): about 500 values, weights and biases included."""
    return MLP(10, [16, 14, 1], seed=0)([0.1 * i for i in range(10)])


def parallel_edges() -> Value:
    """one neuron reading the same input 497 times: 497 edges between two nodes."""
    x = Value(1.0, label="x")
    n = SIZE - 3
    return weighted_sum([Value(0.5) for _ in range(n)], [x] * n, Value(0.0))


SHAPES = [fan_out, two_leaves, reused_interior, chain, mlp, parallel_edges]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="layouts per shape; the median is shown")
    parser.add_argument("--without-copies", action="store_true", help="draw long edges as they are")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before dot is stopped (default 60)")
    args = parser.parse_args()
    if args.without_copies:
        graph._LAYOUT_BUDGET = float("inf")
    print(
        f"dot -Tsvg on draw_dot drawings of about {SIZE} values ({'without' if args.without_copies else 'with'} copies)"
    )
    worst = ("", 0.0, "")
    for shape in SHAPES:
        root = shape()
        root.backward()
        drawing = draw_dot(root)
        copies = len(re.findall(r"^\tv\d+_for_op\d+_\d+ \[", drawing.source, flags=re.M))
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            try:
                drawing.pipe(format="svg", timeout=args.limit)
            except DotTimeoutError:
                times.append(float("inf"))
                break
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        shown = f"> {args.limit:g} s (stopped)" if seconds == float("inf") else f"{seconds:6.2f} s"
        print(f"  {shape.__name__:16s} {len(topological_order(root)):4d} values, {copies:3d} copies  {shown}")
        if seconds > worst[1]:
            worst = (shape.__name__, seconds, shown.strip())
    print(f"worst: {worst[0]}, {worst[2]} (load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
