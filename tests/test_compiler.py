"""micrograd.compile: straight-line Python that agrees with the engine bit for bit."""

from __future__ import annotations

import ast
import io
import math
import re
import struct
import tokenize

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import backward_grads, expressions, floats_between, micrograd_readme_expression

import micrograd
from micrograd import Value, weighted_sum
from micrograd.compiler import Compiled
from micrograd.engine import Op


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def assert_same_as_engine(compiled: Compiled, f, xs) -> None:
    out, grads = backward_grads(f, xs)
    value, compiled_grads = compiled(*xs)
    assert bits(value) == bits(out.data)
    assert list(map(bits, compiled_grads)) == list(map(bits, grads))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), st.data())
def test_compiled_values_and_gradients_equal_the_engine_bit_for_bit_at_new_inputs(expr, data):
    compiled = micrograd.compile(expr, expr.inputs)
    assert_same_as_engine(compiled, expr, expr.inputs)
    # New inputs: relu and abs may now take the other branch than when the graph was recorded.
    new = data.draw(st.lists(floats_between(-2.0, 2.0), min_size=len(expr.inputs), max_size=len(expr.inputs)))
    assert_same_as_engine(compiled, expr, new)


@settings(max_examples=100, deadline=None)
@given(floats_between(-3, 3), floats_between(-3, 3))
def test_relu_and_abs_branch_at_run_time_not_at_the_recorded_point(x, recorded):
    def f(a):
        return a.relu() * 3 + abs(a) * 2

    compiled = micrograd.compile(f, [recorded])
    assert_same_as_engine(compiled, f, [x])


def test_micrograd_readme_expression_compiles_to_the_engine_numbers():
    compiled = micrograd.compile(micrograd_readme_expression, [-4.0, 2.0])
    value, grads = compiled(-4.0, 2.0)
    assert f"{value:.4f}" == "24.7041"
    assert [f"{g:.4f}" for g in grads] == ["138.8338", "645.5773"]
    assert_same_as_engine(compiled, micrograd_readme_expression, [3.0, -1.5])


def test_a_value_with_several_consumers_gets_one_line_per_edge():
    compiled = micrograd.compile(lambda a: a * a + a, [3.0])
    assert compiled.source.count("g_a += ") == 3  # a*a gives two edges, + a one more
    assert compiled(3.0) == (12.0, [7.0])


def test_names_follow_the_drawings_and_labels():
    def f(x, w):
        z = x * w
        z.label = "weighted input z₁"
        out = z.tanh()
        out.label = "lambda"  # a keyword
        return out

    source = micrograd.compile(f, [1.0, 2.0]).source
    assert source.startswith("def forward_backward(x, w):\n")
    assert "    weighted_input_z = x * w  # *\n" in source
    assert "    lambda_ = _tanh(weighted_input_z)  # tanh\n" in source
    assert "g_weighted_input_z += (1 - lambda_ * lambda_) * g_lambda_" in source


def test_names_that_collide_are_made_unique():
    def f(a, b):
        c = a * b
        c.label = "a"  # the same name as an input
        d = c + b
        d.label = "g_a"  # would be the gradient of a
        return d

    compiled = micrograd.compile(f, [2.0, 3.0])
    assert "a_2 = a * b" in compiled.source
    assert "v_g_a = a_2 + b" in compiled.source
    assert_same_as_engine(compiled, f, [-1.0, 0.5])


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OWN_COMMENTS = {
    "# *",
    "# +",
    "# relu",
    "# inf/nan from any line above shows here",
    "# and from the edges into constants, as backward() checks them",
}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=20), min_size=3, max_size=3))
def test_generated_source_holds_no_user_text_outside_comments_and_identifiers(labels):
    def f(a, b):
        c = Value(2.5, label=labels[0]) * a  # a labelled constant
        c.label = labels[1]
        d = (c + b).relu()
        d.label = labels[2]
        return d * d

    compiled = micrograd.compile(f, [1.0, -0.5])
    for token in tokenize.generate_tokens(io.StringIO(compiled.source).readline):
        assert token.type != tokenize.STRING
        if token.type == tokenize.NAME:
            assert _NAME.fullmatch(token.string)
        if token.type == tokenize.COMMENT:  # the op's name from the op table, or our own words
            assert token.string in _OWN_COMMENTS or token.string.startswith("# backward:")
    assert_same_as_engine(compiled, f, [0.3, 0.2])


