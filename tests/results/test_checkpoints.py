"""Checkpoints inside a run: kept whole and verified, set aside when damaged, deleted once the
records are stored; and a run killed (SIGKILL, at random moments, several times) and
resumed gives the rows of the run never killed, to the last bit, for every kind of run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from mirl.results.checkpoints import CheckpointFiles, discard, job_folder
from mirl.results.plan import Job
from mirl.runtime.kinds import KINDS

JOB = Job(KINDS["estimate"].example(), [0, 1])


def state(step: int) -> dict:
    return {"format": 1, "step": step, "seconds": 1.0, "trainer": {"w": torch.full((3,), step)}}


def test_the_newest_checkpoint_is_read_back_and_two_are_kept(tmp_path):
    files = CheckpointFiles(tmp_path, JOB, every=60)
    assert files.latest() is None
    for step in (2, 4, 6):
        files.save(state(step))
    folder = job_folder(tmp_path, JOB)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"step-{n:09d}.{ext}" for n in (4, 6) for ext in ("json", "pt")
    ]
    latest = files.latest()
    assert latest["step"] == 6 and torch.equal(latest["trainer"]["w"], torch.full((3,), 6))
    assert files.resumed_from == 6


def damage_state(folder: Path) -> None:
    pt = max(folder.glob("*.pt"))
    blob = bytearray(pt.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    pt.write_bytes(bytes(blob))


def damage_manifest(folder: Path) -> None:
    max(folder.glob("*.json")).write_text("{not json")


def other_settings(folder: Path) -> None:
    path = max(folder.glob("*.json"))
    manifest = json.loads(path.read_text())
    manifest["identity"]["spec"]["lr"] = 1.0
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("spoil", "kind"),
    [(damage_state, "corrupt"), (damage_manifest, "corrupt"), (other_settings, "stale")],
)
def test_a_bad_newest_checkpoint_is_set_aside_and_the_one_before_is_used(tmp_path, spoil, kind):
    files = CheckpointFiles(tmp_path, JOB, every=60)
    files.save(state(2))
    files.save(state(4))
    folder = job_folder(tmp_path, JOB)
    spoil(folder)
    with pytest.warns(UserWarning, match=r"set aside checkpoint .*step-000000004\.json"):
        assert files.latest()["step"] == 2
    assert len(list(folder.glob(f"step-000000004.*.{kind}-*"))) == 2  # moved, not deleted
    spoil(folder)  # the only one left
    with pytest.warns(UserWarning):
        assert files.latest() is None  # the start


def test_a_job_s_checkpoints_go_once_its_records_are_stored(tmp_path):
    CheckpointFiles(tmp_path, JOB, every=60).save(state(2))
    other = Job(JOB.spec, [2, 3])
    CheckpointFiles(tmp_path, other, every=60).save(state(2))
    discard(tmp_path, JOB)
    assert not job_folder(tmp_path, JOB).exists()
    assert CheckpointFiles(tmp_path, other, every=60).latest()["step"] == 2


# --- killed and resumed, through the command line ---------------------------------------------

ENV = {**os.environ, "MIRL_THREADS": "1"}  # one thread in every run: the same float sums
RUNS = {
    "two_view": ["critic_impact", "--runs", "mlp-bilinear-nwj", "--steps", "160", "--evals", "4"],
    "adversarial": ["adversarial", "--steps", "80", "--evals", "4"],
    "estimate": ["noniid", "--runs", "noniid-nwj", "--steps", "800", "--evals", "4"],
}


def command(kind: str, out: Path) -> list[str]:
    args = ["run", *RUNS[kind], "--profile", "smoke", "--data", "synthetic", "--seeds", "2"]
    return [sys.executable, "-m", "mirl.cli", *args, "--jobs", "1", "--out", str(out)]


def rows(out: Path) -> pd.DataFrame:
    from mirl.results import load

    frame = load(out)
    keep = [c for c in frame.columns if c != "seconds"]
    return frame[keep].sort_values(["name", "seed", "step"]).reset_index(drop=True)


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(RUNS))
def test_a_run_killed_at_random_moments_resumes_to_the_same_rows(kind, tmp_path):
    assert set(RUNS) == set(KINDS)  # every kind of run
    whole = tmp_path / "whole"
    done = subprocess.run(command(kind, whole), env=ENV, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    killed = tmp_path / "killed"
    # A checkpoint every 0.3 s; each attempt is killed at a random moment once it has taken
    # a new one: between checkpoints, mid-step or mid-write.
    args = [*command(kind, killed), "--checkpoint-every", "0.005"]
    chance = random.Random(kind)
    kills, seen = 0, set()
    while kills < 4:
        process = subprocess.Popen(args, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        while process.poll() is None and not set(killed.rglob("step-*.pt")) - seen:
            time.sleep(0.05)
        if process.poll() is not None:
            break  # finished before the kill
        time.sleep(chance.uniform(0.0, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        seen = set(killed.rglob("step-*.pt"))
    finish = subprocess.run([*args, "--quiet"], env=ENV, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    assert kills >= 2, f"only {kills} kills landed"
    records = [json.loads(p.read_text())["record"] for p in killed.rglob("seed-*.json")]
    assert any("resumed_from_step" in r["meta"] for r in records), "no run resumed"
    pd.testing.assert_frame_equal(rows(killed), rows(whole), check_exact=True)
    assert not (killed / "checkpoints").exists() or not any((killed / "checkpoints").rglob("*.pt"))


def worker_pids(parent: int) -> list[int]:
    """The worker processes (``--jobs``) of the sweep ``parent`` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_text()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent and "spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_worker_killed_mid_run_has_its_job_resumed_by_the_next(tmp_path):
    """``--jobs``: the worker's job is redone from its checkpoint, not from the start."""
    runs = ["critic_impact", "--runs", "mlp-bilinear-nwj,mlp-bilinear-infonce"]
    runs += ["--steps", "160", "--evals", "4", "--group-size", "2"]
    base = ["run", *runs, "--profile", "smoke", "--data", "synthetic", "--seeds", "2"]
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    done = subprocess.run(
        [sys.executable, "-m", "mirl.cli", *base, "--jobs", "1", "--out", str(whole)],
        env=ENV,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    args = [*base, "--jobs", "2", "--checkpoint-every", "0.005", "--out", str(killed)]
    sweep = subprocess.Popen(
        [sys.executable, "-m", "mirl.cli", *args],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Until both jobs, one per worker, have a whole checkpoint: its JSON, written after the
    # state it vouches for (a state alone, killed before its JSON, is not one to resume).
    while sweep.poll() is None and len({p.parent for p in killed.rglob("step-*.json")}) < 2:
        time.sleep(0.05)
    victims = worker_pids(sweep.pid)
    assert victims, "no worker processes"
    os.kill(victims[0], signal.SIGKILL)
    _, err = sweep.communicate(timeout=600)
    assert sweep.returncode == 0, err.decode()
    assert "a worker died (exit code -9)" in err.decode()
    records = [json.loads(p.read_text())["record"] for p in killed.rglob("seed-*.json")]
    assert any("resumed_from_step" in r["meta"] for r in records), err.decode()
    pd.testing.assert_frame_equal(rows(killed), rows(whole), check_exact=True)
