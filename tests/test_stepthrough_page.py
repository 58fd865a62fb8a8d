"""The standalone step-through page (save_html), opened in headless Chromium.

The page's script and styles are micrograd/assets/stepthrough.{js,css,html}; these tests
drive it as a learner would (buttons, arrow keys, play) and compare what it shows with
backward_steps() and backward().
"""

from __future__ import annotations

import shutil

import pytest

pytest.importorskip("graphviz")
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed: the page's frames cannot be drawn", allow_module_level=True)

from browser import node_texts, save_screenshot
from strategies import micrograd_readme_expression

from micrograd import Value, backward_steps
from micrograd.viz import fmt


def readme_page(tmp_path):
    a, b = Value(-4.0, label="a"), Value(2.0, label="b")
    g = micrograd_readme_expression(a, b)
    g.label = "g"
    steps = backward_steps(g)
    path = tmp_path / "steps.html"
    steps.save_html(path)
    return steps, path, g


def value_texts(page) -> dict[str, str]:
    """Each drawn value's id (v3) and the text in its box, as the browser shows it now."""
    return {k: v for k, v in node_texts(page).items() if k.startswith("v")}


def shown_step(page) -> int:
    return page.evaluate("window.micrograd.steps.step")


def test_first_frame_knows_only_the_outputs_gradient(page, tmp_path):
    steps, path, _g = readme_page(tmp_path)
    page.goto(path.as_uri())
    texts = value_texts(page)
    out = f"v{len(steps.order) - 1}"
    assert len(texts) == len(steps.order)
    assert "grad 1" in texts[out]
    assert all("grad ?" in text for node, text in texts.items() if node != out)
    assert page.locator(".mg-counter").inner_text() == f"before step 1 (of {len(steps)})"
    assert page.locator("tr.mg-current-row").count() == 0
    assert page.console_errors == []


def test_the_page_unpacks_exactly_the_frames_python_drew(page, tmp_path):
    steps, path, _g = readme_page(tmp_path)
    assert path.stat().st_size < 1_000_000  # packed: a few changed pieces per step, not 46 whole drawings
    page.goto(path.as_uri())
    assert page.evaluate("window.micrograd.data.frames") == steps.page_data()["frames"]
    assert page.console_errors == []


def test_next_and_the_arrow_key_show_backward_steps_running_sums(page, tmp_path):
    steps, path, _g = readme_page(tmp_path)
    index = {node: f"v{i}" for i, node in enumerate(steps.order)}
    page.goto(path.as_uri())
    sums_seen = 0
    for k in range(1, len(steps) + 1):
        if k % 2:
            page.get_by_role("button", name="next ▶").click()
        else:
            page.keyboard.press("ArrowRight")
        assert shown_step(page) == k
        step = steps[k - 1]
        # The current row is step k, and it says what the step added.
        row = page.locator("tr.mg-current-row")
        assert row.get_attribute("data-step") == str(k)
        assert row.locator("td").nth(5).inner_text() == steps._step_cells(step)[5]
        # Every value's box shows the running sum after k steps; the parent shows step k's `after`.
        texts = value_texts(page)
        known = steps.grads_after(k)
        for node, name in index.items():
            if node in known:
                assert f"grad {fmt(known[node])}" in texts[name], (k, name, texts[name])
            else:
                assert "grad ?" in texts[name]
        assert f"grad {fmt(step.after)}" in texts[index[step.parent]]
        if step.summing:  # the sum written out in the parent's box
            sums_seen += 1
            assert steps.sum_text(step.parent, k, number=fmt) in texts[index[step.parent]]
            assert "a sum" in page.locator(".mg-current").inner_text()
            if sums_seen == 2:
                save_screenshot(page, "stepthrough-sum")
    assert sums_seen == steps.sums == 11
    page.keyboard.press("ArrowLeft")
    assert shown_step(page) == len(steps) - 1
    assert page.console_errors == []


def test_last_frame_shows_backwards_gradients(page, tmp_path):
    steps, path, g = readme_page(tmp_path)
    g.backward()
    page.goto(path.as_uri())
    page.keyboard.press("End")
    assert shown_step(page) == len(steps)
    texts = value_texts(page)
    for i, node in enumerate(steps.order):
        assert f"grad {fmt(node.grad)}" in texts[f"v{i}"]
    assert page.get_by_role("button", name="next ▶").is_disabled()
    save_screenshot(page, "stepthrough-last")
    assert page.console_errors == []


def test_play_reaches_the_end_and_the_slider_goes_anywhere(page, tmp_path):
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    steps = backward_steps(a * b + a)
    path = tmp_path / "small.html"
    steps.save_html(path)
    page.goto(path.as_uri())
    page.get_by_role("button", name="▶ play").click()
    page.wait_for_function(f"window.micrograd.steps.step === {len(steps)}", timeout=15_000)
    page.wait_for_function("!window.micrograd.steps.playing", timeout=5_000)
    assert page.get_by_role("button", name="▶ play").is_visible()
    page.locator(".mg-slider").fill("2")
    assert shown_step(page) == 2
    page.locator("tr[data-step='3']").click()
    assert shown_step(page) == 3
    assert page.console_errors == []


def test_labels_cannot_break_out_of_the_page(page, tmp_path):
    evil = Value(1.5, label="</script><script>window.hacked = 1</script><!--")
    steps = backward_steps(evil * evil)
    path = tmp_path / "evil.html"
    steps.save_html(path, title="<b>title</b>")
    page.goto(path.as_uri())
    assert page.evaluate("window.hacked === undefined")
    assert page.title() == "<b>title</b>"
    page.keyboard.press("End")
    assert "</script>" in page.locator("tr.mg-current-row").inner_text()
    assert page.console_errors == []