def engine_error(f, xs) -> BaseException:
    with pytest.raises(Exception) as caught:
        f(*[Value(x) for x in xs])
    return caught.value


@pytest.mark.parametrize(
    "f, good, bad",
    [
        (lambda a: a.log(), [2.0], [-1.0]),
        (lambda a: a.sqrt(), [4.0], [-4.0]),
        (lambda a, b: a / b, [1.0, 2.0], [1.0, 0.0]),
        (lambda a: a.exp(), [1.0], [1000.0]),
        (lambda a, b: a * b, [1.0, 2.0], [1e200, 1e200]),  # inline arithmetic that overflows
        (lambda a, b: weighted_sum([a], [b], a), [1.0, 2.0], [1e300, 1e300]),
        (lambda a: a**0.5, [4.0], [-4.0]),
        (lambda a, b: a**b, [2.0, 0.5], [-2.0, 0.5]),
        (lambda a: (a * 1e200).tanh() * 2, [1.0], [1e200]),  # the inf vanishes in tanh: still an error
    ],
)
def test_errors_are_the_engines_own(f, good, bad):
    compiled = micrograd.compile(f, good)
    expected = engine_error(f, bad)
    with pytest.raises(type(expected)) as caught:
        compiled(*bad)
    assert str(caught.value) == str(expected)


def test_a_gradient_that_overflows_is_an_error_not_inf():
    def f(a, b):
        return a * b + a * b  # forward 2e298, but dC/da = 1e308 + 1e308

    compiled = micrograd.compile(f, [1.0, 1.0])
    with pytest.raises(micrograd.GradientOverflowError, match="overflows a float on the edge"):
        compiled(1e-10, 1e308)


def test_inputs_are_checked_like_values():
    compiled = micrograd.compile(lambda a: a * 2, [1.0])
    for bad in (math.nan, math.inf, "1", None, True):
        with pytest.raises((TypeError, ValueError)) as caught:
            compiled(bad)
        with pytest.raises(type(caught.value)) as engine:
            Value(bad)
        assert str(caught.value) == str(engine.value)
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        compiled(1.0, 2.0)
    assert compiled(3) == (6.0, [2.0])


def test_an_unused_input_has_gradient_zero():
    compiled = micrograd.compile(lambda a, b: a.exp(), [0.0, 5.0])
    assert compiled(0.0, 7.0) == (1.0, [1.0, 0.0])


def test_the_output_may_be_an_input():
    compiled = micrograd.compile(lambda a, b: b, [1.0, 2.0])
    assert compiled(3.0, 4.0) == (4.0, [0.0, 1.0])


def test_a_graph_that_depends_on_the_data_is_refused():
    with pytest.raises(ValueError, match="depends on its inputs' values"):
        micrograd.compile(lambda a: a - a.data, [1.0])  # a number read from .data
    with pytest.raises(ValueError, match="depends on its inputs' values"):
        micrograd.compile(lambda a: a * a if a.data > 1.0 else a, [1.0])  # a branch on .data


def test_bad_arguments():
    with pytest.raises(TypeError, match="must return a Value"):
        micrograd.compile(lambda a: 3.0, [1.0])
    with pytest.raises(ValueError, match="empty"):
        micrograd.compile(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match="finite"):
        micrograd.compile(lambda a: a, [math.nan])


def test_functions_without_parameter_names_get_numbered_inputs():
    def f(*xs):
        return xs[0] * xs[1]

    compiled = micrograd.compile(f, [2.0, 3.0])
    assert compiled.input_names == ["x0", "x1"]
    assert repr(compiled).startswith("Compiled(x0, x1: ")


# --------------------------------------------------------------------------- a model's training step


def test_a_training_program_gives_the_engines_loss_terms_and_gradients():
    from micrograd.compiler import compile_training
    from micrograd.losses import hinge
    from micrograd.nn import MLP

    model = MLP(2, [4, 4, 1], seed=3)
    batch = [([0.5, -1.0], 1), ([-0.3, 0.8], -1), ([1.5, 0.2], 1)]
    program = compile_training(model, "hinge", batch[0][0], [-1, 1])
    terms, outputs, grads, check = program([p.data for p in model.parameters()], batch, 1 / 3)
    scores = [model(x) for x, _ in batch]
    loss = hinge(scores, [y for _, y in batch])
    loss.backward()
    assert sum(terms[1:], terms[0]) * (1 / 3) == loss.data
    assert outputs == [s.data for s in scores]
    assert grads == [p.grad for p in model.parameters()] and math.isfinite(check)
    with pytest.raises(ValueError, match="label 7 was not among the labels compiled for"):
        program([p.data for p in model.parameters()], [([0.0, 0.0], 7)], 1.0)


