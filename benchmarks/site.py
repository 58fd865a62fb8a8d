#!/usr/bin/env python3
"""Time the browser site (site/, `make site`) in headless Chromium from a loopback server.

    python benchmarks/site.py            # 3 rounds; prints a table and writes benchmarks/runs/site-*.json
    python benchmarks/site.py --rounds 5

Measures, against the issue's targets:
  cold load   a fresh browser profile opens index.html until the README expression is shown and
              usable (value, gradients, graph, paths, the step-through and its mistakes, the code:
              the opening view, which web/build.py computed with the same engine natively)  < 5 s
  warm load   the same profile opens it again (HTTP cache and compiled WebAssembly warm)  < 2 s
  python      the warm page opened -> Python started in the worker (from then on every typed
              expression is computed in the browser)
  README      the README expression typed -> everything shown, first frame laid out        < 300 ms
  2-3-3-2     the network's cost picked -> everything shown                                < 1 s
  step        steps.go(k) -> the frame painted (two animation frames), in the page       < 50 ms
  explorer    explorer.html training moons with micrograd's 2-16-16-1, Play at 30 a second:
              steps per second the page keeps up                                           >= 10
  size        the site's size in MB
Times are medians over the rounds (and the max); loads and the expressions are measured from
Python around each action (so they include playwright's round trip, a few ms, and for a typed
expression the page's 150 ms wait for the learner to stop typing), steps in the page;
"readme_page_ms"/"network_page_ms" are the page's own request -> first frame.
Uses Debian's chromium (never a download).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import http.server
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
TARGETS = {
    "cold_load_s": 5.0,
    "warm_load_s": 2.0,
    "readme_ms": 300.0,
    "readme_page_ms": 300.0,
    "network_ms": 1000.0,
    "network_page_ms": 1000.0,
    "step_ms": 50.0,
}
AT_LEAST = {"explorer_steps_per_s": 10.0}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_port}/index.html"


def _generation(page) -> str:
    return page.get_attribute("body", "data-generation") or ""


def _timed(page, action) -> float:
    before = _generation(page)
    start = time.perf_counter()
    action()
    page.wait_for_selector(f'body[data-generation]:not([data-generation="{before}"])', state="attached", timeout=60_000)
    return time.perf_counter() - start


def _open(context, url: str) -> tuple[object, float]:
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("body[data-generation]", state="attached", timeout=60_000)
    return page, time.perf_counter() - start


# A step measured in the page: go(k), then the two animation frames it takes to be painted.
_STEP = """async (n) => {
  const steps = window.micrograd.steps, times = [];
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  for (let k = 1; k <= n; k++) {
    const t0 = performance.now();
    steps.go(k);
    await frame();
    times.push(performance.now() - t0);
  }
  return times;
}"""


def _steps(page, n: int) -> list[float]:
    return [ms / 1000 for ms in page.evaluate(_STEP, n)]


def one_round(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1500, "height": 950})  # a fresh cache
    page, cold = _open(context, url)
    page.close()
    page, warm = _open(context, url)
    python = time.perf_counter()
    page.wait_for_selector("body[data-boot]", state="attached", timeout=60_000)  # Python started in the worker
    python_s = warm + time.perf_counter() - python
    page.fill("#inputs", "a=2, b=-3")
    _timed(page, lambda: page.fill("#expr", "a*b"))  # Python's first expression imports what it needs
    _timed(page, lambda: page.fill("#expr", "a*b + 1"))
    readme = _timed(page, lambda: page.fill("#expr", "(a*b + a)*a"))
    readme_page = page.evaluate("() => window.micrograd.ms")
    steps = _steps(page, 6)
    network = _timed(page, lambda: page.select_option("#example", "network"))
    network_page = page.evaluate("() => window.micrograd.ms")
    network_steps = _steps(page, 20)
    boot = json.loads(page.get_attribute("body", "data-boot") or "{}")
    context.close()
    return {
        "cold_load_s": cold,
        "warm_load_s": warm,
        "warm_python_ready_s": python_s,
        "readme_ms": readme * 1000,
        "network_ms": network * 1000,
        "readme_page_ms": readme_page,
        "network_page_ms": network_page,
        "step_ms": statistics.median(steps + network_steps) * 1000,
        "boot_runtime_s": boot.get("load", float("nan")),
        "boot_micrograd_s": boot.get("micrograd", float("nan")),
    }


def explorer_round(browser, url: str, seconds: float = 4.0) -> dict[str, float]:
    """Steps a second that Play reaches on moons with 2-16-16-1 in the explorer's worker."""
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    page = context.new_page()
    page.goto(url.replace("index.html", "explorer.html"))
    page.wait_for_selector("body[data-python='ready']", state="attached", timeout=60_000)
    page.locator("#n-points").filter(has_text="100").wait_for(timeout=60_000)
    page.fill("#hidden", "16,16")
    page.locator("#hidden").press("Enter")
    page.locator("#hidden").blur()
    page.wait_for_function("() => document.querySelectorAll('#weight option').length === 337", timeout=30_000)
    page.eval_on_selector("#rate", "e => { e.value = '30'; e.dispatchEvent(new Event('input', {bubbles: true})); }")
    first = int(page.inner_text("#steps-done"))
    page.locator("#play").click()
    start = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    done = int(page.inner_text("#steps-done"))
    elapsed = time.perf_counter() - start
    page.locator("#play").click()
    context.close()
    return {"explorer_steps_per_s": (done - first) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description="time the browser site in Chromium")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (SITE / "index.html").exists():
        sys.exit("site/ is not built: run `make site` first")
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from browser import chromium_path

    executable = chromium_path()
    if executable is None:
        sys.exit("Debian's chromium is needed: sudo apt-get install chromium")
    httpd, url = _serve()
    rounds = []
    with sync_playwright() as playwright:
        for _ in range(args.rounds):
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            rounds.append({**one_round(browser, url), **explorer_round(browser, url)})
            browser.close()
    httpd.shutdown()
    size = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file()) / 1e6
    result = {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "size_mb": size}
    print(f"site/: {size:.1f} MB, {args.rounds} rounds (median, max)")
    for key in rounds[0]:
        values = [r[key] for r in rounds]
        median, most = statistics.median(values), max(values)
        result[key] = {"median": median, "max": most, "all": values}
        target, least = TARGETS.get(key), AT_LEAST.get(key)
        verdict = "" if target is None else ("  ok" if median < target else f"  OVER the target {target:g}")
        if least is not None:
            verdict = "  ok" if median >= least else f"  UNDER the target {least:g}"
        print(f"  {key:18} {median:9.3f} {most:9.3f}{verdict}")
    out = ROOT / "benchmarks" / "runs"
    out.mkdir(exist_ok=True)
    path = out / f"site-{result['when'].replace(':', '')}.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"written: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
