"""The step-through widget in a real JupyterLab: notebook 10 run in headless Chromium.

A fixture starts `jupyter lab` on loopback with a token in a temporary folder holding a copy
of the notebook; the browser (tests/browser.py) opens it, runs every cell, presses next in
the widget and checks that the view follows the current edge, as the standalone page does.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("anywidget")
pytest.importorskip("jupyterlab")
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed: the widget's drawing cannot be laid out", allow_module_level=True)

from browser import save_screenshot

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK = NOTEBOOKS / "10_watch_backward_add_up_the_paths.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with a random token, serving a copy of notebook 10."""
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    port, token = _free_port(), secrets.token_urlsafe(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--ServerApp.port_retries=0",
         f"--config={NOTEBOOKS / 'jupyter_server_config.py'}"],  # as `make notebooks` starts it: saves cleaned
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"jupyter lab did not start: {server.stderr.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.5)
    yield f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", folder / NOTEBOOK.name
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def run_all(page, attempts: int = 3) -> None:
    """Run All Cells from the menu, again if no cell has started after a while: right after the
    page opens, JupyterLab can take the command before its kernel is connected, and drop it."""
    for _ in range(attempts):
        page.click(".jp-Notebook .jp-Cell")  # focus the notebook
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.wait_for_function(
                "[...document.querySelectorAll('.jp-InputPrompt')].some(p => /\\[(\\d+|\\*)\\]/.test(p.textContent))",
                timeout=30_000,
            )
            return
        except Exception:
            page.keyboard.press("Escape")
    raise AssertionError("JupyterLab never started running the notebook")


def test_notebook_10s_widget_follows_the_current_edge_in_jupyterlab(browser, lab):
    lab, saved_file = lab
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # a laptop; the file browser open
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(lab)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    run_all(page)
    widget = page.locator(".mg-steps").first
    try:
        widget.wait_for(timeout=120_000)
    except Exception:
        save_screenshot(page, "jupyterlab-widget-missing")
        raise
    widget.scroll_into_view_if_needed()
    page.wait_for_selector(".mg-steps .mg-canvas svg", timeout=60_000)
    for _ in range(5):
        widget.get_by_role("button", name="next ▶").click()
    assert widget.get_attribute("data-step") == "5"
    page.wait_for_timeout(600)  # the view glides to the edge
    widget.locator(".mg-stage").scroll_into_view_if_needed()
    seen = page.evaluate(
        """() => {
          const box = document.querySelector('.mg-steps');
          const label = box.querySelector('.mg-canvas g.edge text[font-weight="bold"]');
          const r = label.getBoundingClientRect(), stage = box.querySelector('.mg-stage').getBoundingClientRect();
          return {px: label.getScreenCTM().a * parseFloat(label.getAttribute('font-size')), text: label.textContent,
                  inside: r.width > 0 && r.left >= stage.left && r.right <= stage.right
                    && r.top >= stage.top && r.bottom <= stage.bottom && r.bottom <= innerHeight && r.top >= 0,
                  sum: box.querySelector('.mg-sum').textContent};
        }"""
    )
    assert seen["inside"] and seen["px"] >= 11 and " × " in seen["text"], seen
    assert "=" in seen["sum"]
    widget.get_by_role("button", name="▶ play").click()
    page.wait_for_timeout(1500)
    widget.get_by_role("button", name="❚❚ pause").click()
    paused = int(widget.get_attribute("data-step"))
    page.wait_for_timeout(1200)
    assert int(widget.get_attribute("data-step")) == paused > 5  # pause stops where it is
    widget.locator(".mg-stage").scroll_into_view_if_needed()
    save_screenshot(page, "jupyterlab-widget")

    # Saved (cleaned by the pre-save hook), the kernel shut down, the page reloaded: the cell says
    # what it showed and that the kernel must run, instead of an error.
    page.keyboard.press("Control+s")
    page.wait_for_timeout(1500)
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name="Shut Down Kernel", exact=True).click()
    page.wait_for_timeout(1500)
    page.reload()
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    saved = json.loads(saved_file.read_text(encoding="utf-8"))
    (cell,) = [c for c in saved["cells"] if c.get("id") == "widget"]
    (output,) = cell["outputs"]
    assert list(output["data"]) == ["text/plain"]  # the widget's own note, kept by the cleaner
    assert "".join(output["data"]["text/plain"]).startswith("micrograd step-through: backward() of g")
    assert "Run this cell with a live kernel" in "".join(output["data"]["text/plain"])
    page.wait_for_timeout(2000)
    assert page.get_by_text("model not found").count() == 0
    assert not [e for e in errors if "micrograd" in e.lower() or "MicrogradSteps" in e], errors
    context.close()
