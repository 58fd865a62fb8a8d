"""The `micrograd` command itself: help when called alone, --version, one-line mistakes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import micrograd
from micrograd.cli import SUBCOMMANDS, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION_LINE = f"micrograd {micrograd.__version__} (micrograd-paths)\n"


def test_micrograd_alone_prints_the_help_and_exits_0(capsys):
    assert main([]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("usage: micrograd")
    assert all(name in captured.out for name in SUBCOMMANDS)
    assert "required" not in captured.out + captured.err
    assert captured.err == ""


def test_version_names_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == VERSION_LINE


def test_version_through_python_m_micrograd():
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [sys.executable, "-m", "micrograd", "--version"], capture_output=True, text=True, env=env, timeout=60
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, VERSION_LINE, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "micrograd: error: unrecognized arguments: --bogus (see micrograd --help)"),
        (["bogus"], "micrograd: error: argument COMMAND: invalid choice: 'bogus'"),
    ],
)
def test_a_mistake_before_the_command_is_one_line_and_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(message)
