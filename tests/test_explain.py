"""Paths, their count, forward mode and the path table (micrograd.explain)."""

from __future__ import annotations

import doctest
import html.parser
import math
import re
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import micrograd
import micrograd.explain
from micrograd import Value
from micrograd.engine import GradientOverflowError
from micrograd.explain import Path, PathTable, count_edges, count_paths, forward_grad, paths
from micrograd.nn import MLP

# --------------------------------------------------------------------------- random graphs
#
# A recipe is a list of steps; each step combines earlier values (inputs or results) picked
# by index, so values are shared and the graph has many paths. The same recipe runs on
# Values (for the engine) and on floats (for finite differences).

SMOOTH_UNARY = {
    "tanh": (Value.tanh, math.tanh),
    "sigmoid": (Value.sigmoid, lambda x: 1 / (1 + math.exp(-x))),
    "square": (lambda v: v**2, lambda x: x**2),
    "neg": (lambda v: -v, lambda x: -x),
    "log1p_sq": (lambda v: (1 + v * v).log(), lambda x: math.log(1 + x * x)),
}
KINKED_UNARY = {
    "relu": (Value.relu, lambda x: max(x, 0.0)),
    "abs": (Value.abs, abs),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div1p": (lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
}


@st.composite
def recipes(draw, kinks: bool = True):
    unary = {**SMOOTH_UNARY, **(KINKED_UNARY if kinks else {})}
    inputs = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=3))
    steps = []
    for k in range(draw(st.integers(1, 8))):
        earlier = st.integers(0, len(inputs) + k - 1)
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(BINARY))), draw(earlier), draw(earlier)))
        else:
            steps.append((draw(st.sampled_from(sorted(unary))), draw(earlier), None))
    return inputs, steps


def run_recipe(inputs, steps, on_values: bool = True):
    ops = {**SMOOTH_UNARY, **KINKED_UNARY, **BINARY}
    pool = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)] if on_values else list(inputs)
    side = 0 if on_values else 1
    for name, i, j in steps:
        f = ops[name][side]
        pool.append(f(pool[i]) if j is None else f(pool[i], pool[j]))
    return pool


def build(recipe):
    inputs, steps = recipe
    try:
        pool = run_recipe(inputs, steps)
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    return pool


def scale(table: PathTable) -> float:
    """How big the numbers being added are: the size rounding errors are relative to."""
    return math.fsum(abs(p) for p in table.products) + 1e-300


# --------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(recipes(), st.data())
def test_path_products_sum_to_backward_and_forward_mode(recipe, data):
    pool = build(recipe)
    output = pool[-1]
    wrt = data.draw(st.sampled_from(pool), label="wrt")  # inputs and interior values alike
    table = paths(output, wrt, limit=None)
    output.backward()
    assert table.backward_grad == wrt.grad  # the private reverse pass is backward() bit for bit
    assert len(table) == count_paths(output, wrt)
    tol = 1e-10 * scale(table)
    assert abs(table.total - wrt.grad) <= tol
    assert abs(forward_grad(output, wrt) - wrt.grad) <= tol


@settings(max_examples=150, deadline=None)
@given(recipes(kinks=False), st.data())
def test_path_products_sum_to_finite_differences(recipe, data):
    inputs, steps = recipe
    pool = build(recipe)
    output = pool[-1]
    i = data.draw(st.integers(0, len(inputs) - 1), label="input")
    assume(abs(output.data) < 1e3)
    table = paths(output, pool[i], limit=None)
    assume(scale(table) < 1e4)

    def f(x: float) -> float:
        shifted = list(inputs)
        shifted[i] = x
        return run_recipe(shifted, steps, on_values=False)[-1]

    h = 1e-5
    try:
        central = (f(inputs[i] + h) - f(inputs[i] - h)) / (2 * h)
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    assert abs(table.total - central) <= 1e-4 * (1 + scale(table))


@settings(max_examples=100, deadline=None)
@given(recipes(), st.data())
def test_every_path_is_a_real_distinct_walk_from_wrt_to_output(recipe, data):
    pool = build(recipe)
    output = pool[-1]
    wrt = data.draw(st.sampled_from(pool), label="wrt")
    seen = set()
    for path in paths(output, wrt, limit=None):
        assert path.nodes[0] is wrt and path.nodes[-1] is output
        assert len(path.local_grads) == len(path.edge_indices) == len(path.nodes) - 1 == len(path)
        for parent, child, j in path.edges:
            assert child.parents[j] is parent
        assert path.local_grads == tuple(c.local_grads[j] for _, c, j in path.edges)
        assert path.product == math.prod(reversed(path.local_grads))
        key = (tuple(map(id, path.nodes)), path.edge_indices)
        assert key not in seen
        seen.add(key)