def test_a_training_program_refuses_a_model_whose_graph_depends_on_the_data():
    from micrograd.compiler import compile_training
    from micrograd.nn import MLP

    inner = MLP(2, [3, 1], seed=0)

    class Branchy:
        def parameters(self):
            return inner.parameters()

        def __call__(self, x):
            out = inner(x)
            return out * 2 if x[0].data > 0.5 else out

    with pytest.raises(ValueError, match="the model's graph depends on its inputs' values"):
        compile_training(Branchy(), "hinge", [0.5, 0.0], [-1, 1])
    with pytest.raises(ValueError, match="supports the 'hinge' and 'cross_entropy' losses"):
        compile_training(inner, "mse", [0.5, 0.0], [0, 1])
    with pytest.raises(ValueError, match="hinge needs labels -1 or \\+1"):
        compile_training(inner, "hinge", [0.5, 0.0], [0, 1])


def test_a_neuron_with_thousands_of_inputs_compiles():
    # One weighted sum of 2000 products: written as one expression, CPython's compiler would
    # recurse 2000 deep and fail; it is split into temporaries with the same arithmetic.
    def neuron(*ws):
        return weighted_sum(ws, [0.1 * (i % 7) for i in range(len(ws))], 0.5).tanh()

    ws = [((i * 37) % 11 - 5) / 50 for i in range(2000)]
    compiled = micrograd.compile(neuron, ws)
    assert "_part1 = " in compiled.source
    assert_same_as_engine(compiled, neuron, ws)


def test_a_long_chain_compiles():
    def chain(x):
        for _ in range(3000):
            x = x * 0.999 + 0.001
        return x

    assert_same_as_engine(micrograd.compile(chain, [0.5]), chain, [0.75])


def test_star_import_keeps_the_builtin_compile():
    namespace: dict = {}
    exec("from micrograd import *", namespace)
    assert "compile" not in namespace and "Value" in namespace
    assert micrograd.compile.__module__ == "micrograd.compiler"


# --------------------------------------------------------------------------- hostile ops: nothing typed becomes code

_OP_COMMENT = re.compile(r"# op [A-Za-z0-9_]+")


def assert_only_the_compilers_own_text(source: str) -> None:
    """Strings never; names are identifiers; comments are our words or an op's made-up word."""
    tree = ast.parse(source)
    (function,) = tree.body  # one def and nothing else: no statement smuggled in
    assert isinstance(function, ast.FunctionDef)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        assert token.type != tokenize.STRING
        if token.type == tokenize.NAME:
            assert _NAME.fullmatch(token.string)
        if token.type == tokenize.COMMENT:
            assert (
                token.string in _OWN_COMMENTS
                or token.string.startswith("# backward:")
                or _OP_COMMENT.fullmatch(token.string)
            ), token.string
    assert source.isascii() or set(source) - set(map(chr, range(128))) <= {"Σ"}


_HOSTILE_NAMES = [
    "cube\nimport os; os._exit(3)",
    "cube\rraise SystemExit(3)",
    "cube\r\n_check = 0.0",
    "x\x0cimport os",
    "x\u2028import os",
    "x\u0085import os",
    "\ud800",
    "# \\\nraise SystemExit",
    '"""',
    "'",
]


@pytest.mark.parametrize("name", _HOSTILE_NAMES)
def test_an_op_name_never_reaches_the_code(name):
    cube = Op(name, lambda x: x**3, lambda out, x: (3 * x * x,))
    square = Op(name + "2", lambda x: x * x, lambda out, x: (2 * x,))
    call = Op(name + "c", math.sin, lambda out, x: (math.cos(x),))  # called by reference

    def f(a):
        return call(square(cube(a)) * 2.0)

    compiled = micrograd.compile(f, [0.5])
    assert_only_the_compilers_own_text(compiled.source)
    assert_same_as_engine(compiled, f, [0.7])


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_no_op_name_reaches_the_code(name):
    cube = Op(name, lambda x: x**3, lambda out, x: (3 * x * x,))
    if "\0" in name:
        with pytest.raises(ValueError, match="NUL character in its name") as caught:
            micrograd.compile(lambda a: cube(a), [0.5])
        assert repr(name) in str(caught.value)
        return
    compiled = micrograd.compile(lambda a: cube(a) + a, [0.5])
    assert_only_the_compilers_own_text(compiled.source)
    assert compiled(2.0) == (10.0, [13.0])


