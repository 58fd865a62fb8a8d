"""Notebook 01's exercises added for the wider network and the rate-factor judge without `.grad`."""

import pytest

from micrograd import paths
from micrograd.exercises import REFERENCE_ENV, check, solution
from micrograd.nielsen import quadratic_cost, trace
from micrograd.nn import MLP


@pytest.fixture(autouse=True)
def _answers_are_judged(monkeypatch):
    monkeypatch.delenv(REFERENCE_ENV, raising=False)


def wide(widths=(1, 3, 3, 2)):
    model = MLP(1, list(widths), activation="sigmoid", output_activation="sigmoid", seed=4)
    t = trace(model, [1.5])
    C = quadratic_cost(t.output, [1.0, 0.2][: widths[-1]])
    return {"C": C, "w": model.layers[0].neurons[0].w[0], "model": model}


def test_paths_multiply_the_widths():
    context = wide()
    assert solution("01.count-paths", **context) == 18
    assert check("01.count-paths", 18, **context).ok
    assert "not a whole number" in check("01.count-paths", 18.4, **context).message  # a count, not rounded


@pytest.mark.parametrize(
    ("answer", "words"), [(8, "adds the widths"), (9, "output layer has a choice"), (2, "only the last step")]
)
def test_the_usual_miscounts_are_named_without_the_count(answer, words):
    message = check("01.count-paths", answer, **wide()).message
    assert words in message and "18" not in message


def test_a_mistake_that_coincides_with_the_answer_is_not_offered():
    context = wide((1, 1, 2, 1))  # 1 · 2 · 1 = 2 paths, and 1 · 2 without the output layer is 2 as well
    assert check("01.count-paths", solution("01.count-paths", **context), **context).ok


def test_rate_factor_judge_names_the_total_before_backward_ran():
    context = wide()
    table = paths(context["C"], context["w"])  # no backward(): every .grad is still 0
    message = check("01.rate-factor", table.total, path=table[0]).message
    assert "sum over every path" in message
    assert "sum over every path" not in check("01.rate-factor", 0.0, path=table[0]).message


def test_cross_term_names_the_added_moves():
    message = check("01.cross-term", 0.4, a=0.66, b=2.2, da=0.1, db=0.3).message
    assert "do not add" in message and "0.03" not in message


def test_rate_factor_without_the_half_edge_is_named():
    context = wide()
    path = paths(context["C"], context["w"])[0]
    assert path.local_grads[-1] == 0.5  # the ½ of C = ½ Σ (a − y)²
    message = check("01.rate-factor", path.product * 2, path=path).message
    assert "½ of the cost" in message and f"{path.product:.4g}" not in message
