"""The ``ray`` backend: a sweep on a Ray cluster, one remote task per job, stored by the
driver.

Workers load the sweep's sources and their own data (once per worker process), train with
the worker body every backend shares (``mirl.results.execution.run_job``) and send back
their ``SeedResult``s with their provenance; the driver's sink stores each job the moment
it finishes. The store stays the one source of truth: a killed driver loses only the jobs
in flight, and rerunning the sweep (with any backend) skips every finished seed.

A worker process that dies (killed, out of host memory) is retried by Ray up to
``max_retries`` times; if it still fails, its seeds are recorded as failed with the error.
A run that raises inside a worker (a diverged loss, a bad setting) is recorded as failed at
once, as in the local backend: retrying it would fail again.

Needs ``pip install mirl[ray]``. The driver fetches MNIST into its cache before submitting;
on a multi-node cluster every node needs mirl installed, and MNIST cached (``mirl data
fetch``, with ``MIRL_DATA`` set alike) or a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import torch

from mirl.data import fetch_mnist
from mirl.data.views import DATA_KINDS
from mirl.results.execution import Context, failed_results, lost_meta, pack, run_job, unpack
from mirl.results.plan import Job
from mirl.results.sink import Sink
from mirl.runtime.devices import configure_threads
from mirl.runtime.kinds import kind_of
from mirl.runtime.outcome import SeedResult

DEVICES = ("cpu", "cuda")
POLL_SECONDS = 1.0
"""The longest the driver waits for a result before it ticks the progress display."""


def _import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise ImportError(
            "the Ray backend needs Ray: pip install mirl[ray] (or pip install 'ray[default]')"
        ) from None
    return ray


def _train_remote(payload: bytes, context: Context) -> tuple[list[SeedResult], dict]:
    """Runs in a Ray worker: train the packed job; return its results and the worker's
    provenance.

    Under Ray, ``"cuda"`` is the one GPU the task was given (Ray sets CUDA_VISIBLE_DEVICES);
    the task was given one CPU, so torch gets one thread (``MIRL_THREADS`` overrides).
    """
    configure_threads(1)
    results, meta = run_job(unpack(payload, context), context)
    return results, {**meta, "backend": "ray"}


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


def _check_arguments(context: Context, max_retries: int) -> None:
    if context.data_kind not in DATA_KINDS:
        raise ValueError(f"unknown data {context.data_kind!r}; valid: {', '.join(DATA_KINDS)}")
    if context.device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {context.device!r}")
    if not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries must be a non-negative integer, got {max_retries!r}")


class Ray:
    """Trains every job as a Ray task, each stored by the sink the moment it finishes.

    ``options.address`` is a running cluster's (``host:port``, or ``"auto"``); None starts
    a local cluster for the sweep (or uses ``RAY_ADDRESS`` if set). If this process is
    already connected to Ray, that connection is used and left open; otherwise the
    connection made here is closed at the end (which stops a local cluster started here,
    and only that). Each task asks for one CPU and, on ``"cuda"``, one GPU; a worker that
    dies is retried ``options.max_retries`` times, then its seeds are recorded failed.
    Remote workers cannot report their steps: the progress moves by whole jobs.
    """

    def __init__(self, options):
        self.address, self.max_retries = options.address, options.max_retries

    def run(self, jobs: Sequence[Job], context: Context, sink: Sink) -> None:
        if not jobs:
            return
        ray = _import_ray()
        context = Context(
            context.data_kind,
            torch.device(context.device).type,
            context.capture,
            context.sources,
        )
        _check_arguments(context, self.max_retries)
        if context.data_kind == "mnist" and any(kind_of(j.spec).uses_images for j in jobs):
            fetch_mnist()  # once, here, rather than by every worker at once on a shared disk
        connected_here = not ray.is_initialized()
        if connected_here:
            # Workers' OpenMP threads sleep while they wait (see mirl.runtime.devices).
            ray.init(address=self.address, runtime_env={"env_vars": {"OMP_WAIT_POLICY": "PASSIVE"}})
        pending = {}
        try:
            if context.device == "cuda" and ray.cluster_resources().get("GPU", 0) < 1:
                raise ValueError("device 'cuda' asked for, but the Ray cluster has no GPU")
            remote = ray.remote(_train_remote).options(
                num_cpus=1,
                num_gpus=1 if context.device == "cuda" else 0,
                max_retries=self.max_retries,
                retry_exceptions=False,
            )
            pending = {remote.remote(pack(job), context): job for job in jobs}
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_SECONDS)
                sink.tick()  # off a terminal, a line at least every interval while waiting
                if not ready:
                    continue
                [ref] = ready
                job = pending.pop(ref)
                try:
                    results, meta = ray.get(ref)
                    seconds = max((r.seconds for r in results), default=None)
                except ray.exceptions.RayError as error:
                    failure = _remote_failure(ray, error, self.max_retries)
                    results = failed_results(job.seeds, failure)
                    meta, seconds = lost_meta(context, job.seeds, "ray"), None
                sink.finished(job, results, meta, seconds)
        finally:
            for ref in pending:  # interrupted: stop the tasks whose results nobody will store
                ray.cancel(ref, force=True)
            if connected_here:
                ray.shutdown()
