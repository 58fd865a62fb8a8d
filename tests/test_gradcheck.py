"""micrograd.gradcheck: passes right derivatives, names wrong ones, recognises kinks, order 2."""

from __future__ import annotations

import importlib
import inspect
import math
import operator
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import STEPS, expressions, floats_between, micrograd_readme_expression

import micrograd
from micrograd import GradcheckError, Value, gradcheck, no_grad
from micrograd.gradcheck import DerivativeCheck, GradcheckWarning
from micrograd.nn import MLP

SMOOTH = [name for name in STEPS if name not in ("relu", "abs")]


# --------------------------------------------------------------------------- right derivatives pass


@given(expressions(ops=SMOOTH))
def test_gradcheck_passes_every_smooth_random_graph_without_warnings(expr):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no GradcheckWarning either: nothing is undecidable
        assert gradcheck(expr, expr.inputs) is True


@given(expressions(ops=SMOOTH, max_inputs=3, max_steps=6))
def test_gradcheck_order_2_passes_every_smooth_random_graph(expr):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(expr, expr.inputs, order=2) is True


@given(expressions(max_inputs=3))
def test_gradcheck_never_reports_a_kink_as_a_mismatch(expr):
    # relu/abs anywhere, inputs often exactly 0: undecidable is allowed, a failure is not.
    assert gradcheck(expr, expr.inputs, undecidable="ignore") is True


def test_gradcheck_passes_micrographs_readme_expression():
    assert gradcheck(micrograd_readme_expression, [-4.0, 2.0]) is True
    assert gradcheck(micrograd_readme_expression, [-4.0, 2.0], order=2) is True


def test_gradcheck_passes_an_mlp_as_a_function_of_its_inputs():
    model = MLP(3, [4, 4, 1], activation="tanh", seed=0)
    assert gradcheck(lambda *x: model(list(x)), [0.3, -0.8, 1.1], order=2) is True


def test_gradcheck_leaves_grads_of_values_the_function_closes_over_untouched():
    model = MLP(2, [3, 1], seed=1)
    for p in model.parameters():
        p.grad = 0.25
    gradcheck(lambda a, b: model([a, b]), [0.5, -0.5])
    assert all(p.grad == 0.25 for p in model.parameters())


def test_gradcheck_works_inside_no_grad():
    # Inside the caller's no_grad() nothing would be recorded and every derivative read 0.
    with no_grad():
        assert gradcheck(lambda a: a * a.exp(), [0.5]) is True


def test_gradcheck_passes_a_function_whose_output_ignores_an_input():
    assert gradcheck(lambda a, b: a * 2, [1.0, 5.0]) is True
    assert gradcheck(lambda a: Value(3.0) * 1, [1.0]) is True  # no input reached at all: 0 = 0


def test_gradcheck_passes_the_identity():
    # The output is the input leaf itself: backward() seeds it with 1.
    assert gradcheck(lambda a: a, [2.0], order=2) is True


# --------------------------------------------------------------------------- hidden computation fails, named


HIDING = {
    "detach": lambda a, b: a * b.detach(),
    ".data arithmetic": lambda a, b: a * b.data,
    "no_grad inside": lambda a, b: a * _no_grad_square(b),
    "Value(.data)": lambda a, b: a + Value(b.data**2),
}


def _no_grad_square(b: Value) -> Value:
    with no_grad():
        return b * b


@pytest.mark.parametrize("name", sorted(HIDING))
def test_a_function_hiding_part_of_its_computation_fails_naming_that_input(name):
    with pytest.raises(GradcheckError) as info:
        gradcheck(HIDING[name], [1.5, -2.0])
    error = info.value
    assert [m.wrt for m in error.mismatches] == [(1,)]
    assert "∂f/∂b (input 1)" in str(error)
    assert "∂f/∂a" not in str(error)  # the right derivative is not blamed


def test_the_report_names_every_disagreeing_input_with_both_values():
    def f(a, b, c):
        return a.detach() * b + c.data * c  # ∂/∂a is missing, ∂/∂c is half of it

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [2.0, 3.0, -1.0])
    error = info.value
    assert isinstance(error, AssertionError)  # pytest shows it as a failed assertion
    assert [m.wrt for m in error.mismatches] == [(0,), (2,)]
    by_input = {m.wrt[0]: m for m in error.mismatches}
    assert by_input[0].analytical == 0.0 and by_input[0].numerical == pytest.approx(3.0)
    assert by_input[2].analytical == -1.0 and by_input[2].numerical == pytest.approx(-2.0)
    lines = str(error).splitlines()
    assert lines[1] == "at a = 2.0, b = 3.0, c = -1.0:"
    assert lines[2].startswith("  ∂f/∂a (input 0): analytical 0.0, numerical 2.99999")
    assert lines[3].startswith("  ∂f/∂c (input 2): analytical -1.0, numerical -2.0")
    assert len(error.checks) == 3 and error.inputs == (2.0, 3.0, -1.0)


