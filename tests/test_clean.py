"""notebooks/clean.py: what it strips and checks, one line per bad file, whole files only."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signals import child_with_default_signals
from strategies import json_values

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "notebooks" / "clean.py"
WAIT = 120  # seconds a child may take; a bound on hangs, not a timing

_spec = importlib.util.spec_from_file_location("clean", SCRIPT)
clean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clean)


def notebook(**changes) -> dict:
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": "m", "metadata": {}, "source": ["# A title\n", "text"]},
            {
                "cell_type": "code",
                "execution_count": 1,
                "id": "c",
                "metadata": {"execution": {"iopub.status.busy": "2026-01-01T00:00:00"}},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["step 1\rstep 2\n"]}],
                "source": "print(1)",
            },
        ],
        "metadata": {"kernelspec": {"name": "python3"}, "widgets": {"state": {}}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    nb.update(changes)
    return nb


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, timeout=WAIT)


def one_line_each(stderr: str, count: int) -> list[str]:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr and len(lines) == count, stderr
    return lines


# --------------------------------------------------------------------------- cleaning


def test_cleaning_strips_widgets_timings_and_carriage_returns_and_writes_jupyters_layout(tmp_path):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(notebook()))
    result = run(str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"cleaned {path}\n"
    nb = json.loads(path.read_text())
    assert "widgets" not in nb["metadata"] and nb["cells"][1]["metadata"] == {}
    assert nb["cells"][1]["outputs"][0]["text"] == "step 2\n"
    assert path.read_text() == clean.dumps(nb)
    assert run("--check", str(path)).returncode == 0  # clean now, and stays so


def test_check_changes_nothing_and_says_what_needs_cleaning(tmp_path):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(notebook()))
    before = path.read_bytes()
    result = run("--check", str(path))
    assert result.returncode == 1 and "a.ipynb: needs cleaning" in result.stderr
    assert path.read_bytes() == before


def test_cleaning_keeps_the_mode_of_the_notebook_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(notebook()))
    path.chmod(0o600)
    assert run(str(path)).returncode == 0
    assert (path.stat().st_mode & 0o777) == 0o600 and os.listdir(tmp_path) == ["a.ipynb"]


# --------------------------------------------------------------------------- machine paths


PLACES = {
    "source": lambda nb: nb["cells"][1].update(source="open('/home/me/x')"),
    "output text": lambda nb: nb["cells"][1]["outputs"][0].update(text="/tmp/run/x.png\n"),
    "notebook metadata": lambda nb: nb["metadata"].update(papermill={"input_path": "/work/nb.ipynb"}),
    "cell metadata": lambda nb: nb["cells"][0]["metadata"].update(tags=["from /Users/me/x"]),
    "nested cell metadata": lambda nb: nb["cells"][1]["metadata"].update(a={"b": [{"c": "/root/x"}]}),
    "output metadata": lambda nb: nb["cells"][1]["outputs"].append(
        {"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {"filename": "/home/u/a.png"}}
    ),
    "json output": lambda nb: nb["cells"][1]["outputs"].append(
        {"output_type": "display_data", "data": {"application/json": {"p": "/work/x"}}, "metadata": {}}
    ),
    "metadata key": lambda nb: nb["metadata"].update({"/tmp/x": 1}),
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_machine_path_anywhere_is_refused_naming_where(tmp_path, place):
    nb = notebook()
    PLACES[place](nb)
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb))
    result = run(str(path))
    assert result.returncode == 1
    line = one_line_each(result.stderr, 1)[0]
    where = "notebook metadata" if place.startswith(("notebook", "metadata key")) else "cell "
    assert line.startswith(f"{path}: machine path in {where}"), line


def _error(**fields):
    return lambda nb: nb["cells"][1]["outputs"].append(
        {"output_type": "error", "ename": "OSError", "evalue": "", "traceback": [], **fields}
    )


def _attachment(name, bundle):
    return lambda nb: nb["cells"][0].update(attachments={name: bundle})


MORE_PLACES = {
    "error evalue": _error(evalue="[Errno 2] No such file: '/home/me/data.csv'"),
    "error ename": _error(ename="/tmp/x"),
    "coloured traceback": _error(traceback=["\x1b[0;32m/home/me/.venv/lib/python3.11/site.py\x1b[0m in f()"]),
    "traceback as text": _error(traceback="File /root/x.py, line 1"),
    "attachment name": _attachment("/home/me/shot.png", {"image/png": "AAAA"}),
    "attachment svg": _attachment("a.svg", {"image/svg+xml": "<svg><!-- /Users/me/a.svg --></svg>"}),
    "attachment text": _attachment("a.txt", {"text/plain": ["from c:\\users\\me"]}),
}

# Where a machine puts its files, as notebooks have shown them.
MACHINE_PATHS = [
    "/var/tmp/pytest-of-me/x.png",
    "/var/folders/xy/T/tmp1234/x.png",
    "/private/var/folders/x",
    "/private/tmp/x",
    "/mnt/c/Users/me/notebooks",
    "/mnt/d/data",
    "c:\\users\\me\\x.ipynb",
    "C:\\Users\\Me",
    "d:\\data\\x.csv",
    "C:\\\\Users\\\\me",  # as JSON doubles it
    "e:/projects/x",
    "C:/Users/me",
    "/home/me",
    "/root/x",
    "/work/x",
    "/tmp/x",
    "/Users/me",
    "File \"/home/me/x.py\", line 3",
    "\x1b[0;32m/tmp/x\x1b[0m",
]

NOT_MACHINE_PATHS = [
    "https://example.org/home/x",
    "notebooks/tmp/x",
    "a ratio 3:/4",
    "x[:, 1]",
    "std::vector",
    "10:30/11:45",
    "http://localhost/tmp/",
    "data/var/tmp",
    "np.random",
    "see docs/Users/guide",
]


@pytest.mark.parametrize("place", sorted(MORE_PLACES))
def test_a_machine_path_in_an_error_or_an_attachment_is_refused(tmp_path, place):
    nb = notebook()
    MORE_PLACES[place](nb)
    assert clean.machine_paths(nb), place
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb))
    result = run(str(path))
    assert result.returncode == 1 and "machine path in cell" in result.stderr


@pytest.mark.parametrize("text", MACHINE_PATHS)
def test_every_kind_of_machine_path_is_found(text):
    nb = notebook()
    nb["cells"][1]["outputs"][0]["text"] = f"saved to {text}\n"
    assert clean.machine_paths(nb), text


@pytest.mark.parametrize("text", NOT_MACHINE_PATHS)
def test_text_that_only_looks_like_a_path_is_not_refused(text):
    nb = notebook()
    nb["cells"][1]["outputs"][0]["text"] = f"{text}\n"
    assert clean.machine_paths(nb) == [], text


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(MACHINE_PATHS),
    st.text(st.characters(blacklist_characters="\\/"), max_size=10),
    st.sampled_from(["text", "evalue", "traceback", "attachment", "source", "svg"]),
)
def test_a_machine_path_with_any_text_before_it_is_found_in_any_place(path, before, place):
    nb = notebook()
    text = f"{before} {path}"
    if place == "text":
        nb["cells"][1]["outputs"][0]["text"] = text
    elif place in ("evalue", "traceback"):
        _error(**{place: text if place == "evalue" else [text]})(nb)
    elif place == "attachment":
        _attachment("x.txt", {"text/plain": text})(nb)
    elif place == "svg":
        _attachment("x.svg", {"image/svg+xml": f"<svg>{text}</svg>"})(nb)
    else:
        nb["cells"][0]["source"] = text
    assert clean.machine_paths(nb)


def test_a_base64_image_is_not_searched_for_paths():
    nb = notebook()
    nb["cells"][1]["outputs"].append(
        {"output_type": "display_data", "data": {"image/png": "AAAA/tmp/BBBB"}, "metadata": {}}
    )
    assert clean.machine_paths(nb) == []


# --------------------------------------------------------------------------- bad files

MALFORMED = {
    "not json": b"this is not json",
    "empty": b"",
    "truncated": json.dumps(notebook()).encode()[:-5],
    "binary": bytes(range(256)),
    "png": b"\x89PNG\r\n\x1a\n\x00\x00",
    "utf-16": json.dumps(notebook()).encode("utf-16"),
    "a list": b"[1, 2]",
    "a string": b'"cells"',
    "null": b"null",
    "no cells": json.dumps({k: v for k, v in notebook().items() if k != "cells"}).encode(),
    "no metadata": json.dumps({k: v for k, v in notebook().items() if k != "metadata"}).encode(),
    "no nbformat": json.dumps({k: v for k, v in notebook().items() if k != "nbformat"}).encode(),
    "nbformat 3": json.dumps(notebook(nbformat=3)).encode(),
    "nbformat string": json.dumps(notebook(nbformat="4")).encode(),
    "nbformat true": json.dumps(notebook(nbformat=True)).encode(),
    "cells an object": json.dumps(notebook(cells={})).encode(),
    "metadata a list": json.dumps(notebook(metadata=[])).encode(),
    "a cell that is a string": json.dumps(notebook(cells=["print(1)"])).encode(),
    "a cell without type": json.dumps(notebook(cells=[{"metadata": {}, "source": ""}])).encode(),
    "a cell without source": json.dumps(notebook(cells=[{"cell_type": "raw", "metadata": {}}])).encode(),
    "source a number": json.dumps(notebook(cells=[{"cell_type": "raw", "metadata": {}, "source": 1}])).encode(),
    "source lines not text": json.dumps(
        notebook(cells=[{"cell_type": "raw", "metadata": {}, "source": ["a", 2]}])
    ).encode(),
    "cell metadata a string": json.dumps(notebook(cells=[{"cell_type": "raw", "metadata": "", "source": ""}])).encode(),
    "code without outputs": json.dumps(notebook(cells=[{"cell_type": "code", "metadata": {}, "source": ""}])).encode(),
    "outputs a dict": json.dumps(
        notebook(cells=[{"cell_type": "code", "metadata": {}, "source": "", "outputs": {}}])
    ).encode(),
    "an output that is a list": json.dumps(
        notebook(cells=[{"cell_type": "code", "metadata": {}, "source": "", "outputs": [[]]}])
    ).encode(),
    "output without type": json.dumps(
        notebook(cells=[{"cell_type": "code", "metadata": {}, "source": "", "outputs": [{"text": "x"}]}])
    ).encode(),
    "output text a number": json.dumps(
        notebook(
            cells=[
                {"cell_type": "code", "metadata": {}, "source": "", "outputs": [{"output_type": "stream", "text": 5}]}
            ]
        )
    ).encode(),
    "output data a list": json.dumps(
        notebook(
            cells=[{"cell_type": "code", "metadata": {}, "source": "", "outputs": [{"output_type": "x", "data": []}]}]
        )
    ).encode(),
    "deep nesting, unreadable": b"[" * 100_000 + b"]" * 100_000,
    "deep nesting in metadata": json.dumps(notebook())
    .replace('"widgets": {', '"deep": ' + "[" * 500 + "]" * 500 + ', "widgets": {')
    .encode(),
    "deep nesting in a cell": json.dumps(notebook())
    .replace('"source": "print(1)"', '"source": "print(1)", "x": ' + '{"a": ' * 200 + "1" + "}" * 200)
    .encode(),
    "a huge number": json.dumps(notebook()).replace('"nbformat_minor": 5', '"nbformat_minor": 1' + "0" * 5000).encode(),
}


def test_the_deep_nesting_cases_really_are_deep():
    for case in ("deep nesting in metadata", "deep nesting in a cell"):
        assert MALFORMED[case].count(b"[") + MALFORMED[case].count(b"{") > clean.MAX_DEPTH


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_each_malformed_notebook_is_one_line_and_a_non_zero_status(tmp_path, case):
    path = tmp_path / "bad.ipynb"
    path.write_bytes(MALFORMED[case])
    for args in ([str(path)], ["--check", str(path)]):
        result = run(*args)
        assert result.returncode == 1
        line = one_line_each(result.stderr, 1)[0]
        assert line.startswith(f"{path}: ") and len(line) < 300, line
    assert path.read_bytes() == MALFORMED[case]  # a bad file is never rewritten


def test_a_missing_file_a_directory_and_a_named_pipe_are_one_line_each(tmp_path):
    os.mkfifo(tmp_path / "pipe.ipynb")
    result = run(str(tmp_path / "missing.ipynb"), str(tmp_path), str(tmp_path / "pipe.ipynb"))
    assert result.returncode == 1
    lines = one_line_each(result.stderr, 3)
    assert lines[0].endswith("missing.ipynb: no such file") and lines[1].endswith("is a directory, not a notebook")
    assert lines[2].endswith("pipe.ipynb: is a named pipe, not a notebook")


@pytest.mark.parametrize("option", ["--bogus", "-x", "--check=yes", "--CHECK", "-"])
def test_an_unknown_option_is_one_line_and_status_2(tmp_path, option):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(notebook()))
    result = run(option, str(path))
    if option == "-":  # a lone dash is a file name, and there is no such file
        assert result.returncode == 1 and one_line_each(result.stderr, 1)[0] == "-: no such file"
        return
    assert result.returncode == 2
    assert one_line_each(result.stderr, 1)[0].startswith(f"clean.py: unknown option {option!r}; usage:")
    assert path.read_text() == json.dumps(notebook())  # nothing was done


def test_names_after_a_double_dash_are_files(tmp_path):
    (tmp_path / "-odd.ipynb").write_text(json.dumps(notebook()))
    result = run("--", "-odd.ipynb", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "cleaned -odd.ipynb\n"


def test_help_prints_the_usage():
    result = run("--help")
    assert result.returncode == 0 and "--check" in result.stdout


def test_every_file_is_processed_even_when_one_is_bad(tmp_path):
    first, bad, last = tmp_path / "1.ipynb", tmp_path / "2.ipynb", tmp_path / "3.ipynb"
    for path in (first, last):
        path.write_text(json.dumps(notebook()))
    bad.write_bytes(b"\x00\x01")
    result = run(str(first), str(bad), str(tmp_path / "gone.ipynb"), str(last))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"cleaned {first}", f"cleaned {last}"]
    assert len(one_line_each(result.stderr, 2)) == 2
    assert run("--check", str(first), str(last)).returncode == 0


def test_a_notebook_that_cannot_be_written_is_one_line_naming_no_temporary_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(notebook()))

    def refuse(target, text):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(clean, "write_text_atomically", refuse)
    assert clean.main([str(path)]) == 1
    err = capsys.readouterr().err
    assert err == f"{path}: cannot write it: Permission denied\n"


HOSTILE_EXAMPLES = 200


@settings(max_examples=HOSTILE_EXAMPLES, deadline=None)
@given(st.data())
def test_any_json_in_any_place_of_a_notebook_is_cleaned_or_reported_never_a_crash(tmp_path_factory, data):
    nb = notebook()
    places = [
        ("cells", 1, "outputs", 0, "text"),
        ("cells", 0, "source"),
        ("metadata", "kernelspec"),
        ("cells", 1, "metadata"),
        ("cells", 1, "outputs", 0),
        ("cells", 0),
        ("cells",),
        ("metadata",),
        (),
    ]
    where = data.draw(st.sampled_from(places), label="where")
    value = data.draw(json_values(), label="value")
    if where:
        target = nb
        for key in where[:-1]:
            target = target[key]
        target[where[-1]] = value
    else:
        nb = value
    path = tmp_path_factory.mktemp("nb") / "h.ipynb"
    path.write_text(json.dumps(nb))
    status = clean.main([str(path)])
    assert status in (0, 1)
    if status == 0:
        assert clean.main(["--check", str(path)]) == 0


# --------------------------------------------------------------------------- killed while writing

KILLS = 6  # clean.py runs stopped by a signal at a random moment of a large rewrite


def test_a_kill_during_the_rewrite_leaves_the_old_or_the_new_notebook_never_half(tmp_path):
    """An 87 MB notebook was left at 0 bytes by a kill during the write."""
    nb = notebook()
    big = "x" * 1000 + "\r" + "y" * 1000 + "\n"
    nb["cells"][1]["outputs"][0]["text"] = [big] * 3000  # about 6 MB, halved by cleaning
    original = json.dumps(nb)
    cleaned = clean.dumps(clean.clean(copy.deepcopy(nb)))
    rng = random.Random(13)
    path = tmp_path / "big.ipynb"
    for k in range(KILLS):
        path.write_text(original)
        process = child_with_default_signals(
            [sys.executable, str(SCRIPT), str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal([signal.SIGTERM, signal.SIGINT, signal.SIGKILL][k % 3])
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("clean.py did not stop")
        assert path.read_text() in (original, cleaned)
        left = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        if k % 3 != 2:  # SIGKILL alone can leave the temporary file (documented in _atomic)
            assert left == []
        for name in left:
            os.unlink(tmp_path / name)


# --------------------------------------------------------------------------- saved from JupyterLab, saved clean


def dirty_run() -> dict:
    """A notebook as a learner's run leaves it: new execution counts, timing metadata, a tqdm
    bar's widget output, widget state, carriage-return progress."""
    nb = notebook()
    cell = nb["cells"][1]
    cell["execution_count"] = 7
    cell["outputs"].append(
        {"output_type": "display_data", "data": {clean.WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "0%"},
         "metadata": {}}
    )  # fmt: skip
    cell["outputs"].append({"name": "stdout", "output_type": "stream", "text": "epoch 1\repoch 2\repoch 3\n"})
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    return nb


