"""The browser site (`make site`): the playground on Pyodide, served from loopback, in Chromium.

`make test` builds site/ first (web/build.py, or reuses an up-to-date build). These tests serve
site/ with the standard library's http.server on 127.0.0.1, record every request the page and
its worker make (none may leave the server) and every console error (none allowed, so a
Content-Security-Policy violation fails them too), and compare what the page shows with the
native engine. One page is opened and Python booted once; later tests change its fragment.
Without a built site they skip and say why (and fail under CI, which must run them).
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest
from browser import save_screenshot

from micrograd import backward_steps
from micrograd.expression import parse
from micrograd.web import network_cost

SITE = Path(__file__).resolve().parent.parent / "site"
README_LINK = "#expr=(a*b%2Ba)*a&a=2&b=-3&wrt=a&step=5"
BOOT_MS = 60_000  # a loaded CI machine; benchmarks/site.py measures the real figure


def _require_site() -> None:
    if not (SITE / "index.html").exists() or not (SITE / "wheels.json").exists():
        reason = "site/ is not built (make site: needs npm, which make installs as root)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"the site tests cannot run under CI: {reason}")
        pytest.skip(reason)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    _require_site()
    handler = functools.partial(_Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def playground(browser, server):
    """One playground page, opened on the README link, Python booted; records requests and errors."""
    context, page = _recorded_page(browser, server)
    page.goto(server + "index.html" + README_LINK)
    page.wait_for_selector("body[data-generation]", state="attached", timeout=BOOT_MS)
    yield page
    context.close()


def _recorded_page(browser, server):
    """A page of a fresh context that records every request (page and worker) and every error."""
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    requests: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.requests, page.console_errors, page.base = requests, errors, server
    return context, page


def _generation(page) -> str:
    return page.get_attribute("body", "data-generation") or ""


def _after(page, action) -> None:
    """Do `action` and wait until the page has shown its result (or its message)."""
    before = _generation(page)
    action()
    page.wait_for_selector(f'body:not([data-generation="{before}"])', state="attached", timeout=20_000)


def _shown(page) -> dict:
    grads = {
        row.get_attribute("data-name"): float(row.locator(".pg-grad").get_attribute("data-value"))
        for row in page.locator("#grads tr").all()
    }
    return {"value": float(page.get_attribute("#value", "data-value")), "grads": grads}


def _step(page) -> int:
    return int(page.input_value(".mg-slider"))


def _type(page, expr: str, inputs: str) -> None:
    page.locator("#tab-expr").click()
    page.fill("#inputs", inputs)
    _after(page, lambda: page.fill("#expr", expr))


def test_the_readme_link_opens_that_state(playground):
    page = playground
    shown = _shown(page)
    assert shown == {"value": -8.0, "grads": {"a": -8.0, "b": 4.0}}
    assert page.input_value("#expr") == "(a*b+a)*a"
    assert page.input_value("#wrt") == "a"
    assert _step(page) == 5
    assert "-8 = -4 + 2 + (-6)" in page.locator(".mg-now .mg-sum").inner_text()
    # the path table adds up to backward()'s number
    assert float(page.get_attribute(".pg-total", "data-value")) == -8.0
    assert float(page.get_attribute(".pg-backward", "data-value")) == -8.0
    assert page.locator("#paths tbody tr").count() == 3
    # step 5's += line is marked: g_a += b * g_v2 (a → a*b, local b)
    assert page.locator("#code-view .pg-current").inner_text().strip() == "g_a += b * g_v2"
    assert page.get_attribute("body", "data-boot")
    save_screenshot(page, "site-readme-link")
    assert page.console_errors == []


def test_typed_expressions_give_the_engines_gradients_and_steps(playground):
    page = playground
    cases = [
        ("(a+b)*(b+1)", {"a": 2.0, "b": 1.0}),
        ("tanh(x*w + c) * exp(-x) / (1 + c**2)", {"x": 0.7, "w": -1.3, "c": 0.4}),
        ("sigmoid(a*a - b) + relu(b - a) + log(abs(a) + 2)", {"a": -1.5, "b": 0.25}),
    ]
    for expr, inputs in cases:
        _type(page, expr, ", ".join(f"{k}={v!r}" for k, v in inputs.items()))
        assert page.inner_text("#expr-message") == ""
        native = parse(expr, inputs)
        native.output.backward()
        shown = _shown(page)
        assert shown["value"] == native.output.data
        assert shown["grads"] == {name: x.grad for name, x in native.inputs.items()}
        # step k's running sum is backward_steps()[k]'s
        steps = backward_steps(native.output)
        assert _step(page) == 0
        for k in range(1, len(steps) + 1):
            page.get_by_role("button", name="next ▶").click()
            assert _step(page) == k
            step = steps[k - 1]
            row = page.locator("tr.mg-current-row")
            assert row.get_attribute("data-step") == str(k)
            if step.summing:
                assert steps.sum_text(step.parent, k) in page.locator(".mg-now .mg-sum").inner_text()
    assert page.console_errors == []


def test_a_bad_expression_says_why_and_the_last_result_stays(playground):
    page = playground
    _type(page, "(a*b + a)*a", "a=2, b=-3")
    assert _shown(page)["value"] == -8.0
    for bad in ["a*(b", "a.__class__", "__import__('os')", "c*a"]:
        _after(page, lambda bad=bad: page.fill("#expr", bad))
        message = page.inner_text("#expr-message")
        assert message and "\n" not in message, (bad, message)
        assert _shown(page)["value"] == -8.0  # the last good result stays
    assert _message_for(page, "a.__class__") == "attribute access is not allowed at column 1: 'a.__class__'"
    save_screenshot(page, "site-bad-expression")
    _after(page, lambda: page.fill("#expr", "a*b"))  # and the page keeps working
    assert page.inner_text("#expr-message") == ""
    assert _shown(page) == {"value": -6.0, "grads": {"a": -3.0, "b": 2.0}}
    assert page.console_errors == []


def _message_for(page, expr: str) -> str:
    _after(page, lambda: page.fill("#expr", expr))
    return page.inner_text("#expr-message")


def test_the_compiled_line_and_the_edge_mark_each_other(playground):
    page = playground
    _type(page, "(a*b + a)*a", "a=2, b=-3")
    page.locator('#code-view [data-step="3"]').click()
    assert _step(page) == 3
    assert page.locator("#code-view .pg-current").get_attribute("data-step") == "3"
    # clicking an edge of the drawing goes to its step, and its line is marked
    edge = page.locator("#steps .mg-canvas g.edge.pg-clickable").first
    edge_id = edge.get_attribute("id")
    edge.dispatch_event("click")
    k = _step(page)
    assert page.locator("tr.mg-current-row").get_attribute("data-step") == str(k)
    assert page.locator("#code-view .pg-current").get_attribute("data-step") == str(k)
    assert edge_id
    assert page.console_errors == []


def test_a_link_round_trips(playground):
    page = playground
    _type(page, "(a+b)*(b+1)", "a=2, b=1")
    _after(page, lambda: page.select_option("#wrt", "b"))
    page.locator('#code-view [data-step="4"]').click()
    page.locator("#link").click()
    link = page.get_attribute("#link", "data-href")
    assert "#" in link and "expr=" in link and "step=4" in link and "wrt=b" in link
    _type(page, "a*b", "a=1, b=1")  # somewhere else first
    _after(page, lambda: page.goto(link))
    assert page.input_value("#expr") == "(a+b)*(b+1)"
    assert page.input_value("#inputs") == "a=2, b=1"
    assert page.input_value("#wrt") == "b"
    assert _step(page) == 4
    assert _shown(page) == {"value": 6.0, "grads": {"a": 2.0, "b": 5.0}}
    assert page.console_errors == []


@pytest.mark.parametrize(
    "fragment",
    ["#expr=a&a=zz", "#step=x", "#expr=a&wrt=1-2&a=1", "#expr=a&a=1&__proto__=3", "#example=nope"],
)
def test_a_bad_link_says_so_and_shows_the_defaults(playground, fragment):
    page = playground
    _type(page, "a*b", "a=1, b=1")
    _after(page, lambda: page.goto(page.base + "index.html" + fragment))
    message = page.inner_text("#expr-message")
    assert "defaults" in message and "\n" not in message
    assert _shown(page) == {"value": -8.0, "grads": {"a": -8.0, "b": 4.0}}
    assert page.console_errors == []


def test_the_network_example_and_the_python_tab(playground):
    page = playground
    _after(page, lambda: page.select_option("#example", "network"))
    cost, xs = network_cost()
    cost.backward()
    shown = _shown(page)
    assert shown["value"] == cost.data
    assert [shown["grads"][x.label] for x in xs] == [x.grad for x in xs]
    save_screenshot(page, "site-network")
    page.locator("#tab-python").click()
    page.fill("#code", "p = Value(3.0, label='p')\nq = Value(-2.0, label='q')\nr = (p*q + p).relu() + q**2")
    page.fill("#code-name", "r")
    _after(page, lambda: page.locator("#run").click())
    assert page.inner_text("#code-message") == ""
    assert _shown(page) == {"value": 4.0, "grads": {"p": 0.0, "q": -4.0}}
    page.locator("#link").click()
    assert "not put in a link" in page.inner_text("#link-note")
    page.fill("#code-name", "nothing")
    _after(page, lambda: page.locator("#run").click())
    assert "nothing" in page.inner_text("#code-message")
    assert page.console_errors == []


def test_no_request_leaves_the_server(playground):
    assert playground.requests
    outside = [url for url in playground.requests if not url.startswith(playground.base)]
    assert outside == []


@pytest.fixture(scope="module")
def explorer(browser, server):
    """site/explorer.html: micrograd serve's page, its session in the worker."""
    context, page = _recorded_page(browser, server)
    page.goto(server + "explorer.html")
    page.wait_for_selector("body[data-python='ready']", state="attached", timeout=BOOT_MS)
    page.locator("#n-points").filter(has_text="100").wait_for(timeout=BOOT_MS)
    yield page
    context.close()