@settings(max_examples=50, deadline=None)
@given(recipes())
def test_listing_counting_and_forward_mode_leave_every_grad_alone(recipe):
    pool = build(recipe)
    for k, v in enumerate(pool):
        v.grad = float(k) + 0.5
    for wrt in pool:
        paths(pool[-1], wrt, limit=None)
        count_paths(pool[-1], wrt)
        forward_grad(pool[-1], wrt)
    assert [v.grad for v in pool] == [k + 0.5 for k in range(len(pool))]


# --------------------------------------------------------------------------- constructed graphs


def diamonds(depth: int, width: int = 3):
    """`depth` diamonds in a chain: each value feeds `width` ops that are added back together."""
    x = Value(0.1, label="x")
    y = x
    for _ in range(depth):
        branches = [y.tanh(), y.sigmoid(), y * 0.5, y * y][:width]
        total = branches[0]
        for b in branches[1:]:
            total = total + b
        y = total
    return x, y


def test_count_of_40_diamonds_of_width_3_is_3_to_the_40_instantly():
    x, y = diamonds(40)
    start = time.perf_counter()
    assert count_paths(y, x) == 3**40
    assert time.perf_counter() - start < 0.5


def test_count_stays_exact_beyond_floats_on_1000_diamonds():
    x, y = diamonds(1000, width=2)
    assert count_paths(y, x) == 2**1000  # a Python int, exact


def test_over_the_limit_paths_refuses_at_once_and_says_how_many():
    x, y = diamonds(40)
    start = time.perf_counter()
    with pytest.raises(ValueError) as info:
        paths(y, x)
    assert time.perf_counter() - start < 0.5
    message = str(info.value)
    assert str(3**40) in message and "limit=10000" in message and "limit=None" in message
    assert "\n" not in message


def test_the_limit_is_inclusive():
    x, y = diamonds(3)  # 27 paths
    assert len(paths(y, x, limit=27)) == 27
    with pytest.raises(ValueError, match="27 paths"):
        paths(y, x, limit=26)
    assert len(paths(y, x, limit=None)) == 27


@pytest.mark.parametrize("limit", [-1, 2.5, "10", True])
def test_a_bad_limit_is_refused(limit):
    a = Value(1.0)
    with pytest.raises(ValueError, match="limit"):
        paths(a * 2, a, limit=limit)


def test_small_diamond_chain_lists_every_path_and_they_add_up():
    x, y = diamonds(5)
    table = paths(y, x)
    y.backward()
    assert len(table) == 3**5 == count_paths(y, x)
    assert table.total == pytest.approx(x.grad, rel=1e-12)
    assert forward_grad(y, x) == pytest.approx(x.grad, rel=1e-12)


def test_parallel_edges_are_distinct_paths():
    a = Value(3.0, label="a")
    square = a * a
    table = paths(square, a)
    assert len(table) == 2
    assert [p.edge_indices for p in table] == [(0,), (1,)]
    assert [p.product for p in table] == [3.0, 3.0]
    assert table.total == 6.0
    cube = a * a * a
    assert count_paths(cube, a) == 3
    assert paths(cube, a).total == 27.0


def test_the_classic_example_has_the_two_paths_a_reader_expects():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    out = a * b + a
    table = paths(out, a)
    assert [[n.label or n.op for n in p.nodes] for p in table] == [["a", "*", "+"], ["a", "+"]]
    assert table.products == [3.0, 1.0]
    assert table.total == 4.0 == table.backward_grad


def test_a_value_has_one_empty_path_to_itself():
    a = Value(2.0)
    out = a.tanh()
    (path,) = paths(out, out)
    assert path.nodes == (out,) and path.local_grads == () and path.product == 1.0
    assert count_paths(out, out) == 1
    assert forward_grad(out, out) == 1.0


def test_a_value_the_output_does_not_depend_on_has_no_path():
    a, b = Value(2.0, label="a"), Value(5.0, label="b")
    out = a * 3
    table = paths(out, b)
    assert len(table) == 0 and table.total == 0.0 and table.backward_grad == 0.0
    assert count_paths(out, b) == 0
    assert forward_grad(out, b) == 0.0
    assert "no path" in str(table) and "no path" in table._repr_html_()


def test_paths_start_at_wrt_even_when_wrt_has_parents_of_its_own():
    a = Value(2.0, label="a")
    hidden = a * a  # interior: paths from it ignore how it was made
    out = hidden * a + hidden
    assert count_paths(out, hidden) == 2
    out.backward()
    assert paths(out, hidden).total == hidden.grad == forward_grad(out, hidden)


