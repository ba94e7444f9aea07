"""The worker body, written once: what any backend does to train one job.

Whether a job trains in the sweep's own process, in a worker process (``--jobs``) or in a
Ray task, it goes through ``run_job``: load the data set the job trains on (once per
process), check that it is the one the job was planned on, train the job's seeds at once,
split the group in halves if it runs out of GPU memory, and turn an exception into a
failed result for each of its seeds. A ``Context`` carries what every worker needs to
know besides the job: the data set, the device, CUDA-graph capture, the sources (one's
own files, ``mirl.runtime.sources``) to load before a job can be read, and where to write
live metrics (``mirl.results.live``), if anywhere.

A job crosses to another process as bytes (``pack``/``unpack``): unpickled only after the
context's sources are loaded, since it may name a class that only they define.
"""

from __future__ import annotations

import functools
import pickle
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import torch

from mirl.data.views import ImageData
from mirl.results.checkpoints import CheckpointFiles
from mirl.results.live import LiveMetrics
from mirl.results.plan import Job
from mirl.results.sink import record_meta
from mirl.results.store import data_label
from mirl.runtime.kinds import kind_of
from mirl.runtime.loop import OnEvaluation
from mirl.runtime.outcome import SeedResult
from mirl.runtime.sources import load_sources
from mirl.runtime.training import train


@dataclass(frozen=True)
class Context:
    """What every worker needs besides its job: the data set's kind ("mnist" or
    "synthetic"), the device, whether to replay steps as CUDA graphs (None: on CUDA), the
    sources to load before reading a job, and, to keep checkpoints inside the runs, the
    results directory and the seconds between two (None: no checkpoints); and the directory
    to write each evaluation's scalars to for TensorBoard (None: none)."""

    data_kind: str = "mnist"
    device: str = "cpu"
    capture: bool | None = None
    sources: tuple[str, ...] = ()
    out: str | None = None
    checkpoint_every: float | None = None
    tensorboard: str | None = None

    def checkpoints(self, job: Job) -> CheckpointFiles | None:
        """Where ``job`` keeps its checkpoints, if it keeps any."""
        if self.out is None or self.checkpoint_every is None:
            return None
        return CheckpointFiles(self.out, job, self.checkpoint_every, self.device)


@functools.lru_cache(maxsize=2)
def worker_data(kind: str, device: str) -> ImageData:
    """The data set on ``device``, loaded once per process."""
    return ImageData.load(kind, device)


def failed_results(seeds: Sequence[int], error: BaseException) -> list[SeedResult]:
    """A failed result for every seed of a job that raised, naming the error and where."""
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return [SeedResult(seed, error=f"{type(error).__name__}: {error}{at}") for seed in seeds]


def check_data(data: ImageData, job: Job) -> None:
    """Raise ValueError if ``data`` is not the data set ``job`` was planned on."""
    if job.data is not None and data.identity != job.data:
        raise ValueError(
            f"run {job.spec.run_id} was planned on {data_label(job.data)} but the data "
            f"given is {data_label(data.identity)}"
        )


def _train_in_halves(
    job: Job,
    context: Context,
    data: ImageData | None,
    on_step: Callable[[int], None] | None,
    probe_executor: Executor | None,
    on_evaluation: OnEvaluation | None,
) -> tuple[list[SeedResult], list[int]]:
    """Train ``job`` (from its newest checkpoint, where it has one); on a CUDA out-of-memory
    error, split its seeds in two and go on. Also returns the steps it resumed from."""
    checkpoints = context.checkpoints(job)
    try:
        results = train(
            job.spec,
            job.seeds,
            device=context.device,
            data=data,
            on_step=on_step,
            probe_executor=probe_executor,
            capture=context.capture,
            checkpoints=checkpoints,
            on_evaluation=on_evaluation,
        )
        resumed = (
            []
            if checkpoints is None or checkpoints.resumed_from is None
            else [checkpoints.resumed_from]
        )
        return results, resumed
    except torch.cuda.OutOfMemoryError:
        if len(job.seeds) == 1:
            raise
        torch.cuda.empty_cache()
        half = len(job.seeds) // 2
        results, resumed = [], []
        for part in (job.seeds[:half], job.seeds[half:]):
            more, also = _train_in_halves(
                Job(job.spec, part, job.data),
                context,
                data,
                on_step,
                probe_executor,
                on_evaluation,
            )
            results += more
            resumed += also
        return results, resumed


def run_job(
    job: Job,
    context: Context,
    on_step: Callable[[int], None] | None = None,
    probe_executor: Executor | None = None,
) -> tuple[list[SeedResult], dict]:
    """Train ``job`` here: its seeds' results (failed ones if it raised) and the provenance
    stored with them (with the step it resumed from, if it resumed from a checkpoint).
    ``on_step(n)`` is called with the steps done; with ``context.tensorboard``, each
    evaluation's scalars are written there as soon as they are ready."""
    resumed: list[int] = []
    live = None
    try:
        data = None
        if kind_of(job.spec).uses_images:
            data = worker_data(context.data_kind, context.device)
            check_data(data, job)
        if context.tensorboard is not None:
            live = LiveMetrics(context.tensorboard, job.spec.run_id)
        results, resumed = _train_in_halves(job, context, data, on_step, probe_executor, live)
    except Exception as error:  # a run that raises is recorded failed; the sweep goes on
        results = failed_results(job.seeds, error)
    finally:
        if live is not None:
            live.close()
    meta = record_meta(context.device, job.seeds)
    if resumed:
        meta["resumed_from_step"] = resumed[0]
    return results, meta


def lost_meta(context: Context, seeds: Sequence[int], backend: str) -> dict:
    """Provenance for seeds whose worker never reported back: this process's versions, and
    no host or device name, since no worker is left to describe them."""
    meta = record_meta("cpu", seeds)
    return {**meta, "device": context.device, "device_name": None, "host": None, "backend": backend}


def pack(job: Job) -> bytes:
    """``job`` as bytes for another process (see the module docstring)."""
    return pickle.dumps(job)


def unpack(payload: bytes, context: Context) -> Job:
    """A packed job, read after loading the context's sources."""
    load_sources(context.sources)
    return pickle.loads(payload)
