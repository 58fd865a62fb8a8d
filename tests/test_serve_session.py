"""The explorer's session: every change checked before it is made, numbers from the engine."""

import math

import pytest

from micrograd.data import make_moons, make_spiral
from micrograd.nn import MLP
from micrograd.optim import SGD, Adam
from micrograd.serve.session import DEFAULT_LR, GRID, LIMITS, BadRequest, Conflict, Session, Settings, check_settings
from micrograd.train import fit


def fingerprint(session: Session) -> tuple:
    """Everything a bad request must leave as it was."""
    return (
        session.settings,
        [list(p) for p in session.points],
        session.run.number,
        [p.data for p in session.run.model.parameters()],
        list(session.run.loss),
    )


def test_a_step_reports_the_loss_fit_reports_for_the_same_seed():
    session = Session(Settings(seed=7, lr=0.3))
    session.step(1)
    session.step(2)
    X, y = make_moons(100, seed=7)
    model = MLP(2, [4, 4, 1], activation="tanh", seed=7)
    history = fit(
        model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=0.3), steps=3, l2=1e-4, progress=False
    )
    assert session.run.loss == history.loss
    assert session.run.accuracy == history.accuracy
    assert [p.data for p in session.run.model.parameters()] == [p.data for p in model.parameters()]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"lr": math.nan}, "learning rate must be a finite number"),
        ({"lr": math.inf}, "learning rate must be a finite number"),
        ({"lr": 0}, "learning rate must be a finite number in (0"),
        ({"lr": "fast"}, "learning rate must be a number, got 'fast'"),
        ({"lr": True}, "learning rate must be a number"),
        ({"hidden": [10**6]}, "every hidden layer size must be between 1 and 32, got 1000000"),
        ({"hidden": [4] * 10}, "hidden may have at most 4 layers"),
        ({"hidden": "4,x"}, "hidden must be layer sizes separated by commas"),
        ({"samples": 10**6}, "samples must be between 2 and 500"),
        ({"seed": -1}, "seed must be between 0"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"bogus": 1}, "unknown setting 'bogus'"),
        ({"dataset": "spiral", "loss": "hinge"}, "the hinge loss is for two classes"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(changes, message):
    session = Session()
    before = fingerprint(session)
    with pytest.raises(BadRequest, match=message.replace("(", r"\(")):
        session.update_settings(changes)
    assert fingerprint(session) == before


def test_settings_must_be_an_object():
    with pytest.raises(BadRequest, match="settings must be an object"):
        check_settings(Settings(), [1, 2])


def test_learning_rate_changes_in_place_and_keeps_the_optimisers_state():
    session = Session(Settings(optimizer="adam", lr=0.01))
    session.step(2)
    optimizer, run = session.run.optimizer, session.run.number
    session.update_settings({"lr": 0.05})
    assert session.run.optimizer is optimizer and optimizer.lr == 0.05 and optimizer.t == 2
    assert session.run.number == run


def test_changing_the_optimiser_starts_a_fresh_one_on_the_same_model():
    session = Session()
    session.step(1)
    weights = [p.data for p in session.run.model.parameters()]
    session.update_settings({"optimizer": "adam"})
    assert isinstance(session.run.optimizer, Adam) and session.run.optimizer.t == 0
    assert session.run.optimizer.lr == session.settings.lr == DEFAULT_LR["adam"]  # unless lr comes with it
    session.update_settings({"optimizer": "momentum", "lr": 0.2})
    assert session.run.optimizer.momentum == 0.9 and session.run.optimizer.lr == 0.2
    assert [p.data for p in session.run.model.parameters()] == weights
    assert len(session.run.loss) == 1  # the curve goes on


@pytest.mark.parametrize(
    "key, value", [("hidden", [3]), ("activation", "relu"), ("seed", 5), ("loss", "cross_entropy")]
)
def test_model_shaping_settings_build_a_new_model(key, value):
    session = Session()
    session.step(1)
    run = session.run.number
    session.update_settings({key: value})
    assert session.run.number == run + 1 and session.run.loss == []
    expected = 2 if session.settings.loss == "cross_entropy" else 1
    assert len(session.run.model.layers[-1].neurons) == expected


def test_a_new_dataset_with_three_classes_switches_to_cross_entropy():
    session = Session()
    session.update_settings({"dataset": "spiral"})
    assert session.settings.loss == "cross_entropy" and session.n_classes == 3
    X, y = make_spiral(100, seed=session.settings.seed)
    assert session.points == [[a, b, c] for (a, b), c in zip(X, y)]
    assert len(session.run.model.layers[-1].neurons) == 3


def test_points_are_added_removed_cleared_and_reset():
    session = Session()
    session.add_point(0.25, -0.5, 1)
    assert session.points[-1] == [0.25, -0.5, 1] and len(session.points) == 101
    session.remove_point(100)
    assert len(session.points) == 100
    session.clear_points()
    with pytest.raises(Conflict, match="no points to train on"):
        session.step(1)
    with pytest.raises(Conflict, match="no points to remove"):
        session.remove_point(0)
    session.reset_points()
    assert len(session.points) == 100


@pytest.mark.parametrize(
    "point, message",
    [
        ((math.nan, 0.0, 0), "the point x must be a finite number"),
        ((0.0, 1e9, 0), "the point y must be a finite number in"),
        ((0.0, 0.0, 2), "the point class must be between 0 and 1"),
        ((0.0, 0.0, "a"), "the point class must be a whole number"),
        (("1", 0.0, 0), "the point x must be a number"),
    ],
)
def test_bad_points_are_refused(point, message):
    session = Session()
    before = fingerprint(session)
    with pytest.raises(BadRequest, match=message):
        session.add_point(*point)
    assert fingerprint(session) == before


def test_the_data_set_is_bounded():
    session = Session(Settings(samples=LIMITS["points"]))
    with pytest.raises(Conflict, match="most points allowed"):
        session.add_point(0.0, 0.0, 0)
    assert len(session.points) == LIMITS["points"]


@pytest.mark.parametrize("steps", [0, -1, LIMITS["steps"] + 1, 1.5, "3", None])
def test_bad_step_counts_are_refused(steps):
    session = Session()
    with pytest.raises(BadRequest, match="steps must"):
        session.step(steps)
    assert session.run.loss == []


def test_a_run_of_steps_stops_at_its_time_budget_after_at_least_one():
    session = Session()
    assert session.step(LIMITS["steps"], budget=0.0) == 1


def test_diverging_training_is_refused_and_leaves_the_model_as_it_was():
    session = Session()
    for p in session.run.model.parameters():
        p.data = 1e200  # weights that have run off: the forward pass overflows
    with pytest.raises(Conflict, match=r"training diverged at step 1 .*\(training paused\)"):
        session.step(5)
    assert all(p.data == 1e200 for p in session.run.model.parameters()) and session.run.loss == []


def test_state_has_regions_from_the_model_and_curves_since_a_step():
    session = Session()
    session.step(3)
    doc = session.state()
    assert doc["parameters"][0] == "w²₁₁" and len(doc["parameters"]) == len(session.run.model.parameters())
    assert len(doc["regions"]["classes"]) == GRID * GRID and doc["loss"] == session.run.loss
    x0, x1, y0, y1 = doc["view"]
    top_left = session.run.model([x0 + (x1 - x0) * 0.5 / GRID, y1 - (y1 - y0) * 0.5 / GRID]).data
    assert doc["regions"]["classes"][0] == (1 if top_left > 0 else 0)
    again = session.state(run=doc["run"], since=2)
    assert again["loss"] == session.run.loss[2:] and "parameters" not in again
    with pytest.raises(BadRequest, match="since must be between 0 and 3"):
        session.check_view(run=doc["run"], since=4)


def test_optimizer_state_shows_what_adam_holds():
    session = Session(Settings(optimizer="adam", lr=0.01))
    session.step(2)
    state = session.optimizer_state(0)
    opt = session.run.optimizer
    assert state["m"] == opt.m[0] and state["v"] == opt.v[0] and state["t"] == 2
    assert state["m_hat"] == opt.m[0] / (1 - 0.9**2)
    assert state["grad"] == session.run.grads[0]
    assert state["update"] == session.run.model.parameters()[0].data - session.run.before[0]
    with pytest.raises(BadRequest, match="weight must be between 0 and"):
        session.optimizer_state(10**6)


def test_momentum_state_is_the_buffer():
    session = Session(Settings(optimizer="momentum"))
    session.step(1)
    assert session.optimizer_state(3)["buffer"] == session.run.optimizer.buffers[3]


def test_save_then_load_gives_the_same_model_points_and_curves():
    session = Session(Settings(hidden=(3,), activation="tanh"))
    session.add_point(0.5, 0.5, 1)
    session.step(4)
    saved = session.save()
    other = Session()
    other.load(saved)
    assert other.points == session.points and other.settings == session.settings
    assert other.run.loss == session.run.loss
    assert other.run.model([0.3, -0.2]).data == session.run.model([0.3, -0.2]).data


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda d: d.update(format="x"), "not a saved explorer session"),
        (lambda d: d.update(version=99), "cannot read version 99"),
        (lambda d: d["model"].update(nin=3), "cannot load a model from the saved session"),
        (lambda d: d["settings"].update(hidden=[5]), "layer sizes"),
        (lambda d: d.update(points=[[0, 0, 0]] * (LIMITS["points"] + 1)), "at most 500 points"),
        (lambda d: d["points"].append([0, 0, 7]), r"points\[100\] class"),
        (lambda d: d.update(history={"loss": ["x"]}), "history.loss must be a number"),
    ],
)
def test_a_bad_saved_session_is_refused_and_changes_nothing(corrupt, message):
    saved = Session().save()
    corrupt(saved)
    session = Session()
    before = fingerprint(session)
    with pytest.raises(BadRequest, match=message):
        session.load(saved)
    assert fingerprint(session) == before


