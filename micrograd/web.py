"""What the browser site calls (``make site``): a few functions over the library, returning JSON.

The playground's Web Worker runs the real package on Pyodide and asks this module for
everything a page shows about one value: its data and every gradient (`backward()`), the
graph's DOT source (`draw_dot`), the path table for one input (`paths`), the step-through's
data (`page_data(layout=False)`) and the straight-line code (`compile`) with, for each step,
the line of its ``+=``. Nothing is computed here that the library does not compute.

In the browser there is no `dot` program: `use_layout(render)` hands the graphviz package a
function ``render(source, engine, format) -> text`` (Graphviz compiled to WebAssembly) for
the one place the library runs `dot` by itself (measuring the step-through's labels).

>>> view = explain("(a*b + a)*a", {"a": 2, "b": -3}, wrt="a", layout=False)
>>> view["value"], view["grads"]
(-8.0, {'a': -8.0, 'b': 4.0})
>>> view["paths"]["total"] == view["paths"]["backward"] == -8.0
True
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from micrograd.engine import Value, topological_order
from micrograd.expression import ExpressionError, parse

__all__ = [
    "EXAMPLES",
    "ExpressionError",
    "example",
    "explain",
    "explain_value",
    "mistake",
    "network",
    "run_code",
    "serve_api",
    "use_layout",
]

# The playground's examples: (expression, inputs), or None for one built in Python here.
EXAMPLES: dict[str, tuple[str, dict[str, float]] | None] = {
    "readme": ("(a*b + a)*a", {"a": 2.0, "b": -3.0}),
    "colah": ("(a+b)*(b+1)", {"a": 2.0, "b": 1.0}),
    "neuron": ("sigmoid(w1*x1 + w2*x2 + b)", {"w1": 0.5, "x1": 1.0, "w2": -1.5, "x2": 2.0, "b": 0.25}),
    "network": None,  # the 2-3-3-2 network's cost C, as notebook 03 builds it
}

MAX_PATHS = 2000  # the path table lists at most this many paths (it raises past it)
_PLUS = re.compile(r"^\s*g_\w+ \+= ")


def use_layout(render: Callable[[str, str, str], str]) -> None:
    """Make the graphviz package lay drawings out with `render(source, engine, format)` instead
    of running `dot` (the browser has no programs to run; Graphviz in WebAssembly has)."""
    import graphviz

    def pipe(
        self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *, engine=None, encoding=None
    ):
        text = str(render(self.source, engine or self.engine, format or self.format))
        return text if encoding else text.encode("utf-8")

    graphviz.Digraph.pipe = pipe
    graphviz.Graph.pipe = pipe
    _LAYOUT["render"] = render


_LAYOUT: dict[str, Callable[[str, str, str], str]] = {}


def _svg_by_layout(drawing) -> str:
    """What micrograd.serve.views draws with, laid out by `use_layout`'s function (no `dot` to run)."""
    svg = str(_LAYOUT["render"](drawing.source, drawing.engine, "svg"))
    return svg[svg.index("<svg") :]


_SESSIONS: dict[str, Any] = {}


def serve_api(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The explorer's API on the site: what `micrograd serve` answers at ``POST /api/NAME`` (the
    same endpoints of micrograd.serve.server over the same Session and views), answered in the
    page's Web Worker. Returns ``{"doc": ...}`` or ``{"error": one line}``, as the server's 200 or
    error reply. The views draw with `use_layout`'s function."""
    from micrograd.serve import server, views
    from micrograd.serve.session import BadRequest, Settings

    if "render" in _LAYOUT:
        views._svg = _svg_by_layout
    if "sessions" not in _SESSIONS:
        _SESSIONS["sessions"] = server.Sessions(Settings())
    endpoint = server._ENDPOINTS.get(name)
    if endpoint is None:
        return {"error": f"no such endpoint: /api/{name}"}
    if not isinstance(body, dict):
        return {"error": "the request body must be a JSON object"}
    try:
        return {"doc": endpoint(_SESSIONS["sessions"], body)}
    except (server.Refused, BadRequest) as error:
        return {"error": str(error)}
    except Exception as error:  # a bug: say so in one line, as the server does
        first = str(error).splitlines()[0] if str(error) else ""
        return {"error": f"internal error: {type(error).__name__}: {first}"}


