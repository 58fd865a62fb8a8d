"""The backward pass step by step: the graph after step k, the step-through page, the Jupyter view.

`draw_step(steps, k)` draws the graph as it stands after the first `k` steps of
``micrograd.backward_steps(output)``: edges already used in the gradient's colour, the
current edge in red and labelled ``local × upstream = contribution``, every value with its
gradient so far (written out as a sum once it has several terms, ``grad ?`` while not
reached). `page_data` and `save_html` make the self-contained page whose script and styles
are the package data files ``micrograd/assets/stepthrough.{js,css,html}``; `step_through`
is the same view with ipywidgets.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from micrograd._atomic import write_text_atomically
from micrograd.engine import Value
from micrograd.explain import _number_text, _path_counts_to_output, _route, paths
from micrograd.mistakes import DESCRIPTIONS, LEARNER_CODE, NAMES, _differs, compare
from micrograd.notation import visible
from micrograd.steps import BackwardSteps, Step, _written_sum, register_view
from micrograd.viz._core import (
    DIMMED,
    GRAD_INK,
    HIGHLIGHT,
    INSTALL_DOT,
    _check_limit,
    _escape,
    _import_graphviz,
    _new_drawing,
    _value_set,
    fmt,
)
from micrograd.viz.graph import (
    DEFAULT_MAX_NODES,
    _check_rankdir,
    _check_size,
    _draw_operation,
    _hidden_leaves,
    _legend,
    _value_kind,
    _value_label,
)

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "NetworkSteps",
    "asset_text",
    "draw_step",
    "layout_drawing",
    "layout_svg",
    "page_data",
    "page_html",
    "save_html",
    "step_through",
]

PENDING = "#b35900"  # a gradient that will still receive contributions

_USED_EDGE = {"color": GRAD_INK, "fontcolor": GRAD_INK, "penwidth": "1.6"}
_CURRENT_EDGE = {"color": HIGHLIGHT, "fontcolor": HIGHLIGHT, "penwidth": "3", "fontsize": "12"}
_WAITING_EDGE = {"color": DIMMED, "fontcolor": "#9a9a9a"}
_SKIPPED_EDGE = {"color": DIMMED, "fontcolor": "#9a9a9a", "style": "dashed"}


def _grad_cell(known: bool, final: bool, text: str) -> str:
    """The grad cell of a value's box: ``grad ?`` (grey) until reached, orange while more is to come."""
    if not known:
        return '<FONT COLOR="#9a9a9a"><I>grad ?</I></FONT>'
    if final:
        return f"grad {_escape(text)}"
    return f'<FONT COLOR="{PENDING}">grad {_escape(text)} <I>so far</I></FONT>'


def _grad_words(known: bool, final: bool, text: str) -> str:
    """What `_grad_cell` shows, as plain text (for measuring it)."""
    return "grad ?" if not known else f"grad {text}" + ("" if final else " so far")


Size = tuple[float, float]  # width, height in points


@dataclass
class _Room:
    """The space every value's grad cell and every edge's label needs in its widest frame.

    Reserving it in every frame gives every frame the same layout: stepping moves nothing
    but the colours and the numbers.
    """

    grads: dict[Value, Size]
    labels: dict[tuple[Value, int], Size]  # (child, argument)


def _room(steps: BackwardSteps, grads: list[str] | None = None) -> _Room:
    """Measure (with `dot` itself, so in the fonts it will draw with) the widest text each grad
    cell and edge label takes in any frame. `grads` is `_box_texts(steps)`."""
    grads = _box_texts(steps) if grads is None else grads
    texts: dict[Value, set[str]] = {node: {"grad ?"} for node in steps.order}
    texts[steps.output] = {_grad_words(True, True, fmt(1.0))}
    for step, text in zip(steps, grads):
        texts[step.parent] |= {_grad_words(True, False, text), _grad_words(True, True, text)}
    labels = {(s.child, s.argument): {(fmt(s.local), 10), (_current_label(s), 12)} for s in steps}
    measured = _measure({(t, 12) for words in texts.values() for t in words} | set().union(*labels.values()))
    return _Room(
        {node: _largest(measured[(t, 12)] for t in words) for node, words in texts.items()},
        {edge: _largest(measured[t] for t in options) for edge, options in labels.items()},
    )