def test_a_snapshot_is_a_private_copy():
    session = Session()
    model, _, points = session.snapshot()
    model.parameters()[0].data = 123.0
    points[0][0] = 99.0
    assert session.run.model.parameters()[0].data != 123.0 and session.points[0][0] != 99.0


def test_a_long_run_saves_its_latest_curves_and_loads_back():
    session = Session()
    session.run.loss = [float(k) for k in range(LIMITS["history"] + 5)]
    session.run.accuracy = [0.5] * len(session.run.loss)
    saved = session.save()
    assert saved["history"]["loss"][0] == 5.0 and len(saved["history"]["loss"]) == LIMITS["history"]
    other = Session()
    other.load(saved)
    assert other.run.loss == session.run.loss[5:]


# --------------------------------------------------------------------------- a refused request changes nothing

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from micrograd.serve.server import _ENDPOINTS, Refused, Sessions  # noqa: E402


def whole_state(session: Session) -> tuple:
    """Everything the page can see or a later request depends on, the optimiser's state included."""
    run = session.run
    optimizer = {k: (list(v) if isinstance(v, list) and k != "params" else v) for k, v in vars(run.optimizer).items()}
    optimizer.pop("params", None)
    return (
        fingerprint(session),
        session.view,
        run.number,
        list(run.accuracy),
        list(run.grads),
        list(run.before),
        [p.grad for p in run.model.parameters()],
        repr(optimizer),
        session.names,
        run.model.to_dict(),
    )