def test_the_report_reads_as_documented():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a * b.detach(), [2.0, -1.0])
    assert str(info.value) == (
        "gradcheck: 1 of 2 derivatives disagree with central differences (eps=1e-06, atol=1e-05, rtol=0.001, order=1)\n"
        "at a = 2.0, b = -1.0:\n"
        "  ∂f/∂b (input 1): analytical 0.0, numerical 2.0 (off by 2, allowed 0.00201)"
    )
    (mismatch,) = info.value.mismatches
    assert mismatch == DerivativeCheck((1,), "∂f/∂b", 0.0, 2.0, 1e-5 + 1e-3 * 2.0, "mismatch")
    assert mismatch.error == 2.0


def test_tolerances_decide_what_counts_as_agreement():
    def slightly_off(a):  # analytical derivative 2a·1.0001 instead of 2a
        return a * a + 0.0001 * a * a.detach()

    assert gradcheck(slightly_off, [1.0], rtol=1e-3) is True
    with pytest.raises(GradcheckError):
        gradcheck(slightly_off, [1.0], rtol=1e-5, atol=0.0)
    assert gradcheck(slightly_off, [1.0], rtol=0.0, atol=1e-3) is True


@given(x=floats_between(-3.0, 3.0), scale=floats_between(0.1, 10.0))
def test_a_missing_factor_always_fails(x, scale):
    # f = scale·a² computed as a·(scale·a).detach(): analytical scale·a, true 2·scale·a.
    if abs(x) < 1e-2:
        x = 1.0
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: a * (scale * a).detach(), [x])


# --------------------------------------------------------------------------- kinks: undecidable, not failed


@pytest.mark.parametrize(("f", "op"), [(Value.relu, "relu"), (Value.abs, "abs")])
def test_a_kink_exactly_at_the_point_is_undecidable(f, op):
    with pytest.warns(GradcheckWarning) as record:
        assert gradcheck(f, [0.0]) is True
    (warning,) = record
    (check,) = warning.message.undecidable
    assert check.status == "undecidable" and check.wrt == (0,)
    assert f"the input of {op} is exactly at its kink 0" in check.reason
    assert "undecidable at this point" in str(warning.message)


def test_a_central_difference_straddling_a_kink_is_undecidable():
    # relu's true derivative at 5e-7 is 1; the central difference with eps=1e-6 says 0.75.
    with pytest.raises(GradcheckError) as info:
        gradcheck(Value.relu, [5e-7], undecidable="raise")
    assert info.value.mismatches == ()
    (check,) = info.value.undecidable
    assert check.numerical == pytest.approx(0.75)
    assert "straddles the kink of relu at 0" in check.reason


def test_a_point_further_than_eps_from_the_kink_is_decided():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(Value.relu, [2e-6]) is True
        assert gradcheck(Value.abs, [-2e-6]) is True


@given(floats_between(-3e-6, 3e-6))
def test_relu_near_its_kink_is_never_a_false_mismatch(x):
    assert gradcheck(lambda a: a.relu() * 3 + a, [x], undecidable="ignore") is True


def test_a_kink_deep_in_the_graph_makes_every_input_moving_it_undecidable():
    def f(a, b, c):
        return (a - b).relu() * c.exp()

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.0, 1.0, 0.5], undecidable="raise")
    assert [c.wrt for c in info.value.undecidable] == [(0,), (1,)]  # c moves no kink: decided
    assert info.value.mismatches == ()


def test_undecidable_and_mismatched_inputs_are_reported_together():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: a.relu() + b * b.detach(), [0.0, 2.0])
    error = info.value
    assert [m.wrt for m in error.mismatches] == [(1,)]
    assert [u.wrt for u in error.undecidable] == [(0,)]
    report = str(error)
    assert report.index("∂f/∂b (input 1)") < report.index("undecidable at this point") < report.index("∂f/∂a")