BOX_TERMS = 3  # a box writes its gradient out as a sum of up to this many terms; the caption, any number


def _box_texts(steps: BackwardSteps) -> list[str]:
    """For each step, its parent's gradient as the parent's box shows it right after: the number,
    written as its sum while there are at most `BOX_TERMS` terms (``-8 = -4 + 2 + (-6)``), else
    with the count of terms (``0.1234 (16 terms)``): boxes keep a size a layout can reserve."""
    added: dict[Value, list[float]] = {}
    texts = []
    for step in steps:
        terms = added.setdefault(step.parent, [])
        if not step.skipped:
            terms.append(step.contribution)
        total = fmt(step.after)
        if len(terms) < 2:
            texts.append(total)
        elif len(terms) <= BOX_TERMS:
            shown = [fmt(t) if i == 0 or t >= 0 else f"({fmt(t)})" for i, t in enumerate(terms)]
            texts.append(f"{total} = " + " + ".join(shown))
        else:
            texts.append(f"{total} ({len(terms)} terms)")
    return texts


def _largest(sizes) -> Size:
    sizes = list(sizes)
    return max(w for w, _ in sizes), max(h for _, h in sizes)


def _measure(texts: set[tuple[str, int]]) -> dict[tuple[str, int], Size]:
    """Each (text, font size)'s size in points, as `dot` lays it out: one run over all of them."""
    drawing = _new_drawing("measure")
    drawing.engine = "osage"  # sizes are the same in every engine; osage places loose nodes fastest
    ordered = sorted(texts)
    for n, (text, size) in enumerate(ordered):
        drawing.node(
            f"t{n}", f"<{_escape(text)}>", shape="plaintext", margin="0", width="0", height="0", fontsize=str(size)
        )
    plain = _pipe(drawing, "plain")
    sizes = {}
    for line in plain.splitlines():
        parts = line.split(" ", 6)
        if parts[0] == "node":
            sizes[ordered[int(parts[1][1:])]] = (float(parts[4]) * 72, float(parts[5]) * 72)
    return sizes


def _in_room(markup: str, size: Size | None) -> str:
    """`markup` in a cell at least `size` large (graphviz's WIDTH and HEIGHT are minimums)."""
    if size is None:
        return markup
    width, height = size
    return (
        f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
        f'<TD WIDTH="{math.ceil(width)}" HEIGHT="{math.ceil(height)}">{markup}</TD></TR></TABLE>'
    )


def _current_label(step: Step) -> str:
    return f"{fmt(step.local)} × {fmt(step.upstream)} = {fmt(step.contribution)}"


