"""Where a sweep's results land: the ``Sink`` every backend reports to, which stores each
finished seed in the sweep's own process and moves its progress display."""

from __future__ import annotations

import contextlib
import platform
import signal
import sys
import threading
from collections.abc import Sequence

import torch

from mirl.results.checkpoints import discard
from mirl.results.plan import Job, SweepSummary
from mirl.results.progress import Progress
from mirl.results.store import ResultStore
from mirl.runtime.devices import device_name
from mirl.runtime.outcome import SeedResult
from mirl.runtime.sources import LOADED


def record_meta(device: torch.device | str, group: Sequence[int]) -> dict:
    """Provenance stored with every record."""
    from mirl import __version__

    device = torch.device(device)
    meta = {
        "mirl_version": __version__,
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "device": str(device),
        "device_name": device_name(device),
        "host": platform.node(),
        "seed_group": list(group),
    }
    if LOADED:  # the files and modules that define what the run names
        meta["sources"] = list(LOADED)
    return meta


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM back while the block runs (a few milliseconds: storing a
    job's records), so that a finished seed is stored whole before an interruption acts;
    a signal that came meanwhile is raised again at the end of the block.

    Python runs signal handlers in the main thread whichever thread the signal reached, so
    this swaps the handlers there rather than masking the signal (a mask is per thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    signums = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: held.append(signum)) for s in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            signal.raise_signal(held[0])


class Sink:
    """Where a backend reports its jobs: the one path by which results reach the store and
    the progress display, whatever trains them.

    ``steps(job, n)``: the job has done n steps (from a training loop, a worker's messages,
    or, for a backend that cannot follow steps, once with all of them when it is done);
    ``finished``: its seeds' results, stored here at once; ``restarted``: the job begins
    again (its worker died; ``why`` says so); ``tick``: nothing new, time passes (a log
    line is due now and then).
    """

    def __init__(self, store: ResultStore, summary: SweepSummary, progress: Progress):
        self.store, self.summary, self.progress = store, summary, progress

    def steps(self, job: Job, done: int) -> None:
        self.progress.update(job, done)

    def finished(
        self,
        job: Job,
        results: Sequence[SeedResult],
        meta: dict,
        seconds: float | None = None,
    ) -> None:
        """Store ``job``'s seeds and account for them; ``seconds`` (default: since the job's
        first report) goes in the log."""
        run = job.spec.run_id
        with signals_deferred():
            for result in results:
                self.store.write(job.spec, result, meta, job.data)
                if result.ok:
                    self.summary.trained.append((run, result.seed))
                else:
                    self.summary.failed.append((run, result.seed, result.error))
        if all(r.ok for r in results):  # kept otherwise: a rerun redoes it from them
            discard(self.store.root, job)
        resumed = meta.get("resumed_from_step")
        self.progress.finish(job, seconds, "" if resumed is None else f"resumed at step {resumed}")

    def restarted(self, job: Job, why: str) -> None:
        self.progress.note(why)
        self.progress.restart(job)

    def note(self, message: str) -> None:
        self.progress.note(message)

    def tick(self) -> None:
        self.progress.tick()
