"""micrograd._atomic: whole files or none, through links, keeping modes, and what a kill leaves."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest
from signals import child_with_default_signals, default_signals, ignored

from micrograd import _atomic
from micrograd._atomic import atomic_writer, check_writable, write_text_atomically
from micrograd.nn import MLP, load

WAIT = 60  # seconds a child may take to end after a signal; a bound on hangs, not a timing


def temporaries(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


# --------------------------------------------------------------------------- links and modes


def test_saving_through_a_symbolic_link_keeps_the_link_and_writes_its_target(tmp_path):
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("real.txt")
    write_text_atomically(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text() == "new"


def test_a_link_into_another_folder_writes_there_with_the_temporary_file_beside_the_target(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "model.json").write_text("old")
    (tmp_path / "a" / "model.json").symlink_to(tmp_path / "b" / "model.json")
    with atomic_writer(tmp_path / "a" / "model.json") as file:
        file.write(b"new")
        assert temporaries(tmp_path / "b") and not temporaries(tmp_path / "a")
    assert (tmp_path / "b" / "model.json").read_text() == "new"
    assert (tmp_path / "a" / "model.json").is_symlink()


def test_a_dangling_link_creates_its_target(tmp_path):
    (tmp_path / "link.txt").symlink_to("made.txt")
    write_text_atomically(tmp_path / "link.txt", "new")
    assert (tmp_path / "made.txt").read_text() == "new" and (tmp_path / "link.txt").is_symlink()


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_saving_over_a_file_keeps_its_mode(tmp_path, mode):
    path = tmp_path / "secret.json"
    path.write_text("old")
    path.chmod(mode)
    MLP(2, [1], seed=0).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert load(path) is not None


def test_a_new_file_gets_the_umask_mode(tmp_path):
    umask = os.umask(0o027)
    try:
        write_text_atomically(tmp_path / "new.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


@pytest.mark.parametrize("kind", ["directory", "pipe"])
def test_a_directory_or_pipe_in_the_way_is_refused_before_writing(tmp_path, kind):
    # Not /dev/null: as root, a regression would replace the machine's /dev/null by a file.
    path = tmp_path / "out"
    if kind == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)
    for attempt in (lambda: write_text_atomically(path, "x"), lambda: check_writable(path)):
        with pytest.raises(OSError, match=str(path)):
            attempt()
    assert os.path.exists(path)


# --------------------------------------------------------------------------- messages


def test_a_folder_that_cannot_be_written_is_named_never_the_temporary_file(unwritable_folder):
    path = os.path.join(unwritable_folder, "model.json")
    for attempt in (lambda: MLP(2, [1], seed=0).save(path), lambda: check_writable(path)):
        with pytest.raises(OSError) as info:
            attempt()
        assert info.value.filename == path and ".tmp" not in str(info.value)


def test_a_failed_rename_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError) as info:
        write_text_atomically(tmp_path / "m.json", "x")
    assert ".tmp" not in str(info.value) and "m.json" in str(info.value)
    assert temporaries(tmp_path) == []


def test_an_error_of_the_callers_own_passes_through_unchanged(tmp_path):
    mine = OSError(5, "mine", "/elsewhere")
    with pytest.raises(OSError) as info, atomic_writer(tmp_path / "m.json"):
        raise mine
    assert info.value is mine and not os.listdir(tmp_path)


def test_check_writable_leaves_nothing_behind(tmp_path):
    check_writable(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


# --------------------------------------------------------------------------- signals

# The child opens a write, says so, and waits inside it for the parent's signal.
WRITER = textwrap.dedent(
    """
    import sys, time
    from micrograd._atomic import atomic_writer
    with atomic_writer(sys.argv[1]) as file:
        file.write(b"half of the new")
        print("writing", flush=True)
        time.sleep(3600)
    """
)


def child(script: str, *args: str) -> subprocess.Popen:
    """The child's fatal signals at their defaults, whatever this run inherited (nohup ignores SIGHUP)."""
    return child_with_default_signals(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def ended(process: subprocess.Popen) -> int:
    try:
        process.communicate(timeout=WAIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("the child did not end after the signal")
    return process.returncode


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_fatal_signal_during_a_write_removes_the_temporary_file_and_keeps_the_old(tmp_path, signum):
    path = tmp_path / "model.json"
    path.write_text("old")
    process = child(WRITER, str(path))
    assert process.stdout.readline() == "writing\n"
    assert len(temporaries(tmp_path)) == 1
    process.send_signal(signum)
    status = ended(process)
    # SIGINT is Python's KeyboardInterrupt, which (uncaught) also ends the process by SIGINT
    assert status == -signum
    assert path.read_text() == "old"
    assert temporaries(tmp_path) == []


def test_the_signal_handlers_are_restored_after_a_write(tmp_path):
    with default_signals():  # not what this run inherited: under nohup SIGHUP is ignored
        before = [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)]
        with atomic_writer(tmp_path / "m.json") as file:
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL  # ours, during the write
            assert signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL
            file.write(b"x")
        assert [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)] == before