def test_the_explorers_step_gives_the_native_sessions_loss(explorer):
    from micrograd.serve.session import Session, Settings

    page = explorer
    page.locator("#step").click()
    page.locator("#steps-done").filter(has_text="1").wait_for(timeout=20_000)
    native = Session(Settings())
    native.step(1)
    loss = native.state(None, 0, None)["loss"][-1]
    shown = page.inner_text("#loss")
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    assert abs(float(shown) - loss) <= 0.5 * 10**-decimals, (shown, loss)
    save_screenshot(page, "site-explorer")
    assert page.console_errors == []


def test_clicking_the_explorers_plot_adds_a_point(explorer):
    page = explorer
    before = int(page.inner_text("#n-points"))
    page.locator("#mode-add").check()
    page.locator("#points").click(position={"x": 12, "y": 12})
    page.locator("#n-points").filter(has_text=str(before + 1)).wait_for(timeout=20_000)
    assert page.console_errors == []
    outside = [url for url in explorer.requests if not url.startswith(explorer.base)]
    assert outside == []


def test_an_explorer_link_opens_its_settings_and_a_bad_one_says_so(explorer):
    page = explorer
    page.goto(page.base + "explorer.html#dataset=circles&hidden=3&activation=relu&seed=7")
    page.reload()  # a new fragment alone does not open a new page
    page.wait_for_function("() => document.getElementById('hidden').value === '3'", timeout=BOOT_MS)
    assert page.input_value("#dataset") == "circles"
    assert page.input_value("#activation") == "relu"
    assert page.input_value("#seed") == "7"
    page.locator("#link").click()
    link = page.get_attribute("#link", "data-href")
    assert "dataset=circles" in link and "hidden=3" in link and "seed=7" in link
    page.goto(page.base + "explorer.html#activation=nope&seed=1")
    page.reload()
    page.locator("#link-message").wait_for(timeout=BOOT_MS)
    message = page.inner_text("#link-message")
    assert "activation" in message and "defaults" in message and "\n" not in message
    page.wait_for_function("() => document.getElementById('activation').value === 'tanh'", timeout=BOOT_MS)
    assert page.console_errors == []


