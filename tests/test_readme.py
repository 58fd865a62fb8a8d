"""README.md: every example runs, and every output block is exactly what the code prints.

How to write an example in README.md so that this test checks it:

1. A ```python block runs on its own, as a script in a fresh interpreter, in an empty
   temporary folder (files it writes land there). So it needs its own imports.
2. If the next fenced block is a plain ``` block, with only blank lines and at most one
   line starting with "prints" between them, that plain block is exactly what the code
   prints (stdout; a progress bar on stderr is not part of it). Without one, the code must
   print nothing: show values in an output block, not in comments that can drift.
3. A ```pycon block is a Python prompt session, on its own like (1): each ">>> " line's
   output follows it exactly, checked by `python -m doctest`.
4. A plain ``` block whose first line starts with "$ micrograd" is a shell session: each
   "$ micrograd ARGS" line runs the command in an empty temporary folder, and the lines up
   to the next "$ " line are exactly its stdout and stderr together, as a log shows them
   (stderr is no terminal here, so progress comes as lines, not a bar).
5. In the output of (2) and (4), a last line "..." means the output goes on (only the lines
   before it are compared), and durations (a number followed by s, ms or µs) match any
   duration, as they change from run to run. Nothing else is loose.
6. A plain ``` block that is neither (2) nor (4) fails this test. Fence text that is not
   output as ```text, and commands that cannot run here as ```sh: those two are not
   checked, so keep them rare. Every example must end within TIMEOUT seconds.

Examples that need what a lean install lacks (Graphviz's `dot` to render, matplotlib to
plot, an optional package) are skipped, with the reason, where it is missing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TIMEOUT = 300  # seconds for one example: a server that never returns fails instead of hanging
OPTIONAL_PACKAGES = {"graphviz", "matplotlib", "tqdm", "numpy", "ipywidgets", "IPython"}
DURATION = re.compile(r"\b\d+(?:\.\d+)? ?(?:s|ms|µs)\b")
PRINTS = re.compile(r"^prints\b", re.IGNORECASE)  # "prints", "prints:", "prints (on stdout)" ...


@dataclass
class Block:
    line: int  # 1-based line of the opening fence
    info: str  # what follows the opening backticks: "python", "" for a plain block, ...
    text: str
    gap: list[str]  # the lines between the previous block's closing fence and this one


@dataclass
class Example:
    code: Block
    output: Block | None  # None: the code must print nothing


def parse_blocks(markdown: str) -> list[Block]:
    """Every fenced block in `markdown`, in order."""
    blocks, gap = [], []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(`{3,})\s*(\S*)", lines[i])
        if not fence:
            gap.append(lines[i])
            i += 1
            continue
        start, ticks, body = i, fence.group(1), []
        i += 1
        while i < len(lines) and not lines[i].startswith(ticks):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise ValueError(f"README.md:{start + 1}: this fence is never closed")
        blocks.append(Block(start + 1, fence.group(2), "\n".join(body) + "\n", gap))
        gap = []
        i += 1
    return blocks


def is_session(block: Block) -> bool:
    return block.info == "" and block.text.startswith("$ micrograd")


def examples(blocks: list[Block]) -> tuple[list[Example], list[Block], list[Block], list[Block]]:
    """Python examples with their output blocks, prompt sessions, shell sessions, orphan plain blocks."""
    found, prompts, sessions, orphans = [], [], [], []
    for k, block in enumerate(blocks):
        if block.info == "python":
            after = blocks[k + 1] if k + 1 < len(blocks) else None
            between = [line.strip() for line in after.gap if line.strip()] if after else []
            attached = after and after.info == "" and not is_session(after)
            attached = attached and (between == [] or (len(between) == 1 and PRINTS.match(between[0])))
            found.append(Example(block, after if attached else None))
        elif block.info == "pycon":
            prompts.append(block)
        elif is_session(block):
            sessions.append(block)
        elif block.info == "" and not any(e.output is block for e in found):
            orphans.append(block)
    return found, prompts, sessions, orphans


def same_output(actual: str, expected: str) -> bool:
    """`actual` is `expected`, with a trailing "..." line and durations matching anything."""
    actual_lines = DURATION.sub("<duration>", actual).splitlines()
    expected_lines = DURATION.sub("<duration>", expected).splitlines()
    if expected_lines and expected_lines[-1] == "...":
        expected_lines.pop()
        actual_lines = actual_lines[: len(expected_lines)]
    return actual_lines == expected_lines


def missing_requirement(text: str) -> str | None:
    """Why an example cannot run on this installation, or None."""
    if shutil.which("dot") is None and re.search(r"\.render\(|\.view\(|--graph", text):
        return "Graphviz's dot is not installed"
    if "micrograd train" in text and "--no-plots" not in text:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return "matplotlib is not installed"
    return None


def run(command: list[str], folder: Path, merge: bool = False) -> subprocess.CompletedProcess:
    """`command` in `folder`; with `merge`, stderr goes into stdout in order, as a log shows it."""
    # The README shows full runs: MICROGRAD_STEPS (which `make test` sets to shorten the
    # notebooks) would shorten `micrograd train --dataset digits` too.
    env = {
        **{name: value for name, value in os.environ.items() if name != "MICROGRAD_STEPS"},
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "PYTHONUNBUFFERED": "1",  # stdout and stderr in the order they were written
        "MPLBACKEND": "Agg",  # pictures to files, never a window
    }
    try:
        return subprocess.run(
            command,
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge else subprocess.PIPE,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{shlex.join(command)} was still running after {TIMEOUT} s (fence it as ```sh if it never ends)")


def skip_if_optional_package_missing(stderr: str) -> None:
    missing = re.search(r"ModuleNotFoundError: No module named '(\w+)", stderr)
    if missing and missing.group(1) in OPTIONAL_PACKAGES:
        pytest.skip(f"{missing.group(1)} is not installed")


def run_python(block: Block, folder: Path) -> str:
    """Run a ```python block as a script of its own; return its stdout."""
    script = folder.parent / f"README.md-line-{block.line}.py"  # tracebacks give README line numbers
    script.write_text("\n" * block.line + block.text, encoding="utf-8")
    done = run([sys.executable, str(script)], folder)
    skip_if_optional_package_missing(done.stderr)
    assert done.returncode == 0, f"README.md:{block.line} fails:\n{done.stderr}"
    return done.stdout


def run_prompts(block: Block, folder: Path) -> str:
    """Run a ```pycon block with doctest in a fresh interpreter; return its failures ("" if none)."""
    session = folder.parent / f"README.md-line-{block.line}.txt"
    session.write_text(block.text, encoding="utf-8")
    done = run([sys.executable, "-m", "doctest", str(session)], folder)
    skip_if_optional_package_missing(done.stdout)
    return done.stdout + done.stderr


def run_session(text: str, folder: Path) -> list[tuple[str, str, str]]:
    """Each (command, what it printed, what the block says) of a shell session."""
    runs = []
    for chunk in re.split(r"^(?=\$ )", text, flags=re.MULTILINE):
        if not chunk:
            continue
        command, _, expected = chunk.partition("\n")
        argv = shlex.split(command[2:])
        assert argv[0] == "micrograd", f"only micrograd commands run here, not {command!r} (fence it as ```sh)"
        done = run([sys.executable, "-m", "micrograd", *argv[1:]], folder, merge=True)
        runs.append((command, done.stdout, expected))
    return runs


README_EXAMPLES, README_PROMPTS, README_SESSIONS, README_ORPHANS = examples(
    parse_blocks(README.read_text(encoding="utf-8"))
)


@pytest.fixture
def folder(tmp_path) -> Path:
    """An empty folder to run an example in (the example's own files go beside it)."""
    (tmp_path / "run").mkdir()
    return tmp_path / "run"


def skip_unless_runnable(block: Block) -> None:
    why = missing_requirement(block.text)
    if why:
        pytest.skip(why)


@pytest.mark.parametrize("example", README_EXAMPLES, ids=lambda e: f"README.md:{e.code.line}")
def test_python_example_prints_its_output_block(example, folder):
    skip_unless_runnable(example.code)
    printed = run_python(example.code, folder)
    if example.output is None:
        assert printed == "", f"README.md:{example.code.line} prints, but no output block follows it:\n{printed}"
    else:
        assert same_output(printed, example.output.text), (
            f"README.md:{example.output.line}: the block says\n{example.output.text}\nbut the code prints\n{printed}"
        )


@pytest.mark.parametrize("block", README_PROMPTS, ids=lambda b: f"README.md:{b.line}")
def test_prompt_session_answers_as_shown(block, folder):
    skip_unless_runnable(block)
    report = run_prompts(block, folder)
    assert report == "", report


@pytest.mark.parametrize("session", README_SESSIONS, ids=lambda b: f"README.md:{b.line}")
def test_shell_session_prints_its_output(session, folder):
    skip_unless_runnable(session)
    for command, printed, expected in run_session(session.text, folder):
        assert same_output(printed, expected), (
            f"README.md:{session.line}: {command!r} should print\n{expected}\nbut prints\n{printed}"
        )


def test_every_plain_block_is_output_or_a_session():
    assert not README_ORPHANS, "plain ``` blocks that nothing checks (see this file's docstring): " + ", ".join(
        f"README.md:{b.line}" for b in README_ORPHANS
    )


# --------------------------------------------------------------------------- the checker itself

SAMPLE = """\
Text.

```python
print("one")
print("two")
```

prints

```
one
two
```

```python
x = 1
```

```
$ micrograd --version
micrograd ...
```

```pycon
>>> 1 + 1
2
```

```
orphan
```
"""


def test_the_convention_pairs_code_with_output_and_finds_sessions_and_orphans():
    found, prompts, sessions, orphans = examples(parse_blocks(SAMPLE))
    assert [(e.code.line, e.output and e.output.line) for e in found] == [(3, 10), (15, None)]
    assert [s.line for s in sessions] == [19]
    assert [p.line for p in prompts] == [24]
    assert [o.line for o in orphans] == [29]


def test_a_block_separated_by_other_prose_is_not_an_output_block():
    found, _, _, orphans = examples(parse_blocks("```python\nprint(1)\n```\n\nSome prose.\n\n```\n1\n```\n"))
    assert found[0].output is None and [o.line for o in orphans] == [7]


@pytest.mark.parametrize(
    ("actual", "expected", "same"),
    [
        ("a\nb\n", "a\nb\n", True),
        ("-8.0\na\nb\n", "a\nb\n", False),  # a missing first line is drift
        ("a\nb\n", "a\nb\nc\n", False),
        ("a\nb\nc\n", "a\n...\n", True),  # "..." elides the rest
        ("a\nb\n", "a\n", False),  # without it, nothing may be left out
        ("trained in 1.5 s (15 ms/step): loss 0.0118\n", "trained in 1.1 s (11 ms/step): loss 0.0118\n", True),
        ("trained in 1.5 s (15 ms/step): loss 0.0119\n", "trained in 1.1 s (11 ms/step): loss 0.0118\n", False),
        ("100 steps\n", "200 steps\n", False),  # counts are not durations
    ],
)
def test_output_comparison_is_exact_but_for_durations_and_a_final_ellipsis(actual, expected, same):
    assert same_output(actual, expected) is same


def test_a_python_example_runs_on_its_own_and_its_failure_names_the_readme_line(folder):
    assert run_python(Block(5, "python", "import os\nprint(os.listdir())\n", []), folder) == "[]\n"
    with pytest.raises(AssertionError, match=r'(?s)README.md-line-5.py", line 7, .*NameError: name .L. is not'):
        run_python(Block(5, "python", "print(1)\nprint(L)\n", []), folder)


def test_a_prompt_session_reports_a_wrong_answer(folder):
    block = Block(7, "pycon", ">>> x = 2\n>>> x * 3\n6\n>>> x + 1\n4\n", [])
    report = run_prompts(block, folder)
    assert "x + 1" in report and "Expected:\n    4\nGot:\n    3" in report
    assert run_prompts(Block(7, "pycon", ">>> print('ok')\nok\n", []), folder) == ""


def test_a_session_runs_each_command_and_keeps_its_expected_lines(folder):
    import micrograd

    ((command, printed, expected),) = run_session("$ micrograd --version\nmicrograd ...\n", folder)
    assert command == "$ micrograd --version"
    assert printed == f"micrograd {micrograd.__version__} (micrograd-paths)\n"
    assert expected == "micrograd ...\n"
    with pytest.raises(AssertionError, match="only micrograd commands"):
        run_session("$ make demo\n", folder)
    assert os.listdir(folder) == []
