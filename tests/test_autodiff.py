"""grad(), create_graph=True and hessian(): derivatives of derivatives."""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from micrograd import Value, grad, hessian, no_grad, topological_order
from micrograd.engine import GradientOverflowError

# op name -> (function on a Value, domain of x where it is smooth, away from kinks and edges)
UNARY = {
    "exp": (lambda v: v.exp(), (-5.0, 5.0)),
    "log": (lambda v: v.log(), (0.1, 10.0)),
    "sqrt": (lambda v: v.sqrt(), (0.1, 10.0)),
    "tanh": (lambda v: v.tanh(), (-3.0, 3.0)),
    "sigmoid": (lambda v: v.sigmoid(), (-6.0, 6.0)),
    "relu": (lambda v: v.relu() * v, (-5.0, 5.0)),  # x·relu(x): second derivative 2 or 0
    "abs": (lambda v: abs(v) * v, (-5.0, 5.0)),
    "neg": (lambda v: -v * v, (-5.0, 5.0)),
    "pow int": (lambda v: v**3, (-3.0, 3.0)),
    "pow float": (lambda v: v**2.5, (0.1, 4.0)),
    "pow value": (lambda v: v**v, (0.2, 3.0)),
    "rpow": (lambda v: 2**v, (-3.0, 3.0)),
    "div": (lambda v: 1 / v, (0.2, 5.0)),
    "sub": (lambda v: (3 - v) * v, (-5.0, 5.0)),
    "weighted sum": (
        lambda v: __import__("micrograd").weighted_sum([v, v * v], [v.tanh(), Value(0.5)], v) ** 2,
        (-2.0, 2.0),
    ),
}


def first_derivative(f, x: float) -> float:
    v = Value(x)
    return grad(f(v), [v])[0]


def second_derivative(f, x: float) -> float:
    v = Value(x)
    (dv,) = grad(f(v), [v], create_graph=True)
    return grad(dv, [v])[0]


def central_difference(g, x: float, eps: float = 1e-5) -> float:
    return (g(x + eps) - g(x - eps)) / (2 * eps)


def close(a: float, b: float, tol: float = 1e-4) -> bool:
    return abs(a - b) <= tol * (1 + abs(b))


@pytest.mark.parametrize("name", sorted(UNARY))
@given(u=st.floats(0.0, 1.0))
def test_second_derivative_of_every_op_matches_finite_differences_of_the_gradient(name, u):
    f, (lo, hi) = UNARY[name]
    x = lo + (hi - lo) * u
    assume(abs(x) > 1e-3)  # the kinked ops stay off their kink
    numeric = central_difference(lambda t: first_derivative(f, t), x)
    assert close(second_derivative(f, x), numeric)


@given(x=st.floats(-2.0, 2.0), y=st.floats(0.5, 2.0))
def test_hessian_matches_finite_differences_of_the_gradient(x, y):
    def f(a, b):
        return (a * b).tanh() + a**2 * b.log() + (a - b).exp()

    h = hessian(f, [x, y])
    for i in range(2):
        for j in range(2):

            def gj(t, i=i, j=j):
                point = [x, y]
                point[i] = t
                values = [Value(p) for p in point]
                return grad(f(*values), values)[j]

            assert close(h[i][j], central_difference(gj, [x, y][i]))


def test_hessian_is_symmetric_and_exact_on_a_polynomial():
    # f = a²b + b³: H = [[2b, 2a], [2a, 6b]]
    assert hessian(lambda a, b: a * a * b + b**3, [1.5, -2.0]) == [[-4.0, 3.0], [3.0, -12.0]]


def test_grad_of_grad_works_to_third_order():
    x = Value(2.0)
    y = x**4  # 4x³, 12x², 24x
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x], create_graph=True)
    assert (d1.data, d2.data, d3.data) == (32.0, 48.0, 48.0)
    assert grad(d3, [x]) == [24.0]


def test_grad_touches_no_grad_attribute():
    a, b = Value(2.0), Value(3.0)
    a.grad = 7.0
    c = a * b + a
    assert grad(c, [a, b]) == [4.0, 2.0]
    assert (a.grad, b.grad, c.grad) == (7.0, 0.0, 0.0)


def test_grad_equals_backward_and_sums_over_paths():
    a = Value(-1.5)
    b = a * a  # two parallel edges
    c = b.tanh() + b * a  # a reaches c along three paths
    (g,) = grad(c, [a])
    c.backward()
    assert g == pytest.approx(a.grad, rel=1e-12)


def test_unreached_input_gets_zero_and_a_value_with_create_graph():
    a, b = Value(1.0), Value(2.0)
    y = a * 3
    assert grad(y, [a, b]) == [3.0, 0.0]
    da, db = grad(y, [a, b], create_graph=True)
    assert isinstance(db, Value) and db.data == 0.0
    assert isinstance(da, Value) and da.data == 3.0


def test_output_as_its_own_input_has_gradient_one():
    a = Value(5.0)
    assert grad(a, [a]) == [1.0]
    (g,) = grad(a, [a], create_graph=True)
    assert isinstance(g, Value) and g.data == 1.0