def draw_step(
    steps: BackwardSteps,
    k: int,
    rankdir: str = "LR",
    *,
    params=None,
    inputs=None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
    hide: Iterable[Value] | None = None,
    steady: bool = False,
    _room_for: _Room | None = None,
) -> graphviz.Digraph:
    """The graph of ``steps.output`` after the first `k` steps of its backward pass.

    Frame 0 is before any step: only the output's gradient (1) is known and every other
    value shows ``grad ?``. In frame k, the edges of steps 1..k are drawn in the gradient's
    colour, the edge of step k in red with ``local × upstream = contribution``, and every
    value reached shows its gradient so far: orange while more contributions are to come,
    written out as the sum of its terms once it has several (``grad 4 = 1 + 3``).
    Waiting edges show their local derivative in grey; a skipped step's edge
    (its child's gradient is 0, so ``backward()`` adds nothing) is dashed. The last frame
    shows the gradients ``draw_dot`` shows after ``backward()``.

    `steady` reserves, in every value's box and on every edge, the room its widest frame
    needs (measured by one extra run of ``dot``), so that all frames share one layout:
    what the step-through page and widget use.

    `hide` leaves these leaves out, with their edges, as in ``draw_dot``:
    ``hide=model.parameters()`` keeps a network's frames narrow.

    >>> from micrograd import Value, backward_steps
    >>> a, b = Value(2.0, label="a"), Value(3.0, label="b")
    >>> steps = backward_steps(a * b + a)
    >>> "grad 4 = 1 + 3" in draw_step(steps, 3).source
    True
    """
    if not isinstance(steps, BackwardSteps):
        raise TypeError(f"draw_step needs micrograd.backward_steps(output), got {type(steps).__name__}")
    k = steps._frame(k)
    root = steps.output
    _check_rankdir(rankdir)
    _check_size(root, _check_limit("max_nodes", max_nodes))
    params, inputs = _value_set("params", params), _value_set("inputs", inputs)
    hidden = _hidden_leaves(hide)
    _import_graphviz()

    done = steps[:k]
    current: Step | None = done[-1] if done else None
    used = {(s.child, s.argument): s for s in done}
    known, terms = steps._state(k)
    final = {s.parent for s in done if s.final} | {root}
    index = {node: i for i, node in enumerate(steps.order)}
    room = _room_for or (_room(steps) if steady else None)

    drawing = _new_drawing(
        "backward", rankdir=rankdir, nodesep="0.25", ranksep="0.35", ordering="in"
    )  # parents in order, as draw_dot lays them out
    kinds = set()
    for i, node in enumerate(steps.order):
        if node in hidden:
            continue
        kind = _value_kind(node, root, params, inputs)
        kinds.add(kind)
        marked = current is not None and node in (current.child, current.parent)
        grad = _grad_cell(node in known, node in final, _written_sum(node, known, terms, fmt))
        grad = _in_room(grad, room.grads[node] if room else None)
        ids = {"id": f"v{i}"} if room else {}  # the page finds what to restyle by these ids
        drawing.node(f"v{i}", _value_label(node, kind, marked, grad, steady=room is not None), shape="plain", **ids)
        if node.parents:
            edges = []
            for j, (parent, local) in enumerate(zip(node.parents, node.local_grads)):
                if parent in hidden:
                    edges.append(None)
                    continue
                style = _edge_style(used.get((node, j)), current, local)
                if room:
                    style["label"] = f"<{_in_room(_escape(style['label']), room.labels[node, j])}>"
                    style["id"] = f"e{i}_{j}"
                edges.append(style)
            is_current = current is not None and current.child is node
            out_edge = (
                _CURRENT_EDGE
                if is_current
                else _USED_EDGE
                if any((node, j) in used for j in range(len(edges)))
                else _WAITING_EDGE
            )
            _draw_operation(drawing, i, node, index, edges, out_edge, is_current, ids=room is not None)
    if legend:
        extra = [
            f'<FONT COLOR="{GRAD_INK}">used edges</FONT>',
            f'<FONT COLOR="{HIGHLIGHT}">this step: local × upstream = contribution</FONT>',
            f'<FONT COLOR="{PENDING}">grad so far: more to come</FONT>',
            '<FONT COLOR="#9a9a9a">grad ?: not reached yet</FONT>',
        ]
        drawing.attr(label=_legend(kinds, True, False, extra), labelloc="b", labeljust="l")
    drawing.text_summary = _frame_text(steps, k, known, terms)
    return drawing


def _edge_style(step: Step | None, current: Step | None, local: float) -> dict[str, str]:
    if step is None:
        return {"label": fmt(local), **_WAITING_EDGE}
    if step is current:
        return {"label": _current_label(step), **_CURRENT_EDGE}
    return {"label": fmt(step.local), **(_SKIPPED_EDGE if step.skipped else _USED_EDGE)}


def _frame_text(steps: BackwardSteps, k: int, known: dict, terms: dict) -> str:
    """The frame as text, for where `dot` is missing: the step, then the gradients nearest the output."""
    head = f"after step {k} of {len(steps)}: {steps.arithmetic(steps[k - 1])}" if k else "before any step"
    shown = steps.order[:-61:-1]
    return "\n".join([head] + [f"  {steps.partial(node)} = {_written_sum(node, known, terms, fmt)}" for node in shown])


# --------------------------------------------------------------------------- the page


def asset_text(name: str) -> str:
    """The text of a package data file in micrograd/assets (``stepthrough.js``, ``.css``, ``.html``)."""
    return resources.files("micrograd").joinpath("assets", name).read_text(encoding="utf-8")


def _pipe(drawing: graphviz.Digraph, format: str) -> str:
    """`dot`'s output for the drawing, or a RuntimeError that says how to install it."""
    graphviz = _import_graphviz()
    try:
        return drawing.pipe(format=format, encoding="utf-8")
    except graphviz.ExecutableNotFound:
        raise RuntimeError(
            f"the step-through needs Graphviz's `dot` program to draw its frames. {INSTALL_DOT}"
        ) from None