def network_cost() -> tuple[Value, list[Value]]:
    """Notebook 03's 2-3-3-2 sigmoid network at x = (0.5, -1), targets (1, 0): its cost C and inputs."""
    from micrograd.nielsen import trace
    from micrograd.nn import MLP

    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = trace(model, [0.5, -1.0])
    c1 = 0.5 * (t.output[0] - 1.0) ** 2
    c2 = 0.5 * (t.output[1] - 0.0) ** 2
    c1.label, c2.label = "C₍₁₎", "C₍₂₎"
    cost = c1 + c2
    cost.label = "C"
    return cost, list(t.inputs)


def example(name: str) -> dict[str, Any]:
    """An example by name: ``{"expr", "inputs"}`` for a typed one, ``{"built": name}`` otherwise."""
    if name not in EXAMPLES:
        raise ValueError(f"no example named {name!r}; the examples are {', '.join(EXAMPLES)}")
    found = EXAMPLES[name]
    if found is None:
        return {"built": name}
    return {"expr": found[0], "inputs": dict(found[1])}


def explain(text: str, inputs: Mapping[str, float], wrt: str | None = None, **options: Any) -> dict[str, Any]:
    """Everything the playground shows for an expression typed in the `explain` grammar.

    Raises `ExpressionError` (one line, naming what is wrong) for a text the grammar refuses.
    """
    expression = parse(text, dict(inputs))
    return explain_value(expression.output, list(expression.inputs.values()), wrt=wrt, **options)


def explain_value(
    output: Value,
    inputs: list[Value] | None = None,
    wrt: str | None = None,
    *,
    layout: bool = True,
    mistakes: tuple[str, ...] | str = (),
) -> dict[str, Any]:
    """The views of a recorded `output`: value, gradients, graph, paths, step-through, code.

    `inputs` are the leaves offered as "with respect to" (default: every labelled leaf); `wrt`
    names one of them (default: the first). With ``layout=False`` the step-through data carries
    DOT only, for the page to lay out; with True it is laid out by `dot` (`use_layout`'s).
    `mistakes` ("all", or names) puts those mistakes' passes in the step-through's data at once;
    by default the page asks for one when the learner picks it (`mistake`).
    """
    from micrograd.explain import paths
    from micrograd.steps import backward_steps
    from micrograd.viz import draw_dot
    from micrograd.viz.steps import page_data

    if not isinstance(output, Value):
        raise TypeError(f"the value to show must be a micrograd Value, got {type(output).__name__}")
    order = topological_order(output)
    if inputs is None:
        inputs = [node for node in order if node.is_leaf() and node.label and node is not output]
    if not inputs:
        raise ValueError("the value has no labelled input to take the gradient with respect to")
    names = _unique_names(inputs)
    if wrt is None or wrt not in names:
        wrt = names[0]
    chosen = inputs[names.index(wrt)]
    for node in order:
        node.grad = 0.0
    output.backward()
    steps = backward_steps(output)
    table = paths(output, chosen, limit=MAX_PATHS)
    heading, rows, hidden = table._rows()
    data = page_data(steps, layout=layout, mistakes=mistakes)  # by default each mistake when the page asks
    _LAST["steps"] = steps
    code, lines = _compiled(output, order, inputs, steps)
    return {
        "value": output.data,
        "output": _name_of(output),
        "inputs": names,
        "grads": {name: x.grad for name, x in zip(names, inputs)},
        "wrt": wrt,
        "dot": draw_dot(output).source,
        "paths": {
            "heading": heading,
            "rows": rows,
            "hidden": hidden,
            "count": len(table),
            "total": table.total,
            "backward": table.backward_grad,
            "agreement": table._agreement(),
        },
        "steps": data,
        "code": code,
        "step_lines": lines,
    }


