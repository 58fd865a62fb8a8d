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
from micrograd.viz.steps import _box_texts


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
    assert page.locator(".mg-counter").inner_text() == f"before step 1 of {len(steps)}"
    assert page.locator("tr.mg-current-row").count() == 0
    assert page.console_errors == []


def test_stepping_changes_text_and_colours_never_the_layout(page, tmp_path):
    steps, path, _g = readme_page(tmp_path)
    page.goto(path.as_uri())
    where = "() => [...document.querySelectorAll('.mg-canvas g.node polygon')].map(p => p.getAttribute('points'))"
    first = page.evaluate(where)
    for k in (1, 7, 20, len(steps)):
        page.evaluate(f"window.micrograd.steps.go({k})")
        assert page.evaluate(where) == first
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
        assert row.locator("td").nth(5).get_attribute("title") == steps._step_cells(step)[5]
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
            assert f"grad {_box_texts(steps)[k - 1]}" in texts[index[step.parent]]
            assert "a sum" in page.locator(".mg-now").inner_text()
            assert steps.sum_text(step.parent, k) in page.locator(".mg-sum").inner_text()  # written out in full
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


# --------------------------------------------------------------------------- readable at the sizes learners use

READABLE_PX = 11  # the least text height on screen


def network_example_page(tmp_path, hidden=(16, 16)):
    """micrograd's own 2-16-16-1 (or `hidden`) on one misclassified moons point, as the explorer makes it."""
    from micrograd.nn import MLP
    from micrograd.serve.session import Settings, example_loss

    settings = Settings(hidden=hidden)
    model = MLP(2, [*hidden, 1], activation=settings.activation, seed=1)
    cost, _, _ = example_loss(model, settings, [0.3, -0.4, 0])
    steps = backward_steps(cost)
    path = tmp_path / "network.html"
    steps.save_html(path)
    return steps, path


IN_VIEW = """() => {
  const d = window.micrograd.data, k = window.micrograd.steps.step, step = d.steps[k - 1];
  const inside = (r) => r.width > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
  const stage = document.querySelector('.mg-stage').getBoundingClientRect();
  const within = (r) => r.left >= stage.left - 1 && r.right <= stage.right + 1
    && r.top >= stage.top - 1 && r.bottom <= stage.bottom + 1;
  const label = document.querySelector('.mg-canvas [id="' + step.edge_id + '"] text');
  const px = (t) => t.getScreenCTM().a * parseFloat(t.getAttribute('font-size'));
  const box = (id) => document.querySelector('.mg-canvas [id="' + id + '"]').getBoundingClientRect();
  const sum = document.querySelector('.mg-sum');
  return {
    label: label.textContent, labelIn: inside(label.getBoundingClientRect()) && within(label.getBoundingClientRect()),
    labelPx: px(label), sum: sum.textContent, sumIn: inside(sum.getBoundingClientRect()),
    sumPx: parseFloat(getComputedStyle(sum).fontSize),
    parentIn: within(box(step.parent)), childIn: within(box(step.child)),
    cellsCut: [...document.querySelectorAll('tr.mg-current-row td')].some(td => td.scrollWidth > td.clientWidth + 1),
    tableIn: inside(document.querySelector('tr.mg-current-row').getBoundingClientRect()),
  };
}"""