def _svg(drawing: graphviz.Digraph) -> str:
    """The drawing as an inline SVG element (no XML prolog or doctype)."""
    svg = _pipe(drawing, "svg")
    return svg[svg.index("<svg") :]


MISTAKES = "all"  # page_data's default: every mistake of micrograd.mistakes.NAMES
MOST_WRITES = 3000  # a wrong pass with more writes than this (and than 3 per step) is left off a page


def layout_drawing(steps: BackwardSteps, **options: Any) -> graphviz.Digraph:
    """The one drawing every frame of the step-through shares: frame 0, with the room each box
    and edge label needs in its widest frame reserved (so no later text moves anything) and
    ids the page restyles: ``v<i>`` for value i of ``steps.order``, ``op<i>`` for the
    operation that made it, ``e<i>_<j>`` for the edge from its j-th parent, ``o<i>`` for the
    edge from the operation into it. Options as `draw_step`'s."""
    return draw_step(steps, 0, _room_for=_room(steps, options.pop("_grads", None)), **options)


def layout_svg(drawing: graphviz.Digraph) -> str:
    """`layout_drawing`'s SVG, laid out by `dot` once."""
    return _svg(drawing)


def page_data(
    steps: BackwardSteps,
    title: str | None = None,
    *,
    layout: bool = True,
    notice: str | None = None,
    mistakes: Iterable[str] | None = MISTAKES,
    **options: Any,
) -> dict[str, Any]:
    """What the step-through shows, as JSON-ready data: the contract between Python and
    ``stepthrough.js`` (documented at the top of that file).

    The graph is laid out once: ``dot`` is its DOT source and ``svg`` its layout by Graphviz
    (left out with ``layout=False``, for a page that lays the DOT out itself). Every step
    only changes the text and colours of a few ids. `notice` is a sentence shown above the
    view (why every step is skipped, say). `mistakes` (names from ``micrograd.mistakes.NAMES``,
    all of them by default; ``()`` for none) are the wrong passes the page's selector runs
    beside the right one, each as its own rows over the same drawing. Options go to
    `draw_step` (``rankdir``, ``params``, ``inputs``, ``hide``, ``max_nodes``, ``legend``).
    """
    if not isinstance(steps, BackwardSteps):
        raise TypeError(f"page_data needs micrograd.backward_steps(output), got {type(steps).__name__}")
    if notice is not None and not isinstance(notice, str):
        raise TypeError(f"notice must be a str or None, got {type(notice).__name__}")
    names = steps.names()
    boxes = _box_texts(steps)
    drawing = layout_drawing(steps, _grads=boxes, **options)
    rows = steps.rows_data()
    for row, step, box in zip(rows, steps, boxes):
        row["grad"] = box  # the parent's box after this step (without "so far")
        row["label"] = _current_label(step)  # the edge's label while it is the current one
    return {
        "version": 2,
        "title": visible(title) if title is not None else f"backward() of {names[steps.output]}",
        "heading": steps._heading(note=True),  # with what a #n suffix means, if a name has one
        "columns": ["step", "edge", "local", "upstream", "contribution", steps._grad_column(), "note"],
        "steps": rows,
        "dot": drawing.source,
        "svg": layout_svg(drawing) if layout else None,
        "nodes": {f"v{i}": names[node] for i, node in enumerate(steps.order)},
        "output": f"v{steps.order.index(steps.output)}",
        "start": f"Before any step: only the output's gradient is known, {steps.partial(steps.output)} = 1.",
        "summary": _summary(steps),
        "colours": {"grad": GRAD_INK, "highlight": HIGHLIGHT, "dimmed": DIMMED, "pending": PENDING},
        "notice": notice if notice is not None else _skipped_notice(steps),
        "mistake_names": list(NAMES),
        "mistakes": _mistakes_data(steps, mistakes),
    }


def mistake_data(steps: BackwardSteps, name: str) -> dict[str, Any]:
    """One mistake's entry of `page_data`'s ``mistakes`` (what the explorer fetches on demand)."""
    return _mistakes_data(steps, (name,))[name]


