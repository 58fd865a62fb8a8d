"""One learner's explorer: the points, the model, its optimiser and what training recorded.

A `Session` is the state behind one browser tab. Every change goes through a method that
checks all of its input first and only then touches the state, so a bad request leaves the
session as it was (`BadRequest` says what was wrong, in one line). The numbers the page
shows all come from here: losses and accuracies from `micrograd.train.fit`, decision
regions from the model's own forward pass, drawings from `micrograd.viz`.

Sizes are bounded (`LIMITS`) so that no request can take long: one training step on the
largest model and data set allowed takes about a second, and a run of steps stops at a
time budget.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from micrograd import losses
from micrograd.data import DATASETS
from micrograd.engine import Value, no_grad
from micrograd.nn import ACTIVATIONS, MLP, from_dict
from micrograd.notation import role, shown
from micrograd.optim import SGD, Adam
from micrograd.train import fit

SAVE_FORMAT = "micrograd-explorer"
SAVE_VERSION = 1

LIMITS = {
    "points": 500,  # points in the data set (the page's own and generated ones)
    "layers": 4,  # hidden layers
    "width": 32,  # neurons in a hidden layer
    "steps": 100,  # training steps in one request
    "lr": 10.0,
    "l2": 1.0,
    "seed": 2**31 - 1,
    "coordinate": 1e3,  # |x| and |y| of a point
    "history": 200_000,  # steps of the loss and accuracy curves kept in a saved session (the latest)
}
STEP_BUDGET = 1.0  # seconds: a request for many steps stops after this (at least one step runs)
GRID = 30  # decision regions are evaluated on GRID x GRID points
MOMENTUM = 0.9
OPTIMIZERS = ("sgd", "momentum", "adam")
LOSSES = {  # name -> outputs the model needs ("classes": one per class)
    "hinge": 1,
    "binary_cross_entropy": 1,
    "cross_entropy": "classes",
}
DEFAULT_LR = {"sgd": 0.3, "momentum": 0.05, "adam": 0.02}


class BadRequest(ValueError):
    """What the user asked for cannot be done; the message is one line for the page."""

    status = 400


class Conflict(BadRequest):
    """The request is well formed but the session's state does not allow it now."""

    status = 409


@dataclass(frozen=True)
class Settings:
    """What the controls choose. Changing the model-shaping ones builds a new model."""

    dataset: str = "moons"
    samples: int = 100
    hidden: tuple[int, ...] = (4, 4)  # small enough to step through one example's backward pass
    activation: str = "tanh"  # on moons, 2-4-4-1 with tanh finds the shape in ~200 steps; ReLU units die
    loss: str = "hinge"
    optimizer: str = "sgd"
    lr: float = 0.3
    l2: float = 1e-4
    seed: int = 1337

    def to_json(self) -> dict:
        return {**self.__dict__, "hidden": list(self.hidden)}


MODEL_KEYS = ("hidden", "activation", "loss", "seed", "dataset")  # changing one of these builds a new model


# --------------------------------------------------------------------------- checking input


def _int(name: str, x: object, low: int, high: int) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise BadRequest(f"{name} must be a whole number, got {_shown(x)}")
    if not low <= x <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, got {x}")
    return x


def _float(name: str, x: object, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise BadRequest(f"{name} must be a number, got {_shown(x)}")
    x = float(x)
    if not math.isfinite(x) or x < low or x > high or (low_open and x == low):
        bracket = "(" if low_open else "["
        raise BadRequest(f"{name} must be a finite number in {bracket}{low:g}, {high:g}], got {_shown(x)}")
    return x


def _choice(name: str, x: object, choices) -> str:
    if not isinstance(x, str) or x not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(choices)}, got {_shown(x)}")
    return x


def _shown(x: object) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:40] + "..."


def _hidden(x: object) -> tuple[int, ...]:
    if isinstance(x, str):  # "16,16" as typed; "" is no hidden layer
        parts = [p.strip() for p in x.split(",") if p.strip()]
        try:
            x = [int(p) for p in parts]
        except ValueError:
            raise BadRequest(f"hidden must be layer sizes separated by commas, like 16,16; got {_shown(x)}") from None
    if not isinstance(x, list):
        raise BadRequest(f"hidden must be a list of layer sizes, got {_shown(x)}")
    if len(x) > LIMITS["layers"]:
        raise BadRequest(f"hidden may have at most {LIMITS['layers']} layers, got {len(x)}")
    return tuple(_int("every hidden layer size", n, 1, LIMITS["width"]) for n in x)