@pytest.mark.parametrize("width,height", [(1024, 768), (1280, 800)])
def test_the_current_edge_and_its_running_sum_are_in_view_and_readable(browser, tmp_path, width, height):
    readme, readme_path, _ = readme_page(tmp_path)
    network, network_path = network_example_page(tmp_path)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    for name, steps, path, whole in (("readme", readme, readme_path, True), ("network", network, network_path, False)):
        page.goto(path.as_uri())
        for k in sorted({1, len(steps) // 3, len(steps) // 2, len(steps) - 1, len(steps)}):
            page.evaluate(f"window.micrograd.steps.go({k})")
            page.wait_for_function("!window.micrograd.steps.moving")  # the view glides to the edge
            seen = page.evaluate(IN_VIEW)
            step = steps[k - 1]
            assert seen["label"] == f"{fmt(step.local)} × {fmt(step.upstream)} = {fmt(step.contribution)}"
            assert seen["labelIn"] and seen["labelPx"] >= READABLE_PX, (name, k, seen)
            assert seen["sumIn"] and seen["sumPx"] >= READABLE_PX and steps.sum_text(step.parent, k) in seen["sum"]
            assert seen["tableIn"] and not seen["cellsCut"], (name, k, seen)
            if whole:  # a small graph: an end of the edge is in view too (both, unless the edge is long)
                assert seen["parentIn"] or seen["childIn"], (name, k, seen)
            if k == len(steps) // 2:
                save_screenshot(page, f"stepthrough-{name}-{width}")
    assert errors == []
    context.close()


def test_micrograds_own_network_opens_and_steps_at_once(page, tmp_path):
    steps, path = network_example_page(tmp_path)
    assert len(steps) > 600 and len(steps.order) > 400
    page.goto(path.as_uri())
    page.keyboard.press("End")
    assert shown_step(page) == len(steps)
    assert page.locator(".mg-summary").is_visible() and "Done" in page.locator(".mg-summary").inner_text()
    page.keyboard.press("Home")
    page.get_by_role("button", name="whole graph").click()
    page.wait_for_function("!window.micrograd.steps.moving")
    assert page.locator(".mg-minimap").is_hidden()
    page.get_by_role("button", name="follow the edge").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("!window.micrograd.steps.moving")
    assert page.locator(".mg-minimap").is_visible()  # the whole graph is one click away
    assert page.console_errors == []


def test_remounting_keeps_one_key_listener(page, tmp_path):
    _steps, path, _g = readme_page(tmp_path)
    page.goto(path.as_uri())
    page.evaluate("""() => {
      const box = document.getElementById('micrograd-steps');
      for (let i = 0; i < 3; i++) window.micrograd.steps = MicrogradSteps.mount(box, window.micrograd.data);
    }""")
    page.focus("#micrograd-steps")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.micrograd.steps.step") == 2  # one step per key, from the live view
    assert page.console_errors == []


def test_the_neuron_view_page_steps_through_bp2(page, tmp_path):
    from micrograd.nn import MLP

    model = MLP(2, [3, 3, 2], activation="sigmoid", seed=1)
    out = model([0.5, -1.0])
    cost = 0.5 * ((out[0] - 1) ** 2 + out[1] ** 2)
    neurons = backward_steps(cost).network(model, out)
    path = tmp_path / "neurons.html"
    neurons.save_html(path)
    page.goto(path.as_uri())
    page.keyboard.press("ArrowRight")
    assert "BP1" in page.locator(".mg-now").inner_text()
    page.keyboard.press("End")
    assert "BP2" in page.locator(".mg-now").inner_text() and page.locator(".mg-canvas svg").is_visible()
    save_screenshot(page, "stepthrough-neurons")
    assert page.console_errors == []


def test_a_chosen_mistake_steps_beside_the_right_pass(page, tmp_path):
    from micrograd import mistakes

    a = Value(1.0, label="a")
    b = a + a
    c = b + b
    c.label = "c"
    steps = backward_steps(c)
    path = tmp_path / "twice.html"
    steps.save_html(path)
    comparison = mistakes.compare(c, "overwrite")
    page.goto(path.as_uri())
    page.select_option(".mg-mistake", "overwrite")
    page.wait_for_selector(".mg-twin .mg-canvas svg")
    k = comparison.first_divergence
    page.evaluate(f"window.micrograd.steps.go({k})")
    twin = page.locator(".mg-twin .mg-steps")
    assert twin.get_attribute("data-step") == str(k)  # the two columns step together
    assert "parts from backward() here" in twin.locator(".mg-now").inner_text()
    assert "overwrote" in twin.locator(".mg-sum").inner_text()
    assert f"step {k}" in page.locator(".mg-twin-why").inner_text()
    page.keyboard.press("End")
    assert twin.get_attribute("data-step") == str(len(steps))
    boxes = node_texts(page, ".mg-twin")
    a_box = boxes[f"v{steps.order.index(a)}"]
    assert f"grad {fmt(comparison.wrong[a])}" in a_box and comparison.wrong[a] != 4.0  # 4: backward()'s
    save_screenshot(page, "stepthrough-mistake")
    page.select_option(".mg-mistake", "")
    assert page.locator(".mg-twin").count() == 0
    assert page.console_errors == []
