#!/usr/bin/env python3
"""How fast the step-through is, in Python and in headless Chromium.

    .venv/bin/python benchmarks/stepthrough.py            # about half a minute
    .venv/bin/python benchmarks/stepthrough.py --quick    # fewer rounds

For one moons example's loss through the explorer's default 2-4-4-1 and through micrograd's
own 2-16-16-1 (tanh, hinge), it reports:
  - Python: `backward_steps(C).page_data()`, the whole page's data with its one Graphviz layout;
  - the standalone page (`save_html`): opened -> the first frame shown;
  - each step forward, back, and a jump with the slider: the time to restyle the drawing and
    the table, to the next animation frame, measured in the page (median and worst);
  - the explorer: a click on a point -> the step-through's first frame shown.
Targets (issue 19): 2-16-16-1 ready within 1 s, every step within 50 ms; 2-4-4-1's first frame
within 300 ms of the click. Reported, never asserted. Needs chromium and playwright (dev extra).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser import chromium_path

from micrograd import backward_steps
from micrograd.nn import MLP
from micrograd.serve import make_server
from micrograd.serve.session import Settings, example_loss
from micrograd.viz.steps import page_html

MODELS = {"default 2-4-4-1": (4, 4), "micrograd's 2-16-16-1": (16, 16)}
POINT = [0.3, -0.4, 0]  # misclassified by both fresh models: every step carries a gradient

STEP = """async (k) => {
  const steps = window.micrograd.steps, start = performance.now();
  steps.go(k);
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return performance.now() - start;
}"""

CLICK_POINT = """async (index) => {
  const box = document.getElementById('steps');
  const start = performance.now();
  const shown = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (box.querySelector('.mg-canvas svg')) { watch.disconnect(); requestAnimationFrame(() => resolve()); }
    });
    watch.observe(box, { childList: true, subtree: true });
  });
  const point = document.querySelector(`circle.point[data-index="${index}"]`);
  point.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  await shown;
  return performance.now() - start;
}"""


def stats(samples: list[float], unit: str = "ms") -> str:
    return f"median {statistics.median(samples):7.1f} {unit}, worst {max(samples):7.1f} {unit}"


def example(hidden: tuple[int, ...]):
    settings = Settings(hidden=hidden)
    model = MLP(2, [*hidden, 1], activation=settings.activation, seed=1)
    return example_loss(model, settings, POINT)[0]


def measure(name: str, hidden: tuple[int, ...], rounds: int, browser, folder: Path) -> list[str]:
    cost = example(hidden)
    steps = backward_steps(cost)
    lines = [f"{name}: {len(steps.order)} values, {len(steps)} steps"]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        data = steps.page_data()
        times.append(time.perf_counter() - started)
    lines.append(f"  Python page_data (one dot layout):        {stats([1000 * t for t in times])}")
    path = folder / f"{hidden[0]}.html"
    path.write_text(page_html(data), encoding="utf-8")

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    opened = []
    for _ in range(rounds):
        started = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_function("window.micrograd && window.micrograd.steps")
        page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => resolve()))")
        opened.append(1000 * (time.perf_counter() - started))
    lines.append(f"  page opened -> first frame shown:          {stats(opened)}")
    last = len(steps)
    forward = [page.evaluate(STEP, k) for k in range(1, min(last, 120) + 1)]
    back = [page.evaluate(STEP, k) for k in range(min(last, 120) - 1, 0, -1)]
    jumps = [page.evaluate(STEP, k) for k in (last, 1, last // 2, last // 3, last - 1, 2, last // 4, last)]
    lines.append(f"  one step forward:                          {stats(forward)}")
    lines.append(f"  one step back:                             {stats(back)}")
    lines.append(f"  a jump with the slider:                    {stats(jumps)}")
    page.close()

    server = make_server(settings=Settings(hidden=hidden))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.goto(server.url)
        while not page.evaluate("document.querySelectorAll('circle.point').length === 100"):  # CSP: no eval
            page.wait_for_timeout(20)
        page.evaluate("document.getElementById('network-panel').open = false")
        clicks = []
        for i in range(rounds):
            clicks.append(page.evaluate(CLICK_POINT, 10 + i))
            page.wait_for_timeout(300)
        lines.append(f"  explorer: click a point -> first frame:    {stats(clicks)}")
    finally:
        page.close()
        server.shutdown()
        server.server_close()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        print("chromium is not installed (sudo apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    rounds = 2 if args.quick else 5
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        for name, hidden in MODELS.items():
            print("\n".join(measure(name, hidden, rounds, browser, Path(folder))), flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