_LAST: dict[str, Any] = {}  # the step-through shown last, whose mistakes the page may ask for


def mistake(name: str) -> dict[str, Any]:
    """One wrong backward pass (``micrograd.mistakes``) over the step-through `explain` gave last."""
    from micrograd.viz.steps import mistake_data

    if "steps" not in _LAST:
        raise ValueError("nothing is shown yet, so there is no backward pass to get wrong")
    return mistake_data(_LAST["steps"], name)


def _name_of(node: Value) -> str:
    return node.label or f"{node.data:g}"


def _unique_names(nodes: list[Value]) -> list[str]:
    names: list[str] = []
    for i, node in enumerate(nodes):
        base = node.label or f"x{i}"
        name, k = base, 2
        while name in names:
            name, k = f"{base}#{k}", k + 1
        names.append(name)
    return names


def _compiled(output: Value, order: list[Value], inputs: list[Value], steps) -> tuple[str | None, list[int | None]]:
    """`micrograd.compile` of the graph over `inputs`, and for each step the (0-based) line of its
    ``+=``, or None for a step into a constant (compile writes no line for it)."""
    from micrograd.compiler import _rebuild, _structure
    from micrograd.compiler import compile as compile_graph

    structure = _structure(order, inputs)

    def rebuild(*xs: Value) -> Value:  # the recorded graph again, on compile's traced inputs
        return _rebuild(structure, xs)

    labels = [_identifier(x.label) or f"x{i}" for i, x in enumerate(inputs)]
    if len(set(labels)) != len(labels):
        labels = [f"x{i}" for i in range(len(inputs))]
    rebuild.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD) for name in labels]
    )
    try:
        compiled = compile_graph(rebuild, [x.data for x in inputs])
    except (ValueError, TypeError, ArithmeticError):
        return None, [None] * len(steps)
    source_lines = compiled.source.splitlines()
    plus = [n for n, line in enumerate(source_lines) if _PLUS.match(line)]
    reaches: dict[Value, bool] = {}
    wanted = set(inputs)
    for node in order:
        reaches[node] = node in wanted or any(reaches[p] for p in node.parents)
    lines: list[int | None] = []
    k = 0
    for step in steps:
        if reaches[step.parent] and k < len(plus):
            lines.append(plus[k])
            k += 1
        else:
            lines.append(None)
    if k != len(plus):  # the code and the steps do not pair up: mark nothing rather than wrongly
        lines = [None] * len(steps)
    return compiled.source, lines


def _identifier(label: str) -> str | None:
    return label if label.isidentifier() and label.isascii() and not label.startswith("_") else None


def run_code(code: str, name: str, wrt: str | None = None, **options: Any) -> dict[str, Any]:
    """The Python tab: run the learner's own lines (typed in their own tab; never from a link)
    with `Value` and the library's names at hand, then show the value they name."""
    import micrograd

    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name the value to show with a Python name, got {name!r}")
    namespace: dict[str, Any] = {"Value": Value, "micrograd": micrograd, "math": math}
    exec(compile(code, "<your code>", "exec"), namespace)  # the learner's code, in the learner's tab
    if name not in namespace:
        raise NameError(f"your code defines no {name!r}")
    return explain_value(namespace[name], wrt=wrt, **options)


def network(wrt: str | None = None, **options: Any) -> dict[str, Any]:
    """The 2-3-3-2 network's cost, its inputs and parameters all offered as "with respect to"."""
    cost, xs = network_cost()
    order = topological_order(cost)
    leaves = [node for node in order if node.is_leaf() and node.label]
    rest = [node for node in leaves if node not in set(xs)]
    return explain_value(cost, [*xs, *rest], wrt=wrt, **options)
