"""Several runs in flight in worker processes: the same records as one process, and a
worker that dies is reported and its job redone with nothing stored lost."""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from mirl.cli import main
from mirl.experiments import experiment_specs
from mirl.results import load
from mirl.results.backends import Local, Options, WorkerProcesses
from mirl.results.backends.processes import check_jobs, job_cost
from mirl.results.execution import Context
from mirl.results.plan import Job, plan
from mirl.results.progress import Progress
from mirl.results.sink import Sink
from mirl.results.store import ResultStore

SPECS = experiment_specs("critic_impact", "smoke")[:2] + experiment_specs("noniid", "smoke")[:2]
SEEDS = [0, 1]
CPU = torch.device("cpu")


def comparable(out) -> pd.DataFrame:
    frame = load(out)
    keep = [c for c in frame.columns if "seconds" not in c]
    order = ["experiment", "name", "seed", "step"]
    return frame[keep].sort_values(order).reset_index(drop=True)


def sweep(out, jobs: int | None, progress_class=Progress) -> tuple[object, str]:
    """Train SPECS x SEEDS into ``out`` here (``jobs`` None) or in ``jobs`` worker processes."""
    from mirl.data.views import data_summary

    store = ResultStore(out)
    todo, summary = plan(store, SPECS, SEEDS, 1, data_summary("synthetic"))
    stream = io.StringIO()
    progress = progress_class(todo, stream=stream)
    backend = Local(Options()) if jobs is None else WorkerProcesses(Options(jobs=jobs))
    backend.run(todo, Context("synthetic", "cpu"), Sink(store, summary, progress))
    progress.close()
    return summary, stream.getvalue()


@pytest.fixture(scope="module")
def alone(tmp_path_factory):
    # On one thread, as each worker trains: a parallel reduction's rounding may depend on
    # the number of threads that share it.
    out = tmp_path_factory.mktemp("alone")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIRL_THREADS", "1")
        summary, _ = sweep(out, None)
    assert summary.ok
    return comparable(out)


def test_worker_processes_store_what_one_process_stores(tmp_path, alone):
    summary, _ = sweep(tmp_path, 2)
    assert summary.ok and len(summary.trained) == len(SPECS) * len(SEEDS)
    pd.testing.assert_frame_equal(comparable(tmp_path), alone)


class KillsOneWorker(Progress):
    """Kills a worker process the first time a task is handed out after the first one."""

    killed = False

    def update(self, job, steps_done: int) -> None:
        super().update(job, steps_done)
        if not KillsOneWorker.killed and len(self._running) == 2:
            worker = multiprocessing.active_children()[0]
            os.kill(worker.pid, signal.SIGKILL)
            KillsOneWorker.killed = True


def test_a_killed_worker_is_reported_and_its_job_redone(tmp_path, alone):
    summary, log = sweep(tmp_path, 2, KillsOneWorker)
    assert KillsOneWorker.killed
    assert "a worker died (exit code -9)" in log
    assert summary.ok and len(summary.trained) == len(SPECS) * len(SEEDS)
    pd.testing.assert_frame_equal(comparable(tmp_path), alone)


def test_bad_job_counts_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="--jobs must be at least 1, got 0"):
        check_jobs(0, CPU)
    with pytest.raises(ValueError, match=r"exceeds the \d+ CPU cores"):
        check_jobs(10_000, CPU)
    with pytest.raises(SystemExit, match="mirl: --jobs must be at least 1, got 0"):
        main(["run", "noniid", "--profile", "smoke", "--jobs", "0", "--out", "/nonexistent"])
    with pytest.raises(SystemExit, match="--jobs takes a number or 'auto'"):
        main(["run", "noniid", "--profile", "smoke", "--jobs", "many", "--out", "/nonexistent"])


def test_the_longest_jobs_go_first():
    flow = Job(experiment_specs("invertible", "paper")[0], [0, 1])
    mlp = Job(experiment_specs("critic_impact", "paper")[0], [0, 1])
    noniid = Job(experiment_specs("noniid", "paper")[0], [0, 1])
    assert job_cost(flow) > job_cost(mlp) > job_cost(noniid)
    assert job_cost(Job(mlp.spec, [0, 1, 2, 3])) == 2 * job_cost(mlp)


