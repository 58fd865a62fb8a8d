"""Re-run a notebook the way its stored outputs were made, and say which stored outputs differ.

The stored notebooks are executed full length (no ``MICROGRAD_STEPS``), with the exercises
unanswered (no ``MICROGRAD_EXERCISES``), and then cleaned by ``notebooks/clean.py``. `fresh`
does exactly that to a copy; `stale_cells` compares the copy with the stored notebook, cell by
cell, after `sanitise` has removed what legitimately changes from run to run:

- wall-clock timings (a number followed by a unit of time: ``0.67 ms``, ``24.4 s``, ``222 days``)
  and the speed-ups computed from them (``8× faster``);
- memory addresses (``at 0x7f…``);
- in an SVG drawing, the coordinates and sizes graphviz computes and the version comment it
  writes, so that a different graphviz lays the same graph out without failing; labels,
  numbers, colours and shapes are still compared.

PNG images (matplotlib's plots) are not compared byte for byte (fonts and the matplotlib version
change the pixels); their ``text/plain`` companion (``<Figure size 700x400 with 1 Axes>``) is.
A cell whose whole output cannot be reproduced is tagged ``nbval-ignore-output`` (nbval's tag,
so that ``pytest --nbval`` honours it too): it is still executed, and must not raise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_TAG = "nbval-ignore-output"
RUN_ENV_UNSET = ("MICROGRAD_STEPS", "MICROGRAD_EXERCISES")  # how the stored outputs were made
CELL_TIMEOUT = 600  # seconds; a bound on a hang, not a timing

_spec = importlib.util.spec_from_file_location("clean", ROOT / "notebooks" / "clean.py")
_clean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_clean)

_TIME_UNIT = r"(?:ns|µs|us|ms|s|sec|seconds?|min|minutes?|h|hours?|days?)"
SANITISERS = [
    (re.compile(rf"[ \t]*\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)? ?{_TIME_UNIT}(?![\w/])"), " <time>"),  # padding too
    (re.compile(r"\d[\d,]*(?:\.\d+)?× (faster|slower)"), r"<ratio> \1"),
    (re.compile(r"\b0x[0-9a-fA-F]{4,}\b"), "0x<address>"),
]
_SVG_GEOMETRY = re.compile(r'\s(?:points|x|y|cx|cy|rx|ry|d|x1|y1|x2|y2|width|height|viewBox|transform)="[^"]*"')
_SVG_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
COMPARED = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json", "image/svg+xml")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def sanitise(text: str, mime: str = "text/plain") -> str:
    """`text` without what changes from one faithful run to the next."""
    if mime == "image/svg+xml":
        return _SVG_GEOMETRY.sub("", _SVG_COMMENT.sub("", text))
    for pattern, replacement in SANITISERS:
        text = pattern.sub(replacement, text)
    return text


def comparable(cell: dict) -> list[tuple[str, str]]:
    """A code cell's outputs as (kind, sanitised text) pairs, in order."""
    found = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            found.append((f"stream:{output.get('name')}", sanitise(_text(output.get("text", "")))))
        elif kind == "error":
            found.append(("error", f"{output.get('ename')}: {output.get('evalue')}"))
        else:
            for mime in COMPARED:
                if mime in output.get("data", {}):
                    found.append((mime, sanitise(_text(output["data"][mime]), mime)))
    return _merge_streams(found)


def _merge_streams(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Jupyter may split one print into several stream outputs; join neighbours of one stream."""
    merged: list[tuple[str, str]] = []
    for kind, text in found:
        if merged and kind.startswith("stream:") and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def ignored(cell: dict) -> bool:
    return IGNORE_TAG in cell.get("metadata", {}).get("tags", [])


def stale_cells(stored: dict, executed: dict) -> list[str]:
    """One line per code cell whose stored outputs differ from the executed ones."""
    problems = []
    cells = list(zip(stored["cells"], executed["cells"]))
    for n, (old, new) in enumerate(cells, 1):
        if old.get("cell_type") != "code":
            continue
        if any(kind == "error" for kind, _ in comparable(new)):
            problems.append(f"cell {n} ({old.get('id')}) raised: {comparable(new)[-1][1]}")
            continue
        if ignored(old):
            continue
        want, got = comparable(old), comparable(new)
        if want != got:
            problems.append(f"cell {n} ({old.get('id')}): {_first_difference(want, got)}")
    return problems


def _first_difference(want: list[tuple[str, str]], got: list[tuple[str, str]]) -> str:
    if [k for k, _ in want] != [k for k, _ in got]:
        return f"stored outputs {[k for k, _ in want]}, the code now gives {[k for k, _ in got]}"
    for (kind, old), (_, new) in zip(want, got):
        if old != new:
            at = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
            start = max(0, at - 60)
            return f"{kind} differs: stored {old[start : at + 60]!r}, now {new[start : at + 60]!r}"
    return "outputs differ"


def fresh(nb: dict, folder: Path) -> dict:
    """`nb` executed in `folder` the way the stored outputs are made, then cleaned."""
    import nbformat
    from nbclient import NotebookClient

    env = {k: v for k, v in os.environ.items() if k not in RUN_ENV_UNSET}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    copy_ = nbformat.reads(json.dumps(nb), as_version=4)  # lines joined, as nbclient expects
    client = NotebookClient(
        copy_,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=True,  # an error is reported with the cell that raised it
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=env)
    return _clean.clean(copy_)
