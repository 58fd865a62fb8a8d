"""micrograd.web, natively: what the site's worker asks Python for (the browser tests are test_site.py)."""

from __future__ import annotations

import pytest

from micrograd import backward_steps
from micrograd.expression import ExpressionError, parse
from micrograd.web import example, explain, network, network_cost, run_code, serve_api

pytest.importorskip("graphviz")


def test_explain_gives_the_engines_numbers_and_pairs_every_step_with_its_line():
    view = explain("(a*b + a)*a", {"a": 2, "b": -3}, wrt="b", layout=False)
    assert view["value"] == -8.0 and view["grads"] == {"a": -8.0, "b": 4.0}
    assert view["wrt"] == "b" and view["paths"]["total"] == view["paths"]["backward"] == 4.0
    lines = view["code"].splitlines()
    steps = backward_steps(parse("(a*b + a)*a", {"a": 2, "b": -3}).output)
    assert len(view["step_lines"]) == len(steps)
    for step, n in zip(steps, view["step_lines"]):
        assert " += " in lines[n]
        if step.parent.label in ("a", "b"):
            assert lines[n].lstrip().startswith(f"g_{step.parent.label} += ")
    assert view["steps"]["svg"] is None and view["steps"]["dot"]


def test_a_step_into_a_constant_has_no_line():
    view = explain("(a+b)*(b+1)", {"a": 2, "b": 1}, layout=False)
    assert view["step_lines"].count(None) == 1  # b + 1: the edge into 1


def test_a_bad_expression_is_an_expression_error():
    with pytest.raises(ExpressionError, match="attribute access"):
        explain("a.__class__", {"a": 1})


def test_the_network_and_the_examples():
    cost, xs = network_cost()
    cost.backward()
    view = network(layout=False)
    assert view["value"] == cost.data
    assert [view["grads"][x.label] for x in xs] == [x.grad for x in xs]
    assert None not in view["step_lines"][:1]
    assert example("readme") == {"expr": "(a*b + a)*a", "inputs": {"a": 2.0, "b": -3.0}}
    with pytest.raises(ValueError, match="no example named"):
        example("nope")


def test_run_code_shows_the_value_named():
    view = run_code("x = Value(3.0, label='x')\ny = x*x + x", "y", layout=False)
    assert view["value"] == 12.0 and view["grads"] == {"x": 7.0}
    with pytest.raises(NameError, match="defines no 'z'"):
        run_code("x = 1", "z")
    with pytest.raises(ValueError, match="Python name"):
        run_code("x = 1", "not a name")


def test_serve_api_answers_as_the_server_does():
    doc = serve_api("session", {})["doc"]
    answer = serve_api("step", {"session": doc["session"], "run": doc["run"], "since": 0, "steps": 2})
    assert len(answer["doc"]["loss"]) == 2
    assert serve_api("step", {"session": "nobody"}) == {
        "error": "unknown session (the server may have restarted): reload the page"
    }
    assert serve_api("nothing", {}) == {"error": "no such endpoint: /api/nothing"}
    assert "error" in serve_api("settings", {"session": doc["session"], "settings": {"activation": "nope"}})
