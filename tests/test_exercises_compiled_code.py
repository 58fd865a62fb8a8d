"""Notebook 11's exercises: a gradient over two paths, and the += lines compile writes."""

import pytest

from micrograd import Value, compile, weighted_sum
from micrograd.exercises import REFERENCE_ENV, check, solution


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def small(a, b):
    return (a * b + a).tanh()


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.8), (-1.2, 0.3)])
def test_two_paths_is_backward_and_the_sum_of_the_path_products(a, b):
    va, vb = Value(a, label="a"), Value(b, label="b")
    out = small(va, vb)
    out.backward()
    slope = 1 - out.data**2
    assert solution("11.two-paths", out=out, a=va, b=vb) == pytest.approx(va.grad, rel=1e-12)
    assert check("11.two-paths", slope * 1 + slope * b, out=out, a=va, b=vb).ok


def test_two_paths_slips_are_named_without_the_answer():
    a, b = Value(0.5, label="a"), Value(0.8, label="b")
    out = small(a, b)
    slope = 1 - out.data**2
    context = dict(out=out, a=a, b=b)
    messages = [
        check("11.two-paths", slope, **context).message,
        check("11.two-paths", slope * 0.8, **context).message,
        check("11.two-paths", 1.8, **context).message,
        check("11.two-paths", slope * slope * 0.8, **context).message,
    ]
    assert "also reaches d" in messages[0] and "also feeds d" in messages[1]
    assert "tanh edge" in messages[2] and "multiplies the two paths" in messages[3]
    answer = f"{slope * 1.8:.4f}"
    assert all(answer not in m for m in messages)


def neuron(pixels):
    def first_neuron(*params):
        *weights, bias = params
        return weighted_sum(weights, pixels, bias).relu()

    return first_neuron


@pytest.mark.parametrize("n", [1, 4, 64])
def test_backward_lines_are_the_edges_and_the_compiled_code_agrees(n):
    pixels = [0.0 if k % 3 == 0 else 0.25 * (k % 4) + 0.1 for k in range(n)]
    f = neuron(pixels)
    params = [0.1 * (k + 1) for k in range(n)] + [5.0]  # a bias large enough for the relu to be on
    lines = solution("11.backward-lines", f=f, inputs=params)
    assert lines == n + 2  # n weights and the bias into the sum, the sum into the relu
    backward_part = compile(f, params).source.split("# backward", 1)[1]
    assert backward_part.count("+=") == lines


def test_backward_lines_slips_are_named():
    f, params = neuron([0.5] * 64), [0.01] * 65
    assert check("11.backward-lines", 66, f=f, inputs=params).ok
    assert "bias" in check("11.backward-lines", 64, f=f, inputs=params).message
    assert "relu's edge" in check("11.backward-lines", 65, f=f, inputs=params).message
    assert "pixels" in check("11.backward-lines", 131, f=f, inputs=params).message
    assert "forward pass" in check("11.backward-lines", 2, f=f, inputs=params).message


def test_reference_mode_accepts_both(monkeypatch):
    monkeypatch.setenv(REFERENCE_ENV, "reference")
    a, b = Value(0.5), Value(0.8)
    assert check("11.two-paths", ..., out=small(a, b), a=a, b=b).ok
    assert check("11.backward-lines", ..., f=neuron([0.5, 0.0]), inputs=[0.3, 0.2, 0.1]).ok
