"""Parsing expressions over a whitelist (micrograd.expression)."""

from __future__ import annotations

import doctest
import math
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import micrograd.expression
from micrograd import Value, no_grad
from micrograd.explain import paths
from micrograd.expression import FUNCTIONS, MAX_LENGTH, ExpressionError, parse

# --------------------------------------------------------------------------- what is accepted


def test_value_and_gradients_of_the_classic_example():
    e = parse("a*b + a", {"a": 2, "b": 3})
    assert e.output.data == 8.0
    e.output.backward()
    assert (e.inputs["a"].grad, e.inputs["b"].grad) == (4.0, 2.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a + b * 2 - 1", 2 + 3 * 2 - 1),
        ("(a + b) * 2", 10.0),
        ("a / b", 2 / 3),
        ("a ** 3", 8.0),
        ("2 ** a", 4.0),
        ("a ** b", 8.0),
        ("-a + +b", 1.0),
        ("-(a * b)", -6.0),
        ("a ** -1", 0.5),
        ("b ** 0.5", math.sqrt(3)),
        ("(-a) ** 2", 4.0),
        ("exp(a) + log(b)", math.exp(2) + math.log(3)),
        ("tanh(a) * sigmoid(b)", math.tanh(2) / (1 + math.exp(-3))),
        ("relu(a - b) + abs(a - b) + sqrt(b)", 0 + 1 + math.sqrt(3)),
        ("1e3 * a + 0.5", 2000.5),
        ("1_000 + a", 1002.0),
    ],
)
def test_arithmetic_and_functions_evaluate_as_in_python(text, expected):
    assert parse(text, {"a": 2, "b": 3}).output.data == pytest.approx(expected, rel=1e-15)


def test_every_listed_function_is_the_engine_op():
    for name, method in FUNCTIONS.items():
        e = parse(f"{name}(x)", {"x": 0.7})
        assert e.output.data == method(Value(0.7)).data
        assert e.output.op == name


def test_a_name_used_twice_is_one_leaf_with_two_edges():
    e = parse("a*a", {"a": 3})
    a = e.inputs["a"]
    assert e.output.parents == (a, a)
    assert len(paths(e.output, a)) == 2


def test_a_written_number_is_one_leaf_with_its_sign_folded_in():
    e = parse("a * -2", {"a": 3})
    constant = e.output.parents[1]
    assert constant.data == -2.0 and constant.parents == ()


def test_a_written_exponent_is_a_constant_power_that_allows_negative_bases():
    e = parse("x**2", {"x": -3})
    assert e.output.op == "**2" and e.output.data == 9.0
    e.output.backward()
    assert e.inputs["x"].grad == -6.0


def test_values_are_labelled_with_the_text_that_computes_them():
    e = parse("tanh(w*x + b)", {"w": 0.5, "x": 2, "b": -1})
    assert e.output.label == "tanh(w*x + b)"
    z = e.output.parents[0]
    assert z.label == "w*x + b" and z.parents[0].label == "w*x"
    assert [e.inputs[n].label for n in "wxb"] == ["w", "x", "b"]


def test_long_sub_expressions_get_a_label_shortened_in_the_middle():
    text = "a + " * 20 + "a"
    label = parse(text, {"a": 1}).output.label
    assert len(label) <= 30 and label.startswith("a + a") and "…" in label and label.endswith(" + a")


def test_middle_elision_keeps_the_top_operators_last_operand():
    label = parse("tanh(a*b + c*a) * sigmoid(a - b*c) + a*a*b", {"a": 1, "b": 2, "c": 3}).output.label
    assert label == "tanh(a*b + c*a) * sig… + a*a*b"


def test_a_shortened_call_keeps_its_closing_end():
    label = parse("tanh(a*b + c*a*b + a*b*c + b*c + c*a*b)", {"a": 1, "b": 2, "c": 3}).output.label
    assert len(label) == 30 and label.startswith("tanh(a*b") and label.endswith("c*a*b)") and "…" in label


def test_a_parenthesised_left_operand_keeps_its_closing_parenthesis():
    label = parse("(a*b + c*a + a*b*c + b*c*c*c) * c", {"a": 1, "b": 2, "c": 3}).output.label
    assert label.endswith("…) * c") and len(label) <= 30