def test_a_python_branch_on_data_is_undecidable_where_it_switches():
    def my_max(a, b):
        return a if a.data > b.data else b  # a kink the graph cannot show

    with pytest.warns(GradcheckWarning) as record:
        assert gradcheck(my_max, [1.0, 1.0]) is True
    reasons = [c.reason for c in record[0].message.undecidable]
    assert len(reasons) == 2 and all("differently shaped graph" in r for r in reasons)


def test_a_python_branch_away_from_its_switch_is_checked_normally():
    def my_abs(a):
        return a if a.data > 0 else -a

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(my_abs, [-0.5]) is True


def test_a_domain_edge_within_eps_is_undecidable():
    with pytest.warns(GradcheckWarning) as record:
        assert gradcheck(lambda a: a.sqrt(), [1e-7]) is True
    (check,) = record[0].message.undecidable
    assert check.numerical is None and math.isnan(check.tolerance)
    assert "not defined on both sides within eps of a" in check.reason and "sqrt" in check.reason


def test_undecidable_ignore_is_silent_and_raise_is_an_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradcheck(Value.abs, [0.0], undecidable="ignore") is True
    with pytest.raises(GradcheckError, match="1 of 1 derivatives are undecidable"):
        gradcheck(Value.abs, [0.0], undecidable="raise")


def test_the_warning_points_at_the_caller():
    with pytest.warns(GradcheckWarning) as record:
        gradcheck(Value.relu, [0.0])
    assert record[0].filename == __file__
    with pytest.warns(GradcheckWarning) as record:
        micrograd.gradcheck(Value.relu, [0.0])
    assert record[0].filename == __file__


# --------------------------------------------------------------------------- order 2


def _hidden_curvature(a: Value) -> Value:
    # Value a²/2 and first derivative a.data = a are right; but the derivative is a leaf
    # (a.data), so the recorded second derivative is 0 instead of 1.
    return a * a.data - a.data**2 / 2


def test_order_2_catches_a_wrong_second_derivative_that_order_1_misses():
    assert gradcheck(_hidden_curvature, [1.5]) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(_hidden_curvature, [1.5], order=2)
    (mismatch,) = info.value.mismatches
    assert mismatch.wrt == (0, 0) and mismatch.name == "∂²f/∂a²"
    assert mismatch.analytical == 0.0 and mismatch.numerical == pytest.approx(1.0)
    assert "∂²f/∂a² (input 0): analytical 0.0" in str(info.value)


def test_order_2_names_mixed_second_derivatives_by_both_inputs():
    def f(a, b):  # = ab with the right first derivatives b and a, but recorded as constants
        return a * b.data + a.data * b - a.data * b.data

    assert gradcheck(f, [1.0, 2.0]) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.0, 2.0], order=2)
    assert sorted(m.wrt for m in info.value.mismatches) == [(0, 1), (1, 0)]
    assert "∂²f/∂a∂b (inputs 0, 1)" in str(info.value)


@pytest.mark.parametrize("name", SMOOTH)
def test_order_2_passes_every_smooth_step(name):
    arity, step = STEPS[name]
    assert gradcheck(step, [0.3, -0.7, 1.1, 0.4, -1.3][:arity], order=2) is True


