"""The Ray backend against a real Ray cluster: a head node started with ``ray start`` on this
machine, reached through its address as ``mirl run --address`` would."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import torch

pytest.importorskip("ray")

from mirl import results
from mirl.experiments import experiment_specs
from mirl.results.backends import Local, Options, Ray
from mirl.results.backends import ray as ray_backend
from mirl.results.backends.ray import _remote_failure
from mirl.results.execution import Context, unpack
from mirl.results.plan import SweepSummary, plan
from mirl.results.progress import Progress
from mirl.results.sink import Sink
from mirl.results.store import ResultStore

SEEDS = [0, 1]
STARTUP_TIMEOUT = 90.0


@dataclass
class Cluster:
    address: str
    crash_dir: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A two-CPU Ray head node in a subprocess (``ray start --block``, every port free-picked,
    token auth off on loopback), and a folder of crash counters (see ``crashing_workers``);
    terminated (that process and its children only) after the module."""
    temp = Path(tempfile.mkdtemp(prefix="mirl-ray-"))  # short: Ray's socket paths must fit
    crash_dir = temp / "crash"
    crash_dir.mkdir()
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "ray.scripts.scripts",
        "start",
        "--head",
        "--block",
        f"--port={port}",
        f"--ray-client-server-port={_free_port()}",
        f"--dashboard-port={_free_port()}",
        f"--dashboard-agent-listen-port={_free_port()}",
        "--num-cpus=2",
        "--num-gpus=0",
        "--include-dashboard=false",
        "--disable-usage-stats",
        f"--temp-dir={temp / 'ray'}",
    ]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    log_path = temp / "ray-start.log"
    with pytest.MonkeyPatch.context() as mp, open(log_path, "w") as log:
        mp.setenv("RAY_AUTH_MODE", "disabled")
        head = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while "Ray runtime started" not in log_path.read_text():
                if head.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"ray start failed:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            yield Cluster(f"127.0.0.1:{port}", crash_dir)
        finally:
            head.terminate()  # --block: stops the processes this head node started
            head.wait(timeout=60)
            shutil.rmtree(temp, ignore_errors=True)


SPECS = experiment_specs("critic_impact", "smoke")[:2] + experiment_specs("noniid", "smoke")
SPEC = {(s.experiment, s.name): s for s in SPECS}
CRASH_ONCE = SPEC["noniid", "iid-infonce"]  # its worker is killed once, then the retry runs
ALWAYS = SPEC["noniid", "iid-nwj"]  # its worker is killed on every attempt
MAX_RETRIES = 1


def crashing_workers(crash_dir: Path):
    """The Ray task function, as a closure (so Ray ships it by value to the workers) that
    first exits the worker process abruptly, as a killed worker would, while the counter
    file ``<experiment>.<run name>`` in ``crash_dir`` holds n > 0 (writing n - 1 back)."""
    train_remote = ray_backend._train_remote

    def crashing(payload, context):
        job = unpack(payload, context)
        counter = crash_dir / f"{job.spec.experiment}.{job.spec.name}"
        left = int(counter.read_text()) if counter.exists() else 0
        if left > 0:
            counter.write_text(str(left - 1))
            os._exit(1)
        return train_remote(payload, context)

    return crashing


def _run(spec) -> str:
    return f"{spec.experiment}/{spec.name}"


def _ray_sweep(out: Path, cluster: Cluster) -> tuple[list, SweepSummary, str]:
    """Plan ``SPECS`` x ``SEEDS`` into ``out`` and run what is left through the cluster's
    address; return the jobs, the summary and the progress log."""
    store = ResultStore(out)
    jobs, summary = plan(store, SPECS, SEEDS)
    stream = io.StringIO()
    progress = Progress(jobs, stream=stream)
    backend = Ray(Options(max_retries=MAX_RETRIES, address=cluster.address))
    backend.run(jobs, Context("synthetic", "cpu"), Sink(store, summary, progress))
    progress.close()
    return jobs, summary, stream.getvalue()


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order, without wall-time columns."""
    keep = [c for c in frame.columns if "seconds" not in c]
    order = ["experiment", "name", "seed", "step"]
    return frame[keep].sort_values(order).reset_index(drop=True)


def _records(out: Path) -> dict[str, int]:
    """Every stored record (and array file) under ``out``, with its modification time."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in (out / "runs").rglob("seed-*")}


@dataclass
class FirstSweep:
    out: Path
    summary: SweepSummary
    log: str
    crashes_left: dict[str, int]
    frame: pd.DataFrame
    records: dict[str, int]


