"""Every answer gets a verdict, never a traceback: hostile answers against the exercises'
judges (huge integers and fractions, answers whose repr, float or .data raise, numpy
scalars, saturated contexts), counts that must be whole numbers, and judges that check the
reader's own work (a reverse sweep that leans on backward(), a different bug than =)."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_exercises_backprop_is_fast import three_way

from micrograd import Value, topological_order
from micrograd.exercises import REFERENCE_ENV, Verdict, check, solution
from micrograd.exercises.watch_backward import overwriting_backward
from micrograd.nn import MLP


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def sweep_f(a, b):
    return a * b + a.tanh() * b


def two_paths():
    a, b = Value(0.5, label="a"), Value(0.8, label="b")
    c = a * b
    d = c + a
    return {"out": d.tanh(), "a": a, "b": b}


def contexts() -> dict[str, dict]:
    """A context for many exercises, one of every kind of judge."""
    model = MLP(2, [3, 1], seed=0)
    w = Value(0.7)
    w.grad = 0.25
    a, b = Value(1.5), Value(-2.0)
    out = a * b + a
    return {
        "01.cross-term": dict(a=0.6, b=-1.2, da=0.1, db=0.05),
        "04.update": dict(w=w, eta=0.1),
        "06.paths": three_way(4),
        "06.edges": three_way(4),
        "06.multiply-gate": dict(a=Value(2.0), b=Value(-3.0), upstream=0.5),
        "07.forward-sweeps": dict(params=[Value(1.0)] * 17),
        "07.reverse-sweep": dict(f=sweep_f, inputs=[0.5, 2.0]),
        "07.wrong-inputs": dict(f=sweep_f, inputs=[0.5, 2.0]),
        "08.local-rule": {},
        "08.sigmoid-second-derivative": dict(x=0.8),
        "09.parameters": dict(model=model),
        "09.paths": dict(model=model, x=[0.1, 0.2]),
        "09.second-backward": dict(output=out, wrt=a),
        "10.equals-bug": {},
        "10.overwritten": dict(output=out, wrt=a),
        "11.two-paths": two_paths(),
        "11.backward-lines": dict(f=lambda *ws: (ws[0] * 0.5 + ws[1] * 0.25 + ws[2]).relu(), inputs=[0.1, 0.2, 0.3]),
        "03.translate": dict(asker=(0, 0, 1)),
    }


class Raises:
    """An answer every use of which raises."""

    def __init__(self, error: type[BaseException] = RuntimeError) -> None:
        self.error = error

    def __repr__(self):
        raise self.error("repr")

    def __float__(self):
        raise self.error("float")

    def __index__(self):
        raise self.error("index")

    def __bool__(self):
        raise self.error("bool")

    def __eq__(self, other):
        raise self.error("eq")

    __hash__ = object.__hash__

    def __iter__(self):
        raise self.error("iter")

    def __len__(self):
        raise self.error("len")

    def __call__(self, *args):
        raise self.error("call")

    def __getattr__(self, name):
        raise self.error(name)


class BadData(Value):
    """A Value whose .data raises (once made)."""

    @property
    def data(self):
        raise RuntimeError("data")

    @data.setter
    def data(self, value):
        pass


class HugeRepr(float):
    def __repr__(self):
        return "9" * 10_000


HOSTILE = [
    10**400,
    -(10**400),
    10**5000,  # beyond the int -> str digit limit
    Fraction(10**400, 3),
    Fraction(1, 10**400),
    Fraction(10**400 + 1, 10**400),
    Decimal("1e400"),
    Decimal("NaN"),
    Raises(),
    Raises(ValueError),
    Raises(OverflowError),
    Raises(RecursionError),
    HugeRepr(1.0),
    1e308,
    -1e308,
    5e-324,
    -0.0,
    complex(1, 1),
    "81",
    b"81",
    None,
    [],
    {},
    set(),
    (1.0,),
    (10**400, 10**400),
    (Raises(), 1.0),
    True,
    81.4,
    float("nan"),
    float("inf"),
    lambda *args: 10**400,
    lambda *args: Raises(),
    lambda *args: {Raises(): 1.0},
    lambda *args: None,
    print,
    Value(2.0),
    Value,
    object(),
    type,
]


def test_hostile_answers_include_values_whose_data_raises():
    bad = BadData(1.0)
    with pytest.raises(RuntimeError):
        bad.data  # noqa: B018
    for id, context in contexts().items():
        verdict = check(id, bad, **context)
        assert isinstance(verdict, Verdict) and verdict.ok is False
    for answer in (lambda *args: bad, lambda out: {v: bad for v in topological_order(out)}):
        for id in ("05.bp1-cross-entropy", "07.reverse-sweep", "08.local-rule"):
            context = bp1_context() if id.startswith("05") else contexts()[id]
            assert isinstance(check(id, answer, **context), Verdict)


@pytest.mark.parametrize("answer", HOSTILE, ids=lambda a: type(a).__name__)
def test_every_hostile_answer_gets_a_verdict_never_a_traceback(answer):
    for id, context in contexts().items():
        verdict = check(id, answer, **context)
        assert isinstance(verdict, Verdict) and verdict.ok in (False, True), id
        assert isinstance(verdict.message, str) and len(verdict.message) < 2000, id
        str(verdict), verdict._repr_html_()


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.integers(),
        st.integers(min_value=10**300, max_value=10**1000),
        st.fractions(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.complex_numbers(),
        st.text(max_size=5),
        st.lists(st.floats(), max_size=3),
        st.tuples(st.integers(min_value=10**300, max_value=10**500), st.floats()),
    )
)
def test_any_answer_at_all_gets_a_verdict(answer):
    for id, context in contexts().items():
        assert isinstance(check(id, answer, **context), Verdict)


def test_numpy_scalars_are_numbers():
    np = pytest.importorskip("numpy")
    ctx = contexts()
    assert check("01.cross-term", np.float64(0.1 * 0.05), **ctx["01.cross-term"]).ok
    assert check("01.cross-term", np.float32(0.1 * 0.05), **ctx["01.cross-term"]).ok
    assert check("04.update", np.float64(0.7 - 0.1 * 0.25) * np.ones(1)[0], **ctx["04.update"]).ok
    assert check("04.update", np.array(0.7 - 0.1 * 0.25), **ctx["04.update"]).ok
    assert check("06.paths", np.int64(81), **ctx["06.paths"]).ok
    assert check("06.edges", np.int32(28), **ctx["06.edges"]).ok
    assert check("06.paths", np.float64(81.0), **ctx["06.paths"]).ok
    assert check("07.forward-sweeps", np.array(17), **ctx["07.forward-sweeps"]).ok  # a 0-d array
    assert not check("06.paths", np.bool_(True), **ctx["06.paths"]).ok
    gate = ctx["06.multiply-gate"]
    assert check("06.multiply-gate", (np.float64(-1.5), np.float32(1.0)), **gate).ok
    assert check("05.bp1-cross-entropy", lambda a, y: np.float64(a - y), **bp1_context()).ok


def bp1_context():
    return {
        "model": MLP(2, [3, 2], activation="sigmoid", output_activation="sigmoid", seed=1),
        "x": [0.4, 1.2],
        "y": [1.0, 0.0],
    }


@pytest.mark.parametrize("count", [81.4, 80.5, 81.0000001, Fraction(163, 2), Decimal("81.4"), 81 + 1e-9])
def test_a_count_must_be_a_whole_number(count):
    verdict = check("06.paths", count, **three_way(4))
    assert not verdict.ok and "whole number" in verdict.message


@pytest.mark.parametrize(
    "id",
    ["06.paths", "06.edges", "07.forward-sweeps", "09.parameters", "09.paths", "11.backward-lines", "02.nonzero-terms"],
)
def test_every_count_exercise_refuses_a_fraction_of_its_answer(id):
    ctx = contexts().get(id)
    if ctx is None:
        from micrograd.nn import MLP as _MLP

        model = _MLP(2, [3, 3], seed=0)
        zs = model([0.3, 0.4])
        ctx = {"activations": [z.sigmoid() for z in zs], "z": zs[0]}
    right = solution(id, **ctx)
    assert check(id, right, **ctx).ok and check(id, float(right), **ctx).ok
    assert "whole number" in check(id, right + 0.4, **ctx).message


def test_saturated_contexts_get_verdicts():
    # sigmoid(40) is 1.0 exactly: every rule with (1 - s) in it is 0, every division by it fails.
    for x in (40.0, -40.0, 800.0, -800.0):
        for answer in (0.0, 1.0, -1.0, 1e-300, 10**400, Raises()):
            assert isinstance(check("08.sigmoid-second-derivative", answer, x=x), Verdict)
    from micrograd.nielsen import quadratic_cost, trace

    model = MLP(1, [1, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    for p in model.parameters():
        p.data = 60.0
    t = trace(model, [1.0])
    cost = quadratic_cost(t.output, [0.0])
    cost.backward()
    for answer in (0.0, 1.0, 0.5, 10**400):
        assert isinstance(check("05.bp2-by-hand", answer, t=t, layer=2, j=1), Verdict)
        assert isinstance(check("03.bp2-sum", answer, t=t, j=1, cost=cost, first_cost=cost), Verdict)


# --------------------------------------------------------------------------- the reverse sweep is the reader's own


def test_a_sweep_that_calls_backward_is_refused():
    def lazy(out):
        out.backward()
        return {v: v.grad for v in topological_order(out)}

    verdict = check("07.reverse-sweep", lazy, f=sweep_f, inputs=[0.5, 2.0])
    assert not verdict.ok and "backward()" in verdict.message


def test_a_sweep_that_reads_grad_is_refused():
    def reads_grad(out):  # leans on the interior .grad values backward() would have filled in
        adjoint = {out: 1.0}
        for v in reversed(topological_order(out)):
            for p, local in zip(v.parents, v.local_grads):
                adjoint[p] = adjoint.get(p, 0.0) + local * (v.grad if v is not out else 1.0)
        return adjoint

    verdict = check("07.reverse-sweep", reads_grad, f=sweep_f, inputs=[0.5, 2.0])
    assert not verdict.ok


def test_a_sweep_that_writes_grad_is_refused():
    def writes(out):
        adjoint = solution("07.reverse-sweep", f=sweep_f, inputs=[0.5, 2.0])(out)
        for v, g in adjoint.items():
            v.grad = g
        return adjoint

    verdict = check("07.reverse-sweep", writes, f=sweep_f, inputs=[0.5, 2.0])
    assert not verdict.ok and ".grad" in verdict.message


def test_a_sweep_returning_strange_things_gets_a_verdict():
    for answer in (
        lambda out: None,
        lambda out: [1.0],
        lambda out: {out: "1"},
        lambda out: {out: 10**400},
        lambda out: Raises(),
        lambda out: {v: Raises() for v in topological_order(out)},
    ):
        verdict = check("07.reverse-sweep", answer, f=sweep_f, inputs=[0.5, 2.0])
        assert verdict.ok is False


# --------------------------------------------------------------------------- the = bug and no other


def _body(update):
    def backward(root):
        order = topological_order(root)
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        for node in reversed(order):
            seen = set()
            for parent, local in zip(node.parents, node.local_grads):
                update(parent, local, node, seen)

    return backward


def _dedupe(parent, local, node, seen):  # += but each parent once per node: a + a loses one
    if parent not in seen:
        seen.add(parent)
        parent.grad += local * node.grad


def _first_wins(parent, local, node, seen):  # keeps the FIRST contribution ever, not the last
    if parent.grad == 0.0:
        parent.grad = local * node.grad


def _halved(parent, local, node, seen):  # the sum halved when a value is reused
    parent.grad = (parent.grad + local * node.grad) / (2 if parent.grad else 1)


def _last_edge_doubled(parent, local, node, seen):  # = but the duplicate counted twice
    parent.grad = local * node.grad * (2 if parent in seen else 1)
    seen.add(parent)


@pytest.mark.parametrize("update", [_dedupe, _halved, _last_edge_doubled, _first_wins])
def test_a_different_bug_than_equals_is_refused(update):
    verdict = check("10.equals-bug", _body(update))
    assert not verdict.ok, verdict.message


def test_the_equals_bug_itself_passes_in_either_order():
    assert check("10.equals-bug", overwriting_backward).ok

    def reverse_edges(root):  # = with each node's edges visited in the other order
        order = topological_order(root)
        for node in order:
            node.grad = 0.0
        root.grad = 1.0
        for node in reversed(order):
            for parent, local in reversed(list(zip(node.parents, node.local_grads))):
                parent.grad = local * node.grad

    assert check("10.equals-bug", reverse_edges).ok


def test_math_is_used():  # keeps the import honest for the linters
    assert math.isfinite(1.0)


@pytest.mark.parametrize("a", [1.0, 0.0, 1 - 2**-53])
def test_a_wrong_answer_where_the_first_sigmoid_saturates_gets_its_verdict(a):
    # σ(z) = 1.0 exactly past z ≈ 37: its slope a(1 − a) is 0, and a known mistake divides by it.
    context = {"a_prev": Value(a), "w_L": Value(0.5), "a_L": Value(0.7), "y": 0.0, "x": 1.5}
    right = solution("04.dC-db", **context)
    assert check("04.dC-db", right, **context).ok
    for wrong in (0.3, -1.0, right + 1.0, 10**400, Raises()):
        verdict = check("04.dC-db", wrong, **context)
        assert verdict.ok is False and isinstance(verdict.message, str)
    half = check("04.dC-db", right / 2, **context)  # the other mistakes are still told apart
    assert abs(right) < 1e-6 or "factor 2" in half.message
