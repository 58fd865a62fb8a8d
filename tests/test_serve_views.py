"""The explorer's drawings: bounded in size and in time, made from a copy of the model."""

import shutil

import pytest

pytest.importorskip("graphviz")
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed", allow_module_level=True)

from micrograd.serve import views
from micrograd.serve.session import BadRequest, Session, Settings


def test_a_drawing_that_takes_too_long_is_refused(monkeypatch):
    monkeypatch.setattr(views, "DRAW_SECONDS", 0.001)
    model, settings, points = Session().snapshot()
    with pytest.raises(BadRequest, match=r"Graphviz took over 0\.001 s to lay this out: choose smaller hidden layers"):
        views.graph_view(model, settings, points, 0, False)


def test_too_many_parameters_to_draw_asks_to_hide_them():
    model, settings, points = Session(Settings(hidden=(32, 32))).snapshot()
    with pytest.raises(BadRequest, match=r"the graph has 1,\d{3} values, too many to draw: hide the parameters"):
        views.graph_view(model, settings, points, 0, True)


def test_hidden_parameters_do_not_count_against_the_limit():
    model, settings, points = Session(Settings(hidden=(16, 16))).snapshot()
    doc = views.graph_view(model, settings, points, 0, False)
    assert doc["svg"].startswith("<svg") and "w²₁₁" not in doc["svg"]


def test_the_network_view_without_a_point_shows_weights_only():
    model, settings, points = Session().snapshot()
    doc = views.network_view(model, settings, points, None)
    assert doc["point"] is None and "∂C/∂" not in doc["svg"]
    assert "∂C/∂" in views.network_view(model, settings, points, 0)["svg"]
