"""The drawings of the explorer, made by `micrograd.viz` and laid out by Graphviz as SVG.

Each view works on a private copy of the session's model (`Session.snapshot`), so it runs
outside the session's lock while training goes on, and never touches the session's grads.
"""

from __future__ import annotations

import subprocess

from micrograd.mistakes import NAMES
from micrograd.nn import MLP
from micrograd.serve.session import BadRequest, Settings, _int, example_loss, parameter_names
from micrograd.steps import backward_steps
from micrograd.viz import DEFAULT_MAX_NODES, draw_dot, draw_network
from micrograd.viz.steps import mistake_data

DRAW_SECONDS = 10.0  # the longest a drawing may take


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


STEP_VIEWS = ("graph", "neurons")  # the computation graph edge by edge, or the network neuron by neuron (BP2)


def steps_view(
    model: MLP, settings: Settings, points: list[list], index: object, view: object = "graph", mistake: object = None
) -> dict:
    """The step-through of one point's backward pass (`backward_steps(C).page_data()`, shown by
    the step-through page's own script), with the gradients `backward()` gives to compare.
    `view` "neurons" steps through the network neuron by neuron instead (BP1, then BP2).
    With `mistake` (a name of ``micrograd.mistakes.NAMES``), only that mistake's pass, which
    the page's selector shows beside the right one: the page fetches it when it is chosen."""
    if view not in STEP_VIEWS:
        raise BadRequest(f"view must be one of {', '.join(STEP_VIEWS)}, got {view!r}")
    if mistake is not None and mistake not in NAMES:
        raise BadRequest(f"mistake must be one of {', '.join(NAMES)}, got {mistake!r}")
    point = _chosen(points, index)
    params = model.parameters()  # named w[2,1,1]... by the MLP itself
    cost, _, out = example_loss(model, settings, point)
    steps = backward_steps(cost)
    if mistake is not None:
        return {"point": index, "mistake": mistake_data(steps, mistake)}
    if view == "neurons":
        data = steps.network(model, out).page_data(title=f"backward() of point {index}'s loss C, neuron by neuron")
    else:
        try:
            data = steps.page_data(
                title=f"backward() of point {index}'s loss C",
                notice=_zero_loss_notice(settings, cost),
                mistakes=(),  # each mistake's pass is fetched when the learner picks it
            )
        except ValueError as error:  # over the drawings' limit of values
            raise BadRequest(
                f"{str(error).split(', over')[0]}, too many to step through: choose smaller hidden layers"
            ) from None
    cost.backward()
    return {
        "point": index,
        "view": view,
        "page": data,
        "grads": {name: p.grad for name, p in zip(parameter_names(model), params)},
    }


def _zero_loss_notice(settings: Settings, cost) -> str | None:
    """Why nothing flows back from a point the hinge loss is content with (else None)."""
    if settings.loss == "hinge" and cost.data == 0:
        return (
            "This point's loss is 0: the hinge max(0, 1 − y·score) is past its margin (y·score ≥ 1), so its "
            "gradient is 0 and backward() skips every step after it. Click a misclassified point (or one near "
            "the boundary) to watch gradients flow."
        )
    return None