def test_a_settings_change_refused_by_the_view_it_answers_with_changes_nothing():
    # The page shows the last weight of a 2-4-4-1 model; hidden 1 has no weight that far.
    sessions = Sessions(Settings())
    key, session = sessions.create()
    last = len(session.run.model.parameters()) - 1
    before = whole_state(session)
    with pytest.raises(BadRequest, match="weight must be between 0 and"):
        _ENDPOINTS["settings"](sessions, {"session": key, "settings": {"hidden": [1]}, "weight": last})
    assert whole_state(session) == before
    doc = _ENDPOINTS["state"](sessions, {"session": key, "weight": last})  # and the next request works
    assert doc["optimizer"]["index"] == last


def huge_model_save() -> dict:
    saved = Session().save()
    first = saved["model"]["layers"][0]
    first["weights"] = [[1.5e308 for _ in row] for row in first["weights"]]  # x of 2 or more: inf
    return saved


def test_a_saved_model_whose_forward_pass_overflows_is_refused_and_changes_nothing():
    sessions = Sessions(Settings())
    key, session = sessions.create()
    before = whole_state(session)
    with pytest.raises(BadRequest, match="forward pass overflows a float"):
        _ENDPOINTS["load"](sessions, {"session": key, "saved": huge_model_save()})
    assert whole_state(session) == before
    assert _ENDPOINTS["state"](sessions, {"session": key})["regions"]["size"] == GRID


@pytest.mark.parametrize(
    "change, message",
    [
        ({"activation": "relu"}, "activations"),
        ({"activation": "sigmoid"}, "activations"),
        ({"hidden": [4, 4, 4]}, "layer sizes"),
        ({"loss": "cross_entropy"}, "layer sizes"),  # two outputs needed, the model has one
    ],
)
def test_a_saved_session_whose_model_disagrees_with_its_settings_is_refused(change, message):
    saved = Session().save()
    saved["settings"].update(change)
    session = Session()
    before = whole_state(session)
    with pytest.raises(BadRequest, match=message):
        session.load(saved)
    assert whole_state(session) == before


def test_a_saved_model_with_another_output_activation_is_refused():
    saved = Session().save()
    saved["model"]["activations"][-1] = "tanh"
    session = Session()
    with pytest.raises(BadRequest, match="activations"):
        session.load(saved)


def test_a_run_of_steps_that_fails_midway_takes_back_the_steps_before_it(monkeypatch):
    session = Session()
    before = whole_state(session)
    calls = []
    real = fit

    def failing_fit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OverflowError("the gradient overflows a float")
        return real(*args, **kwargs)

    monkeypatch.setattr("micrograd.serve.session.fit", failing_fit)
    with pytest.raises(Conflict, match="overflows"):
        session.step(5, budget=60)
    assert len(calls) == 3 and whole_state(session) == before


