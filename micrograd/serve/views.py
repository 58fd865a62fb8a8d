"""The drawings of the explorer, made by `micrograd.viz` and laid out by Graphviz as SVG.

Each view works on a private copy of the session's model (`Session.snapshot`), so it runs
outside the session's lock while training goes on, and never touches the session's grads.
"""

from __future__ import annotations

import subprocess

from micrograd.nn import MLP
from micrograd.serve.session import BadRequest, Settings, _int, example_loss, parameter_names
from micrograd.steps import backward_steps
from micrograd.viz import DEFAULT_MAX_NODES, draw_dot, draw_network
from micrograd.viz.steps import pack_frames

DRAW_SECONDS = 10.0  # the longest a drawing may take
STEP_THROUGH_MAX = 120  # steps: the step-through draws one picture per step, `dot` ~50 ms each


def _svg(drawing) -> str:
    """The drawing as an inline <svg> element (Graphviz's XML prologue dropped), laid out by
    Graphviz within `DRAW_SECONDS`: a huge graph is refused, never left to run for minutes."""
    try:
        done = subprocess.run(
            [drawing.engine, "-Tsvg"], input=drawing.source, capture_output=True, text=True, timeout=DRAW_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise BadRequest(
            f"Graphviz took over {DRAW_SECONDS:g} s to lay this out: choose smaller hidden layers"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's {drawing.engine} failed: {done.stderr.strip().splitlines()[:1]}")
    return done.stdout[done.stdout.index("<svg") :]


def _chosen(points: list[list], index: object) -> list:
    if not points:
        raise BadRequest("there are no points: add one first")
    return points[_int("point", index, 0, len(points) - 1)]


def network_view(model: MLP, settings: Settings, points: list[list], index: object) -> dict:
    """`draw_network` for the selected point: b, z, a and ∂C/∂· per neuron, w and ∂C/∂w,
    where C is that point's loss; without a point, the weights and biases alone."""
    if index is None:
        return {"svg": _svg(draw_network(model, show_grads=False)), "point": None}
    point = _chosen(points, index)
    cost, _, out = example_loss(model, settings, point)
    cost.backward()
    return {"svg": _svg(draw_network(model, outputs=out)), "point": index, "loss": cost.data}


def graph_view(model: MLP, settings: Settings, points: list[list], index: object, show_parameters: object) -> dict:
    """The computation graph of one point's forward pass and loss, after `backward()`, with
    the parameters drawn or hidden, and the step-through of that backward pass."""
    if not isinstance(show_parameters, bool):
        raise BadRequest(f"parameters must be true or false, got {show_parameters!r}")
    point = _chosen(points, index)
    params = model.parameters()  # named w[2,1,1]... by the MLP itself
    cost, inputs, _ = example_loss(model, settings, point)
    cost.backward()
    hidden = None if show_parameters else params
    # The limit on values drawn counts hidden leaves too; only the drawn ones make it unreadable.
    limit = DEFAULT_MAX_NODES + (len(params) if hidden else 0)
    try:
        drawing = draw_dot(cost, params=params, inputs=inputs, hide=hidden, max_nodes=limit)
    except ValueError as error:  # too many values to draw
        fix = "choose smaller hidden layers" if hidden else "hide the parameters"
        raise BadRequest(f"{str(error).split(', over')[0]}, too many to draw: {fix}") from None
    return {
        "svg": _svg(drawing),
        "point": index,
        "loss": cost.data,
        "grads": [p.grad for p in params],
        "input_grads": [x.grad for x in inputs],
    }


def steps_view(model: MLP, settings: Settings, points: list[list], index: object) -> dict:
    """The step-through of one point's backward pass (`backward_steps(C).page_data()`, shown by
    the step-through page's own script), with the gradients `backward()` gives to compare."""
    point = _chosen(points, index)
    params = model.parameters()  # named w[2,1,1]... by the MLP itself
    cost, _, _ = example_loss(model, settings, point)
    steps = backward_steps(cost)
    if len(steps) > STEP_THROUGH_MAX:
        raise BadRequest(
            f"this example's backward pass has {len(steps)} steps, one picture each; the step-through "
            f"shows up to {STEP_THROUGH_MAX}: choose smaller hidden layers (e.g. 3,3) to step through it"
        )
    data = steps.page_data(title=f"backward() of point {index}'s loss")
    packed = pack_frames(data["frames"])  # a step changes a few boxes: send only what changes
    if packed:
        data = {**data, "frames": None, "packed_frames": packed}
    cost.backward()
    return {"point": index, "page": data, "grads": {name: p.grad for name, p in zip(parameter_names(model), params)}}