def test_create_graph_records_the_derivative_even_inside_no_grad():
    x = Value(1.0)
    y = x.exp() * x
    with no_grad():
        (dy,) = grad(y, [x], create_graph=True)
    assert dy.parents  # recorded, so differentiable again
    assert grad(dy, [x])[0] == pytest.approx(3 * math.e)


def test_kinked_ops_have_zero_second_derivative_away_from_the_kink():
    for x in (-2.0, 3.0):
        assert second_derivative(lambda v: v.relu(), x) == 0.0
        assert second_derivative(lambda v: abs(v), x) == 0.0


def test_newton_step_on_a_quadratic_lands_on_the_minimum():
    # f(x, y) = (x - 1)² + 2(y + 3)² + xy: one Newton step from anywhere is exact.
    def f(x, y):
        return (x - 1) ** 2 + 2 * (y + 3) ** 2 + x * y

    point = [5.0, 5.0]
    values = [Value(p) for p in point]
    g = grad(f(*values), values)
    (h11, h12), (h21, h22) = hessian(f, point)
    det = h11 * h22 - h12 * h21
    step = [(h22 * g[0] - h12 * g[1]) / det, (-h21 * g[0] + h11 * g[1]) / det]
    x, y = point[0] - step[0], point[1] - step[1]
    values = [Value(x), Value(y)]
    assert grad(f(*values), values) == pytest.approx([0.0, 0.0], abs=1e-12)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: grad(3.0, []), "output must be a Value"),
        (lambda: grad(Value(1.0), [1.0]), "inputs must be Values"),
        (lambda: hessian(lambda a: 3.0, [1.0]), "f must return a Value"),
        (lambda: hessian(lambda a: a, [float("nan")]), "finite real number"),
    ],
)
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


# --------------------------------------------------------------------------- hardening


def test_hessian_inside_no_grad_records_f_anyway_instead_of_returning_zeros():
    with no_grad():
        assert hessian(lambda a, b: a * a * b, [1.0, 2.0]) == [[4.0, 2.0], [2.0, 0.0]]


def test_a_gradient_that_overflows_is_an_error_naming_the_value_and_edge_not_inf():
    a, b = Value(1e-300, label="a"), Value(1e300, label="b")
    with pytest.raises(GradientOverflowError, match=r"^grad\(\): the gradient of 'a' overflows a float on the edge"):
        grad(a * b * b - a * b * b, [a])


def test_create_graph_names_the_value_whose_derivative_overflows():
    a, b = Value(1e-300, label="a"), Value(1e300, label="b")
    with pytest.raises(GradientOverflowError, match=r"grad\(create_graph=True\): the derivative through"):
        grad(a * b * b, [a], create_graph=True)


def test_a_gradient_that_overflows_off_the_paths_to_the_inputs_does_not_matter():
    x, k, m = Value(1e300, label="x"), Value(1e-300, label="k"), Value(1e300, label="m")
    y = x * k * m  # ∂y/∂x = k·m = 1, while ∂y/∂k = x·m = 1e600
    assert grad(y, [x]) == [1.0]
    with pytest.raises(GradientOverflowError, match="gradient of 'k'"):
        y.backward()  # backward() fills in every leaf's grad, k's too


# create_graph=True where the derivative is a float but the derivative of the derivative
# is not: the derivative is computed (its graph records that local derivative as inf), and
# only going one order further raises, naming the edge.


@pytest.mark.parametrize(
    ("f", "x"),
    [(Value.log, 1e-160), (Value.log, 1e-300), (Value.sqrt, 1e-310), (lambda v: v**0.5, 1e-315)],
    ids=["log 1e-160", "log 1e-300", "sqrt 1e-310", "x**0.5 1e-315"],
)
def test_create_graph_computes_a_derivative_whose_own_derivative_overflows(f, x):
    v = Value(x)
    (first,) = grad(f(v), [v])
    (recorded,) = grad(f(v), [v], create_graph=True)
    assert recorded.data == first and math.isfinite(first)
    assert any(math.isinf(g) for node in topological_order(recorded) for g in node.local_grads)
    with pytest.raises(GradientOverflowError, match=r"local derivative -?inf"):
        grad(recorded, [v])
    with pytest.raises(GradientOverflowError, match=r"local derivative -?inf"):
        recorded.backward()


def test_outside_create_graph_an_overflowing_local_derivative_is_still_refused_at_the_op():
    with pytest.raises(OverflowError, match="the local derivative overflows a float"):
        1.0 / Value(1e-160)  # 1e160 is a float, ∂/∂x = -1e320 is not


@pytest.mark.parametrize(("f", "x"), [(Value.log, 1e-150), (Value.sqrt, 1e-200)], ids=["log", "sqrt"])
def test_create_graph_works_down_to_the_documented_limit(f, x):
    v = Value(x)
    (first,) = grad(f(v), [v], create_graph=True)
    assert math.isfinite(grad(first, [v])[0])


def test_a_number_base_near_the_float_limit_differentiates_to_any_order():
    x = Value(1023.9)
    y = 2**x  # 1.68e308: ∂/∂(base 2) would overflow, but a number base is no parent
    (dy,) = grad(y, [x], create_graph=True)
    assert dy.data == y.data * math.log(2)
    assert grad(dy, [x]) == [dy.data * math.log(2)]