@pytest.mark.parametrize("inherited", [(signal.SIGHUP,), (signal.SIGINT,), (signal.SIGHUP, signal.SIGINT)])
def test_the_signal_tests_hold_under_nohup_and_in_the_background(tmp_path, inherited):
    """Run as `nohup make test` (SIGHUP ignored) or `make test &` (SIGINT ignored): the
    children still start with the default dispositions, so each signal still ends them."""
    with ignored(*inherited):
        for signum in inherited:
            path = tmp_path / f"model{signum}.json"
            path.write_text("old")
            process = child(WRITER, str(path))
            assert process.stdout.readline() == "writing\n"
            process.send_signal(signum)
            assert ended(process) == -signum
            assert path.read_text() == "old" and temporaries(tmp_path) == []


def test_an_ignored_signal_is_left_ignored_during_a_write(tmp_path):
    with ignored(signal.SIGHUP):
        with atomic_writer(tmp_path / "m.json") as file:
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # nohup's choice stands
            file.write(b"x")
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN


def test_a_signal_the_program_handles_itself_is_left_to_it(tmp_path):
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with atomic_writer(tmp_path / "m.json") as file:
            assert signal.getsignal(signal.SIGTERM) is mine
            file.write(b"x")
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigkill_leaves_the_old_file_whole_and_at_most_one_temporary_file(tmp_path):
    """What the module documents: SIGKILL cannot be caught, so its temporary file stays."""
    path = tmp_path / "model.json"
    path.write_text("old")
    process = child(WRITER, str(path))
    assert process.stdout.readline() == "writing\n"
    process.kill()
    assert ended(process) == -signal.SIGKILL
    assert path.read_text() == "old"
    assert len(temporaries(tmp_path)) == 1


SAVER = textwrap.dedent(
    """
    import sys
    from micrograd.nn import MLP
    model = MLP(8, [64, 64, 3], seed=0)
    model.save(sys.argv[1])
    print("saving", flush=True)
    while True:
        model.save(sys.argv[1])
    """
)

KILLS = 24  # children killed at random moments while they save in a loop


def test_killing_a_process_that_saves_in_a_loop_never_leaves_half_a_model(tmp_path):
    """The model file always loads; only SIGKILL may leave a temporary file."""
    rng = random.Random(13)
    signals = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL]
    path = tmp_path / "model.json"
    for k in range(KILLS):
        signum = signals[k % len(signals)]
        process = child(SAVER, str(path))
        assert process.stdout.readline() == "saving\n"
        time.sleep(rng.uniform(0, 0.05))  # so the signal lands at a different point of a save
        process.send_signal(signum)
        ended(process)
        assert len(load(path).parameters()) == 8 * 64 + 64 + 64 * 64 + 64 + 64 * 3 + 3
        left = temporaries(tmp_path)
        if signum == signal.SIGKILL:
            assert len(left) <= 1
            for name in left:
                os.unlink(tmp_path / name)
        else:
            assert left == [], (signum, left)


def test_a_forked_child_leaves_its_parents_write_alone(tmp_path):
    path = tmp_path / "m.json"
    with atomic_writer(path) as file:
        file.write(b"parent")
        pid = os.fork()
        if pid == 0:  # the child: what its normal exit would do (our atexit hook), then leave at once
            try:
                _atomic._remove_pending()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        assert len(temporaries(tmp_path)) == 1
    assert path.read_bytes() == b"parent"
