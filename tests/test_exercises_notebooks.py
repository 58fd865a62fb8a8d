"""The exercises of notebooks 01-03: each solver against backward() or central differences,
and each judge: the right answer passes, the common mistakes get their explanation and the
explanation never gives the answer away."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import Value, paths
from micrograd.exercises import check, solution
from micrograd.nielsen import quadratic_cost, trace
from micrograd.nn import MLP

finite = st.floats(min_value=-3, max_value=3, allow_nan=False)


def _wrong(id, answer, **context):
    verdict = check(id, answer, **context)
    assert verdict.ok is False
    return verdict.message


# --------------------------------------------------------------------------- 01


@pytest.fixture
def net01():
    model = MLP(1, [1, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=9)
    t = trace(model, [1.5])
    cost = quadratic_cost(t.output, [1.0])
    cost.backward()
    w = model.layers[0].neurons[0].w[0]
    return paths(cost, w), w


def test_rate_factor_is_the_product_along_the_path(net01):
    table, w = net01
    path = table[0]
    assert solution("01.rate-factor", path=path) == pytest.approx(math.prod(path.local_grads))
    assert check("01.rate-factor", math.prod(path.local_grads), path=path)
    assert "multiply" in _wrong("01.rate-factor", sum(path.local_grads), path=path)
    assert "every path" in _wrong("01.rate-factor", w.grad, path=path)
    assert "first edge" in _wrong("01.rate-factor", path.product / path.local_grads[0], path=path)


@given(finite, finite, finite, finite)
def test_cross_term_is_the_product_of_the_two_moves(a, b, da, db):
    expected = solution("01.cross-term", a=a, b=b, da=da, db=db)
    assert expected == pytest.approx(da * db, abs=1e-12)


def test_cross_term_judge_explains_the_linear_belief():
    context = dict(a=0.6, b=-1.2, da=0.1, db=0.05)
    assert check("01.cross-term", 0.1 * 0.05, **context)
    message = _wrong("01.cross-term", 0.0, **context)
    assert "linear" in message and "0.005" not in message
    assert "sign" in _wrong("01.cross-term", -0.005, **context)


def test_predict_change_is_gradient_times_nudge_and_names_a_lone_path(net01):
    table, w = net01
    assert solution("01.predict-change", table=table, nudge=0.01) == pytest.approx(w.grad * 0.01)
    assert "path 2 alone" in _wrong("01.predict-change", table[1].product * 0.01, table=table, nudge=0.01)
    assert "gradient itself" in _wrong("01.predict-change", w.grad, table=table, nudge=0.01)


# --------------------------------------------------------------------------- 02


@pytest.fixture
def output_layer():
    zs = [Value(v, label=f"z{k}") for k, v in enumerate([0.3, -0.8, 1.1], 1)]
    a = [z.sigmoid() for z in zs]
    y = [1.0, 0.0, 1.0]
    cost = quadratic_cost(a, y)
    cost.backward()
    return zs, a, y, cost


def test_only_one_output_activation_depends_on_z(output_layer):
    zs, a, _, _ = output_layer
    assert solution("02.nonzero-terms", activations=a, z=zs[0]) == 1
    assert check("02.nonzero-terms", 1, activations=a, z=zs[0])
    assert "k ≠ j" in _wrong("02.nonzero-terms", 3, activations=a, z=zs[0])


def test_softmax_outputs_all_depend_on_z():
    zs = [Value(v) for v in (0.3, -0.8, 1.1)]
    total = sum((z.exp() for z in zs), Value(0.0))
    softmax = [z.exp() / total for z in zs]
    assert solution("02.nonzero-terms", activations=softmax, z=zs[0]) == 3


def test_delta_output_is_bp1_and_names_each_slip(output_layer):
    zs, a, y, _ = output_layer
    context = dict(z=zs[1], a=a[1], y=y[1], outputs=a)
    assert solution("02.delta-output", **context) == pytest.approx(zs[1].grad, rel=1e-12)
    error, slope = a[1].data - y[1], a[1].data * (1 - a[1].data)
    assert "σ'" in _wrong("02.delta-output", error, **context)
    assert "½" in _wrong("02.delta-output", 2 * error * slope, **context)
    assert "k times" in _wrong("02.delta-output", 3 * error * slope, **context)
    assert "sign" in _wrong("02.delta-output", -error * slope, **context)


@pytest.fixture
def next_layer():
    z = Value(0.4, label="z")
    a = z.sigmoid()
    outs = [(w * a + b).sigmoid() for w, b in [(0.9, 0.1), (-0.6, -0.2), (-0.4, 0.05)]]
    cost = quadratic_cost(outs, [1.0, 0.0, 1.0])
    cost.backward()
    return z, outs, cost


def test_term_k_is_path_k_and_the_fraction_cancelling_slip_is_named(next_layer):
    z, outs, cost = next_layer
    table = paths(cost, z)
    for k, ak in enumerate(outs):
        assert solution("02.term-k", ak=ak, z=z, cost=cost) == pytest.approx(table[k].product, rel=1e-12)
    message = _wrong("02.term-k", z.grad, ak=outs[1], z=z, cost=cost)
    assert "do not cancel" in message


# --------------------------------------------------------------------------- 03


@pytest.mark.parametrize(("asker", "nielsen"), [((0, 0, 1), (2, 1, 1)), ((0, 0, 3), (4, 1, 1)), ((2, 1, 2), (3, 2, 3))])
def test_translation_adds_one_and_puts_the_target_first(asker, nielsen):
    assert solution("03.translate", asker=asker) == nielsen
    assert check("03.translate", list(nielsen), asker=asker)


def test_translation_judge_names_the_swap_and_the_counting():
    asker = (2, 1, 2)  # from neuron 2 to neuron 1 of layer 2, counted from 0: Nielsen's w³₂₃
    assert "swapped" in _wrong("03.translate", (3, 3, 2), asker=asker)
    assert "from 0" in _wrong("03.translate", (2, 1, 2), asker=asker)
    assert "from 0" in _wrong("03.translate", (3, 1, 2), asker=asker)
    assert "tuple" in _wrong("03.translate", "w³₂₃", asker=asker)


@pytest.fixture
def net2332():
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = trace(model, [0.5, -1.0])
    first = 0.5 * (t.output[0] - 1.0) ** 2  # C₍₁₎, the first output neuron's cost
    cost = first + 0.5 * t.output[1] ** 2  # C = C₍₁₎ + C₍₂₎
    cost.backward()
    return model, t, cost, first


@pytest.mark.parametrize("j", [1, 2, 3])
def test_bp2_sum_is_backwards_gradient_of_the_activation(net2332, j):
    model, t, cost, first = net2332
    by_bp2 = sum(n.w[j - 1].data * z.grad for n, z in zip(model.layers[1].neurons, t.zs[1]))
    assert solution("03.bp2-sum", t=t, j=j, cost=cost, first_cost=first) == pytest.approx(by_bp2, rel=1e-9)
    assert check("03.bp2-sum", by_bp2, t=t, j=j, cost=cost, first_cost=first)


def test_bp2_judge_names_the_transposed_weights(net2332):
    model, t, cost, first = net2332
    transposed = sum(w.data * z.grad for w, z in zip(model.layers[1].neurons[1].w, t.zs[1]))
    assert "OUT of" in _wrong("03.bp2-sum", transposed, t=t, j=2, cost=cost, first_cost=first)
    assert "δ²ⱼ" in _wrong("03.bp2-sum", t.zs[0][1].grad, t=t, j=2, cost=cost, first_cost=first)


def test_weight_gradient_is_backwards_and_names_the_missing_factors(net2332):
    model, t, cost, first = net2332
    w, a, x = model.layers[0].neurons[0].w[0], t.activations[0][0], t.inputs[0]
    context = dict(weight=w, a=a, x=x, cost=cost, first_cost=first)
    assert solution("03.weight-gradient", **context) == pytest.approx(w.grad, rel=1e-12)
    slope = a.data * (1 - a.data)
    assert "σ'" in _wrong("03.weight-gradient", x.data * a.grad, **context)
    assert "input" in _wrong("03.weight-gradient", slope * a.grad, **context)


# --------------------------------------------------------------------------- 10


def test_running_sum_is_the_steps_own_after_and_names_the_overwrite():
    from strategies import micrograd_readme_expression

    from micrograd import backward_steps

    steps = backward_steps(micrograd_readme_expression(Value(-4.0), Value(2.0)))
    summing = [step for step in steps if step.summing]
    assert summing
    for step in summing:
        assert solution("10.running-sum", step=step) == step.after
        assert check("10.running-sum", step.after, step=step)
    step = summing[0]
    assert "= instead of +=" in _wrong("10.running-sum", step.contribution, step=step)
    assert "before this step" in _wrong("10.running-sum", step.before, step=step)


def test_overwritten_gradient_is_the_last_write_and_leaves_grads_alone():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a  # backward order: c's edges first (a gets 1), then a*b's (a gets b = -3)
    c.backward()
    assert solution("10.overwritten", output=c, wrt=a) == -3.0
    assert a.grad == -2.0 and b.grad == 2.0  # the solver restored every grad
    assert "true gradient" in _wrong("10.overwritten", -2.0, output=c, wrt=a)


def test_equals_bug_judge_wants_the_bug_and_only_the_bug():
    from micrograd.exercises.watch_backward import overwriting_backward

    assert check("10.equals-bug", overwriting_backward)
    assert "correct backward" in _wrong("10.equals-bug", Value.backward)
    assert "no value is used twice" in _wrong("10.equals-bug", lambda root: None)
    assert "raised ZeroDivisionError" in _wrong("10.equals-bug", lambda root: 1 / 0)
    assert "function" in _wrong("10.equals-bug", 3)


# --------------------------------------------------------------------------- 12


def _doubled():
    a = Value(1.0, label="a")
    b = a + a
    b.label = "b"
    c = b + b
    c.label = "c"
    return a, c


def test_depth_first_is_two_and_names_the_other_mistakes():
    a, c = _doubled()
    assert solution("12.depth-first", output=c, wrt=a) == 2.0  # worked out in tests/test_mistakes.py
    assert check("12.depth-first", 2, output=c, wrt=a)
    assert "backward()'s answer" in _wrong("12.depth-first", 4, output=c, wrt=a)
    assert "without a visited set" in _wrong("12.depth-first", 8, output=c, wrt=a)
    assert "overwriting" in _wrong("12.depth-first", 1, output=c, wrt=a)
    for answer in (4, 8, 1, 3):
        assert "2" not in _wrong("12.depth-first", answer, output=c, wrt=a).split("Hint")[0].replace("+=", "")


def _puzzle():
    a = Value(0.5, label="a")
    b = a * a
    b.label = "b"
    h = (b + a).tanh()
    h.label = "h"
    out = h * b
    out.label = "out"
    return a, out


@pytest.mark.parametrize("name", ["overwrite", "no_topological_order", "recursion_without_visited",
                                  "no_zero_grad", "backward_twice", "set_of_parents", "wrong_local"])  # fmt: skip
def test_which_mistake_is_recognised_from_its_gradients(name):
    from micrograd.mistakes import NAMES, wrong_gradients

    _a, out = _puzzle()
    grads = wrong_gradients(out, name)
    assert solution("12.which-mistake", output=out, grads=grads) == name  # on this graph each is unique
    assert check("12.which-mistake", name, output=out, grads=grads)
    for other in NAMES:
        if other != name:
            message = _wrong("12.which-mistake", other, output=out, grads=grads)
            assert other in message and name not in message
    assert "one of the names" in _wrong("12.which-mistake", "typo", output=out, grads=grads)


def _graphs():
    x, y = Value(0.5, label="x"), Value(-1.5, label="y")
    u = x * y
    return {
        "tree": (x * y).tanh() + Value(2.0) * Value(3.0),
        "chain": ((x * 2).exp() + 1).log(),
        "square": x * x,
        "shared": u + u.tanh(),
        "diamond": (x + 1) * (x - 1),
    }


def test_overwrite_is_safe_exactly_on_the_trees():
    graphs = _graphs()
    assert solution("12.overwrite-safe", graphs=graphs) == {"tree", "chain"}
    assert check("12.overwrite-safe", ["chain", "tree"], graphs=graphs)
    assert "used twice" in _wrong("12.overwrite-safe", ["tree", "chain", "square"], graphs=graphs)
    assert "right there too" in _wrong("12.overwrite-safe", ["tree"], graphs=graphs)
    assert "no graph named 'loop'" in _wrong("12.overwrite-safe", ["loop"], graphs=graphs)


def test_network_layers_only_the_output_layer_survives_overwriting():
    model = MLP(2, [3, 3, 2], activation="sigmoid", output_activation="sigmoid", seed=1)
    t = trace(model, [0.5, -1.0])
    cost = quadratic_cost(t.output, [1.0, 0.0])
    assert solution("12.network-layers", output=cost) == [4]
    assert check("12.network-layers", [4], output=cost)
    assert "feeds every neuron of the next layer" in _wrong("12.network-layers", [3, 4], output=cost)
    assert "input" in _wrong("12.network-layers", [1], output=cost)
    assert "some weights are right" in _wrong("12.network-layers", [], output=cost)
    assert "list of layer numbers" in _wrong("12.network-layers", "4", output=cost)


def test_the_exercises_of_12_answer_themselves_in_reference_mode(monkeypatch):
    monkeypatch.setenv("MICROGRAD_EXERCISES", "reference")
    a, c = _doubled()
    assert check("12.depth-first", ..., output=c, wrt=a).ok
    a, out = _puzzle()
    from micrograd.mistakes import wrong_gradients

    assert check("12.which-mistake", ..., output=out, grads=wrong_gradients(out, "set_of_parents")).ok
    assert check("12.overwrite-safe", ..., graphs=_graphs()).ok


def test_the_puzzle_of_12_is_one_mistake_and_only_one():
    from micrograd.exercises.mistakes import puzzle_gradients
    from micrograd.mistakes import NAMES

    _a, out = _puzzle()
    grads = puzzle_gradients(out)
    right = [name for name in NAMES if check("12.which-mistake", name, output=out, grads=grads).ok]
    assert right == [solution("12.which-mistake", output=out, grads=grads)]