def test_given_values_are_used_as_they_are():
    w = Value(0.5, label="weight")
    e = parse("w * 4", {"w": w})
    assert e.inputs["w"] is w
    e.output.backward()
    assert w.grad == 4.0


def test_the_graph_is_recorded_inside_no_grad():
    with no_grad():
        e = parse("a*b", {"a": 2, "b": 3})
    assert e.output.parents == (e.inputs["a"], e.inputs["b"])


def test_unicode_names_work():
    e = parse("α * β", {"α": 2, "β": 5})
    assert e.output.data == 10.0


def test_an_unused_input_is_allowed_and_gets_no_gradient():
    e = parse("a * 2", {"a": 1, "b": 7})
    e.output.backward()
    assert e.inputs["b"].grad == 0.0


def test_parentheses_do_not_count_as_nesting():
    assert parse("(" * 150 + "a" + ")" * 150, {"a": 4}).output.data == 4.0


# --------------------------------------------------------------------------- what is refused

HOSTILE = [
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('true')", "only the functions"),
    ("a.__class__", "attribute access is not allowed at column 1: 'a.__class__'"),
    ("a.__class__.__mro__[1].__subclasses__()", "only the functions"),
    ("exp.__globals__", "attribute access"),
    ("9**9**9", "exponent evaluates to 3.8742e+08, too large"),
    ("2**a**a**a**a", "exponent evaluates to 65536, too large"),
    ("a**1000", "exponent is too large"),
    ("a**-1000", "exponent is too large"),
    ("(lambda: 1)()", "only the functions"),
    ("lambda: 1", "lambda is not allowed"),
    ("[1]", "a list is not allowed"),
    ("[a for a in b]", "comprehension"),
    ("(a, b)", "a tuple"),
    ("{a}", "a set"),
    ("{'x': a}", "a dict"),
    ("a[0]", "indexing"),
    ("a if b else a", "conditional expression (if/else) is not allowed"),
    ("a < b", "comparison"),
    ("a and b", "and/or"),
    ("not a", "'not' is not supported"),
    ("~a", "'~' is not supported"),
    ("a // b", "'//' is not supported"),
    ("a % b", "'%' is not supported"),
    ("a ^ b", "for powers use **"),
    ("a @ b", "'@' is not supported"),
    ("(a := 1)", "assignment"),
    ("f'{a}'", "f-string"),
    ("'text'", "a string"),
    ("b'x'", "bytes"),
    ("True", "True/False"),
    ("1j", "complex"),
    ("...", "only real numbers"),
    ("1e400", "the number is too large"),
    ("2e6 * a", "the number is too large"),
    ("exp(1000)", "exp(1000.0) overflows a float"),
    ("exp(exp(a*4))", "overflows"),
    ("log(0)", "log is defined only for positive numbers at column 1: 'log(0)'"),
    ("log(a - 2)", "log(0.0)"),
    ("sqrt(-a)", "sqrt of a negative number"),
    ("a / (b - 3)", "division by zero"),
    ("0 ** -1", "0 cannot be raised to a negative power"),
    ("(-a) ** 0.5", "negative base"),
    ("c + 1", "unknown name 'c' (the inputs are a, b; give it a value as c=...)"),
    ("exp", "exp is a function: call it as exp(...)"),
    ("print(a)", "unknown function 'print'"),
    ("open('x')", "unknown function 'open'"),
    ("exp(a, b)", "exp() takes exactly one argument, got 2"),
    ("exp()", "exp() takes exactly one argument, got 0"),
    ("exp(x=a)", "exp() takes no keyword arguments"),
    ("exp(*a)", "unpacking"),
    ("(yield)", "yield"),
    ("await a", "await is not allowed"),
    ("a b", "cannot parse the expression: invalid syntax at column 3"),
    ("(a", "was never closed"),
    ("a +", "cannot parse"),
    ("", "empty"),
    ("   ", "empty"),
    ("a\n+ b", "one line"),
    ("a\x00", "one line"),
    ("a\u202e+b", "one line"),  # a right-to-left override would hide what the text says
    ("a" * (MAX_LENGTH + 1), f"the limit is {MAX_LENGTH}"),
    ("-" * 200 + "a", "nested more than 100 operations deep"),
    ("+".join(["a"] * 150), "nested more than"),
    ("exp(" * 120 + "a" + ")" * 120, "nested more than"),
    ("(" * 300 + "a" + ")" * 300, "too many nested parentheses"),
    ("1" * 900, "the number is too large"),
    ("'\\m' + 1if 1else 2", "conditional expression"),  # the parser's own warnings stay silent
]