def test_a_nul_in_an_op_name_is_an_error_naming_the_op():
    bad = Op("cu\x00be", lambda x: x**3, lambda out, x: (3 * x * x,))
    with pytest.raises(ValueError, match=re.escape("the op 'cu\\x00be' has a NUL character")):
        micrograd.compile(lambda a: bad(a), [2.0])


class _Sly(float):
    """A float whose repr is code."""

    def __repr__(self):
        return "__import__('os')._exit(3)"


class _SlyInt(int):
    def __repr__(self):
        return "__import__('os')._exit(3)"


def test_numbers_in_an_ops_rules_are_written_by_the_compiler_not_by_their_repr():
    scale = Op("scale", lambda x: x * 3.0, lambda out, x: (_Sly(3.0) + 0 * x,))
    shift = Op("shift", lambda x: x + 2, lambda out, x: (_SlyInt(1) + 0 * x,))
    huge = Op("huge", lambda x: x, lambda out, x: (10**400 // 10**400 + 0 * x,))  # an int too big to write

    def f(a):
        return huge(shift(scale(a)))

    compiled = micrograd.compile(f, [1.0])
    assert "_exit" not in compiled.source
    assert_only_the_compilers_own_text(compiled.source)
    assert_same_as_engine(compiled, f, [2.0])


@pytest.mark.parametrize(
    "templates",
    [
        ("{0}\nimport os", ("1.0",)),
        ("{0}", ("1.0\rimport os",)),
        ("{0}; import os", ("1.0",)),
        ("{0}", ("{1}",)),  # an argument the op does not have
        ("{0.real}", ("1.0",)),
        ("{0} +", ("1.0",)),
        ("{0}", ("1.0\x00",)),
    ],
)
def test_an_ops_source_templates_must_be_one_expression(templates):
    bad = Op("twice", lambda x: x, lambda out, x: (1.0,), code=templates)
    with pytest.raises(ValueError, match="the op 'twice' has a source template that is not one Python expression"):
        micrograd.compile(lambda a: bad(a), [1.0])


def test_a_training_programs_labels_are_written_as_the_compilers_own_ints():
    np = pytest.importorskip("numpy")
    from micrograd.compiler import compile_training
    from micrograd.nn import MLP

    model = MLP(2, [3, 1], seed=0)
    program = compile_training(model, "hinge", [0.5, 0.0], [np.int64(-1), np.float64(1.0)])
    assert "_y == -1:" in program.source and "_y == 1:" in program.source and "np." not in program.source
    program3 = compile_training(MLP(2, [3, 3], seed=0), "cross_entropy", [0.5, 0.0], [np.int64(0), 2, _SlyInt(1)])
    assert "_exit" not in program3.source
    with pytest.raises(ValueError, match="hinge needs labels"):
        compile_training(model, "hinge", [0.5, 0.0], [True, -1])


# --------------------------------------------------------------------------- errors on edges into constants


@pytest.mark.parametrize(
    "f, recorded, bad",
    [
        (lambda x: x / 2.2250738585072014e-308, [0.0], [0.2]),  # the local derivative into the constant
        (lambda x: x * 1e-300 * 1e200, [1.0], [1e200]),  # the constant 1e-300's gradient
        (lambda x: x * 1e-300 * 1e200 * 1e-10, [1.0], [1e200]),
        (lambda x: weighted_sum([x, x], [1e-300, 2.0], 0.0) * 1e200, [1.0], [1e150]),
        (lambda x: (x * 1e-200).tanh() * 1e300, [1.0], [1e200]),
        (lambda x: (Value(1e-300) * 1e-8) * x * 1e200, [1.0], [1e300]),  # a constant made of constants
        (lambda x: x / 1e-300 + x * 0.0, [0.0], [1e-10]),
        (lambda x: (x * (Value(0.0) * 0.0)) * 1e200, [1.0], [1e200]),  # inf in a constant's grad, then * 0
        (lambda x: (x * 1e-300).relu() * 1e200, [1.0], [1e200]),
    ],
)
def test_edges_into_constants_raise_as_backward_does(f, recorded, bad):
    compiled = micrograd.compile(f, recorded)
    with pytest.raises(ArithmeticError) as engine:
        root = f(*[Value(x) for x in bad])
        root.backward()
    with pytest.raises(type(engine.value)) as caught:
        compiled(*bad)
    assert str(caught.value) == str(engine.value)


def outcome(run):
    """What a run gives: its numbers as bits, or its error's type and message."""
    try:
        value, grads = run()
    except (ArithmeticError, ValueError) as error:
        return type(error).__name__, str(error)
    return bits(value), list(map(bits, grads))


_WIDE = st.sampled_from([1e-300, 1e-200, 1e-150, 2.2250738585072014e-308, 1e150, 1e200, 1e300, 5e-324, 3.0, -7.5])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["*c", "/c", "c/", "+c", "*x", "tanh", "wsum"]), _WIDE), min_size=1, max_size=6),
    _WIDE,
    _WIDE,
)
def test_compiled_and_backward_agree_errors_included_with_constants_of_any_size(steps, recorded, x):
    def f(a):
        out = a
        for kind, c in steps:
            if kind == "*c":
                out = out * c
            elif kind == "/c":
                out = out / c
            elif kind == "c/":
                out = c / (out * out + 1.0)
            elif kind == "+c":
                out = out + c
            elif kind == "*x":
                out = out * a
            elif kind == "tanh":
                out = out.tanh()
            else:
                out = weighted_sum([out, a], [c, c], c)
        return out

    try:
        compiled = micrograd.compile(f, [recorded])
    except (ArithmeticError, ValueError):
        return  # not defined at the recorded point (the engine raises there too)

    def by_engine():
        a = Value(x)
        root = f(a)
        root.backward()
        return root.data, [a.grad]

    assert outcome(lambda: compiled(x)) == outcome(by_engine)