def test_on_the_cpu_a_sweep_worth_it_takes_one_single_threaded_job_per_core(monkeypatch):
    import mirl.results.backends.processes as processes

    monkeypatch.setattr(processes, "available_cores", lambda: 2)

    def jobs(profile: str) -> list[Job]:
        return [Job(spec, [0, 1]) for spec in experiment_specs("critic_impact", profile)]

    assert processes.default_jobs(CPU, jobs("smoke")) == 1  # seconds of work: no processes
    assert processes.default_jobs(CPU, jobs("quick")) == 2
    assert processes.default_jobs(CPU, jobs("quick")[:1]) == 1
    monkeypatch.setattr(processes, "available_cores", lambda: 64)
    assert processes.default_jobs(CPU, jobs("quick")) == 6  # no more jobs than runs


def test_jobs_at_once_are_as_many_as_the_memory_holds(monkeypatch):
    """Two groups of seeds that fit the memory alone, but not together: ``auto`` takes one
    job at a time, and ``--jobs 2`` is refused naming the memory they need."""
    import mirl._memory
    import mirl.results.backends.processes as processes

    monkeypatch.setattr(processes, "available_cores", lambda: 2)
    work = [Job(spec, [0, 1]) for spec in experiment_specs("critic_impact", "quick")]
    needs = sorted(processes._memory_needs(work), reverse=True)
    monkeypatch.setattr(mirl._memory, "available_memory", lambda device="cpu": needs[0] + 1)
    assert needs[0] + needs[1] > needs[0] + 1
    assert processes.default_jobs(CPU, work) == 1
    with pytest.raises(ValueError) as refused:
        check_jobs(2, CPU, work)
    assert str(refused.value).startswith(
        "--jobs 2 (the 2 largest groups of seeds, trained at once) needs about"
    )
    assert "(--jobs 1 fits); this machine has" in str(refused.value)
    check_jobs(1, CPU, work)
    monkeypatch.setattr(mirl._memory, "available_memory", lambda device="cpu": sum(needs))
    assert processes.default_jobs(CPU, work) == 2
    check_jobs(2, CPU, work)


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_end_when_the_main_process_is_killed(tmp_path):
    args = ["run", "critic_impact", "--profile", "smoke", "--data", "synthetic", "--steps"]
    args += ["3000", "--group-size", "1", "--jobs", "2", "--quiet", "--out", str(tmp_path)]
    proc = subprocess.Popen([sys.executable, "-m", "mirl.cli", *args], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2:  # the two workers and multiprocessing's resource tracker
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no worker processes started"
        workers = [p for p in children(proc.pid) if "spawn_main" in cmdline(p)]
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in workers if alive(p)]
    for pid in left:  # leave no process behind, whatever the outcome
        os.kill(pid, signal.SIGKILL)
    assert left == [], "worker processes outlived the killed sweep"


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_text()
    return ""


@pytest.mark.slow
def test_ctrl_c_with_jobs_is_one_line_and_the_rerun_resumes(tmp_path):
    """Ctrl-C reaches the whole process group, workers included: they end without a
    traceback, the main process says in one line what it stored, and the same command
    resumes from there."""
    args = ["run", "critic_impact", "--profile", "smoke", "--data", "synthetic", "--seeds", "2"]
    args += ["--group-size", "1", "--jobs", "2", "--device", "cpu", "--quiet"]
    args += ["--out", str(tmp_path)]
    command = [sys.executable, "-m", "mirl.cli", *args]
    env = {**os.environ, "MIRL_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a terminal's job is
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.rglob("seed-*.json")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stdout == "", stderr
    stored = len(list(tmp_path.rglob("seed-*.json")))
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert stderr.startswith(f"mirl: interrupted: {stored} seed")
    assert ResultStore(tmp_path).scan()[1] == []  # nothing stored is damaged
    resumed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"skipped {stored} already done" in resumed.stdout