_SETTING_CHECKS = {
    "dataset": lambda x: _choice("dataset", x, DATASETS),
    "samples": lambda x: _int("samples", x, 2, LIMITS["points"]),
    "hidden": _hidden,
    "activation": lambda x: _choice("activation", x, ACTIVATIONS),
    "loss": lambda x: _choice("loss", x, LOSSES),
    "optimizer": lambda x: _choice("optimizer", x, OPTIMIZERS),
    "lr": lambda x: _float("learning rate", x, 0.0, LIMITS["lr"], low_open=True),
    "l2": lambda x: _float("l2", x, 0.0, LIMITS["l2"]),
    "seed": lambda x: _int("seed", x, 0, LIMITS["seed"]),
}


def check_settings(current: Settings, changes: object) -> Settings:
    """`current` with `changes` (a dict from the page) applied, every value checked."""
    if not isinstance(changes, dict):
        raise BadRequest(f"settings must be an object, got {_shown(changes)}")
    unknown = sorted(set(changes) - set(_SETTING_CHECKS))
    if unknown:
        raise BadRequest(f"unknown setting {unknown[0]!r}; known: {', '.join(_SETTING_CHECKS)}")
    new = replace(current, **{k: _SETTING_CHECKS[k](v) for k, v in changes.items()})
    if "optimizer" in changes and "lr" not in changes and new.optimizer != current.optimizer:
        new = replace(new, lr=DEFAULT_LR[new.optimizer])  # Adam's steps are larger: its own usual rate
    n_classes = DATASETS[new.dataset][1]
    if "dataset" in changes and "loss" not in changes and not _loss_fits(new.loss, n_classes):
        new = replace(new, loss="cross_entropy")  # a new data set with more classes: the loss that fits
    if not _loss_fits(new.loss, n_classes):
        raise BadRequest(f"the {new.loss} loss is for two classes; {new.dataset} has {n_classes}: use cross_entropy")
    return new


def _loss_fits(loss: str, n_classes: int) -> bool:
    return LOSSES[loss] == "classes" or n_classes == 2


def _point(p: object, n_classes: int, where: str) -> list:
    if not isinstance(p, list) or len(p) != 3:
        raise BadRequest(f"{where} must be [x, y, class], got {_shown(p)}")
    limit = LIMITS["coordinate"]
    return [
        _float(f"{where} x", p[0], -limit, limit),
        _float(f"{where} y", p[1], -limit, limit),
        _int(f"{where} class", p[2], 0, n_classes - 1),
    ]


# --------------------------------------------------------------------------- the session


@dataclass
class _Run:
    """A model, its optimiser and what training it recorded; replaced on re-initialising."""

    number: int
    model: MLP
    optimizer: SGD | Adam
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    grads: list[float] = field(default_factory=list)  # each parameter's grad in the last step
    before: list[float] = field(default_factory=list)  # each parameter's value before it