# --------------------------------------------------------------------------- fit(compile=True): errors as the engine's


def _train_outcome(compiled: bool, scales: list[float], x: float, label: int, activation: str):
    from micrograd.nn import MLP
    from micrograd.optim import SGD
    from micrograd.train import fit

    model = MLP(1, [2, 1], activation=activation, seed=0)
    for p, scale in zip(model.parameters(), scales * 10):
        p.data = p.data * scale
    try:
        fit(model, [[x]], [label], loss="hinge", optimizer=SGD(model.parameters(), lr=1e-300), steps=1, l2=0.0,
            progress=False, compile=compiled)  # fmt: skip
    except (ArithmeticError, ValueError) as error:
        return type(error).__name__, str(error)
    return [bits(p.data) for p in model.parameters()], [bits(p.grad) for p in model.parameters()]


def test_a_training_step_whose_pixel_gradient_overflows_raises_as_the_engine_does():
    # x = 1e-200 through two weights of 1e200: the output is finite, every parameter's gradient
    # too, but the input's gradient is 1e400, and backward() raises there.
    from micrograd.nn import MLP
    from micrograd.optim import SGD
    from micrograd.train import fit

    outcomes = []
    for compiled in (False, True):
        model = MLP(1, [1, 1], activation="linear", seed=0)
        for p in model.parameters():
            p.data = 1e200 if p.label.startswith("w") else 0.0
        with pytest.raises(micrograd.GradientOverflowError) as caught:
            fit(model, [[1e-200]], [-1], loss="hinge", optimizer=SGD(model.parameters(), lr=1e-300), steps=1,
                l2=0.0, progress=False, compile=compiled)  # fmt: skip
        outcomes.append(str(caught.value))
    assert outcomes[0] == outcomes[1] and "the leaf 1e-200" in outcomes[0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([1.0, 1e-200, 1e100, 1e150, 1e200, -1e154, 1e300]), min_size=1, max_size=4),
    st.sampled_from([1e-300, 1e-200, 1e-100, 0.5, 1e100, 1e200]),
    st.sampled_from([-1, 1]),
    st.sampled_from(["linear", "relu", "tanh"]),
)
def test_a_training_step_compiled_or_not_ends_the_same_way(scales, x, label, activation):
    assert _train_outcome(True, scales, x, label, activation) == _train_outcome(False, scales, x, label, activation)