@pytest.fixture(scope="module")
def first(cluster, tmp_path_factory) -> FirstSweep:
    """A sweep in which one run's worker is killed once and another's on every attempt."""
    out = tmp_path_factory.mktemp("ray-sweep")
    counters = {_run(CRASH_ONCE): 1, _run(ALWAYS): 5}
    for spec in (CRASH_ONCE, ALWAYS):
        (cluster.crash_dir / f"{spec.experiment}.{spec.name}").write_text(str(counters[_run(spec)]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ray_backend, "_train_remote", crashing_workers(cluster.crash_dir))
        _, summary, log = _ray_sweep(out, cluster)
    left = {
        _run(spec): int((cluster.crash_dir / f"{spec.experiment}.{spec.name}").read_text())
        for spec in (CRASH_ONCE, ALWAYS)
    }
    return FirstSweep(out, summary, log, left, _comparable(results.load(out)), _records(out))


@dataclass
class Resumed:
    jobs: list
    summary: SweepSummary
    jobs_after: list


def _local_sweep(out: Path) -> tuple[list, SweepSummary]:
    """Plan ``SPECS`` x ``SEEDS`` into ``out`` and train what is left with the local backend,
    on one thread as Ray's one-CPU workers train (so that float sums run in the same order)."""
    store = ResultStore(out)
    jobs, summary = plan(store, SPECS, SEEDS)
    threads = torch.get_num_threads()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("MIRL_THREADS", "1")
            sink = Sink(store, summary, Progress(jobs, True))
            Local(Options()).run(jobs, Context("synthetic", "cpu"), sink)
    finally:
        torch.set_num_threads(threads)
    return jobs, summary


@pytest.fixture(scope="module")
def resumed(first, cluster) -> Resumed:
    """``first``'s sweep resumed on its directory once nothing dies, by the local backend (the
    backends share the store, so either resumes the other's sweeps; and it saves a Ray job)."""
    jobs, summary = _local_sweep(first.out)
    jobs_after, summary_after, _ = _ray_sweep(first.out, cluster)
    assert summary_after.trained == []
    return Resumed(jobs, summary, jobs_after)


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> pd.DataFrame:
    """The local backend's rows for ``SPECS`` x ``SEEDS``."""
    out = tmp_path_factory.mktemp("local")
    _, summary = _local_sweep(out)
    assert summary.ok
    return _comparable(results.load(out))


def _assert_same_rows(remote: pd.DataFrame, local: pd.DataFrame) -> None:
    """Equal to the last bit: same seeds, same single-threaded float order."""
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


def test_every_seed_is_stored_once(first):
    expected = sorted(f"runs/{s.experiment}/{s.name}/seed-{k}.json" for s in SPECS for k in SEEDS)
    assert sorted(p for p in first.records if p.endswith(".json")) == expected
    ok = sorted((_run(s), k) for s in SPECS if s != ALWAYS for k in SEEDS)
    assert sorted(first.summary.trained) == ok
    store = ResultStore(first.out)
    for spec in SPECS:
        for seed in SEEDS:
            record = store.read(store.path(spec, seed))
            assert record.status == ("failed" if spec == ALWAYS else "ok")
            assert record.meta["backend"] == "ray"
            assert record.meta["seed_group"] == SEEDS
            assert [row["step"] for row in record.rows] == (
                [] if spec == ALWAYS else spec.eval_steps
            )
    assert f"[{len(SPECS)}/{len(SPECS)}]" in first.log


def test_a_killed_worker_is_retried(first, local):
    assert first.crashes_left[_run(CRASH_ONCE)] == 0  # its first attempt did die
    assert [(r, k) for r, k in first.summary.trained if r == _run(CRASH_ONCE)] == [
        (_run(CRASH_ONCE), k) for k in SEEDS
    ]
    mine = first.frame[first.frame.name == CRASH_ONCE.name].reset_index(drop=True)
    assert len(mine) == len(CRASH_ONCE.eval_steps) * len(SEEDS)
    _assert_same_rows(mine, local[local.name == CRASH_ONCE.name].reset_index(drop=True))


def test_a_worker_that_keeps_dying_is_reported_failed(first):
    assert first.crashes_left[_run(ALWAYS)] == 5 - (MAX_RETRIES + 1)  # no more tries than asked
    assert [(r, k) for r, k, _ in first.summary.failed] == [(_run(ALWAYS), k) for k in SEEDS]
    for *_, error in first.summary.failed:
        assert error.startswith(f"RuntimeError: Ray worker lost on all {MAX_RETRIES + 1} attempts")
    assert [(r.name, r.seed) for r in results.failures(first.out)] == [
        (ALWAYS.name, k) for k in SEEDS
    ]


def test_rows_equal_the_local_backend(first, resumed, local):
    done = local[local.name != ALWAYS.name].reset_index(drop=True)
    _assert_same_rows(first.frame, done)
    assert len(local) == sum(len(s.eval_steps) for s in SPECS) * len(SEEDS)
    _assert_same_rows(_comparable(results.load(first.out)), local)


def test_resume_redoes_only_what_is_not_done(first, resumed):
    assert [(j.spec, j.seeds) for j in resumed.jobs] == [(ALWAYS, SEEDS)]
    assert sorted(resumed.summary.trained) == [(_run(ALWAYS), k) for k in SEEDS]
    assert resumed.summary.ok
    now = _records(first.out)
    untouched = {p: t for p, t in first.records.items() if f"/{ALWAYS.name}/" not in p}
    assert {p: now[p] for p in untouched} == untouched
    assert resumed.jobs_after == []  # a third run (through Ray) trained nothing


def test_missing_ray_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)
    store = ResultStore(tmp_path)
    jobs, summary = plan(store, SPECS[:1], SEEDS)
    sink = Sink(store, summary, Progress(jobs, quiet=True))
    with pytest.raises(ImportError, match=r"pip install mirl\[ray\]"):
        Ray(Options()).run(jobs, Context("synthetic", "cpu"), sink)


def test_remote_failures_say_what_happened():
    import ray

    crashed = _remote_failure(ray, ray.exceptions.WorkerCrashedError(), max_retries=2)
    assert str(crashed).startswith("Ray worker lost on all 3 attempts (WorkerCrashedError: ")
    raised = ray.exceptions.RayTaskError("_train_remote", "Traceback ...", ImportError("no mirl"))
    assert str(_remote_failure(ray, raised, max_retries=2)) == (
        "Ray task failed in the worker: ImportError: no mirl"
    )
