"""Notebook 07's exercises: forward sweeps per input, and a reverse sweep with the = bug caught."""

import pytest

from micrograd import Value, topological_order
from micrograd.exercises import REFERENCE_ENV, check, solution
from micrograd.nn import MLP


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def f(a, b):
    return (a * b).tanh() + a.exp() / b


def test_forward_sweeps_are_one_per_parameter():
    params = MLP(2, [4, 1], seed=0).parameters()
    assert solution("07.forward-sweeps", params=params) == 17
    assert check("07.forward-sweeps", 17, params=params).ok
    assert "reverse mode" in check("07.forward-sweeps", 1, params=params).message
    assert "finite differences" in check("07.forward-sweeps", 34, params=params).message


def buggy(out):
    adjoint = {out: 1.0}
    for v in reversed(topological_order(out)):
        for p, local in zip(v.parents, v.local_grads):
            adjoint[p] = local * adjoint.get(v, 0.0)
    return adjoint


def test_the_equals_bug_is_recognised_and_explained():
    verdict = check("07.reverse-sweep", buggy, f=f, inputs=[0.5, 2.0])
    assert not verdict.ok and "overwrites" in verdict.message and "sum over all paths" in verdict.message
    assert "+=" not in verdict.message  # the misconception named, the fix not quoted


def test_a_correct_sweep_passes_and_other_answers_are_wrong():
    fixed = solution("07.reverse-sweep", f=f, inputs=[0.5, 2.0])
    assert check("07.reverse-sweep", fixed, f=f, inputs=[0.5, 2.0]).ok
    a, b = Value(0.5), Value(2.0)
    out = f(a, b)
    out.backward()
    assert fixed(f(Value(0.5), Value(2.0))) is not None and a.grad == pytest.approx(1.664309318578)
    assert "a function" in check("07.reverse-sweep", 3.0, f=f, inputs=[0.5, 2.0]).message
    assert "raised" in check("07.reverse-sweep", lambda out: out.nope, f=f, inputs=[0.5, 2.0]).message
    lazy = check("07.reverse-sweep", lambda out: {}, f=f, inputs=[0.5, 2.0])
    assert not lazy.ok and "disagrees" in lazy.message


def test_reference_mode_accepts_both(monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    assert check("07.reverse-sweep", ..., f=f, inputs=[0.5, 2.0]).ok
    assert check("07.forward-sweeps", ..., params=[Value(1.0)]).ok


def test_the_equals_bug_gets_both_inputs_wrong_here():
    assert solution("07.wrong-inputs", f=f, inputs=[0.5, 2.0]) == {"a", "b"}
    assert check("07.wrong-inputs", {"a", "b"}, f=f, inputs=[0.5, 2.0]).ok
    assert check("07.wrong-inputs", ["b", "a"], f=f, inputs=[0.5, 2.0]).ok


def test_an_input_read_once_is_not_wrong():
    def g(a, b):
        return (a * a).tanh() + b.exp()  # a is read twice (a·a), b once

    assert solution("07.wrong-inputs", f=g, inputs=[0.4, -1.0]) == {"a"}
    message = check("07.wrong-inputs", {"a", "b"}, f=g, inputs=[0.4, -1.0]).message
    assert "used only once" in message


def test_wrong_inputs_judge_names_the_slip_without_the_answer():
    context = dict(f=f, inputs=[0.5, 2.0])
    assert "one more input" in check("07.wrong-inputs", {"a"}, **context).message
    assert "one more input" in check("07.wrong-inputs", "b", **context).message
    assert "more than once" in check("07.wrong-inputs", set(), **context).message
    assert "not one of them" in check("07.wrong-inputs", {"c"}, **context).message
    assert "set of input names" in check("07.wrong-inputs", 2, **context).message