def test_an_explorer_link_carries_the_points_when_they_fit(explorer):
    page = explorer
    page.goto(page.base + "explorer.html#samples=20&seed=3")
    page.reload()
    page.locator("#n-points").filter(has_text="20").wait_for(timeout=BOOT_MS)
    page.locator("#mode-add").check()
    page.locator("#points").click(position={"x": 12, "y": 12})
    page.locator("#n-points").filter(has_text="21").wait_for(timeout=20_000)
    page.locator("#link").click()
    link = page.get_attribute("#link", "data-href")
    assert "points=" in link and link.split("points=")[1].count(";") == 20  # 21 points
    page.goto(link)
    page.reload()
    page.locator("#n-points").filter(has_text="21").wait_for(timeout=BOOT_MS)
    page.goto(page.base + "explorer.html#points=1,2,3;x,1,0")
    page.reload()
    page.locator("#link-message").wait_for(timeout=BOOT_MS)
    assert "point 2 is not x,y,class" in page.inner_text("#link-message")
    page.goto(page.base + "explorer.html#points=0.5,0.5,9")  # a class moons does not have: the session says so
    page.reload()
    page.locator("#link-message").wait_for(timeout=BOOT_MS)
    assert "the link's points:" in page.inner_text("#link-message")
    page.locator("#n-points").filter(has_text="100").wait_for(timeout=BOOT_MS)  # the generated points
    assert page.console_errors == []


def test_the_opening_view_is_usable_before_python_has_started_and_matches_the_engine(browser, server):
    from micrograd.web import explain

    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + "index.html")
    page.wait_for_selector("body[data-generation]", state="attached", timeout=BOOT_MS)
    native = explain("(a*b + a)*a", {"a": 2.0, "b": -3.0})
    assert _shown(page) == {"value": native["value"], "grads": native["grads"]}
    page.evaluate("window.micrograd.steps.go(5)")
    assert "-8 = -4 + 2 + (-6)" in page.text_content(".mg-sum")
    page.select_option(".mg-mistake", "overwrite")  # the opening view carries every mistake's pass
    page.wait_for_selector(".mg-twin .mg-canvas svg", timeout=10_000)
    _type(page, "a*b", "a=2, b=-3")  # then Python computes what is typed
    assert _shown(page) == {"value": -6.0, "grads": {"a": -3.0, "b": 2.0}}
    assert errors == []
    context.close()