def _mistakes_data(steps: BackwardSteps, names: Iterable[str] | str | None) -> dict[str, Any]:
    """For each mistake, its wrong pass as the page's rows (`_wrong_rows`), with what it is and
    where it parts from ``backward()``; a mistake that cannot run on this graph says why."""
    if names is None:
        return {}
    names = NAMES if names == MISTAKES else tuple(names)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"mistakes: unknown {unknown[0]!r}; the mistakes are {', '.join(NAMES)}")
    shown: dict[str, Any] = {}
    for name in names:
        entry: dict[str, Any] = {"description": DESCRIPTIONS[name], "code": LEARNER_CODE[name]}
        try:
            comparison = compare(steps.output, name)
        except ValueError as error:  # e.g. too many calls for the recursion without a visited set
            shown[name] = {**entry, "error": str(error), "steps": []}
            continue
        writes = comparison.wrong_writes
        if len(writes) > max(MOST_WRITES, 3 * len(steps)):
            shown[name] = {
                **entry,
                "error": f"its pass applies {len(writes)} edges: too many to show here",
                "steps": [],
            }
            continue
        shown[name] = {
            **entry,
            "explanation": comparison.explanation,
            "first_divergence": comparison.first_divergence,
            "position": None if comparison.divergent is None else comparison.divergent.position,
            "calls": comparison.calls,
            "steps": _wrong_rows(steps, comparison),
        }
    return shown


def _wrong_rows(steps: BackwardSteps, comparison) -> list[dict[str, Any]]:
    """A mistake's writes as step-through rows (the fields the page reads from a step)."""
    n = _number_text
    index = {node: i for i, node in enumerate(steps.order)}
    at = comparison._at  # the compared graph's values -> this graph's
    last = {at[w.parent]: i for i, w in enumerate(comparison.wrong_writes)}
    ordered = len(comparison.wrong_writes) == len(comparison.right_writes) and all(
        w.step == r.step for w, r in zip(comparison.wrong_writes, comparison.right_writes)
    )
    rows = []
    for i, w in enumerate(comparison.wrong_writes):
        child, parent = at[w.child], at[w.parent]
        contribution = w.contribution
        if w.lost:
            running, note = n(w.after), "lost: this pass never takes the edge"
        elif w.before and w.after == contribution and w.after != w.before + contribution:
            running, note = f"{n(w.after)} (overwrote {n(w.before)})", "overwrote"
        elif w.before:
            shown = f"({n(contribution)})" if contribution < 0 else n(contribution)
            running, note = f"{n(w.before)} + {shown} = {n(w.after)}", "added"
        else:
            running, note = n(w.after), "first"
        if w.repeat > 1:
            note += f", this edge again ({w.repeat}×)"
        if ordered and _differs(w.after, comparison.right_writes[i].after):
            note += f", backward(): {n(comparison.right_writes[i].after)}"
        if comparison.divergent is w:
            note = "FIRST DIVERGENCE: " + note
        edge = steps.edge_text(steps[w.step - 1])
        rows.append(
            {
                "number": i + 1,
                "step": w.step,
                "cells": [str(i + 1), edge, n(w.local), n(w.upstream), n(contribution), running, note],
                "child": f"v{index[child]}",
                "parent": f"v{index[parent]}",
                "edge_id": f"e{index[child]}_{w.argument}",
                "label": f"{fmt(w.local)} × {fmt(w.upstream)} = {fmt(contribution)}",
                "grad": fmt(w.after),
                "what": f"{edge}: {n(w.local)} × {n(w.upstream)} = {n(contribution)}",
                "sum": f"{steps.partial(parent)} = {running}",
                "final": last[parent] == i,
                "skipped": w.lost,
                "term": 1,
                "first": not w.before,
                "summing": False,
                "path_count": 0,
                "paths": [],
                "diverges": comparison.divergent is w,
            }
        )
    return rows


def _skipped_notice(steps: BackwardSteps) -> str | None:
    """A sentence when most steps add nothing (a zero gradient stops the flow early), else None."""
    skipped = [s for s in steps if s.skipped]
    if not steps or len(skipped) * 2 < len(steps):
        return None
    first = skipped[0]
    name = steps.names()[first.child]
    return (
        f"{len(skipped)} of {len(steps)} steps are skipped: the gradient reaching {name} is 0, so backward() "
        "passes nothing on from it (each skipped step adds 0)."
    )


