"""How live the explorer (`micrograd serve`) feels, measured in headless Chromium.

    .venv/bin/python benchmarks/serve.py              # about a minute
    .venv/bin/python benchmarks/serve.py --quick      # fewer rounds

For the default model (2-4-4-1 tanh) and micrograd's moons demo model (2-16-16-1 ReLU) on
100 moons points it reports:
  - click on Step -> the page redrawn (points, regions, numbers, curves; measured in the
    page, to the next animation frame after the numbers change), the network panel closed
    and open (the network drawing arrives separately and is not waited for);
  - steps per second while playing at the fastest rate (30/s), for 6 seconds, graph panel closed;
  - one example's graph: the server's time to draw it (`graph_view`, parameters hidden and
    shown), and click on a point -> the graph shown in the page;
  - the step-through of one example's backward pass (laid out once on request; benchmarks/stepthrough.py
    times it in detail).
Medians of several rounds. Timings are for information (targets: >= 10 steps/s, graph < 300 ms);
nothing here is asserted. Needs Debian's chromium and the playwright package (dev extra).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser import chromium_path

from micrograd.serve import make_server
from micrograd.serve.session import Session, Settings
from micrograd.serve.views import graph_view

MODELS = {
    "default 2-4-4-1 tanh": Settings(),
    "moons demo 2-16-16-1 relu": Settings(hidden=(16, 16), activation="relu", lr=0.1),
}

CLICK_STEP = """async () => {
  const shown = document.getElementById('steps-done');
  const before = shown.textContent;
  const start = performance.now();
  const redrawn = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (shown.textContent !== before) { watch.disconnect(); requestAnimationFrame(() => resolve()); }
    });
    watch.observe(shown, { childList: true, characterData: true, subtree: true });
  });
  document.getElementById('step').click();
  await redrawn;
  return performance.now() - start;
}"""

CLICK_POINT = """async (index) => {
  const graph = document.getElementById('graph');
  graph.innerHTML = '';
  const start = performance.now();
  const shown = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (graph.querySelector('svg')) { watch.disconnect(); requestAnimationFrame(() => resolve()); }
    });
    watch.observe(graph, { childList: true });
  });
  const point = document.querySelector(`circle.point[data-index="${index}"]`);
  point.dispatchEvent(new MouseEvent('click', { bubbles: true }));
  await shown;
  return performance.now() - start;
}"""


STEPS_DONE = """!!document.querySelector('#steps .mg-canvas svg') ||
  document.getElementById('steps-note').textContent.includes('too many')"""


def wait_until(page, condition: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            raise TimeoutError(condition)
        page.wait_for_timeout(20)


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples):7.1f} ms (min {min(samples):.1f})"


def measure(settings: Settings, rounds: int, play_seconds: float, browser) -> list[str]:
    lines = []
    server = make_server(settings=settings)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page(viewport={"width": 1500, "height": 950})
    try:
        page.goto(server.url)
        wait_until(page, "document.querySelectorAll('circle.point').length === 100")
        page.evaluate("document.getElementById('network-panel').open = false")
        page.wait_for_timeout(300)
        closed = [page.evaluate(CLICK_STEP) for _ in range(rounds)]
        page.evaluate("document.getElementById('network-panel').open = true")
        page.wait_for_timeout(500)
        opened = []
        for _ in range(rounds):
            opened.append(page.evaluate(CLICK_STEP))
            page.wait_for_timeout(150)  # let the network drawing land between clicks
        lines.append(f"  click Step -> page redrawn, network panel closed: {median_ms(closed)}")
        lines.append(f"  click Step -> page redrawn, network panel open:   {median_ms(opened)}")

        for panel in ("closed", "open"):
            page.evaluate(f"document.getElementById('network-panel').open = {str(panel == 'open').lower()}")
            page.evaluate("document.getElementById('rate').value = '30'")
            start_steps = int(page.text_content("#steps-done"))
            started = time.perf_counter()
            page.click("#play")
            page.wait_for_timeout(play_seconds * 1000)
            page.click("#play")
            seconds = time.perf_counter() - started
            page.wait_for_timeout(500)
            done = int(page.text_content("#steps-done")) - start_steps
            lines.append(
                f"  playing at 30/s for {seconds:.1f} s, network panel {panel}: {done / seconds:5.1f} steps/s "
                "(graph panel closed)"
            )

        page.evaluate("document.getElementById('network-panel').open = false")
        clicks, through = [], []
        for i in range(rounds):  # each click also draws a step-through: let it finish first
            clicks.append(page.evaluate(CLICK_POINT, 10 + i))
            started = time.perf_counter()
            wait_until(page, STEPS_DONE)
            through.append(time.perf_counter() - started)
        lines.append(f"  click a point -> its graph shown (parameters hidden): {median_ms(clicks)}")
        note = page.text_content("#steps-note")
        if "too many" in note:
            lines.append(f"  step-through: not drawn ({note.split(';')[0]})")
        else:
            lines.append(f"  step-through of that example shown {statistics.median(through):.1f} s after the graph")
    finally:
        page.close()
        server.shutdown()
        server.server_close()

    session = Session(settings)
    session.step(5)
    for shown in (False, True):
        samples = []
        for _ in range(rounds):
            model, s, points = session.snapshot()
            started = time.perf_counter()
            graph_view(model, s, points, 3, shown)
            samples.append(1000 * (time.perf_counter() - started))
        lines.append(
            f"  server draws one example's graph, parameters {'shown' if shown else 'hidden'}: {median_ms(samples)}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter play")
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        print("benchmarks/serve.py: needs Debian's chromium (sudo apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    rounds, play_seconds = (3, 3.0) if args.quick else (9, 6.0)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            for name, settings in MODELS.items():
                print(f"{name} on moons (100 points):", flush=True)
                for line in measure(settings, rounds, play_seconds, browser):
                    print(line, flush=True)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
