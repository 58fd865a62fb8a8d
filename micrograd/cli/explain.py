"""`micrograd explain "EXPR" a=2 b=3`: the value, every gradient, and every path behind it.

    $ micrograd explain "a*b + a" a=2 b=3
    $ micrograd explain "tanh(w*x + b)" w=0.5 x=2 b=-1 --wrt w --graph neuron.svg
    $ micrograd explain "a*b + a" a=2 b=3 --steps --html steps.html
    $ micrograd explain "(a + a)*(a + a)" a=1 --mistake overwrite

The expression is parsed over a whitelist (`micrograd.expression`), never evaluated as
Python. For each input asked about (``--wrt``, default all) it prints the path table: each
path, its local derivatives, their product, the sum, and ``backward()``'s number beside it.
``--graph FILE`` draws the graph with those paths highlighted (the format follows the
suffix: .svg, .png, .pdf, or .dot for the DOT text, which needs no Graphviz). ``--steps``
prints the backward pass step by step (`micrograd.backward_steps`), ``--html FILE`` writes
the self-contained page that steps through it. ``--mistake NAME`` runs one of the classic
wrong backward passes of `micrograd.mistakes` on the expression and prints it beside the
right one: every gradient both ways, the first step where they part, and why.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys

from micrograd._atomic import atomic_writer, check_writable
from micrograd.cli import UsageError
from micrograd.engine import Value
from micrograd.explain import Path, count_edges, count_paths, forward_grad, paths
from micrograd.expression import Expression, parse, read_as
from micrograd.mistakes import DESCRIPTIONS, NAMES, compare
from micrograd.steps import backward_steps

GRAPH_FORMATS = ("svg", "png", "pdf", "dot")
CLI_LIMIT = 1000  # paths listed per input unless --limit says otherwise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression",
        metavar="EXPR",
        help="e.g. 'a*b + exp(a)': numbers, inputs, + - * / **, parentheses, exp log tanh sigmoid relu abs sqrt "
        "(put -- before an expression that starts with '-')",
    )
    parser.add_argument("assignments", nargs="*", metavar="NAME=VALUE", help="the inputs' values, e.g. a=2 b=-0.5")
    parser.add_argument(
        "--wrt",
        action="append",
        metavar="NAME",
        help="show the paths from this input only (repeatable; default: every input)",
    )
    parser.add_argument("--graph", metavar="FILE", help="also draw the graph, paths highlighted (.svg .png .pdf .dot)")
    parser.add_argument(
        "--steps", action="store_true", help="print backward() step by step: one row per edge, the sums flagged"
    )
    parser.add_argument("--html", metavar="FILE", help="write a page that steps through backward() (opens offline)")
    parser.add_argument(
        "--mistake",
        metavar="NAME",
        help=f"also run a classic wrong backward pass beside the right one: {', '.join(NAMES)}",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=CLI_LIMIT,
        metavar="N",
        help=f"list at most N paths per input; more are only counted (default {CLI_LIMIT})",
    )


def run(args: argparse.Namespace) -> int:
    _tolerate_narrow_terminals()
    if args.limit < 0:
        raise UsageError(f"--limit must be at least 0, got {args.limit}")
    graph_format = _graph_format(args.graph) if args.graph is not None else None
    if args.html:
        _check_directory("--html", args.html)
    if args.mistake is not None and args.mistake not in NAMES:
        raise UsageError(f"--mistake {args.mistake}: no such mistake (the mistakes are {', '.join(NAMES)})")
    values = parse_assignments(args.assignments)
    expr = parse(args.expression, values)
    wrt = _chosen_inputs(args.wrt, expr)
    _note_renamed([*_NAME.findall(args.expression), *values, *(args.wrt or [])])
    output = expr.output
    output.backward()  # the inputs are fresh leaves, so their grads are exactly this pass

    report = compare(output, args.mistake) if args.mistake is not None else None  # its errors before any output

    print(f"{expr.text} = {output.data!r}")
    _print_gradients(expr)
    if report is not None:
        print()
        print(f"with the mistake {args.mistake}: {DESCRIPTIONS[args.mistake]}")
        print(report)

    highlighted: list[Path | Value] = []
    for name in wrt:
        print()
        highlighted += _explain_input(output, name, expr.inputs[name], args.limit)
    if graph_format:
        print()
        _draw(expr, highlighted, args.graph, graph_format)
        print(f"graph written to {args.graph}")
    if args.steps or args.html:
        steps = backward_steps(output)
        if args.steps:
            print()
            print(steps)
        if args.html:
            print()
            _write_page(steps, expr, args.html)
            print(f"step-through page written to {args.html}")
    return 0


def _tolerate_narrow_terminals() -> None:
    """On a terminal that cannot show ∂ → × (an ASCII locale), print '?' instead of failing."""
    try:
        "∂→×₀".encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _print_gradients(expr: Expression) -> None:
    """Each input's value and its gradient by reverse mode (already run) and by forward mode."""
    if not expr.inputs:
        print("  (no inputs, so no gradients)")
        return
    print("  with " + ", ".join(f"{name} = {leaf.data!r}" for name, leaf in expr.inputs.items()))
    print()
    print("gradients (reverse mode: backward(); forward mode: one tangent sweep per input):")
    width = max(len(name) for name in expr.inputs)
    grads = {name: repr(leaf.grad) for name, leaf in expr.inputs.items()}
    grad_width = max(map(len, grads.values()))
    for name, leaf in expr.inputs.items():
        forward = forward_grad(expr.output, leaf)
        print(f"  ∂/∂{name.ljust(width)} = {grads[name].ljust(grad_width)}   forward mode: {forward!r}")


