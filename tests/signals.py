"""Signal dispositions for tests that send signals: set explicitly, never inherited.

A test run under ``nohup`` inherits SIGHUP ignored, and one started in the background by a
non-interactive shell inherits SIGINT ignored; a child started from it inherits the same
(an ignored signal stays ignored across exec), so a test that sends it SIGHUP or SIGINT
would wait for an end that never comes. `child_with_default_signals` starts children with
the default dispositions, as an interactive shell would; `default_signals` sets them in
this process for the length of a ``with``.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

FATAL = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


def reset_to_default() -> None:
    """In a child between fork and exec: the default action for each fatal signal (Python,
    starting with SIGINT at its default, installs its KeyboardInterrupt handler as usual)."""
    for signum in FATAL:
        signal.signal(signum, signal.SIG_DFL)


def child_with_default_signals(*args, **kwargs) -> subprocess.Popen:
    """`subprocess.Popen`, the child's fatal signals at their defaults whatever ours are."""
    return subprocess.Popen(*args, preexec_fn=reset_to_default, **kwargs)


@contextmanager
def default_signals() -> Iterator[None]:
    """This process's fatal signals at Python's defaults (SIGINT: KeyboardInterrupt) inside."""
    before = {signum: signal.getsignal(signum) for signum in FATAL}
    try:
        for signum in FATAL:
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


@contextmanager
def ignored(*signums: int) -> Iterator[None]:
    """These signals ignored inside, as ``nohup`` (SIGHUP) or a background job (SIGINT) has them."""
    before = {signum: signal.getsignal(signum) for signum in signums}
    try:
        for signum in signums:
            signal.signal(signum, signal.SIG_IGN)
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