SUMMARY_PATHS = 16  # the last frame lists the paths of one input: the one with most paths up to this many


def _summary(steps: BackwardSteps) -> dict[str, Any]:
    """What the last frame says: every input's gradient (the labelled leaves, else all leaves),
    equal to ``backward()``'s, and for one input with a few paths, the paths' products adding up."""
    final = steps.grads_after()
    leaves = [n for n in steps.order if n.is_leaf() and n is not steps.output]
    shown = [n for n in leaves if n.label] or leaves
    counts = _path_counts_to_output(steps.order)
    summary: dict[str, Any] = {
        "grads": [{"name": steps.partial(n), "grad": _number_text(final.get(n, 0.0))} for n in shown],
        "wrt": None,
    }
    few = [n for n in shown if 1 <= counts.get(n, 0) <= SUMMARY_PATHS]
    wrt = max(few, key=lambda n: counts[n], default=None)  # the sum over paths shows best with several
    if wrt is not None:
        names = steps.names()
        table = paths(steps.output, wrt, limit=SUMMARY_PATHS)
        summary.update(
            wrt=names[wrt],
            partial=steps.partial(wrt),
            paths=[{"route": _route(p, names), "product": _number_text(p.product)} for p in table],
            equation=f"{steps.partial(wrt)} = {_sum_written(p.product for p in table)}",
            grad=_number_text(final.get(wrt, 0.0)),
        )
    return summary


def _sum_written(terms) -> str:
    """``-6 + 2 + (-4) = -8``: the terms (negative ones after the first in parentheses) and their sum."""
    terms = list(terms)
    shown = [_number_text(t) if i == 0 or t >= 0 else f"({_number_text(t)})" for i, t in enumerate(terms)]
    written = " + ".join(shown)
    return f"{written} = {_number_text(math.fsum(terms))}" if len(terms) > 1 else written


