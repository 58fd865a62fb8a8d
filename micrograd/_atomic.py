"""Atomic file writes: a reader sees the old file or the complete new one, never half of it.

The new content goes to a temporary file next to the target, ``.NAME.XXXXXXXX.tmp``, which
then replaces the target in one rename. Saving behaves as editors do: through a symbolic
link the link stays and the file it points to gets the new content, and an existing file
keeps its permissions (a 0600 file stays 0600) and, where allowed, its owner.

What can be left behind: the temporary file is removed if the write fails or is
interrupted by an exception (KeyboardInterrupt included), when the interpreter exits, and
when SIGTERM, SIGINT or SIGHUP arrives while their default action (ending the process) is
in force. Only what no program can catch leaves one behind: SIGKILL, `os._exit`, a crash
of the interpreter or a power cut. The target is then still the old file, complete, and
the stray ``.NAME.*.tmp`` file can be deleted by hand.
"""

from __future__ import annotations

import atexit
import errno
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import BinaryIO

__all__ = ["atomic_writer", "check_writable", "write_text_atomically"]

# Signals whose default action ends the process: while a write is under way, they remove
# its temporary file first (the process still ends as the signal says).
_FATAL_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))

_pending: set[str] = set()  # temporary files this process is writing right now


def _remove_pending() -> None:
    for temp in list(_pending):
        with suppress(OSError):
            os.unlink(temp)
        _pending.discard(temp)


atexit.register(_remove_pending)
if hasattr(os, "register_at_fork"):  # a forked child's exit must not remove the parent's files
    os.register_at_fork(after_in_child=_pending.clear)


def _end_like_the_signal(signum: int, frame) -> None:
    """A fatal signal during a write: remove the temporary files, then die of the signal."""
    _remove_pending()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@contextmanager
def _temporary_files_removed_on_fatal_signals() -> Iterator[None]:
    # Only the main thread may set handlers; writes from other threads still clean up on
    # exceptions and at exit. A signal someone handles or ignores is left to them.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    installed = [sig for sig in _FATAL_SIGNALS if signal.getsignal(sig) is signal.SIG_DFL]
    for sig in installed:
        signal.signal(sig, _end_like_the_signal)
    try:
        yield
    finally:
        for sig in installed:
            if signal.getsignal(sig) is _end_like_the_signal:  # not replaced meanwhile
                signal.signal(sig, signal.SIG_DFL)


def _reported_as(error: OSError, shown: str) -> OSError:
    """The same error naming the file the user gave, not our temporary file."""
    return type(error)(error.errno, error.strerror, shown)


def _create_temp(shown: str, target: str, existing: os.stat_result | None) -> tuple[str, int]:
    """A new temporary file beside `target`: umask permissions if `existing` is None, else
    private until `_keep_owner_and_mode` gives it the existing file's."""
    directory, name = os.path.split(target)
    while True:
        temp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
        _pending.add(temp)  # recorded before it exists, so no interruption can lose it
        try:
            # A new target gets 0o666 less the umask, as open() gives; tempfile.mkstemp would
            # make it 0600. Over an existing file, start private and take its mode below.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(temp, flags, 0o666 if existing is None else 0o600)
        except FileExistsError:
            _pending.discard(temp)
            continue
        except OSError as error:
            _pending.discard(temp)
            raise _reported_as(error, shown) from None
        return temp, fd


def _keep_owner_and_mode(temp: str, existing: os.stat_result) -> None:
    if hasattr(os, "chown") and (existing.st_uid, existing.st_gid) != (os.getuid(), os.getgid()):
        with suppress(OSError):  # only root may give a file away; the mode still follows
            os.chown(temp, existing.st_uid, existing.st_gid)
    os.chmod(temp, stat.S_IMODE(existing.st_mode))


def _target(path: str | os.PathLike) -> tuple[str, str, os.stat_result | None]:
    """The path as the user gave it, the real file to replace (symbolic links followed) and
    that file's status (None if it does not exist yet)."""
    shown = os.fspath(path)
    target = os.path.realpath(shown)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        return shown, target, None
    if stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), shown)
    if not stat.S_ISREG(existing.st_mode):  # a device or a pipe: replacing it would be a surprise
        raise OSError(errno.EINVAL, "not a regular file, so it cannot be replaced", shown)
    return shown, target, existing


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file next to `path` for writing bytes; on success it replaces `path`.

    The temporary file lives in the same directory as the real target (symbolic links
    followed), so that `os.replace` is a rename within one file system (atomic on POSIX and
    Windows). If the block raises, the temporary file is removed and `path` is left as it
    was. Errors name `path`, never the temporary file.
    """
    shown, target, existing = _target(path)
    with _temporary_files_removed_on_fatal_signals():
        temp, fd = _create_temp(shown, target, existing)
        try:
            with os.fdopen(fd, "wb") as file:
                if existing is not None:
                    _keep_owner_and_mode(temp, existing)
                yield file
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, target)
        except BaseException as error:
            with suppress(FileNotFoundError):
                os.unlink(temp)
            if isinstance(error, OSError) and temp in (error.filename, error.filename2):
                raise _reported_as(error, shown) from None
            raise
        finally:
            _pending.discard(temp)


def check_writable(path: str | os.PathLike) -> None:
    """Raise the `OSError` that writing `path` would meet (a folder that cannot be written,
    a directory in the way), without touching `path`: check before long work, not after.

    Permission bits do not say it (root, ACLs, read-only mounts), so this creates and
    removes a temporary file where `atomic_writer` would.
    """
    shown, target, _ = _target(path)
    temp, fd = _create_temp(shown, target, None)
    os.close(fd)
    os.unlink(temp)
    _pending.discard(temp)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    with atomic_writer(path) as file:
        file.write(text.encode("utf-8"))
