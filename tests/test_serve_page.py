"""The explorer's page in headless Chromium, driven as a learner would, checked against the engine.

The server runs on a free port (the `explorer` fixture); the browser is Debian's chromium
through playwright (tests/browser.py). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import shutil
import time

import pytest

pytest.importorskip("graphviz")
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed: the explorer cannot draw", allow_module_level=True)

from browser import node_texts, save_screenshot
from explorer import Client

from micrograd.data import make_moons
from micrograd.nn import MLP, from_dict
from micrograd.notation import shown
from micrograd.optim import SGD
from micrograd.serve.session import Settings, example_loss
from micrograd.train import fit
from micrograd.viz import fmt


def wait_until(page, condition: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript condition with page.evaluate (the page's CSP forbids the eval that
    page.wait_for_function uses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        page.wait_for_timeout(50)


def open_explorer(page, explorer):
    page.goto(explorer.url)
    wait_until(page, "document.querySelectorAll('circle.point').length === 100")
    return page.evaluate("window.micrograd.page.session")


def steps_shown(page) -> int:
    return int(page.text_content("#steps-done"))


def saved(explorer, session) -> dict:
    return Client(explorer).ok("save", session=session)


def test_the_page_loads_with_no_console_errors(page, explorer):
    open_explorer(page, explorer)
    page.wait_for_selector("#network svg")
    assert page.is_visible("#plot") and page.text_content("#n-points") == "100"
    assert page.input_value("#lr") == str(Settings().lr) and page.input_value("#hidden") == "4,4"
    save_screenshot(page, "explorer-loaded")
    assert page.console_errors == []


def test_step_shows_the_loss_the_engine_reports_for_the_same_seed(page, explorer):
    open_explorer(page, explorer)
    s = Settings()
    X, y = make_moons(s.samples, seed=s.seed)
    model = MLP(2, [*s.hidden, 1], activation=s.activation, seed=s.seed)
    history = fit(
        model, X, y, loss=s.loss, optimizer=SGD(model.parameters(), lr=s.lr), steps=2, l2=s.l2, progress=False
    )
    for k in (1, 2):
        page.click("#step")
        wait_until(page, f"document.getElementById('steps-done').textContent === '{k}'")
        assert page.get_attribute("#loss", "data-value") == repr(history.loss[k - 1])
        assert page.text_content("#loss") == f"{history.loss[k - 1]:.4f}"
        assert page.get_attribute("#accuracy", "data-value") == repr(history.accuracy[k - 1])
    assert page.console_errors == []


def test_play_then_pause(page, explorer):
    session = open_explorer(page, explorer)
    page.click("#play")
    assert page.text_content("#play") == "Pause"
    wait_until(page, "Number(document.getElementById('steps-done').textContent) >= 5")
    page.click("#play")
    assert page.text_content("#play") == "Play"
    page.wait_for_timeout(600)  # a request in flight when pausing lands, then nothing more
    shown = steps_shown(page)
    page.wait_for_timeout(800)
    assert steps_shown(page) == shown
    assert len(saved(explorer, session)["history"]["loss"]) == shown
    points = page.evaluate("window.micrograd.page.loss.length")
    assert points == shown  # the curve has every step
    assert page.console_errors == []


def test_clicking_the_plot_adds_a_point_to_the_servers_data(page, explorer):
    session = open_explorer(page, explorer)
    page.click("#class-1")
    box = page.locator("#points").bounding_box()
    page.mouse.click(box["x"] + 0.05 * box["width"], box["y"] + 0.05 * box["height"])  # the top left corner
    wait_until(page, "document.querySelectorAll('circle.point').length === 101")
    doc = saved(explorer, session)
    x, y, label = doc["points"][-1]
    x0, x1, y0, y1 = page.evaluate("window.micrograd.page.state.view")
    assert label == 1 and len(doc["points"]) == 101
    assert abs(x - (x0 + 0.05 * (x1 - x0))) < 0.01 * (x1 - x0) and abs(y - (y1 - 0.05 * (y1 - y0))) < 0.01 * (y1 - y0)
    # shift-click removes it again
    page.click("circle.point[data-index='100']", modifiers=["Shift"])
    wait_until(page, "document.querySelectorAll('circle.point').length === 100")
    assert len(saved(explorer, session)["points"]) == 100
    assert page.console_errors == []


def test_a_clicked_points_graph_and_backward_step_through_reach_backwards_gradients(page, explorer):
    session = open_explorer(page, explorer)
    page.click("#step")
    wait_until(page, "document.getElementById('steps-done').textContent === '1'")
    page.click("circle.point[data-index='3']")
    page.wait_for_selector("#graph svg")
    page.check("#show-params")
    wait_until(page, "document.querySelector('#graph svg').textContent.includes('w²₁₁')")
    page.wait_for_selector("#steps .mg-canvas svg", timeout=120_000)
    save_screenshot(page, "explorer-graph")

    doc = saved(explorer, session)
    model = from_dict(doc["model"])
    cost, inputs, _ = example_loss(model, Settings(), doc["points"][3])
    cost.backward()
    names = {shown(w.label): w for n in (n for layer in model.layers for n in layer.neurons) for w in n.w}
    assert "w²₁₁" in names  # as drawings show the MLP's w[2,1,1]
    graph_text = page.text_content("#graph svg")
    assert f"grad {fmt(model.layers[0].neurons[0].w[0].grad)}" in graph_text

    page.focus("#steps")  # the step-through takes its keys when focused
    page.keyboard.press("End")
    last = page.evaluate("window.micrograd.page.stepper.step")
    assert last == page.evaluate("document.querySelectorAll('#steps tbody tr').length") > 0
    texts = node_texts(page, "#steps")
    checked = 0
    for text in texts.values():
        label = text.split(" ")[0]
        if label in names:
            assert f"grad {fmt(names[label].grad)}" in text, (label, text)
            checked += 1
    assert checked == len(names)
    for x in inputs:
        assert any(t.startswith(shown(x.label)) and f"grad {fmt(x.grad)}" in t for t in texts.values())
    save_screenshot(page, "explorer-steps-end")
    assert page.console_errors == []


def test_an_invalid_learning_rate_shows_the_error_and_training_goes_on_with_the_old_one(page, explorer):
    session = open_explorer(page, explorer)
    page.click("#play")
    wait_until(page, "Number(document.getElementById('steps-done').textContent) >= 2")
    page.fill("#lr", "nan")
    page.press("#lr", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert "learning rate must be a number, got 'nan'" in page.text_content("#error")
    assert page.input_value("#lr") == str(Settings().lr)  # the control shows the rate still in use
    before = steps_shown(page)
    wait_until(page, f"Number(document.getElementById('steps-done').textContent) > {before + 2}")
    assert page.text_content("#play") == "Pause"  # still playing
    page.click("#play")
    assert saved(explorer, session)["settings"]["lr"] == Settings().lr
    save_screenshot(page, "explorer-bad-lr")


def test_no_token_or_a_foreign_origin_is_403(page, explorer):
    base = f"http://127.0.0.1:{explorer.port}"
    assert page.goto(base + "/").status == 403
    assert page.goto(base + "/assets/explorer.js").status == 403
    assert page.goto(base + "/?token=wrong").status == 403
    headers = {"Content-Type": "application/json", "X-Micrograd-Token": explorer.token}
    answer = page.request.post(base + "/api/session", data="{}", headers={**headers, "Origin": "http://evil.example"})
    assert answer.status == 403 and "not allowed" in answer.json()["error"]
    assert page.request.post(base + "/api/session", data="{}", headers=headers).status == 200


def test_two_tabs_have_their_own_models(browser, explorer):
    context = browser.new_context()
    first, second = context.new_page(), context.new_page()
    a, b = open_explorer(first, explorer), open_explorer(second, explorer)
    assert a != b
    first.click("#step")
    wait_until(first, "document.getElementById('steps-done').textContent === '1'")
    second.reload()
    wait_until(second, "document.querySelectorAll('circle.point').length === 100")
    assert second.evaluate("window.micrograd.page.session") == b  # a reload keeps the tab's session
    assert steps_shown(second) == 0 and steps_shown(first) == 1
    context.close()


def test_every_training_and_data_control_reaches_the_engine(page, explorer):
    session = open_explorer(page, explorer)

    def settings():
        return saved(explorer, session)["settings"]

    page.select_option("#optimizer", "adam")
    wait_until(page, "document.querySelector('#opt-table [data-key=\"m\"]') !== null")
    assert settings()["optimizer"] == "adam"
    page.click("#step")
    wait_until(page, "document.getElementById('steps-done').textContent === '1'")
    assert page.get_attribute("#opt-table [data-key='t']", "data-value") == "1"
    page.select_option("#weight", "4")
    wait_until(page, "window.micrograd.page.state.optimizer.index === 4")
    model = from_dict(saved(explorer, session)["model"])
    assert page.get_attribute("#opt-table [data-key='value']", "data-value") == repr(model.parameters()[4].data)

    for selector, value, key, expected in [
        ("#loss-fn", "binary_cross_entropy", "loss", "binary_cross_entropy"),
        ("#activation", "relu", "activation", "relu"),
    ]:
        page.select_option(selector, value)
        wait_until(page, f"window.micrograd.page.state.settings.{key} === '{expected}'")
    for selector, text, key, expected in [
        ("#hidden", "3,2", "hidden", [3, 2]),
        ("#seed", "5", "seed", 5),
        ("#l2", "0.001", "l2", 0.001),
        ("#samples", "60", "samples", 60),
    ]:
        page.fill(selector, text)
        page.press(selector, "Enter")
        wait_until(
            page, f"JSON.stringify(window.micrograd.page.state.settings.{key}) === '{expected!s}'.replace(/ /g, '')"
        )
    assert settings()["hidden"] == [3, 2] and settings()["seed"] == 5 and settings()["l2"] == 0.001
    assert page.text_content("#n-points") == "60"

    page.click("#step")
    wait_until(page, "document.getElementById('steps-done').textContent === '1'")
    page.click("#reinit")
    wait_until(page, "document.getElementById('steps-done').textContent === '0'")
    assert saved(explorer, session)["history"]["loss"] == []

    page.select_option("#dataset", "spiral")
    wait_until(page, "document.querySelectorAll('#classes input').length === 3")
    assert settings()["loss"] == "cross_entropy" and page.input_value("#loss-fn") == "cross_entropy"
    page.click("#mode-remove")
    page.click("circle.point[data-index='0']")
    wait_until(page, "document.querySelectorAll('circle.point').length === 59")
    page.click("#clear-data")
    wait_until(page, "document.querySelectorAll('circle.point').length === 0")
    page.click("#step")
    wait_until(page, "!document.getElementById('error').hidden")
    assert "no points to train on" in page.text_content("#error")
    page.click("#reset-data")
    wait_until(page, "document.querySelectorAll('circle.point').length === 60")
    assert page.is_hidden("#error")
    page.fill("#rate", "25")
    assert page.text_content("#rate-shown") == "25"
    save_screenshot(page, "explorer-controls")


def test_save_then_load_in_another_tab(browser, explorer, tmp_path):
    context = browser.new_context(accept_downloads=True)
    first, second = context.new_page(), context.new_page()
    open_explorer(first, explorer)
    first.fill("#hidden", "3")
    first.press("#hidden", "Enter")
    wait_until(first, "window.micrograd.page.state.settings.hidden.join() === '3'")
    for k in (1, 2):
        first.click("#step")
        wait_until(first, f"document.getElementById('steps-done').textContent === '{k}'")
    with first.expect_download() as download:
        first.click("#save")
    path = tmp_path / "session.json"
    download.value.save_as(path)
    loss = first.get_attribute("#loss", "data-value")

    open_explorer(second, explorer)
    second.set_input_files("#load", str(path))
    wait_until(second, "document.getElementById('steps-done').textContent === '2'")
    assert second.input_value("#hidden") == "3" and second.get_attribute("#loss", "data-value") == loss
    (tmp_path / "bad.json").write_text("{not json")
    second.set_input_files("#load", str(tmp_path / "bad.json"))
    wait_until(second, "!document.getElementById('error').hidden")
    assert "bad.json is not a saved session" in second.text_content("#error")
    context.close()


def open_steps(page, point: int) -> None:
    page.click(f"circle.point[data-index='{point}']")
    page.wait_for_selector("#steps .mg-canvas svg, #steps .mg-canvas img", timeout=60_000)


def test_the_step_through_keeps_one_key_listener_and_catches_up_with_training(page, explorer):
    open_explorer(page, explorer)
    open_steps(page, 3)
    open_steps(page, 5)  # remounted: the old view's listener is gone with it
    page.click("#step")
    wait_until(page, "document.getElementById('steps-done').textContent === '1'")
    wait_until(page, "document.querySelector('#graph-caption').textContent.includes('step 1')")
    page.wait_for_selector("#steps .mg-canvas svg")
    page.focus("#steps")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("window.micrograd.page.stepper.step") == 2
    page.click("#play")
    wait_until(page, "Number(document.getElementById('steps-done').textContent) >= 3")
    page.click("#play")
    wait_until(page, "!document.getElementById('graph-stale').hidden")
    assert "show training step 1;" in page.text_content("#graph-stale")
    page.click("#catch-up")
    wait_until(page, "document.getElementById('graph-stale').hidden")
    assert page.console_errors == []


def test_the_neuron_view_is_one_toggle_away(page, explorer):
    open_explorer(page, explorer)
    open_steps(page, 2)
    page.select_option("#steps-view", "neurons")
    wait_until(page, "document.querySelector('#steps .mg-title')?.textContent.includes('neuron')")
    page.focus("#steps")
    page.keyboard.press("ArrowRight")
    assert "BP1" in page.text_content("#steps .mg-now")
    save_screenshot(page, "explorer-neurons")
    assert page.console_errors == []


@pytest.mark.parametrize("width,height", [(1024, 768), (1280, 800)])
def test_micrograds_own_network_steps_through_in_the_explorer_and_reads(browser, explorer, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_explorer(page, explorer)
    page.fill("#hidden", "16,16")
    page.press("#hidden", "Enter")
    wait_until(page, "window.micrograd.page.state.settings.hidden.join(',') === '16,16'")
    open_steps(page, 0)
    last = page.evaluate("window.micrograd.page.stepper && document.querySelectorAll('#steps tbody tr').length")
    assert last > 600
    page.locator("#steps").scroll_into_view_if_needed()
    page.locator("#steps .mg-stage").scroll_into_view_if_needed()
    for k in (1, last // 2, last):
        page.evaluate(f"window.micrograd.page.stepper.go({k})")
        wait_until(page, "!window.micrograd.page.stepper.moving")
        assert page.evaluate("document.querySelector('#steps tr.mg-current-row').dataset.step") == str(k)
        seen = page.evaluate(
            """() => {
              const t = document.querySelector('#steps .mg-canvas g.edge text[font-weight="bold"]');
              const r = t.getBoundingClientRect();
              const stage = document.querySelector('#steps .mg-stage').getBoundingClientRect();
              return {px: t.getScreenCTM().a * parseFloat(t.getAttribute('font-size')),
                      inside: r.left >= stage.left && r.right <= stage.right
                        && r.top >= stage.top && r.bottom <= stage.bottom}; }"""
        )
        assert seen["px"] >= 11 and seen["inside"], (k, seen)
    save_screenshot(page, f"explorer-steps-16-16-{width}")
    assert errors == []
    context.close()


def test_the_explorers_step_through_runs_a_mistake_beside_the_right_pass(page, explorer):
    open_explorer(page, explorer)
    open_steps(page, 4)
    page.select_option("#steps .mg-mistake", "no_topological_order")
    page.wait_for_selector("#steps .mg-twin .mg-canvas svg", timeout=60_000)
    page.evaluate("window.micrograd.page.stepper.go(30)")
    assert page.get_attribute("#steps .mg-twin .mg-steps", "data-step") == "30"
    assert "no topological order" in page.text_content("#steps .mg-twin-head")
    save_screenshot(page, "explorer-mistake")
    assert page.console_errors == []


def test_at_1024_px_nothing_overflows_and_the_charts_read_from_the_first_step(browser, explorer):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_explorer(page, explorer)
    page.click("#step")
    wait_until(page, "document.getElementById('steps-done').textContent === '1'")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024  # the right column moved below
    assert page.locator("#curves circle.loss-dot").count() == 1 and page.locator("#curves circle.acc-dot").count() == 1
    assert "100%" in page.text_content("#curves")  # accuracy has its own axis
    select = page.locator("#loss-fn")
    assert page.evaluate("s => s.scrollWidth <= s.clientWidth + 24", select.element_handle())  # not clipped
    page.select_option("#optimizer", "adam")
    wait_until(page, "!document.getElementById('lr-note').hidden")
    assert "adam's usual rate" in page.text_content("#lr-note") and "was 0.3" in page.text_content("#lr-note")
    page.fill("#lr", "0.05")
    page.press("#lr", "Enter")
    wait_until(page, "window.micrograd.page.state.settings.lr === 0.05")
    page.select_option("#optimizer", "sgd")
    wait_until(page, "!document.getElementById('lr-note').hidden")
    assert "kept at 0.05" in page.text_content("#lr-note") and page.input_value("#lr") == "0.05"
    page.fill("#samples", "60")
    page.press("#samples", "Enter")
    wait_until(page, "document.querySelectorAll('circle.point').length === 60")
    box = page.locator("#points").bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + 30)
    wait_until(page, "document.querySelectorAll('circle.point').length === 61")
    assert page.input_value("#samples") == "61"  # the field follows the count
    # The network drawing is redrawn as the settings change: measured in one go once it is there.
    whole = """(() => { const n = document.getElementById('network'), s = n && n.querySelector('svg');
      if (!s) return false; const a = n.getBoundingClientRect(), b = s.getBoundingClientRect();
      return b.height > 0 && b.bottom <= a.bottom + 1; })()"""
    wait_until(page, whole)  # its lowest neurons are not cut
    save_screenshot(page, "explorer-1024")
    assert errors == []
    context.close()