def _script_json(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no `<`, `>` or `&` (so no ``</script>``
    or ``<!--``), and no U+2028/U+2029 (line breaks to old JavaScript)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def page_html(data: dict[str, Any]) -> str:
    """The standalone page: the template with the styles, the script and `data` inline."""
    parts = {
        "{{title}}": html.escape(str(data.get("title", "backward()"))),
        "{{css}}": asset_text("stepthrough.css"),
        "{{js}}": asset_text("stepthrough.js"),
        "{{data}}": _script_json(data),
    }
    page = asset_text("stepthrough.html")
    for marker in parts:  # each marker once, and inserted text is never searched again
        if page.count(marker) != 1:
            raise RuntimeError(f"micrograd/assets/stepthrough.html must contain {marker} exactly once")
    out, rest = [], page
    while rest:
        found = [(rest.find(m), m) for m in parts if rest.find(m) >= 0]
        if not found:
            out.append(rest)
            break
        at, marker = min(found)
        out += [rest[:at], parts[marker]]
        rest = rest[at + len(marker) :]
    return "".join(out)


def save_html(steps: BackwardSteps, path: str | os.PathLike, title: str | None = None, **options: Any) -> None:
    """Write the self-contained step-through page to `path`, atomically."""
    write_text_atomically(path, page_html(page_data(steps, title=title, **options)))


# --------------------------------------------------------------------------- Jupyter


def _widget_class():
    """The widget class, made on first use: anywidget is an optional dependency."""
    global _StepThrough
    if _StepThrough is None:
        try:
            import anywidget
            import traitlets
        except ImportError as error:
            raise ImportError(
                "the step-through widget needs anywidget: pip install 'micrograd-paths[notebooks]'"
            ) from error

        class StepThrough(anywidget.AnyWidget):
            """The step-through page's own view (stepthrough.js) in a notebook. `step` is the
            frame shown, kept in step both ways: set it from Python, read where the learner is."""

            _esm = asset_text("stepthrough.js") + asset_text("stepthrough_widget.js")
            _css = asset_text("stepthrough.css")
            data = traitlets.Unicode("{}").tag(sync=True)
            step = traitlets.Int(0).tag(sync=True)
            summary_text = ""

            def _repr_mimebundle_(self, **kwargs):
                bundle = super()._repr_mimebundle_(**kwargs)
                if isinstance(bundle, tuple):
                    bundle[0]["text/plain"] = self.summary_text
                elif isinstance(bundle, dict):
                    bundle["text/plain"] = self.summary_text
                return bundle

        _StepThrough = StepThrough
    return _StepThrough


_StepThrough = None
WIDGET_NOTE = "micrograd step-through"  # how the widget's text begins: notebooks/clean.py keeps that text


def _widget_note(data: dict[str, Any]) -> str:
    """What a notebook shows for the widget where it cannot run it (saved, reopened, no kernel)."""
    return (
        f"{WIDGET_NOTE}: {data['title']}. {data['heading']}.\n"
        "Run this cell with a live kernel to step through it; save_html(path) writes a page that needs none."
    )


def step_through(steps: BackwardSteps, interval_ms: int = 900, title: str | None = None, **options: Any):
    """The step-through in Jupyter: the page's view (stepthrough.js) as an anywidget, following
    the current edge, with previous / play / next, a slider and the step table. Options go to
    `page_data` (``rankdir``, ``hide``, ``params``…)."""
    _check_limit("interval_ms", interval_ms)
    data = page_data(steps, title=title, **options)
    data["interval_ms"] = interval_ms
    widget = _widget_class()(data=json.dumps(data, ensure_ascii=False, allow_nan=False))
    widget.summary_text = _widget_note(data)
    return widget


# --------------------------------------------------------------------------- the network, neuron by neuron


class NetworkSteps:
    """`draw_network` stepped neuron by neuron through a backward pass: δ of each layer
    computed from the next layer's (Nielsen's BP2) as ``backward()`` does it.

    Frame n (1 ≤ n ≤ len) is the network once the n-th neuron's δ = ∂C/∂z is known and
    ``backward()`` has passed it on (its ∂C/∂b, its weights' ∂C/∂w and its share of the
    previous layer's ∂C/∂a), neurons in the order ``backward()`` finishes them. The neuron
    has a red border, the caption gives BP1 or BP2 with the numbers, the weights that
    carried the next layer's δ back are thick and purple (the gradients' colour), and
    every gradient not yet known is ``?``. Frame 0 is before any neuron (the
    cost's own steps only). Make one with ``backward_steps(cost).network(model, outputs)``.

    >>> from micrograd import backward_steps
    >>> from micrograd.nn import MLP
    >>> model = MLP(2, [3, 3, 2], activation="sigmoid", seed=1)
    >>> out = model([0.5, -1.0])
    >>> cost = 0.5 * ((out[0] - 1) ** 2 + out[1] ** 2)
    >>> frames = backward_steps(cost).network(model, out)
    >>> len(frames), frames.neurons[:3]     # output layer first (BP1), then back layer by layer
    (8, [(3, 0), (3, 1), (2, 0)])
    """

    def __init__(self, steps: BackwardSteps, model: object, outputs: object, show_weights: bool | None = None) -> None:
        from micrograd.viz.network import _AUTO_WEIGHT_LABELS_UP_TO, _layers_of, _trace, _value_list

        self.steps = steps
        self.layers = _layers_of(model)
        self.trace = _trace(self.layers, _value_list("outputs", outputs), grads=True)
        self.sizes = [len(self.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in self.layers]
        if show_weights is None:
            show_weights = max(m * n for m, n in pairwise(self.sizes)) <= _AUTO_WEIGHT_LABELS_UP_TO
        self.show_weights = show_weights
        done: dict[Value, int] = {}  # the step after which each value's own edges are all walked
        for step in steps:
            done[step.child] = step.number
        zs = {(c, k): z for c, layer in enumerate(self.trace.z, 1) for k, z in enumerate(layer)}
        missing = [spot for spot, z in zs.items() if z not in done]
        if missing:
            raise ValueError(
                "the network's outputs are not part of this backward pass: pass the outputs the cost was made from"
            )
        self.neurons = sorted(zs, key=lambda spot: done[zs[spot]])
        self._after = [done[zs[spot]] for spot in self.neurons]
        self._before = min(s.number for s in steps if s.child in zs.values()) - 1

    def __len__(self) -> int:
        return len(self.neurons)

    def step_number(self, n: int) -> int:
        """The number of backward steps frame `n` stands after."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= len(self):
            raise ValueError(f"frame must be an int from 0 to {len(self)} (the number of neurons), got {n!r}")
        return self._after[n - 1] if n else self._before

    def draw(self, n: int) -> graphviz.Digraph:
        """The network after `n` neurons' δ are known (see the class)."""
        from micrograd.viz.network import _Marks, _network_drawing, _spot_name

        k = self.step_number(n)
        known = self.steps.grads_after(k)
        marks = _Marks(grad=known.get)
        marks.caption = "before any neuron: the cost's own steps" if n == 0 else ""
        if n:
            spot = self.neurons[n - 1]
            c, j = spot
            marks.spots = {spot}
            if c < len(self.layers):  # BP2: the next layer's δ come back along its weights
                marks.weights = {(c + 1, i, j) for i in range(self.sizes[c + 1])}
                marks.colour = GRAD_INK
            where = _spot_name(self.layers, spot)
            marks.caption = f"neuron {n} of {len(self)}, {where}:   {self.equation(n)}"
        return _network_drawing(self.layers, self.sizes, self.trace, self.show_weights, True, marks)

    def equation(self, n: int) -> str:
        """BP1 or BP2 with frame `n`'s numbers: ``BP2: δ = (0.0047 + (-0.0022)) × 0.19 = 0.0005``."""
        c, j = self.neurons[n - 1]
        z, a = self.trace.z[c - 1][j], self.trace.a[c - 1][j]
        k = self.step_number(n)
        terms = [fmt(t) if i == 0 or t >= 0 else f"({fmt(t)})" for i, t in enumerate(self.steps.terms_after(a, k))]
        known = self.steps.grads_after(k)
        delta = fmt(known[z])
        if c == len(self.layers):  # the cost's own derivative arrives at the output activation
            equation, symbols, incoming = "BP1", "∂C/∂a", fmt(known.get(a, 0.0))
        else:  # one term w·δ from each neuron of the next layer: the sum over k
            equation, symbols = "BP2", "(Σ w·δ)"
            incoming = f"({' + '.join(terms)})" if len(terms) > 1 else (terms[0] if terms else "0")
        if a is z:  # a linear neuron: δ is the sum itself
            return f"{equation}: δ = {symbols} = {incoming} = {delta}"
        return f"{equation}: δ = {symbols} × σ'(z) = {incoming} × {fmt(a.local_grads[0])} = {delta}"

    def page_data(self, title: str | None = None) -> dict[str, Any]:
        """The neuron view as the step-through's data (``mode: "frames"``): one drawing per
        neuron (the network is small: every frame is a run of `dot`, on all cores) and the
        caption with BP1 or BP2's numbers. See the top of stepthrough.js."""
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # dot runs as a subprocess
            frames = list(pool.map(lambda n: _svg(self.draw(n)), range(len(self) + 1)))
        from micrograd.viz.network import _spot_name

        names = self.steps.names()
        rows = []
        for n in range(1, len(self) + 1):
            where, equation = _spot_name(self.layers, self.neurons[n - 1]), self.equation(n)
            rows.append({"number": n, "cells": [str(n), where, equation], "what": f"{where}: {equation}"})
        return {
            "version": 2,
            "mode": "frames",
            "title": (
                visible(title) if title is not None else f"backward() of {names[self.steps.output]}, neuron by neuron"
            ),
            "heading": (
                f"{len(self)} neurons, output layer first: δ = ∂C/∂z by BP1 at the output, then BP2 layer by layer"
            ),
            "columns": ["neuron", "where", "equation"],
            "steps": rows,
            "frames": frames,
            "start": "Before any neuron: the cost has passed ∂C/∂a back to the output layer.",
            "notice": None,
        }

    def save_html(self, path: str | os.PathLike, title: str | None = None) -> None:
        """Write the neuron view as a self-contained page (the step-through's), atomically."""
        write_text_atomically(path, page_html(self.page_data(title=title)))

    def widget(self, interval_ms: int = 1200, title: str | None = None):
        """Step through the neurons in Jupyter: the page's own view, as a widget."""
        data = {**self.page_data(title=title), "interval_ms": interval_ms}
        widget = _widget_class()(data=json.dumps(data, ensure_ascii=False, allow_nan=False))
        widget.summary_text = _widget_note(data)
        return widget


for _view_function in (draw_step, page_data, save_html, step_through, NetworkSteps):
    register_view(_view_function.__name__, _view_function)
