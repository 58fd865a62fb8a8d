"""micrograd.notation: role names written plainly and shown as Nielsen writes them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd.notation import is_symbol, parse, role, shown


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("w[2,1,3]", "w²₁₃"),
        ("b[3,2]", "b³₂"),
        ("z[4,1]", "z⁴₁"),
        ("a[2,16]", "a²₁₆"),
        ("x[1]", "x₁"),
        ("y[2]", "y₂"),
        ("w[2,12,3]", "w²₁₂,₃"),  # a comma once an index has two digits
        ("w[10,1,1]", "w¹⁰₁₁"),
    ],
)
def test_role_names_are_shown_with_the_layer_up_and_the_indices_down(name, expected):
    assert shown(name) == expected


@pytest.mark.parametrize("name", ["C", "loss", "w[l,j,k]", "w[-1,2]", "q[1,2]", "w[1, 2]", "w[]", "logit 0", ""])
def test_anything_else_is_shown_as_it_is_written(name):
    assert parse(name) is None and shown(name) == name


@given(st.sampled_from("wbzaxy"), st.lists(st.integers(0, 10**6), min_size=1, max_size=3))
def test_role_and_parse_are_inverses(letter, indices):
    assert parse(role(letter, *indices)) == (letter, tuple(indices))


def test_symbols_need_no_parentheses_and_expressions_do():
    assert all(map(is_symbol, ["w²₁₂,₃", "z[2,1]", "C⁰", "x₁", "aᴸ₁"]))
    assert not any(map(is_symbol, ["a*b", "a + b", "tanh(x)", "1/n"]))
