"""Make executed notebooks fit to commit: strip what must not be stored, check what remains.

    python notebooks/clean.py                 # clean every notebook in this folder
    python notebooks/clean.py a.ipynb b.ipynb # clean these
    python notebooks/clean.py --check         # change nothing; exit 1 if anything needs cleaning
    python notebooks/clean.py -- -odd.ipynb   # names after -- are files, even if they start with -

Regenerate the outputs first, without MICROGRAD_STEPS so that training runs full length:

    jupyter nbconvert --to notebook --execute --inplace notebooks/NAME.ipynb

What it does to each notebook:

- removes the widget state (``metadata.widgets``) and the outputs that display widgets (a tqdm
  progress bar in a notebook is one): without their state they cannot be drawn anywhere, and the
  text they fall back to is the bar as it was when it appeared (0%), not how it ended; the
  step-through widget keeps its text, which says what it shows and that the kernel must run;
- removes per-cell execution metadata (timestamps) that changes on every run;
- replaces carriage-return progress in text streams by the final state of each line;
- refuses (exit 1) if any cell source, output or metadata (the notebook's, a cell's or an
  output's, an error's message and traceback, a markdown cell's attachments) mentions a
  machine path (/work/, /tmp/, /var/tmp/, /root/, /home/, /Users/, WSL's /mnt/c/, any
  C:\\ or c:/ path), which would tell readers about the machine that ran it.

`make notebooks` runs JupyterLab with notebooks/jupyter_server_config.py, which makes
`pre_save_hook` Jupyter's pre-save hook: every save from JupyterLab is cleaned the same way.

Every file is processed even when one is bad; each problem is one line on stderr, naming the
file (not JSON, not a notebook, missing or wrongly typed keys, nested too deeply, missing,
a directory), and the exit status is then 1 (2 for an unknown option). A notebook is
rewritten atomically (micrograd's own writer: a temporary file, then a rename), so a kill
during the write leaves the old notebook or the new one, never half of either.

Standard library and micrograd only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's micrograd
from micrograd._atomic import write_text_atomically

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STEP_THROUGH_NOTE = "micrograd step-through"  # micrograd.viz.steps.WIDGET_NOTE: that widget's text is kept
CELL_NOISE = ("execution", "ExecuteTime")  # nbclient's and the ExecuteTime extension's timings
MAX_DEPTH = 64  # nesting levels a notebook may use (real ones use under 20)
USAGE = "usage: python notebooks/clean.py [--check] [--] [NOTEBOOK.ipynb ...]"
# A machine's own places: its work and temporary folders (/var/tmp/ and macOS's /var/folders/
# and /private/ too), home folders (Linux, macOS, WSL's /mnt/c/Users/), and any absolute path
# on a Windows drive, either case, either slash, with JSON's doubled backslashes.
MACHINE_PATH = re.compile(
    r"(?<![\w.])(/work/|/tmp/|/var/tmp/|/var/folders/|/private/(?:var|tmp)/|/root/|/home/|/Users/|/mnt/[A-Za-z]/"
    r"|(?<![A-Za-z])[A-Za-z]:(?:\\{1,2}|/)(?=[\w.$~-]))"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # colours in a traceback: "\x1b[0;32m/home/..." hides the path


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
                note = _text(output["data"].get("text/plain", ""))
                if note.startswith(STEP_THROUGH_NOTE):  # says what it is and that the kernel must run
                    output["data"] = {"text/plain": output["data"]["text/plain"]}
                    output["metadata"] = {}
                    kept.append(output)
                continue
            if output.get("output_type") == "stream" and "\r" in _text(output.get("text", "")):
                output["text"] = _final_line_states(_text(output["text"]))
            kept.append(output)
        cell["outputs"] = kept
    return nb


def _is_text(mime: str) -> bool:
    """Base64 images can contain '/tmp/' by chance; SVG is text."""
    return not mime.startswith("image/") or mime == "image/svg+xml"


def _strings(value) -> list[str]:
    """Every string inside a JSON value, keys included (iteratively: no recursion limit)."""
    found, stack = [], [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def machine_paths(nb: dict) -> list[str]:
    """Every place in `nb` that mentions a machine path, as 'cell N: ...excerpt...'."""
    places = [("notebook metadata", _strings(nb.get("metadata", {})))]
    for n, cell in enumerate(nb.get("cells", []), 1):
        texts = [_text(cell.get("source", ""))]
        for output in cell.get("outputs", []):
            texts.append(_text(output.get("text", "")))
            texts.extend(s for k, v in output.get("data", {}).items() if _is_text(k) for s in _strings(v))
            for key in ("ename", "evalue", "traceback"):  # an error output: its message and its frames
                texts.append(_text(output.get(key, "")))
            texts.extend(_strings(output.get("metadata", {})))
        attachments = cell.get("attachments", {})  # a markdown cell's pasted images: {name: {mime: data}}
        if isinstance(attachments, dict):
            texts.extend(attachments)
            for bundle in attachments.values():
                if isinstance(bundle, dict):
                    texts.extend(s for k, v in bundle.items() if _is_text(k) for s in _strings(v))
        places += [(f"cell {n}", texts), (f"cell {n} metadata", _strings(cell.get("metadata", {})))]
    found = []
    for where, texts in places:
        for text in texts:
            text = _ANSI.sub("", text)
            for match in MACHINE_PATH.finditer(text):
                start = max(0, match.start() - 30)
                found.append(f"{where}: ...{text[start : match.end() + 30]!r}...")
    return found


def pre_save_hook(model: dict, path: str = "", contents_manager=None, **kwargs) -> None:
    """Jupyter's pre-save hook (``ContentsManager.pre_save_hook``): clean a notebook before
    JupyterLab writes it, so what a learner's autosave writes is what this script writes.
    Anything that is not a notebook this script understands is saved as it is; a machine
    path cannot be cleaned away, so it is logged (``make lint`` will name it)."""
    if not isinstance(model, dict) or model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    nb = model["content"]
    try:
        check_notebook(nb)
    except NotANotebook:
        return
    clean(nb)
    log = getattr(contents_manager, "log", None)
    for problem in machine_paths(nb) if log is not None else ():
        log.warning("%s: machine path in %s (make lint will refuse it)", path, problem)


def dumps(nb: dict) -> str:
    """JSON as Jupyter writes it (one-space indent, sorted keys, UTF-8 text), so diffs stay small."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