class Session:
    """The state behind one browser tab. Methods are not thread-safe: hold `lock`."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.lock = threading.Lock()
        self.settings = settings or Settings()
        self.points: list[list] = []
        self.view = (-1.0, 1.0, -1.0, 1.0)
        self._runs = 0
        self._generate_points()
        self._new_run()

    # -- building

    @property
    def n_classes(self) -> int:
        return DATASETS[self.settings.dataset][1]

    def _generate_points(self) -> None:
        make, _ = DATASETS[self.settings.dataset]
        X, y = make(self.settings.samples, seed=self.settings.seed)
        self.points = [[x1, x2, c] for (x1, x2), c in zip(X, y)]
        self.view = _frame(self.points)

    def _outputs(self) -> int:
        return self.n_classes if LOSSES[self.settings.loss] == "classes" else 1

    def _new_run(self, model: MLP | None = None) -> None:
        s = self.settings
        if model is None:
            model = MLP(2, [*s.hidden, self._outputs()], activation=s.activation, seed=s.seed)
        self._runs += 1
        self.run = _Run(self._runs, model, self._optimizer(model))
        self.names = parameter_names(model)

    def _optimizer(self, model: MLP) -> SGD | Adam:
        s = self.settings
        if s.optimizer == "adam":
            return Adam(model.parameters(), lr=s.lr)
        return SGD(model.parameters(), lr=s.lr, momentum=MOMENTUM if s.optimizer == "momentum" else 0.0)

    # -- all or nothing

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo everything done inside if it raises: a refused request changes nothing.

        What a change may touch is kept aside first: the settings, points, view and run
        (replaced whole by a change), and what a training step changes in place (the
        parameters' data and grads, the optimiser's state, the curves).
        """
        run = self.run
        params = run.model.parameters()
        kept = (
            self.settings,
            list(self.points),
            self.view,
            self._runs,
            run,
            self.names,
            run.model,
            run.optimizer,  # the object: a change of optimiser replaces it
            [p.data for p in params],
            [p.grad for p in params],
            dict(vars(run.optimizer)),  # and its state: a step or a new rate changes it in place
            (list(run.loss), list(run.accuracy), run.grads, run.before),
        )
        try:
            yield
        except BaseException:
            (settings, points, view, runs, run, names, model, optimizer, data, grads, state, curves) = kept
            self.settings, self.points, self.view, self._runs, self.run, self.names = (
                settings,
                points,
                view,
                runs,
                run,
                names,
            )
            run.model, run.optimizer = model, optimizer
            for p, d, g in zip(model.parameters(), data, grads):
                p.data, p.grad = d, g
            vars(optimizer).clear()
            vars(optimizer).update(state)
            run.loss, run.accuracy, run.grads, run.before = curves
            raise

    def checked_state(self, run: object = None, since: object = 0, weight: object = None) -> dict:
        """`state`, with a model whose forward pass overflows on the view a `Conflict`."""
        try:
            return self.state(run, since, weight)
        except ArithmeticError as error:
            raise Conflict(f"the model's forward pass overflows a float on the view ({_first_line(error)})") from None

    # -- changes from the page

    def update_settings(self, changes: object) -> None:
        new = check_settings(self.settings, changes)
        old, self.settings = self.settings, new
        if (new.dataset, new.samples) != (old.dataset, old.samples):
            self._generate_points()  # the seed alone seeds the weights: it keeps the learner's points
        if any(getattr(new, k) != getattr(old, k) for k in MODEL_KEYS):
            self._new_run()
        elif new.optimizer != old.optimizer:
            self.run.optimizer = self._optimizer(self.run.model)  # a fresh optimiser state
        else:
            self.run.optimizer.lr = new.lr  # momentum and Adam's moments carry on

    def reinitialise(self) -> None:
        self._new_run()

    def reset_points(self) -> None:
        self._generate_points()

    def clear_points(self) -> None:
        self.points = []

    def add_point(self, x: object, y: object, label: object) -> None:
        point = _point([x, y, label], self.n_classes, "the point")
        if len(self.points) >= LIMITS["points"]:
            raise Conflict(f"the data set already has the most points allowed ({LIMITS['points']})")
        self.points.append(point)

    def remove_point(self, index: object) -> None:
        if not self.points:
            raise Conflict("there are no points to remove")
        i = _int("index", index, 0, len(self.points) - 1)
        del self.points[i]

    # -- training

    def step(self, steps: object, budget: float = STEP_BUDGET) -> int:
        """Train for up to `steps` steps (stopping after `budget` seconds); how many ran."""
        n = _int("steps", steps, 1, LIMITS["steps"])
        if not self.points:
            raise Conflict("there are no points to train on: add some, or reset the data")
        with self.transaction():  # a step that fails takes back the steps before it too
            return self._step(n, budget)

    def _step(self, n: int, budget: float) -> int:
        run, s = self.run, self.settings
        X = [p[:2] for p in self.points]
        y = [p[2] for p in self.points]
        deadline = time.perf_counter() + budget
        done = 0
        params = run.model.parameters()
        while done < n and (done == 0 or time.perf_counter() < deadline):
            before = [p.data for p in params]
            try:
                history = fit(run.model, X, y, loss=s.loss, optimizer=run.optimizer, steps=1, l2=s.l2, progress=False)
            except ArithmeticError as error:  # the optimiser left the model as it was
                raise Conflict(f"{_first_line(error)} (training paused)") from None
            run.loss += history.loss
            run.accuracy += history.accuracy
            run.grads = [p.grad for p in params]
            run.before = before
            done += 1
        return done

    # -- what the page shows

    def check_view(self, run: object = None, since: object = 0, weight: object = None) -> None:
        """Raise `BadRequest` if `state` would refuse these; called before a change, so that a
        bad view never follows a change already made."""
        if run == self.run.number:
            _int("since", since, 0, len(self.run.loss))
        self.optimizer_state(weight)

    def state(self, run: object = None, since: object = 0, weight: object = None) -> dict:
        """Everything the page draws: points, regions, the curves (from `since` on, or all of
        them if the page's `run` is not the current one) and the optimiser state of `weight`."""
        current = self.run
        fresh = run != current.number
        start = 0 if fresh else _int("since", since, 0, len(current.loss))
        doc = {
            "run": current.number,
            "since": start,
            "settings": self.settings.to_json(),
            "classes": self.n_classes,
            "points": self.points,
            "view": list(self.view),
            "regions": self._regions(),
            "steps": len(current.loss),
            "loss": current.loss[start:],
            "accuracy": current.accuracy[start:],
            "optimizer": self.optimizer_state(weight),
        }
        if fresh:
            doc["parameters"] = self.names
        return doc

    def _regions(self) -> dict:
        return _regions(self.run.model, self.view)

    def optimizer_state(self, weight: object) -> dict | None:
        """What the optimiser holds for parameter `weight` (an index), or None if not asked."""
        if weight is None:
            return None
        run = self.run
        params = run.model.parameters()
        i = _int("weight", weight, 0, len(params) - 1)
        opt = run.optimizer
        doc = {
            "index": i,
            "name": self.names[i],
            "value": params[i].data,
            "grad": run.grads[i] if run.grads else None,
            "update": params[i].data - run.before[i] if run.before else None,
            "lr": opt.lr,
            "kind": self.settings.optimizer,
        }
        if isinstance(opt, Adam):
            beta1, beta2 = opt.betas
            doc.update(m=opt.m[i], v=opt.v[i], t=opt.t, beta1=beta1, beta2=beta2, eps=opt.eps)
            if opt.t:  # the bias-corrected moments Adam's last step used
                doc.update(m_hat=opt.m[i] / (1 - beta1**opt.t), v_hat=opt.v[i] / (1 - beta2**opt.t))
        elif opt.momentum:
            doc.update(buffer=opt.buffers[i] if opt.buffers else None, momentum=opt.momentum)
        return doc

    def snapshot(self) -> tuple[MLP, Settings, list[list]]:
        """A private copy of the model (and the settings and points), for drawing outside the
        lock: training can go on meanwhile, and the drawing never touches the session's grads."""
        return from_dict(self.run.model.to_dict()), self.settings, [list(p) for p in self.points]

    # -- saving

    def save(self) -> dict:
        """The session as JSON: the model in `MLP.save`'s format, the points, the settings and
        the curves (their latest `LIMITS["history"]` steps)."""
        keep = LIMITS["history"]
        return {
            "format": SAVE_FORMAT,
            "version": SAVE_VERSION,
            "settings": self.settings.to_json(),
            "points": self.points,
            "model": self.run.model.to_dict(),
            "history": {"loss": self.run.loss[-keep:], "accuracy": self.run.accuracy[-keep:]},
        }

    def load(self, doc: object) -> None:
        """Replace the session with a saved one (the optimiser starts afresh)."""
        if not isinstance(doc, dict) or doc.get("format") != SAVE_FORMAT:
            raise BadRequest(f"not a saved explorer session (its 'format' is not {SAVE_FORMAT!r})")
        if doc.get("version") != SAVE_VERSION:
            raise BadRequest(f"cannot read version {_shown(doc.get('version'))} of a saved session")
        settings = check_settings(Settings(), doc.get("settings"))
        points = doc.get("points")
        if not isinstance(points, list) or len(points) > LIMITS["points"]:
            raise BadRequest(f"points must be a list of at most {LIMITS['points']} points")
        n_classes = DATASETS[settings.dataset][1]
        points = [_point(p, n_classes, f"points[{i}]") for i, p in enumerate(points)]
        try:
            model = from_dict(doc.get("model"), "the saved session")
        except ValueError as error:
            raise BadRequest(str(error)) from None
        expected = [2, *settings.hidden, n_classes if LOSSES[settings.loss] == "classes" else 1]
        shape = [len(model.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in model.layers]
        if shape != expected:
            raise BadRequest(f"the saved model has layer sizes {shape} but its settings need {expected}")
        activations = [layer.neurons[0].activation for layer in model.layers]
        wanted = [settings.activation] * len(settings.hidden) + ["linear"]
        if activations != wanted:
            raise BadRequest(
                f"the saved model's layers use the activations {activations} but its settings need {wanted} "
                f"(activation {settings.activation!r}, a linear output layer)"
            )
        history = doc.get("history", {"loss": [], "accuracy": []})
        curves = _history(history)
        view = _frame(points) if points else self.view
        try:  # what every view will compute: refused now rather than failing on every request after
            _regions(model, view)
            with no_grad():
                for p in points:
                    model(p[:2])
        except ArithmeticError as error:
            raise BadRequest(f"the saved model's forward pass overflows a float ({_first_line(error)})") from None
        # Everything is checked: only now is anything replaced.
        self.settings, self.points, self.view = settings, points, view
        self._new_run(model)
        self.run.loss, self.run.accuracy = curves


def _history(history: object) -> tuple[list[float], list[float]]:
    if not isinstance(history, dict):
        raise BadRequest("history must be an object with 'loss' and 'accuracy' lists")
    curves = []
    for key in ("loss", "accuracy"):
        values = history.get(key, [])
        if not isinstance(values, list) or len(values) > LIMITS["history"]:
            raise BadRequest(f"history.{key} must be a list of at most {LIMITS['history']} numbers")
        curves.append([_float(f"history.{key}", v, -math.inf, math.inf) for v in values])
    return curves[0], curves[1]


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def _regions(model: MLP, view: tuple[float, float, float, float]) -> dict:
    """The model's class and confidence on a GRID x GRID lattice over the view."""
    x0, x1, y0, y1 = view
    classes, confidence = [], []
    with no_grad():
        for i in range(GRID):  # rows from the top (largest y) down, as an image
            y = y1 - (y1 - y0) * (i + 0.5) / GRID
            for j in range(GRID):
                out = model([x0 + (x1 - x0) * (j + 0.5) / GRID, y])
                k, c = _decision(out)
                classes.append(k)
                confidence.append(round(c, 3))
    return {"size": GRID, "classes": classes, "confidence": confidence}


def _frame(points: list[list]) -> tuple[float, float, float, float]:
    """A square view around the points with a margin, fixed until the data is regenerated."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 1e-3) / 2 * 1.25
    return (cx - half, cx + half, cy - half, cy + half)


def _decision(out) -> tuple[int, float]:
    """The class of a model output and how sure the model is, in [0, 1].

    One output (a score): class 1 when positive, sure once past the hinge loss's margin of 1.
    Several (logits): the largest, sure as its softmax probability rises from 1/k to 1.
    """
    if isinstance(out, Value):
        return (1 if out.data > 0 else 0), min(1.0, abs(out.data))
    logits = [v.data for v in out]
    k = max(range(len(logits)), key=logits.__getitem__)
    top = logits[k]
    p = 1.0 / sum(math.exp(z - top) for z in logits)
    chance = 1.0 / len(logits)
    return k, (p - chance) / (1.0 - chance)


def parameter_names(model: MLP) -> list[str]:
    """One name per parameter in `parameters()` order, as the drawings show the names `MLP`
    gives them: wˡⱼₖ for a weight, bˡⱼ for a bias, with Nielsen's layer numbers (the input
    is layer 1, the first hidden layer 2) and neurons and inputs counted from 1."""
    names = []
    for number, layer in enumerate(model.layers, 2):
        for j, neuron in enumerate(layer.neurons, 1):
            names += [shown(role("w", number, j, k)) for k in range(1, len(neuron.w) + 1)]
            names.append(shown(role("b", number, j)))
    return names


def example_loss(model: MLP, settings: Settings, point: list) -> tuple[Value, list[Value], object]:
    """The loss C of one point (no L2), with labelled inputs: (C, inputs, model output)."""
    x = [Value(point[0], label=role("x", 1)), Value(point[1], label=role("x", 2))]
    out = model(x)
    label = point[2]
    if settings.loss == "hinge":
        out.label = "score"
        cost = losses.hinge([out], [2 * label - 1])
    elif settings.loss == "binary_cross_entropy":
        out.label = "logit"
        cost = losses.binary_cross_entropy([out], [label])
    else:
        for k, v in enumerate(out):
            v.label = f"logit {k}"
        cost = losses.cross_entropy([out], [label])
    cost.label = "C"
    return cost, x, out
