#!/usr/bin/env python3
"""Make docs/images/stepthrough_page.png: the README's L at step 5, as the page shows it at 1024 px.

    .venv/bin/python docs/stepthrough_image.py

Needs Graphviz's dot, Debian's chromium and the playwright package (the dev extra).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from browser import chromium_path

from micrograd import Value, backward_steps


def main() -> int:
    from playwright.sync_api import sync_playwright

    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    L = d * a
    L.label = "L"
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        page_file = Path(folder) / "steps.html"
        backward_steps(L).save_html(page_file)
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1024, "height": 640})
        page.goto(page_file.as_uri())
        page.evaluate("window.micrograd.steps.go(5)")
        page.wait_for_function("!window.micrograd.steps.moving")
        target = HERE / "images" / "stepthrough_page.png"
        page.screenshot(path=str(target))
        browser.close()
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