def test_the_pre_save_hook_cleans_what_jupyter_saves(tmp_path):
    pytest.importorskip("jupyter_server")
    import nbformat
    from jupyter_server.services.contents.filemanager import FileContentsManager

    manager = FileContentsManager(root_dir=str(tmp_path), pre_save_hook=clean.pre_save_hook)
    manager.save({"type": "notebook", "format": "json", "content": nbformat.from_dict(dirty_run())}, "run.ipynb")
    result = run("--check", str(tmp_path / "run.ipynb"))
    assert result.returncode == 0, result.stderr
    saved = json.loads((tmp_path / "run.ipynb").read_text())
    assert saved["cells"][1]["execution_count"] == 7  # the learner's run is kept, only the noise goes
    manager.save({"type": "file", "format": "text", "content": "not a notebook"}, "notes.txt")  # left alone
    assert (tmp_path / "notes.txt").read_text() == "not a notebook"


def test_the_pre_save_hook_leaves_what_it_does_not_understand_alone():
    for model in ({}, {"type": "notebook"}, {"type": "notebook", "content": "x"}, {"type": "notebook", "content": {}},
                  {"type": "notebook", "content": {"nbformat": 3, "cells": []}}, None, []):  # fmt: skip
        clean.pre_save_hook(model=model, path="x.ipynb", contents_manager=None)