@pytest.mark.parametrize(("text", "message"), HOSTILE, ids=[repr(t[:24]) for t, _ in HOSTILE])
def test_hostile_expressions_are_refused_in_one_line(text, message):
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse(text, {"a": 2, "b": 3})
    assert time.perf_counter() - start < 1.0
    error = info.value
    assert isinstance(error, ValueError)
    assert message in str(error)
    assert "\n" not in str(error) and len(str(error)) < 300


def test_rejections_point_at_the_column_of_the_offending_text():
    with pytest.raises(ExpressionError) as info:
        parse("a + b.real", {"a": 1, "b": 2})
    assert info.value.column == 5 and info.value.snippet == "b.real"
    with pytest.raises(ExpressionError) as info:
        parse("α + log(0)", {"α": 1})
    assert info.value.column == 5  # characters, not UTF-8 bytes


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"1a": 1}, "not a valid name"),
        ({"lambda": 1}, "not a valid name"),
        ({"a b": 1}, "not a valid name"),
        ({"": 1}, "not a valid name"),
        ({"exp": 1}, "taken by the function exp()"),
        ({"ﬁ": 1, "fi": 2}, "given twice"),  # the same name once Python normalises it
        ({"a": "2"}, "input 'a': Value needs a finite real number, got str"),
        ({"a": float("nan")}, "finite"),
        ({"a": True}, "bool"),
        ({1: 2}, "names must be str"),
    ],
)
def test_bad_inputs_are_refused(inputs, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse("1", inputs)


def test_the_text_must_be_a_string():
    with pytest.raises(ExpressionError, match="must be a str, got bytes"):
        parse(b"a", {"a": 1})


# --------------------------------------------------------------------------- fuzzing

ALPHABET = "ab()+-*/.,:;[]{}'\"_ 0123456789e^%@~<>=!?#$&|\\lambdaxptsqrnigo\t"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_any_text_either_parses_or_is_refused_with_an_expression_error(text):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Python's parser must not print warnings either
            e = parse(text, {"a": 0.5, "b": -1.5})
    except ExpressionError as error:
        assert "\n" not in str(error)
    else:
        assert math.isfinite(e.output.data)


@st.composite
def expression_texts(draw, depth=0):
    """A random valid expression over a and b, and the same computation on Values."""
    if depth > 3 or draw(st.integers(0, 2)) == 0:
        leaf = draw(st.sampled_from(["a", "b", "2", "0.5"]))
        return leaf, (lambda env, leaf=leaf: env[leaf] if leaf in env else Value(float(leaf)))
    kind = draw(st.sampled_from(["+", "-", "*", "tanh", "sigmoid", "neg"]))
    left_text, left = draw(expression_texts(depth + 1))
    if kind in ("tanh", "sigmoid"):
        return f"{kind}({left_text})", (lambda env: getattr(left(env), kind)())
    if kind == "neg":
        return f"-({left_text})", (lambda env: -left(env))
    right_text, right = draw(expression_texts(depth + 1))
    ops = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}
    return f"({left_text}) {kind} ({right_text})", (lambda env: ops[kind](left(env), right(env)))


@settings(max_examples=200, deadline=None)
@given(expression_texts(), st.floats(-3, 3), st.floats(-3, 3))
def test_parsed_expressions_compute_what_the_same_value_code_computes(expr, a, b):
    text, compute = expr
    e = parse(text, {"a": a, "b": b})
    env = {"a": Value(a), "b": Value(b)}
    expected = compute(env)
    assert e.output.data == expected.data
    e.output.backward()
    expected.backward()
    assert e.inputs["a"].grad == env["a"].grad and e.inputs["b"].grad == env["b"].grad


def test_docstring_examples_run():
    assert doctest.testmod(micrograd.expression).failed == 0