def test_order_2_kinks_are_undecidable_too():
    # relu(x)² has a continuous first derivative, but its second jumps from 0 to 2 at 0.
    with pytest.warns(GradcheckWarning) as record:
        assert gradcheck(lambda a: a.relu() ** 2, [0.0], order=2) is True
    assert [c.wrt for c in record[0].message.undecidable] == [(0,), (0, 0)]
    assert gradcheck(lambda a: a.relu() ** 2, [0.5], order=2) is True


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"f": 3}, TypeError, "f must be a function"),
        ({"inputs": 2.0}, TypeError, r"\[2\.0\]"),
        ({"inputs": "12"}, TypeError, "sequence of numbers"),
        ({"inputs": []}, ValueError, "empty"),
        ({"inputs": [1.0, float("nan")]}, ValueError, r"inputs\[1\] must be finite, got nan"),
        ({"inputs": [float("inf")]}, ValueError, "inf"),
        ({"inputs": [10**400]}, ValueError, r"inputs\[0\] must be finite"),
        ({"inputs": Value(1.0)}, TypeError, "sequence of numbers"),
        ({"inputs": [True]}, TypeError, r"inputs\[0\] must be a real number, got bool"),
        ({"inputs": ["1"]}, TypeError, "str"),
        ({"inputs": [Value(1.0)]}, TypeError, r"inputs\[0\] is a Value"),
        ({"eps": 0.0}, ValueError, "eps must be a finite number > 0"),
        ({"eps": -1e-6}, ValueError, "eps"),
        ({"eps": float("nan")}, ValueError, "eps"),
        ({"eps": "small"}, TypeError, "eps must be a real number"),
        ({"eps": True}, TypeError, "eps"),
        ({"atol": -1.0}, ValueError, "atol"),
        ({"rtol": float("inf")}, ValueError, "rtol"),
        ({"order": 3}, ValueError, "order must be 1 or 2"),
        ({"order": 0}, ValueError, "order"),
        ({"order": True}, ValueError, "order"),
        ({"order": 1.5}, ValueError, "order"),
        ({"undecidable": "maybe"}, ValueError, "undecidable must be 'warn', 'raise' or 'ignore'"),
        ({"inputs": [1e20]}, ValueError, "below the float resolution"),
        ({"f": lambda a: a}, TypeError, "cannot take the 2 inputs"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_bad_arguments_are_clear_errors(kwargs, error, message):
    arguments = {"f": lambda a, b: a * b, "inputs": [1.0, 2.0], **kwargs}
    if "inputs" in kwargs and "f" not in kwargs:
        arguments["f"] = lambda *xs: xs[0] * 1
    with pytest.raises(error, match=message):
        gradcheck(**arguments)


def test_f_must_return_a_value():
    with pytest.raises(TypeError, match=r"f must return a Value, got float 3\.0 \(did it compute on \.data\?\)"):
        gradcheck(lambda a: a.data * 2, [1.5])
    with pytest.raises(TypeError, match="got list"):
        gradcheck(lambda a: [a], [1.5])


def test_an_error_of_f_at_the_point_itself_propagates():
    with pytest.raises(ValueError, match=r"log\(-1\.0\)"):
        gradcheck(Value.log, [-1.0])


def test_inputs_are_named_after_the_parameters_of_f():
    def f(x, *rest):
        return x.detach() * rest[0] * rest[1]

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [1.0, 2.0, 3.0])
    assert "∂f/∂x (input 0)" in str(info.value)
    assert "at x = 1.0, rest[0] = 2.0, rest[1] = 3.0:" in str(info.value)


def test_builtins_work_and_a_function_without_a_signature_has_inputs_named_by_position():
    assert gradcheck(operator.mul, (2.0, 3.0)) is True  # a tuple of numbers is fine too

    class Opaque:
        __signature__ = "not one"  # inspect.signature() gives up on this

        def __call__(self, a, b):
            return a * b.detach()

    with pytest.raises(GradcheckError) as info:
        gradcheck(Opaque(), [2.0, 3.0])
    assert "∂f/∂inputs[1] (input 1)" in str(info.value)
    assert "at inputs[0] = 2.0, inputs[1] = 3.0:" in str(info.value)


def test_inputs_may_be_any_iterable_of_real_numbers():
    assert gradcheck(lambda a, b: a * b, (x for x in [1, 2])) is True
    np = pytest.importorskip("numpy")
    assert gradcheck(lambda a, b: a * b, np.array([1.0, 2.0])) is True


@given(st.lists(floats_between(-2.0, 2.0), min_size=1, max_size=4))
def test_gradcheck_of_a_sum_of_squares_is_true_at_any_point(xs):
    assert gradcheck(lambda *v: sum(vi * vi for vi in v), xs, order=2) is True


# --------------------------------------------------------------------------- a backward pass of your own


def _overwriting(root):
    """backward() with the classic bug: = instead of +=."""
    order = micrograd.topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad = local * node.grad


def test_a_backward_that_overwrites_is_caught_where_a_value_is_used_twice():
    with pytest.raises(GradcheckError, match=r"analytical 1\.0") as info:
        gradcheck(lambda a: a + a, [3.0], backward=_overwriting)
    assert [c.name for c in info.value.mismatches] == ["∂f/∂a"]
    with pytest.raises(GradcheckError):
        gradcheck(micrograd_readme_expression, [-4.0, 2.0], backward=_overwriting)


@given(floats_between(-2.0, 2.0), floats_between(-2.0, 2.0), floats_between(-2.0, 2.0))
def test_a_backward_that_overwrites_passes_where_no_value_is_used_twice(a, b, c):
    assert gradcheck(lambda a, b, c: (a * b + c).tanh(), [a, b, c], backward=_overwriting) is True


