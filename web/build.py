"""Build site/: the playground and the explorer as static files (run by `make site`).

    python web/build.py [--out site]

Needs `npm ci` run in web/ first (Pyodide and @viz-js/viz, pinned by web/package-lock.json).
Copies only what the pages load: the page sources of web/ and micrograd/assets, Pyodide's
runtime (no packages of its own: micrograd is pure Python), viz-js's ES module, a wheel of
micrograd built from this checkout and the pure-Python graphviz wheel its drawing code imports.
Every file under micrograd/ must be strict UTF-8 (Pyodide refuses anything else).
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
MODULES = WEB / "node_modules"
GRAPHVIZ = "graphviz==0.21"  # the Python package micrograd.viz builds DOT with (pure Python)

PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
PAGES = ["index.html", "playground.js", "playground.css", "worker.js", "explorer-session.js"]
ASSETS = ["stepthrough.js", "stepthrough.css"]
EXPLORER = ["explorer.js", "explorer.css"]
# The explorer's page is micrograd serve's own, its URLs made relative, the session in the worker:
# the server's policy, plus what Pyodide needs (WebAssembly, a worker from the folder).
EXPLORER_CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
)


SESSION_SCRIPT = '<script src="explorer-session.js"></script>'
CSP_META = '<meta http-equiv="Content-Security-Policy" content="{}">'


def explorer_page() -> str:
    page = (ROOT / "micrograd" / "serve" / "assets" / "index.html").read_text(encoding="utf-8")
    for old, new in [
        ('"/steps/stepthrough.css?token=__TOKEN__"', '"stepthrough.css"'),
        ('"/assets/explorer.css?token=__TOKEN__"', '"explorer.css"'),
        ('"/steps/stepthrough.js?token=__TOKEN__"', '"stepthrough.js"'),
        ('<script src="/assets/explorer.js?token=__TOKEN__">', SESSION_SCRIPT + '\n<script src="explorer.js">'),
        ('<meta charset="utf-8">', '<meta charset="utf-8">\n' + CSP_META.format(EXPLORER_CSP)),
        ("__TOKEN__", ""),
    ]:
        if old not in page:
            sys.exit(f"micrograd/serve/assets/index.html no longer has {old!r}: update web/build.py")
        page = page.replace(old, new)
    return page


def check_utf8() -> None:
    bad = []
    for path in sorted((ROOT / "micrograd").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".js", ".css", ".html", ".json", ".txt"}:
            try:
                path.read_bytes().decode("utf-8", errors="strict")
            except UnicodeDecodeError as error:
                bad.append(f"{path.relative_to(ROOT)}: {error}")
    for path in sorted((ROOT / "micrograd").rglob("*.py")):  # nor a string with a lone surrogate in it
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    node.value.encode("utf-8")
                except UnicodeEncodeError as error:
                    bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: a string holds {error.reason}")
    if bad:
        sys.exit("not strict UTF-8 (Pyodide cannot import these):\n  " + "\n  ".join(bad))


def copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def wheels(out: Path) -> list[str]:
    for old in out.glob("*.whl"):
        old.unlink()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(out), str(ROOT)], check=True)
    subprocess.run([*pip, "download", "--no-deps", "--only-binary=:all:", "-d", str(out), GRAPHVIZ], check=True)
    return sorted(path.name for path in out.glob("*.whl"))


def build(out: Path) -> None:
    check_utf8()
    if not (MODULES / "pyodide" / "pyodide.mjs").exists():
        sys.exit("web/node_modules is missing: run `npm ci` in web/ (make site does)")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in PYODIDE_FILES:
        copy(MODULES / "pyodide" / name, out / "pyodide" / name)
    copy(MODULES / "@viz-js" / "viz" / "dist" / "viz.js", out / "viz" / "viz.js")
    for name in PAGES:
        copy(WEB / name, out / name)
    for name in ASSETS:
        copy(ROOT / "micrograd" / "assets" / name, out / name)
    for name in EXPLORER:
        copy(ROOT / "micrograd" / "serve" / "assets" / name, out / name)
    (out / "explorer.html").write_text(explorer_page(), encoding="utf-8")
    prepare(out)
    names = wheels(out)
    (out / "wheels.json").write_text(json.dumps(names) + "\n", encoding="utf-8")
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(f"built {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: {size / 1e6:.1f} MB")


# The playground's first view (the README expression, as a link without a fragment opens it),
# computed here by the same engine natively and laid out by the same Graphviz, so the page can
# be used at once, before Python has started in the worker (which then takes every new input).
FIRST = {"expr": "(a*b + a)*a", "inputs": {"a": 2.0, "b": -3.0}}


def prepare(out: Path) -> None:
    """site/prepared.json: the first view, or nothing where `dot` or graphviz is missing here."""
    sys.path.insert(0, str(ROOT))
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is None or shutil.which("dot") is None:
        print("note: no dot here: the playground's first view waits for Python in the browser")
        return
    from micrograd.web import explain

    view = explain(FIRST["expr"], FIRST["inputs"], None, mistakes="all")
    svg = graphviz.Source(view["dot"]).pipe(format="svg", encoding="utf-8")
    view["svg"] = svg[svg.index("<svg") :]
    text = json.dumps({"args": {**FIRST, "wrt": view["wrt"]}, "view": view}, ensure_ascii=False, allow_nan=False)
    (out / "prepared.json").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    build(parser.parse_args().out.resolve())


if __name__ == "__main__":
    main()
