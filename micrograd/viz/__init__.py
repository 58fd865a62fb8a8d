"""Drawings: the computation graph behind a value, and the neurons of a network.

Each view is a module of its own (`graph`: `draw_dot`; `network`: `draw_network`; `steps`:
the frames of ``micrograd.backward_steps``, its page and widget; `mistakes`: `draw_mistake`, a
wrong backward pass of ``micrograd.mistakes`` beside the right one) over a small shared core
(`_core`). Every drawing is a `graphviz.Digraph` (needs the optional
``graphviz`` package: ``pip install 'micrograd-paths[viz]'``, and Graphviz's ``dot``
program to render).

>>> from micrograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b + a
>>> c.backward()
>>> drawing = draw_dot(c, highlight=a)       # every path from a to c stands out
>>> 'grad -2<' in drawing.source           # a.grad = b + 1
True

In Jupyter a drawing shows itself as SVG; without ``dot`` it shows as text that says how


Numbers show 4 significant figures (`fmt`). Node names are numbered in topological order
(``v0``, ``v1``, … and ``op3`` for the operation that made ``v3``), never taken from
``id()``, so the same graph always gives the same DOT text.
"""

from micrograd.viz._core import DOT_TIMEOUT, KIND_COLOURS, DotTimeoutError, fmt
from micrograd.viz.graph import DEFAULT_MAX_NODES, draw_dot
from micrograd.viz.network import DEFAULT_MAX_NEURONS, draw_network

__all__ = [
    "DEFAULT_MAX_NEURONS",
    "DEFAULT_MAX_NODES",
    "DOT_TIMEOUT",
    "KIND_COLOURS",
    "DotTimeoutError",
    "draw_dot",
    "draw_network",
    "fmt",
]