def test_a_million_op_chain_works_without_recursion():
    x = Value(0.5, label="x")
    y = x
    for _ in range(200_000):
        y = y * 1.0 + 0.0
    (path,) = paths(y, x)
    assert len(path) == 400_000
    assert count_paths(y, x) == 1
    y.backward()
    assert path.product == x.grad == forward_grad(y, x) == 1.0


def test_one_path_product_is_backward_bit_for_bit():
    x = Value(0.3, label="x")
    y = x
    for _ in range(30):
        y = (y * 0.7).tanh().sigmoid()
    (path,) = paths(y, x)
    y.backward()
    assert path.product == x.grad


def test_forward_mode_gives_every_output_from_one_sweep():
    x = Value(2.0)
    outs = [x * x, x.exp(), (x * 3).tanh()]
    assert forward_grad(outs, x) == pytest.approx([4.0, math.exp(2.0), 3 * (1 - math.tanh(6.0) ** 2)])
    assert forward_grad([], x) == []


def test_forward_mode_over_every_point_of_a_long_sequence_walks_the_graph_once():
    # Regression: the joint order was one topological_order per output, quadratic when each
    # output depends on the one before (20,000 points: about 2e8 visits instead of 4e4).
    x = Value(0.5)
    points = [x]
    for _ in range(20_000):
        points.append(points[-1] * 0.999 + 0.001)
    slopes = forward_grad(points[1:], x)
    assert slopes[0] == 0.999
    assert slopes[-1] == pytest.approx(0.999**20_000)
    small = points[1:6]
    assert forward_grad(small, x) == [forward_grad(p, x) for p in small]


def test_count_edges_is_what_backward_walks():
    a = Value(1.0)
    out = a * a + a  # edges: a*a has two, + has two
    assert count_edges(out) == 4
    assert paths(out, a).edges == 4
    assert count_edges(a) == 0


@pytest.mark.parametrize("call", [paths, count_paths, forward_grad])
def test_non_values_are_a_type_error_naming_what_was_given(call):
    a = Value(1.0)
    with pytest.raises(TypeError, match="wrt must be a Value, got float"):
        call(a * 2, 1.0)
    with pytest.raises(TypeError, match="must be a Value, got str"):
        call("a", a)


def test_path_checks_its_own_shape():
    a = Value(1.0)
    with pytest.raises(ValueError, match="needs 1 local_grads"):
        Path((a, a * 2), (), ())


# --------------------------------------------------------------------------- the table


