"""One writer per output directory: refused at once, stale locks taken over, and several
real sweeps started together on one directory leave the records of exactly one."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mirl.cli import main
from mirl.results import lock as lock_module
from mirl.results.lock import LOCK_NAME, DirectoryLock, LockError, holder_of
from mirl.results.store import ResultStore

ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
NONIID = ["run", "noniid", "--profile", "smoke", "--seeds", "2", "--quiet"]


def dead_pid() -> int:
    """The pid of a process of this host that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_writer_is_refused_at_once_naming_the_holder(tmp_path):
    with DirectoryLock(tmp_path, command="mirl run noniid"):
        holder = holder_of(tmp_path)
        assert (holder.host, holder.pid) == (platform.node(), os.getpid())
        start = time.monotonic()
        with pytest.raises(LockError, match=rf"pid {os.getpid()} on host .*mirl run noniid"):
            DirectoryLock(tmp_path).acquire()
        assert time.monotonic() - start < 1  # refused, not waited for
        with pytest.raises(
            SystemExit, match=rf"^mirl: .* in use by another mirl \(pid {os.getpid()}"
        ):
            main([*NONIID, "--out", str(tmp_path)])
    assert not (tmp_path / LOCK_NAME).exists()  # released: the file goes with it
    assert not (tmp_path / "runs").exists()  # the refused sweep wrote nothing


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    pid = dead_pid()
    stale = {"host": platform.node(), "pid": pid, "since": 0, "command": "mirl run old"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(stale))
    notes = []
    with DirectoryLock(tmp_path, note=notes.append):
        assert holder_of(tmp_path).pid == os.getpid()
    assert len(notes) == 1 and f"left by pid {pid} (mirl run old)" in notes[0]


def test_a_lock_of_another_host_is_not_taken_over(tmp_path):
    other = {"host": "node-17", "pid": 4242, "since": 0, "command": "mirl run invertible"}
    (tmp_path / LOCK_NAME).write_text(json.dumps(other))
    with pytest.raises(LockError, match=r"pid 4242 on host node-17.*delete .*\.mirl\.lock"):
        DirectoryLock(tmp_path).acquire()


@pytest.mark.parametrize("where", ["file", "under_file"])
def test_an_output_path_that_is_a_file_is_refused_before_training(tmp_path, where):
    path = tmp_path / "results.txt"
    path.write_text("keep me")
    out = path if where == "file" else path / "sub"
    with pytest.raises(
        SystemExit, match=r"^mirl: cannot use .* as an output directory: .* is a file"
    ):
        main([*NONIID, "--out", str(out)])
    assert path.read_text() == "keep me"


def test_an_unwritable_output_directory_is_refused_before_training(tmp_path, monkeypatch):
    real_open = os.open

    def read_only(path, flags, *args):  # as on a read-only mount (root ignores chmod)
        if str(path).endswith(LOCK_NAME):
            raise OSError(30, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(lock_module.os, "open", read_only)
    with pytest.raises(
        SystemExit, match=r"^mirl: cannot write to the output directory .*Read-only"
    ):
        main([*NONIID, "--out", str(tmp_path)])
    assert not (tmp_path / "runs").exists()


def test_several_real_sweeps_on_one_directory_leave_the_records_of_exactly_one(tmp_path):
    """Three processes, two settings (8 and 10 steps), one directory, started together."""
    out = tmp_path / "out"
    short = [*NONIID, "--group-size", "1", "--steps", "8", "--evals", "2"]
    commands = [short, [*short, "--steps", "10"], short]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "mirl.cli", *cmd, "--out", str(out), "--device", "cpu"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for cmd in commands
    ]
    outcomes = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    report = "\n".join(f"rc={rc}\n{o}{e}" for rc, o, e in outcomes)
    assert "Traceback" not in report, report
    writers = [i for i, (rc, o, _) in enumerate(outcomes) if rc == 0 and "trained 8 seed" in o]
    assert len(writers) == 1, report
    for i, (rc, o, e) in enumerate(outcomes):
        if i in writers:
            continue
        refused = rc == 1 and e.startswith("mirl: ") and e.count("\n") == 1
        refused = refused and ("in use by another mirl" in e or "other settings" in e)
        skipped = rc == 0 and "trained 0 seed runs, skipped 8" in o
        assert refused or skipped, report
    # Nothing lost, nothing mixed: the 8 records of the one writer, all whole.
    steps = 10 if commands[writers[0]][-1] == "10" else 8
    records, corrupt = ResultStore(out).scan()
    assert corrupt == [] and len(records) == 8
    assert {r.spec["steps"] for r in records} == {steps}
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp") or "corrupt" in p.name]
    assert leftovers == [] and not (out / LOCK_NAME).exists()


def test_lock_file_with_garbage_is_taken_over_when_nobody_holds_it(tmp_path):
    (tmp_path / LOCK_NAME).write_bytes(b"\x00garbage")
    with DirectoryLock(tmp_path):
        assert holder_of(tmp_path).pid == os.getpid()
    assert Path(tmp_path / LOCK_NAME).exists() is False