def test_make_notebooks_passes_the_config_that_sets_the_hook():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("\nnotebooks:") :].split("\n\n")[0]
    assert "--config=notebooks/jupyter_server_config.py" in recipe
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("jupyter_server_config.py", path=str(ROOT / "notebooks")).load_config()
    hook = config.ContentsManager.pre_save_hook
    assert callable(hook) and hook.__name__ == "pre_save_hook"


def test_a_notebook_saved_through_jupyterlab_passes_the_check(tmp_path):
    """The whole way: JupyterLab started with the Makefile's config, a notebook saved through
    its contents API as the page saves it, then `clean.py --check`."""
    pytest.importorskip("jupyterlab")
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "t" * 32
    jupyter = Path(sys.executable).with_name("jupyter")
    server = subprocess.Popen(
        [str(jupyter), "lab", str(tmp_path), f"--config={ROOT / 'notebooks' / 'jupyter_server_config.py'}",
         "--no-browser", f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         "--allow-root", "--ServerApp.ip=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/api/contents/run.ipynb"
        headers = {"Authorization": f"token {token}", "Content-Type": "application/json"}
        body = json.dumps({"type": "notebook", "format": "json", "content": dirty_run()}).encode()
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(url, data=body, headers=headers, method="PUT")
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.status in (200, 201)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.3)
    finally:
        server.terminate()
        try:
            server.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
    result = run("--check", str(tmp_path / "run.ipynb"))
    assert result.returncode == 0, result.stderr


def test_make_clean_removes_the_test_artifacts():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile[makefile.index("\nclean:") :].split("\n\n")[0]
    assert "test-artifacts" in recipe.split()
    assert "test-artifacts/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_the_step_through_widget_keeps_the_text_that_says_the_kernel_must_run():
    from micrograd.viz.steps import WIDGET_NOTE

    note = f"{WIDGET_NOTE}: backward() of L. 6 steps.\nRun this cell with a live kernel to step through it."
    nb = notebook()
    shown = {"output_type": "display_data", "metadata": {}}
    nb["cells"][1]["outputs"] = [
        {**shown, "data": {clean.WIDGET_VIEW: {"model_id": "x"}, "text/plain": note}},
        {**shown, "data": {clean.WIDGET_VIEW: {"model_id": "y"}, "text/plain": "  0%|"}},  # a progress bar
    ]
    cleaned = clean.clean(copy.deepcopy(nb))
    assert cleaned["cells"][1]["outputs"] == [{**shown, "data": {"text/plain": note}}]
    assert clean.STEP_THROUGH_NOTE == WIDGET_NOTE  # the cleaner and the widget agree on the words
