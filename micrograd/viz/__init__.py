"""Drawings: the computation graph behind a value, and the neurons of a network.

Each view is a module of its own (`graph`: `draw_dot`; `network`: `draw_network`; `steps`:
the frames of ``micrograd.backward_steps``, its page and widget) over a small shared core
(`_core`). Every drawing is a `graphviz.Digraph` (needs the optional
``graphviz`` package: ``pip install 'micrograd-paths[viz]'``, and Graphviz's ``dot``
program to render).

>>> from micrograd import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b + a
>>> c.backward()
>>> drawing = draw_dot(c, highlight=a)       # every path from a to c stands out
>>> 'grad -2.0000' in drawing.source           # a.grad = b + 1
True

In Jupyter a drawing shows itself as SVG; without ``dot`` it shows as text that says how
to install Graphviz, so a notebook never fails just because ``dot`` is missing.
``.pipe()`` and ``.render()`` behave exactly as graphviz's (they raise
``graphviz.ExecutableNotFound``).

Node names are numbered in topological order (``v0``, ``v1``, … and ``op3`` for the
operation that made ``v3``), never taken from ``id()``, so the same graph always gives
the same DOT text.
"""

from micrograd.viz._core import KIND_COLOURS, fmt
from micrograd.viz.graph import DEFAULT_MAX_NODES, draw_dot
from micrograd.viz.network import DEFAULT_MAX_NEURONS, draw_network

__all__ = ["DEFAULT_MAX_NEURONS", "DEFAULT_MAX_NODES", "KIND_COLOURS", "draw_dot", "draw_network", "fmt"]
