"""Run a sweep on a Ray cluster: one remote task per (run, seed group), stored by the driver.

Workers load their own data (once per worker process), train with ``sweep.train_task`` and
send back their ``SeedResult``s with their provenance; the driver stores each task with
``sweep.collect`` the moment it finishes, as ``sweep.run_local`` does. The store stays the
one source of truth: a killed driver loses only the tasks in flight, and rerunning the
sweep (with either backend) skips every finished seed.

A worker process that dies (killed, out of host memory) is retried by Ray up to
``max_retries`` times; if it still fails, its seeds are recorded as failed with the error.
A run that raises inside a worker (a diverged loss, a bad setting) is recorded as failed at
once, as in the local backend: retrying it would fail again.

Needs ``pip install mirl[ray]``. The driver fetches MNIST into its cache before submitting;
on a multi-node cluster every node needs mirl installed, and MNIST cached (``mirl data
fetch``, with ``MIRL_DATA`` set alike) or a network.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import ModuleType

import torch

from mirl.data import ImageData, fetch_mnist
from mirl.data.views import DATA_KINDS
from mirl.results.kinds import kind_of
from mirl.results.progress import Progress
from mirl.results.store import ResultStore
from mirl.results.sweep import (
    SweepSummary,
    Task,
    check_data,
    collect,
    failed_results,
    record_meta,
    train_task,
)
from mirl.runtime.devices import configure_threads
from mirl.runtime.outcome import SeedResult

DEVICES = ("cpu", "cuda")

_WORKER_DATA: dict[tuple[str, str], ImageData] = {}
"""MNIST (or the synthetic stand-in) on the worker's device, loaded once per worker process."""


def _import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "the Ray backend needs Ray: pip install mirl[ray] (or pip install 'ray[default]')"
        ) from None
    return ray


def _worker_data(kind: str, device: torch.device) -> ImageData:
    key = (kind, str(device))
    if key not in _WORKER_DATA:
        _WORKER_DATA[key] = ImageData.load(kind, device)
    return _WORKER_DATA[key]


def _train_remote(
    task: Task, data_kind: str, device: str, capture: bool | None = None
) -> tuple[list[SeedResult], dict]:
    """Runs in a Ray worker: train ``task``; return its results and the worker's provenance.

    Under Ray, ``"cuda"`` is the one GPU the task was given (Ray sets CUDA_VISIBLE_DEVICES);
    the task was given one CPU, so torch gets one thread (``MIRL_THREADS`` overrides).
    """
    configure_threads(1)
    where = torch.device(device)
    meta = {**record_meta(where, task.seeds), "backend": "ray"}
    try:
        uses_images = kind_of(task.spec).uses_images
        data = _worker_data(data_kind, where) if uses_images else None
        if data is not None:  # a node whose MNIST cache differs from the driver's
            check_data(data, task)
        results = train_task(task, data, where, None, capture=capture)
    except Exception as error:  # a run that raises is recorded as failed; the sweep goes on
        results = failed_results(task.seeds, error)
    return results, meta


def _lost_meta(device: str, seeds: Sequence[int]) -> dict:
    """Provenance for seeds whose worker never reported back: the driver's versions, and no
    host or device name, since no worker is left to describe them."""
    return {
        **record_meta("cpu", seeds),
        "device": device,
        "device_name": None,
        "host": None,
        "backend": "ray",
    }


def _remote_failure(ray: ModuleType, error: Exception, max_retries: int) -> RuntimeError:
    """Why a task brought back no results: its worker died on every attempt, or the task
    raised outside training (e.g. mirl could not be imported on the worker's node)."""
    if isinstance(error, ray.exceptions.RayTaskError):
        cause = getattr(error, "cause", None) or error
        return RuntimeError(f"Ray task failed in the worker: {type(cause).__name__}: {cause}")
    first_line = next(iter(str(error).strip().splitlines()), "")
    return RuntimeError(
        f"Ray worker lost on all {max_retries + 1} attempts ({type(error).__name__}: {first_line})"
    )


def _report_done(progress: Progress, task: Task, seconds: float | None) -> None:
    """Count one finished task (and its steps) on ``progress``: remote workers cannot report
    steps as they go, so the bar moves by whole tasks; ``seconds`` is the worker's time."""
    progress.start_task(task)
    progress.step(task.steps)
    progress.finish_task(task, seconds)


def _check_arguments(data_kind: str, device: str, max_retries: int) -> None:
    if data_kind not in DATA_KINDS:
        raise ValueError(f"unknown data {data_kind!r}; valid: {', '.join(DATA_KINDS)}")
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be a non-negative integer, got {max_retries!r}")


def run_ray(
    tasks: Sequence[Task],
    store: ResultStore,
    summary: SweepSummary,
    data_kind: str,
    device: str | torch.device,
    progress: Progress,
    address: str | None = None,
    max_retries: int = 2,
    capture: bool | None = None,
) -> SweepSummary:
    """Train ``tasks`` on a Ray cluster, storing each task's seeds as soon as it finishes.

    ``address`` is a running cluster's (``host:port``, or ``"auto"``); None starts a local
    cluster for the sweep (or uses ``RAY_ADDRESS`` if set). If this process is already
    connected to Ray, that connection is used and left open; otherwise the connection made
    here is closed at the end (which stops a local cluster started here, and only that).
    ``data_kind`` is ``"mnist"`` or ``"synthetic"``; each task asks for one CPU and, when
    ``device`` is ``"cuda"``, one GPU. A worker that dies is retried ``max_retries`` times.
    """
    if not tasks:
        return summary
    ray = _import_ray()
    device = torch.device(device).type
    _check_arguments(data_kind, device, max_retries)
    if data_kind == "mnist" and any(kind_of(t.spec).uses_images for t in tasks):
        fetch_mnist()  # once, here, rather than by every worker at once on a shared disk
    connected_here = not ray.is_initialized()
    if connected_here:
        # Workers' OpenMP threads sleep while they wait (see mirl.runtime.devices).
        ray.init(address=address, runtime_env={"env_vars": {"OMP_WAIT_POLICY": "PASSIVE"}})
    start = time.perf_counter()
    pending = {}
    try:
        if device == "cuda" and ray.cluster_resources().get("GPU", 0) < 1:
            raise ValueError("device 'cuda' asked for, but the Ray cluster has no GPU")
        remote = ray.remote(_train_remote).options(
            num_cpus=1,
            num_gpus=1 if device == "cuda" else 0,
            max_retries=max_retries,
            retry_exceptions=False,
        )
        pending = {remote.remote(task, data_kind, device, capture): task for task in tasks}
        while pending:
            ready, _ = ray.wait(
                list(pending), num_returns=1, timeout=max(progress.interval / 2, 1.0)
            )
            progress.tick()  # off a terminal, a line at least every interval while waiting
            if not ready:
                continue
            [ref] = ready
            task = pending.pop(ref)
            try:
                results, meta = ray.get(ref)
            except ray.exceptions.RayError as error:
                failure = _remote_failure(ray, error, max_retries)
                results, meta = failed_results(task.seeds, failure), _lost_meta(device, task.seeds)
            collect(task, results, store, summary, meta)
            _report_done(progress, task, max((r.seconds for r in results), default=None))
    finally:
        for ref in pending:  # interrupted: stop the tasks whose results nobody will store
            ray.cancel(ref, force=True)
        summary.seconds += time.perf_counter() - start
        if connected_here:
            ray.shutdown()
    return summary
