"""Make executed notebooks fit to commit: strip what must not be stored, check what remains.

    python notebooks/clean.py                 # clean every notebook in this folder
    python notebooks/clean.py a.ipynb b.ipynb # clean these
    python notebooks/clean.py --check         # change nothing; exit 1 if anything needs cleaning

Regenerate the outputs first, without MICROGRAD_STEPS so that training runs full length:

    jupyter nbconvert --to notebook --execute --inplace notebooks/NAME.ipynb

What it does to each notebook:

- removes the widget state (``metadata.widgets``) and the outputs that display widgets (a tqdm
  progress bar in a notebook is one): without their state they cannot be drawn anywhere, and the
  text they fall back to is the bar as it was when it appeared (0%), not how it ended;
- removes per-cell execution metadata (timestamps) that changes on every run;
- replaces carriage-return progress in text streams by the final state of each line;
- refuses (exit 1) if any cell source or output mentions a machine path (/work/, /tmp/, /root/,
  /home/, /Users/, C:\\), which would tell readers about the machine that ran it.

Standard library only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CELL_NOISE = ("execution", "ExecuteTime")  # nbclient's and the ExecuteTime extension's timings
MACHINE_PATH = re.compile(r"(?<![\w.])(/work/|/tmp/|/root/|/home/|/Users/|[A-Za-z]:\\\\?Users)")


def _text(value) -> str:
    """nbformat stores multi-line strings as a list of lines or as one string."""
    return "".join(value) if isinstance(value, list) else str(value)


def _final_line_states(text: str) -> str:
    """What a terminal shows after `text`: on each line, only what came after its last \\r."""
    return "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))


def clean(nb: dict) -> dict:
    """Return `nb` without widget state, timing metadata and carriage-return noise."""
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        metadata = cell.get("metadata", {})
        for key in CELL_NOISE:
            metadata.pop(key, None)
        if "outputs" not in cell:
            continue
        kept = []
        for output in cell["outputs"]:
            if WIDGET_VIEW in output.get("data", {}):
                continue
            if output.get("output_type") == "stream" and "\r" in _text(output.get("text", "")):
                output["text"] = _final_line_states(_text(output["text"]))
            kept.append(output)
        cell["outputs"] = kept
    return nb


def _is_text(mime: str) -> bool:
    """Base64 images can contain '/tmp/' by chance; SVG is text."""
    return not mime.startswith("image/") or mime == "image/svg+xml"


def machine_paths(nb: dict) -> list[str]:
    """Every place in `nb` that mentions a machine path, as 'cell N: ...excerpt...'."""
    found = []
    for n, cell in enumerate(nb.get("cells", []), 1):
        texts = [_text(cell.get("source", ""))]
        for output in cell.get("outputs", []):
            texts.append(_text(output.get("text", "")))
            texts.extend(_text(v) for k, v in output.get("data", {}).items() if _is_text(k))
            texts.append(_text(output.get("traceback", "")))
        for text in texts:
            for match in MACHINE_PATH.finditer(text):
                start = max(0, match.start() - 30)
                found.append(f"cell {n}: ...{text[start : match.end() + 30]!r}...")
    return found


def dumps(nb: dict) -> str:
    """JSON as Jupyter writes it (one-space indent, sorted keys, UTF-8 text), so diffs stay small."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    names = [a for a in argv if a != "--check"]
    files = [Path(a) for a in names] or sorted(Path(__file__).resolve().parent.glob("*.ipynb"))
    status = 0
    for path in files:
        original = path.read_text(encoding="utf-8")
        nb = clean(json.loads(original))
        problems = machine_paths(nb)
        for problem in problems:
            print(f"{path.name}: machine path in {problem}", file=sys.stderr)
        if problems:
            status = 1
        cleaned = dumps(nb)
        if cleaned != original:
            if check_only:
                print(f"{path.name}: needs cleaning (run python notebooks/clean.py)", file=sys.stderr)
                status = 1
            else:
                path.write_text(cleaned, encoding="utf-8")
                print(f"cleaned {path.name}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
