"""One side of the comparison: `python worker.py ours|theirs PACKAGE_ROOT`.

Both projects are imported as `micrograd`, so each side runs in its own process. This
one removes every `sys.path` entry that holds a `micrograd` package (the editable install
of ours adds the repository root), puts PACKAGE_ROOT first, imports `micrograd` and checks
that it came from there. Then it reads one JSON request per line on stdin,
``{"case": name, "params": {...}}``, and answers one JSON line on stdout:
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ..., "traceback": ...}``.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import traceback


def _select_micrograd(root: str) -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    keep = []
    for entry in sys.path:
        place = os.path.abspath(entry or os.getcwd())
        if place != here and os.path.isdir(os.path.join(place, "micrograd")):
            continue  # another micrograd: not on this side
        keep.append(entry)
    sys.path[:] = [os.path.abspath(root), *keep]
    import micrograd

    found = os.path.abspath(micrograd.__file__)
    if not found.startswith(os.path.abspath(root) + os.sep):
        raise SystemExit(f"worker: imported micrograd from {found}, expected it under {root}")
    return found


def main() -> None:
    side, root = sys.argv[1], sys.argv[2]
    found = _select_micrograd(root)
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints must not corrupt the answers

    import cases

    def answer(message: dict) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    answer({"ok": True, "result": {"side": side, "micrograd": found, "python": sys.version}})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            gc.collect()
            result = cases.CASES[request["case"]](**request.get("params", {}))
            answer({"ok": True, "result": result})
        except Exception as error:  # reported to the orchestrator, which goes on
            answer({"ok": False, "error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()})


if __name__ == "__main__":
    main()