class _Checker(html.parser.HTMLParser):
    """Fails on tags closed out of order: enough to catch a broken table."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag

    def handle_data(self, data):
        self.text.append(data)


def test_table_prints_every_path_the_sum_backward_and_the_counts():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    text = str(paths(a * b + a, a))
    assert text.splitlines()[0] == "∂(a*b + a)/∂a: sum over 2 paths"
    assert "a → a*b → a*b + a" in text and "3 × 1" in text
    assert "a → a*b + a" in text
    assert "sum of products" in text and "backward()" in text and "(equal)" in text
    assert "2 paths here" in text and "4 edges" in text


def test_table_names_unlabeled_values_by_the_expression_they_compute():
    x = Value(0.5)  # no labels anywhere: leaves show their numbers
    text = str(paths((x * 2).tanh() - x, x))
    assert "0.5 → 0.5*2 → tanh(0.5*2) → tanh(0.5*2) - 0.5" in text


def test_table_tells_parallel_edges_apart():
    a = Value(3.0, label="a")
    text = str(paths(a * a, a))
    assert "a →₀ a*a" in text and "a →₁ a*a" in text and "parallel edges" in text


def test_table_gives_repeated_names_a_number():
    a = Value(1.0, label="a")
    out = a * 2 + a * 2  # two different values that both read a*2
    text = str(paths(out, a))
    assert "a*2#1" in text and "a*2#2" in text


def test_the_table_says_what_a_number_suffix_means():
    a = Value(1.0, label="a")
    text = str(paths(a * 2 + a * 2, a))
    assert "#n: the n-th value of that name, in the order computed (a*2#2: the second a*2)" in text
    assert "#n" not in str(paths(a * 2 + a, a))  # no suffix, no note
    assert "(a*2#2: the second a*2)" in paths(a * 2 + a * 2, a)._repr_html_()


def test_a_heading_parenthesises_a_name_that_is_not_one_symbol():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    inner = a * b + a
    out = inner * a
    out.label = "C"
    assert str(paths(out, inner)).startswith("∂C/∂(a*b + a): sum over 1 path")
    assert str(paths(out, a)).startswith("∂C/∂a: sum over 3 paths")


def test_a_network_is_named_by_roles_not_by_values():
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    w = model.layers[0].neurons[1].w[0]
    text = str(paths(out, w))
    assert text.startswith("∂z³₁/∂w²₂₁: sum over 1 path")
    assert "w²₂₁ → z²₂ → a²₂ → z³₁" in text
    assert not re.search(r"\S#\d", text) and "Σwx+b" not in text and f"{w.data:g}" not in text


def test_table_shows_a_bounded_number_of_rows_but_sums_them_all():
    x, y = diamonds(6)  # 729 paths
    table = paths(y, x)
    text = str(table)
    assert "679 more paths not shown (included in the sum)" in text
    assert len(text.splitlines()) < 70
    assert repr(table.total) in text


def test_table_reports_rounding_honestly():
    x = Value(0.1, label="x")
    out = x * 0.1 + x * 0.2 + x * 0.3  # three paths whose products round differently
    table = paths(out, x)
    if table.total == table.backward_grad:
        assert "(equal)" in str(table)
    else:
        assert "rounding" in str(table)


def test_html_table_is_well_formed_and_escapes_labels():
    a = Value(2.0, label="<a&b>")
    out = a * a
    out.label = 'say "hi"'
    page = paths(out, a)._repr_html_()
    checker = _Checker()
    checker.feed(page)
    assert checker.stack == []
    text = "".join(checker.text)
    assert "<a&b> →₀ say \"hi\"" in text
    assert "<a&b>" not in page.replace("&lt;a&amp;b&gt;", "")
    assert "sum of products" in text and "backward()" in text


def test_path_repr_reads_as_a_route():
    a = Value(3.0, label="a")
    assert repr(paths(a * a, a)[1]) == "Path(a →₁ a*a, local_grads=(3.0,), product=3.0)"


def test_table_is_a_sequence_of_paths():
    a = Value(3.0, label="a")
    table = paths(a * a + a, a)
    assert isinstance(table[0], Path)
    assert len(table[1:]) == 2
    assert list(table) == list(table[:])
    assert "3 paths" in repr(table)


def test_public_names_come_from_the_package():
    for name in ["paths", "count_paths", "forward_grad", "Path", "PathTable"]:
        assert getattr(micrograd, name) is getattr(micrograd.explain, name)


def test_docstring_examples_run():
    assert doctest.testmod(micrograd.explain).failed == 0


# --------------------------------------------------------------------------- hardening


def _overflowing() -> tuple[Value, Value]:
    a, b = Value(1e-300, label="a"), Value(1e300, label="b")
    return a * b * b - a * b * b, a  # ∂/∂a is b² - b²: each path's product overflows


def test_a_path_product_that_overflows_is_an_error_naming_the_edge():
    out, a = _overflowing()
    with pytest.raises(GradientOverflowError, match=r"overflows a float at edge 1, a → a\*b \(argument 0 of \*\)"):
        paths(out, a)


def test_forward_mode_never_hands_back_inf_or_nan():
    out, a = _overflowing()
    for call in (lambda: forward_grad(out, a), lambda: forward_grad([out, out * 2], a)):
        with pytest.raises(GradientOverflowError, match=r"^forward_grad\(\): the tangent of .* on the edge"):
            call()


def test_the_sum_of_finite_path_products_can_overflow_too():
    a = Value(1e-300, label="a")
    left, right = a * 1e308, a * 1e308
    out = left + right  # 2e8, but ∂/∂a: each path 1e308, the sum 2e308
    with pytest.raises(GradientOverflowError, match=r"paths\(\): the backward\(\) column: the gradient of 'a'"):
        paths(out, a)
    each = [Path((a, v, out), (1e308, 1.0), (0, i)) for i, v in enumerate((left, right))]
    with pytest.raises(GradientOverflowError, match=r"sum of the 2 path products from a to .* overflows"):
        PathTable(out, a, each, backward_grad=0.0, order=micrograd.topological_order(out))


def test_the_backward_column_of_a_table_is_checked_like_backward():
    a = Value(1e-300, label="a")
    out = a * 1e308 + a * 1e308
    with pytest.raises(GradientOverflowError):
        micrograd.explain._reverse_pass(out, a, micrograd.topological_order(out))


def test_a_constant_base_power_is_written_with_its_base():
    x = Value(2.0, label="x")
    assert paths(3**x + x, x)[0].nodes[1].op == "3**"
    assert "3**x" in str(paths(3**x + x, x))