_NAME = re.compile(r"[^\W\d]\w*")  # the identifiers in an expression's text


def _note_renamed(typed: list[str]) -> None:
    """Say which typed names the parser reads differently (NFKC), instead of renaming silently."""
    for name in dict.fromkeys(typed):
        if read_as(name) != name:
            print(
                f"micrograd explain: note: {name} is read as {read_as(name)} (as Python reads names)", file=sys.stderr
            )


def parse_assignments(assignments: list[str]) -> dict[str, float]:
    """``["a=2", "b=-0.5"]`` as ``{"a": 2.0, "b": -0.5}``, with one-line errors for anything else.

    Two spellings of one name (``x1`` and ``x₁``, which Python reads alike) are refused."""
    values: dict[str, float] = {}
    given: dict[str, str] = {}  # the name as read -> the assignment that gave it
    for item in assignments:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise UsageError(f"expected NAME=VALUE (like a=2), got {item!r}")
        key = read_as(name)
        if key in given:
            spellings = [n for n in dict.fromkeys((given[key].partition("=")[0].strip(), name)) if n != key]
            verb = "is" if len(spellings) == 1 else "are"
            also = f", as {' and '.join(spellings)} {verb} read as {key}" if spellings else ""
            raise UsageError(f"{key} is given twice ({given[key]} and {item}{also})")
        given[key] = item
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{item}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{item}: the value must be a finite number")
        values[name] = value
    return values


def _chosen_inputs(wrt: list[str] | None, expr: Expression) -> list[str]:
    if not wrt:
        return list(expr.inputs)
    chosen = []
    for typed in wrt:
        name = read_as(typed)  # as input names are read: --wrt ａ is the input a
        if name not in expr.inputs:
            known = ", ".join(expr.inputs) or "none"
            raise UsageError(f"--wrt {typed}: there is no input named {typed!r} (inputs: {known})")
        if name not in chosen:
            chosen.append(name)
    return chosen


def _explain_input(output: Value, name: str, leaf: Value, limit: int) -> list[Path | Value]:
    """Print the path table for one input; return what to highlight in the drawing: its
    paths, or the input itself (every path from it, found in linear time) if there are
    too many to list."""
    total = count_paths(output, leaf)
    if total > limit:  # counted in linear time; never enumerate past the limit
        print(
            f"∂/∂{name}: {total} paths, more than --limit {limit}: counted, not listed; "
            f"backward() visits each of the {count_edges(output)} edges once (raise --limit to list them)"
        )
        return [leaf]
    table = paths(output, leaf, limit=None)
    print(table)
    return list(table)


# --------------------------------------------------------------------------- drawing


def _graph_format(path: str) -> str:
    if not path.strip():
        raise UsageError("--graph needs a file name, like --graph graph.svg")
    suffix = os.path.splitext(path)[1].lower().lstrip(".")
    if suffix not in GRAPH_FORMATS:
        shown = f"'.{suffix}'" if suffix else "no suffix"
        raise UsageError(f"--graph {path}: unsupported file type {shown} (use .svg, .png, .pdf or .dot)")
    _check_directory("--graph", path)
    return suffix


def _check_directory(flag: str, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"{flag} {path}: the directory {directory} does not exist")
    try:
        check_writable(path)  # before the layout, which can take seconds
    except OSError as error:
        raise UsageError(f"{flag} {path}: cannot write it: {error.strerror or error}") from None


def _write_page(steps, expr: Expression, path: str) -> None:
    """The step-through page (frames drawn by dot), written atomically."""
    try:
        steps.save_html(path, title=f"backward() of {expr.text}")
    except ImportError as error:  # no graphviz package: viz says how to install it
        raise UsageError(f"--html: {error}") from None
    except RuntimeError as error:  # no dot program
        raise UsageError(f"--html {path}: {error}") from None


def _draw(expr: Expression, highlighted: list[Path | Value], path: str, graph_format: str) -> None:
    """Draw with draw_dot and write `path` atomically (a temporary file, then os.replace)."""
    try:
        from micrograd.viz import draw_dot

        graph = draw_dot(expr.output, highlight=highlighted or None, inputs=expr.inputs.values())
    except ImportError as error:  # no graphviz package: viz says how to install it
        raise UsageError(f"--graph: {error}") from None
    data = graph.source.encode("utf-8") if graph_format == "dot" else _render(graph, graph_format, path)
    with atomic_writer(path) as file:
        file.write(data)


def _render(graph, graph_format: str, path: str) -> bytes:
    import graphviz

    from micrograd.viz import DotTimeoutError

    try:
        return graph.pipe_bounded(graph_format)  # dot is stopped after DOT_TIMEOUT seconds
    except DotTimeoutError as error:
        raise UsageError(f"--graph {path}: {error}; nothing was written (a .dot file needs no layout)") from None
    except graphviz.ExecutableNotFound:
        raise UsageError(
            f"--graph {path}: Graphviz's dot program is not installed (sudo apt-get install graphviz); "
            "a .dot file can be written without it"
        ) from None
    except graphviz.CalledProcessError as error:
        stderr = (error.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"--graph {path}: dot failed: {stderr[0] if stderr else error}") from None