class NotANotebook(ValueError):
    """A file clean.py cannot work on; the message is one line."""


def _kind(value) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def _expect(container: dict, key: str, types: tuple, where: str, what: str) -> None:
    if key not in container:
        raise NotANotebook(f"{where} has no {key!r}")
    value = container[key]
    if not isinstance(value, types) or isinstance(value, bool):
        raise NotANotebook(f"{where}'s {key!r} is {_kind(value)}, expected {what}")


def _expect_text(container: dict, key: str, where: str) -> None:
    """nbformat's multiline string: a string or a list of strings."""
    _expect(container, key, (str, list), where, "text")
    value = container[key]
    if isinstance(value, list) and not all(isinstance(line, str) for line in value):
        raise NotANotebook(f"{where}'s {key!r} holds something other than lines of text")


def check_notebook(nb) -> None:
    """Raise NotANotebook unless `nb` has the nbformat 4 structure clean() relies on."""
    _check_depth(nb)
    if not isinstance(nb, dict):
        raise NotANotebook(f"the JSON is {_kind(nb)}, not a notebook (an object with 'cells')")
    _expect(nb, "nbformat", (int,), "the notebook", "a version number")
    if nb["nbformat"] != 4:
        raise NotANotebook(f"nbformat {nb['nbformat']} is not supported, only 4")
    _expect(nb, "metadata", (dict,), "the notebook", "an object")
    _expect(nb, "cells", (list,), "the notebook", "a list")
    for n, cell in enumerate(nb["cells"], 1):
        where = f"cell {n}"
        if not isinstance(cell, dict):
            raise NotANotebook(f"{where} is {_kind(cell)}, expected an object")
        _expect(cell, "cell_type", (str,), where, "a string")
        _expect(cell, "metadata", (dict,), where, "an object")
        _expect_text(cell, "source", where)
        if cell["cell_type"] != "code":
            continue
        _expect(cell, "outputs", (list,), where, "a list")
        for m, output in enumerate(cell["outputs"], 1):
            here = f"{where} output {m}"
            if not isinstance(output, dict):
                raise NotANotebook(f"{here} is {_kind(output)}, expected an object")
            _expect(output, "output_type", (str,), here, "a string")
            for key, check in (("text", _expect_text), ("traceback", _expect_text)):
                if key in output:
                    check(output, key, here)
            for key in ("data", "metadata"):
                if key in output:
                    _expect(output, key, (dict,), here, "an object")


def _check_depth(value) -> None:
    stack = [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise NotANotebook(f"nested more than {MAX_DEPTH} levels deep, not a notebook")
        if isinstance(value, (dict, list)):
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))


def read_notebook(path: Path) -> tuple[str, dict]:
    """The file's text and its notebook, or NotANotebook saying in one line what is wrong."""
    try:
        if path.is_fifo():  # reading one would wait for a writer, maybe forever
            raise NotANotebook("is a named pipe, not a notebook")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotANotebook("no such file") from None
    except IsADirectoryError:
        raise NotANotebook("is a directory, not a notebook") from None
    except OSError as error:
        raise NotANotebook(f"cannot read it: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotANotebook("not UTF-8 text (a binary file?)") from None
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(f"not JSON ({error.msg} at line {error.lineno} column {error.colno})") from None
    except RecursionError:
        raise NotANotebook(f"nested more than {MAX_DEPTH} levels deep, not a notebook") from None
    except ValueError:  # an integer longer than Python converts
        raise NotANotebook("not a notebook: a number with too many digits") from None
    check_notebook(nb)
    return text, nb


def process(path: Path, shown: str, check_only: bool) -> bool:
    """Clean (or with check_only, check) one notebook; print its problems; True if all is well."""
    original, nb = read_notebook(path)
    problems = machine_paths(clean(nb))
    for problem in problems:
        print(f"{shown}: machine path in {problem}", file=sys.stderr)
    cleaned = dumps(nb)
    if cleaned == original:
        return not problems
    if check_only:
        print(f"{shown}: needs cleaning (run python notebooks/clean.py)", file=sys.stderr)
        return False
    try:
        write_text_atomically(path, cleaned)
    except OSError as error:
        raise NotANotebook(f"cannot write it: {error.strerror or error}") from None
    print(f"cleaned {shown}")
    return not problems


def main(argv: list[str]) -> int:
    options, names = [], []
    for i, arg in enumerate(argv):
        if arg == "--":
            names += argv[i + 1 :]
            break
        (options if arg.startswith("-") and arg != "-" else names).append(arg)
    for option in options:
        if option in ("-h", "--help"):
            print(__doc__)
            return 0
        if option != "--check":
            print(f"clean.py: unknown option {option!r}; {USAGE}", file=sys.stderr)
            return 2
    if names:
        files = [(Path(name), name) for name in names]
    else:
        files = [(path, path.name) for path in sorted(Path(__file__).resolve().parent.glob("*.ipynb"))]
    status = 0
    for path, shown in files:
        try:
            if not process(path, shown, check_only="--check" in options):
                status = 1
        except NotANotebook as error:
            print(f"{shown}: {error}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
