"""Sweeps survive crashes: a SIGKILLed sweep resumes, redoing only what was in flight."""

import os
import signal
import subprocess
import sys
import time

import pytest

from mirl.cli import main
from mirl.experiments import experiment_specs
from mirl.results import load
from mirl.results.store import ResultStore

SEEDS = 3
EXPECTED_STEPS = [0, 50, 100]  # every 50 steps, and the final model
ARGS = [
    "run",
    "critic_impact",
    "--profile",
    "smoke",
    "--data",
    "synthetic",
    "--steps",
    "100",
    "--evals",
    "2",
    "--seeds",
    str(SEEDS),
    "--group-size",
    "1",
    "--device",
    "cpu",
]


def records(out):
    return {p: p.read_bytes() for p in (out / "runs").rglob("seed-*.json")}


def test_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "mirl.cli", *ARGS, "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while (len(records(out)) if (out / "runs").exists() else 0) < 4:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    before = records(out)
    total = len(experiment_specs("critic_impact", "smoke")) * SEEDS
    assert 4 <= len(before) < total, "the kill must land mid-sweep"
    assert main([*ARGS, "--out", str(out), "--quiet"]) == 0

    after = records(out)
    assert len(after) == total
    for path, blob in before.items():
        assert after[path] == blob, f"{path} was retrained"
    frame = load(out)
    keys = frame.groupby(["name", "seed", "step"]).size()
    assert (keys == 1).all()  # every (run, seed, step) exactly once
    assert len(keys) == total * len(EXPECTED_STEPS)
    assert sorted(frame.step.unique()) == EXPECTED_STEPS
    _, corrupt = ResultStore(out).scan()
    assert corrupt == []


def test_rerun_skips_finished_work_and_refuses_other_settings(tmp_path, capsys):
    args = [
        "run",
        "noniid",
        "--profile",
        "smoke",
        "--data",
        "synthetic",
        "--seeds",
        "2",
        "--out",
        str(tmp_path),
        "--quiet",
    ]
    assert main(args) == 0
    assert "trained 8 seed runs" in capsys.readouterr().out
    assert main(args) == 0
    assert "trained 0 seed runs, skipped 8 already done" in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r"other settings .*steps: stored 40, asked 50"):
        main([*args, "--steps", "50"])


def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path, capsys):
    args = [
        "run",
        "critic_impact",
        "--profile",
        "smoke",
        "--data",
        "synthetic",
        "--seeds",
        "1",
        "--out",
        str(tmp_path),
        "--quiet",
        "--lr",
        "1e6",
        "--steps",
        "30",
    ]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "FAILED critic_impact/" in out and "became NaN/inf at step" in out
    records_, _ = ResultStore(tmp_path).scan()
    assert len(records_) == 6  # every run recorded, failed or not


def test_a_group_that_runs_out_of_device_memory_splits_in_halves(monkeypatch):
    import torch

    from mirl.results import execution
    from mirl.runtime.outcome import SeedResult

    calls = []

    def fake_train(spec, seeds, **kwargs):
        calls.append(list(seeds))
        if len(seeds) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return [SeedResult(s, rows=[{"step": 0}]) for s in seeds]

    monkeypatch.setattr(execution, "train", fake_train)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    spec = experiment_specs("noniid", "smoke")[0]
    job = execution.Job(spec, [0, 1, 2, 3, 4])
    results, _ = execution.run_job(job, execution.Context(device="cpu"))
    assert [r.seed for r in results] == [0, 1, 2, 3, 4] and all(r.ok for r in results)
    assert calls == [[0, 1, 2, 3, 4], [0, 1], [2, 3, 4], [2], [3, 4]]


def test_a_signal_while_records_are_stored_acts_once_they_are_whole():
    from mirl.results.sink import signals_deferred

    done = []
    with pytest.raises(KeyboardInterrupt), signals_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # a handler would have run by now
        done.append("stored")
    assert done == ["stored"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