# Requests, good and bad, in any order: each one refused must leave the session as it was.
_FIELDS = {
    "settings": st.fixed_dictionaries(
        {},
        optional={
            "hidden": st.sampled_from([[1], [4, 4], [2, 3, 2], "9999", [0], [33], "x"]),
            "activation": st.sampled_from(["tanh", "relu", "nope"]),
            "optimizer": st.sampled_from(["sgd", "adam", "momentum", 3]),
            "loss": st.sampled_from(["hinge", "cross_entropy", "binary_cross_entropy", "mse"]),
            "dataset": st.sampled_from(["moons", "spiral", "blobs", "nope"]),
            "lr": st.sampled_from([0.1, 0.0, -1.0, 1e9, "0.1"]),
            "samples": st.sampled_from([20, 1, 501]),
        },
    ),
    "weight": st.sampled_from([None, 0, 5, 24, 200, -1, "3"]),
    "since": st.sampled_from([0, 1, 10**6, -1]),
}


def _request(kind: str, draw) -> dict:
    body = {}
    if kind == "settings":
        body["settings"] = draw(_FIELDS["settings"])
    elif kind == "step":
        body["steps"] = draw(st.sampled_from([1, 2, 0, 101, "1"]))
    elif kind == "add":
        body.update(x=draw(st.sampled_from([0.1, 1e4, "a"])), y=0.2, label=draw(st.sampled_from([0, 1, 2, 9])))
    elif kind == "remove":
        body["index"] = draw(st.sampled_from([0, 99, 10**6, -1]))
    elif kind == "load":
        saved = Session(Settings(hidden=(2,))).save()
        broken = draw(st.sampled_from(["good", "activation", "overflow", "sizes", "points"]))
        if broken == "activation":
            saved["settings"]["activation"] = "relu"
        elif broken == "overflow":
            saved = huge_model_save()
        elif broken == "sizes":
            saved["settings"]["hidden"] = [3]
        elif broken == "points":
            saved["points"].append([0, 0, 5])
        body["saved"] = saved
    weight = draw(_FIELDS["weight"])
    if weight is not None:
        body["weight"] = weight
    if draw(st.booleans()):
        body["run"], body["since"] = 1, draw(_FIELDS["since"])
    return body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_refused_request_in_any_sequence_leaves_the_session_as_it_was(data):
    sessions = Sessions(Settings(hidden=(2,), samples=20))
    key, session = sessions.create()
    kinds = ["settings", "step", "add", "remove", "load", "reset", "clear", "reinit", "state"]
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(kinds))
        body = {"session": key, **_request(kind, data.draw)}
        before = whole_state(session)
        try:
            _ENDPOINTS[kind](sessions, body)
        except (BadRequest, Refused):
            assert whole_state(session) == before, (kind, body)
        # whatever happened, the next plain request is answered
        _ENDPOINTS["state"](sessions, {"session": key})


@pytest.mark.parametrize("view", ["network", "steps", "graph"])
def test_a_view_of_a_model_that_overflows_is_a_4xx_not_a_500(view):
    sessions = Sessions(Settings())
    key, session = sessions.create()
    neuron = session.run.model.layers[0].neurons[0]
    for p in [*neuron.w, neuron.b]:
        p.data = 1.5e308  # as training that diverged unnoticed could leave it
    point = next(i for i, (x, y, _) in enumerate(session.points) if x > 0.3 and y > 0.3)
    before = whole_state(session)
    with pytest.raises(BadRequest, match="overflows a float") as caught:
        _ENDPOINTS[view](sessions, {"session": key, "point": point})
    assert caught.value.status == 409 and whole_state(session) == before


@pytest.mark.parametrize("optimizer", ["adam", "momentum"])
def test_a_refused_change_of_optimiser_keeps_the_old_optimiser_object_and_state(optimizer):
    sessions = Sessions(Settings())
    key, session = sessions.create()
    session.step(3, budget=60)
    old = session.run.optimizer
    before = whole_state(session)

    def refused(*args):  # the answer refused after the change was made (what any later check may do)
        raise BadRequest("refused after the change")

    session.checked_state = refused
    with pytest.raises(BadRequest, match="refused after the change"):
        _ENDPOINTS["settings"](sessions, {"session": key, "settings": {"optimizer": optimizer}})
    del session.checked_state
    assert session.run.optimizer is old and type(old).__name__ == "SGD" and whole_state(session) == before
    _ENDPOINTS["step"](sessions, {"session": key, "steps": 1})  # and it trains on as before
