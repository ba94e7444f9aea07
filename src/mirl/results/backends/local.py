"""The ``local`` backend: one job after another, in the sweep's own process."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from mirl.results.execution import Context, run_job
from mirl.results.plan import Job
from mirl.results.sink import Sink
from mirl.runtime.devices import available_cores, configure_threads, probe_workers


class Local:
    """Trains one job after another here, torch on every core (or ``MIRL_THREADS``), saga
    probes on a thread pool beside a GPU's training."""

    def __init__(self, options=None):
        self.options = options

    def run(self, jobs: Sequence[Job], context: Context, sink: Sink) -> None:
        configure_threads(available_cores())
        workers = probe_workers(context.device)
        executor = ThreadPoolExecutor(workers) if workers else None
        try:
            for job in jobs:
                sink.steps(job, 0)
                results, meta = run_job(
                    job, context, lambda n, job=job: sink.steps(job, n), executor
                )
                sink.finished(job, results, {**meta, "backend": "local"})
        finally:
            if executor is not None:  # interrupted: do not wait for probes nobody will store
                executor.shutdown(wait=False, cancel_futures=True)
