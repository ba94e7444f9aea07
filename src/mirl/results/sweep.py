"""A sweep: many runs, each for many seeds, trained into a results directory that it
resumes.

``Sweep(specs, seeds, out)`` plans at once (``mirl.results.plan``: what the store already
holds is skipped; other settings, other data or batches too large for the data are refused
before anything trains); ``run()`` trains what is left on a backend
(``mirl.results.backends``) and returns what it did. Every finished seed is stored as it
arrives, so a killed sweep loses only the jobs in flight, and the same sweep made again
continues where it stopped. The directory's one writer is whoever holds its lock
(``mirl.results.lock.writing``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TextIO

import torch

from mirl._registry import lookup
from mirl.data.views import DATA_KINDS, data_summary
from mirl.results.backends import BACKENDS, Options
from mirl.results.backends.processes import default_jobs
from mirl.results.execution import Context
from mirl.results.live import summary_writer_class
from mirl.results.plan import SweepSummary, plan
from mirl.results.progress import Progress
from mirl.results.sink import Sink
from mirl.results.store import ResultStore
from mirl.runtime.devices import check_environment
from mirl.runtime.kinds import kind_of
from mirl.runtime.run_spec import RunSpec
from mirl.runtime.sources import LOADED

CHECKPOINT_EVERY = 300.0
"""Seconds between two checkpoints of a job, by default (besides one before each of its
evaluations): a job killed loses at most this much of its training."""


class Sweep:
    """``specs`` x ``seeds`` in the results directory ``out``, planned: ``jobs`` still to do
    and ``summary`` of what is done (updated as ``run`` stores seeds).

    ``data`` is the data set the runs on images train on ("mnist" or "synthetic");
    ``group_size`` the most seeds trained at once (default: all of a run's).
    """

    def __init__(
        self,
        specs: Sequence[RunSpec],
        seeds: Sequence[int],
        out: str | os.PathLike,
        *,
        data: str = "mnist",
        group_size: int | None = None,
    ):
        if data not in DATA_KINDS:
            raise ValueError(f"unknown data {data!r}; valid: {', '.join(DATA_KINDS)}")
        seeds = list(seeds)
        if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
            raise ValueError(f"seeds must be a non-empty list of integers >= 0, got {seeds}")
        self.data, self.out = data, out
        self.store = ResultStore(out)
        summary = data_summary(data) if any(kind_of(s).uses_images for s in specs) else None
        self.jobs, self.summary = plan(self.store, specs, seeds, group_size, summary)

    def backend_for(self, device: torch.device, backend: str, jobs: int | str) -> tuple[str, int]:
        """The backend that runs the jobs and the jobs it runs at once: ``local`` with more
        than one job at once (``jobs``, or its default for this device and work: ``"auto"``)
        is the ``processes`` backend."""
        lookup(BACKENDS, backend, "backend")
        if jobs == "auto":
            n = default_jobs(device, self.jobs) if backend in ("local", "processes") else 1
        elif isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs must be at least 1 or 'auto', got {jobs!r}")
        else:
            n = jobs
        if backend == "local" and n > 1 and len(self.jobs) > 1:
            backend = "processes"
        return backend, n

    def run(
        self,
        device: str | torch.device = "cpu",
        *,
        backend: str = "local",
        jobs: int | str = "auto",
        max_retries: int = 2,
        address: str | None = None,
        capture: bool | None = None,
        checkpoint_every: float | None = CHECKPOINT_EVERY,
        quiet: bool = False,
        stream: TextIO | None = None,
        tensorboard: str | os.PathLike | None = None,
    ) -> SweepSummary:
        """Train the jobs still to do on ``backend`` (see ``backend_for``), storing each
        seed as it finishes; a progress display on ``stream`` (default: stderr) unless
        ``quiet``. Each job keeps a checkpoint every ``checkpoint_every`` seconds (and one
        before each evaluation) in the results directory, and resumes from its newest
        (None: no checkpoints). With ``tensorboard``, every evaluation's scalars are written
        there per run and seed as training goes (``mirl.results.live``). Returns the summary:
        seeds trained, skipped, failed, set aside."""
        check_environment()
        if tensorboard is not None:
            summary_writer_class()  # missing, it is an error now rather than in every job
        if checkpoint_every is not None and not checkpoint_every > 0:
            raise ValueError(
                f"checkpoint_every is seconds > 0, or None for none; got {checkpoint_every}"
            )
        device = torch.device(device)
        name, n = self.backend_for(device, backend, jobs)
        options = Options(jobs=n, max_retries=max_retries, address=address)
        context = Context(
            self.data,
            str(device),
            capture,
            tuple(LOADED),
            os.fspath(self.out),
            checkpoint_every,
            None if tensorboard is None else os.path.abspath(tensorboard),
        )
        progress = Progress(self.jobs, quiet=quiet, stream=stream)
        start = time.perf_counter()
        try:
            BACKENDS[name](options).run(
                self.jobs, context, Sink(self.store, self.summary, progress)
            )
        finally:
            progress.close()
            self.summary.seconds += time.perf_counter() - start
        return self.summary
