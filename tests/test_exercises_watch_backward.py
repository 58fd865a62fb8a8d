"""Notebook 10's prediction of how many terms an input's gradient is the sum of: the number of
its edges that carry something, not its paths; the usual miscounts are named without the count."""

import pytest
from strategies import micrograd_readme_expression

from micrograd import Value, backward_steps, paths
from micrograd.exercises import REFERENCE_ENV, check, solution


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


@pytest.fixture
def readme():
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    return {"output": micrograd_readme_expression(a, b), "wrt": a}


def test_terms_are_the_edges_that_carry_something(readme):
    into = [step for step in backward_steps(readme["output"]) if step.parent is readme["wrt"]]
    assert len(into) == 5 and sum(step.skipped for step in into) == 1  # relu(b + a) is off
    assert solution("10.term-count", **readme) == 4 == max(step.term for step in into)
    assert check("10.term-count", 4, **readme).ok
    assert check("10.term-count", 4.0, **readme).ok
    assert "not a whole number" in check("10.term-count", 4.4, **readme).message  # a count, not rounded


def test_the_count_agrees_with_a_running_backward():
    # Record every += that adds something into x during the engine's own pass.
    x = Value(0.5, label="x")
    y = (x * x).tanh() + x.exp() * x + (x - 3).relu()  # x used 5 times; x - 3 < 0, so relu is off
    added = [s for s in backward_steps(y) if s.parent is x and s.contribution != 0]
    assert solution("10.term-count", output=y, wrt=x) == len(added) == 4


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (24, "number of paths"),  # 24 paths from a to g (checked below)
        (5, "one term per use"),
        (1, "one piece"),
        (3, "first contribution"),
    ],
)
def test_the_usual_miscounts_are_named_without_the_count(readme, answer, words):
    assert len(paths(readme["output"], readme["wrt"], limit=None)) == 24
    message = check("10.term-count", answer, **readme).message
    assert words in message and "4" not in message.split("Hint")[0]


def test_wrong_kinds_of_answer_and_context_are_explained(readme):
    assert "whole number" in check("10.term-count", "4", **readme).message
    assert "whole number" in check("10.term-count", True, **readme).message
    with pytest.raises(ValueError, match="not used in the graph"):
        solution("10.term-count", output=readme["output"], wrt=Value(1.0))
    with pytest.raises(TypeError, match="wrt should be a Value"):
        solution("10.term-count", output=readme["output"], wrt=3.0)