def test_the_default_backward_is_value_backward_and_a_non_function_is_refused():
    assert gradcheck(lambda a: a + a, [3.0], backward=Value.backward) is True
    with pytest.raises(TypeError, match="backward must be a function"):
        gradcheck(lambda a: a + a, [3.0], backward="backward")


# --------------------------------------------------------------------------- the classic mistakes (micrograd.mistakes)


def _doubled(a):
    b = a + a  # one value used twice...
    return b + b  # ...and used twice again


def _twice_deep(a):
    x = (a * 0.5).tanh()  # an interior value with consumers at two depths
    return x + (x * 3).exp()


# For each mistake, a function and point where it gives a wrong derivative (worked out in
# tests/test_mistakes.py), and one where it cannot matter.
CAUGHT = {
    "overwrite": (lambda a, b: a * b + a, [2.0, 3.0]),
    "no_topological_order": (_twice_deep, [0.7]),
    "recursion_without_visited": (_doubled, [1.0]),
    "no_zero_grad": (lambda a: a * a, [1.0]),
    "backward_twice": (_twice_deep, [0.7]),
    "set_of_parents": (lambda a: a * a, [3.0]),
    "wrong_local": (lambda x, y: x.tanh() * y.relu(), [0.5, 3.0]),
}
HARMLESS = {
    "overwrite": (lambda a, b, c: (a * b + c).tanh(), [0.3, -1.2, 0.4]),
    "no_topological_order": (lambda a: (a * 2).exp().tanh(), [0.3]),
    "recursion_without_visited": (lambda a, b: (a - b).sigmoid(), [0.3, 1.1]),
    "set_of_parents": (lambda a, b: a * b + 1, [0.3, 1.1]),
    "wrong_local": (lambda a, b: (a * b).exp(), [0.3, 1.1]),
}


@pytest.mark.parametrize("name", sorted(CAUGHT))
def test_gradcheck_catches_each_mistake_by_name_and_as_a_pass(name):
    from micrograd.mistakes import NAMES, backward_pass

    assert set(CAUGHT) == set(NAMES)
    f, point = CAUGHT[name]
    assert gradcheck(f, point) is True  # the right backward() passes
    with pytest.raises(GradcheckError, match=rf"backward='{name}'") as info:
        gradcheck(f, point, backward=name)
    assert info.value.mismatches
    with pytest.raises(GradcheckError):
        gradcheck(f, point, backward=backward_pass(name))


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_gradcheck_passes_a_mistake_where_it_cannot_matter(name):
    f, point = HARMLESS[name]
    assert gradcheck(f, point, backward=name) is True


def test_an_unknown_mistake_name_is_refused_naming_the_mistakes():
    with pytest.raises(TypeError, match=r"name of a mistake in micrograd.mistakes \(overwrite, .*got str 'overwrit'"):
        gradcheck(lambda a: a + a, [3.0], backward="overwrit")


# --------------------------------------------------------------------------- the public name


def test_micrograd_gradcheck_is_the_same_function_however_it_was_imported():
    from micrograd.gradcheck import gradcheck as from_module

    module = importlib.import_module("micrograd.gradcheck")
    assert micrograd.gradcheck is from_module is module.gradcheck
    assert micrograd.gradcheck(lambda a: a * a, [1.0]) is True
    assert micrograd.GradcheckError is GradcheckError


def test_micrograd_gradcheck_is_the_function_itself():
    import micrograd.gradcheck  # as any user or test may do first

    assert inspect.isfunction(micrograd.gradcheck)


def test_second_order_gradcheck_works_inside_no_grad():
    with no_grad():
        assert gradcheck(lambda a, b: a * a * b.exp(), [0.5, -0.3], order=2) is True


def test_a_central_difference_that_overflows_is_undecidable_not_a_mismatch():
    # f(±eps) = ±1.7e308: the difference overflows, the derivative (1.7e300) does not.
    with pytest.raises(GradcheckError, match="central difference overflows a float") as info:
        gradcheck(lambda x: x * 1.7e300, [0.0], eps=1e8, undecidable="raise")
    assert not info.value.mismatches and len(info.value.undecidable) == 1


def test_a_gradient_that_overflows_at_the_point_is_an_error_not_a_report_of_inf():
    with pytest.raises(OverflowError, match="gradient of"):
        gradcheck(lambda a, b: a * b * b, [1e-300, 1e300], eps=1e290)
