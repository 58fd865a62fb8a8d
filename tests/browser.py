"""Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by playwright.

    def test_my_page(page):          # the fixture, from tests/conftest.py
        page.goto(url)
        ...
        assert page.console_errors == []
        save_screenshot(page, "my-page")

Browsers are never downloaded (`playwright install` is not possible here): the tests use
the `chromium` that `make test` installs with apt-get, or $MICROGRAD_CHROMIUM. Where there
is none (or playwright is missing) the browser tests skip and say why, except under CI
(the CI environment variable set), where a missing browser is a failure: CI must run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"  # gitignored


def chromium_path() -> str | None:
    """The Chromium to drive: $MICROGRAD_CHROMIUM, /usr/bin/chromium, or `chromium` on PATH."""
    for candidate in (os.environ.get("MICROGRAD_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        _unavailable("Debian's chromium is not installed (sudo apt-get install chromium; `make test` does it as root)")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
        except Error as error:
            _unavailable(f"{executable} would not start: {str(error).splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page; `page.console_errors` collects console errors and uncaught exceptions."""
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    tab.console_errors = errors
    yield tab
    context.close()


def save_screenshot(page, name: str) -> Path:
    """A screenshot under test-artifacts/ (gitignored); prints where, for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")
    return path


def node_texts(page, scope: str = "") -> dict[str, str]:
    """What each drawn graph node shows, by its DOT name: the texts of every ``g.node`` of the
    step-through drawings (inside the CSS selector `scope`, if given), joined by spaces."""
    script = """scope => Object.fromEntries(
      [...document.querySelectorAll(`${scope} .mg-canvas g.node`.trim())].map(g => [
        g.querySelector('title').textContent,
        [...g.querySelectorAll('text')].map(t => t.textContent).join(' ')])
    )"""
    return page.evaluate(script, scope)

