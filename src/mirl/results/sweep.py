"""Sweeps: train many (run, seed group) tasks, store each seed as it finishes, resume.

``plan`` compares what is asked with what the store holds: finished seeds are skipped,
missing, failed and corrupt ones are (re)done, and a run stored with other settings or on
other data is an error rather than a silent mix (a run whose stored seeds all failed does
not bind: its records are set aside, and the summary says so). Given the data set, ``plan``
also checks that every run's batches fit in it, before any training. ``run_local`` trains
the tasks one after another in this process; ``mirl.results.ray_backend`` runs them on a
Ray cluster. Either way the driver writes the records, so a killed sweep loses only the
tasks in flight.
"""

from __future__ import annotations

import contextlib
import os
import platform
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

import torch

from mirl.data.views import DataSummary, ImageData
from mirl.paper.spec import Spec
from mirl.results.kinds import kind_of, train
from mirl.results.progress import Progress
from mirl.results.store import ResultStore, data_label
from mirl.runtime.devices import available_cores, device_name
from mirl.runtime.outcome import SeedResult


@dataclass
class Task:
    """One unit of work: a spec trained for a group of seeds at once, on the data set whose
    identity is ``data`` (None for runs that use none, or where it is not known)."""

    spec: Spec
    seeds: list[int]
    data: dict[str, str] | None = None

    @property
    def label(self) -> str:
        return f"{self.spec.run_id} seeds {_span(self.seeds)}"

    @property
    def steps(self) -> int:
        return self.spec.steps


def _span(seeds: Sequence[int]) -> str:
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


@dataclass
class SweepSummary:
    """What a sweep did: seeds trained, skipped as already done, failed (with errors), and
    corrupt records set aside."""

    trained: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    set_aside_failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        """Seeds this sweep has stored so far (finished or failed)."""
        return len(self.trained) + len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self, out: str) -> list[str]:
        lines = [
            f"trained {len(self.trained)} seed runs, skipped {len(self.skipped)} already done, "
            f"{len(self.failed)} failed, in {self.seconds:.0f} s; results in {out}"
        ]
        lines += [f"  set aside corrupt record: {p}" for p in self.set_aside]
        lines += [
            f"  set aside failed record made with other settings: {p}"
            for p in self.set_aside_failed
        ]
        lines += [f"  FAILED {run} seed {seed}: {error}" for run, seed, error in self.failed]
        return lines


def check_fits(specs: Sequence[Spec], data: DataSummary) -> None:
    """Raise ValueError, naming every setting too large for ``data``, if any run would draw
    more examples at once than a split of the data set holds."""
    sizes = {"train": data.n_train, "test": data.n_test}
    problems = []
    for spec in specs:
        if not kind_of(spec).uses_images:
            continue
        for setting, n, split in kind_of(spec).draws(spec):
            if n > sizes[split]:
                problem = (
                    f"{setting} {n} is larger than the {split} set of {data.name} "
                    f"({sizes[split]} images)"
                )
                if problem not in problems:
                    problems.append(problem)
    if problems:
        raise ValueError("; ".join(problems))


def plan(
    store: ResultStore,
    specs: Sequence[Spec],
    seeds: Sequence[int],
    group_size: int | None = None,
    data: DataSummary | None = None,
) -> tuple[list[Task], SweepSummary]:
    """The tasks still to do for ``specs`` x ``seeds``, in groups of at most ``group_size``
    seeds (all pending seeds of a run in one group by default).

    ``data`` is the data set the runs that train on images will use: their batches are
    checked against its sizes, and its identity is part of the run's identity (tasks carry
    it; stored seeds made on other data are refused). Without it, data is not checked.
    Nothing is changed in the store unless the whole plan is accepted.
    """
    if group_size is not None and group_size < 1:
        raise ValueError(f"the group size must be at least 1, got {group_size}")
    names = [s.run_id for s in specs]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"these runs would be stored under the same name: {', '.join(clashes)}")
    if data is not None:
        check_fits(specs, data)
    identity = None if data is None else data.identity
    conflicts = store.check_same_settings(specs, identity)
    summary = SweepSummary()
    for conflict in conflicts:  # only runs whose stored seeds all failed get here
        moved = store.set_aside_records(conflict.records, "failed")
        summary.set_aside_failed += [str(p) for p in moved]
    tasks = []
    for spec in specs:
        pending = []
        for seed in seeds:
            status = store.status(spec, seed)
            if status == "ok":
                summary.skipped.append((spec.run_id, seed))
                continue
            if status == "corrupt":
                summary.set_aside.append(str(store.set_aside(spec, seed)))
            pending.append(seed)
        size = group_size or len(pending) or 1
        task_data = identity if kind_of(spec).uses_images else None
        tasks += [
            Task(spec, pending[i : i + size], task_data) for i in range(0, len(pending), size)
        ]
    return tasks, summary


def record_meta(device: torch.device | str, group: Sequence[int]) -> dict:
    """Provenance stored with every record."""
    from mirl import __version__

    device = torch.device(device)
    return {
        "mirl_version": __version__,
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "device": str(device),
        "device_name": device_name(device),
        "host": platform.node(),
        "seed_group": list(group),
    }


def failed_results(seeds: Sequence[int], error: BaseException) -> list[SeedResult]:
    """A failed result for every seed of a task that raised."""
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})" if where else ""
    return [SeedResult(seed, error=f"{type(error).__name__}: {error}{at}") for seed in seeds]


def probe_workers(device: torch.device | str, processes: int = 1) -> int:
    """Threads for saga probes and Jacobian spectra beside training on a GPU: every core
    but the one training (or, with several processes, this process's share of the cores,
    their training threads mostly waiting on the GPU). On the CPU none, as training needs
    the cores. ``MIRL_PROBE_WORKERS`` overrides."""
    if "MIRL_PROBE_WORKERS" in os.environ:
        return int(os.environ["MIRL_PROBE_WORKERS"])
    if torch.device(device).type != "cuda":
        return 0
    cores = available_cores()
    return max(1, cores - 1 if processes == 1 else cores // processes)


def train_task(
    task: Task,
    data: ImageData | None,
    device: torch.device,
    on_step: Callable[[int], None] | None,
    probe_executor: Executor | None = None,
    capture: bool | None = None,
) -> list[SeedResult]:
    """Train one task; on a CUDA out-of-memory error, split its seeds in two and go on."""
    try:
        return train(
            task.spec,
            task.seeds,
            device=device,
            data=data,
            on_step=on_step,
            probe_executor=probe_executor,
            capture=capture,
        )
    except torch.cuda.OutOfMemoryError:
        if len(task.seeds) == 1:
            raise
        torch.cuda.empty_cache()
        half = len(task.seeds) // 2
        return [
            result
            for part in (task.seeds[:half], task.seeds[half:])
            for result in train_task(
                Task(task.spec, part, task.data), data, device, on_step, probe_executor, capture
            )
        ]


def check_data(data: ImageData, task: Task) -> None:
    """Raise ValueError if ``data`` is not the data set ``task`` was planned on."""
    if task.data is not None and data.identity != task.data:
        raise ValueError(
            f"run {task.spec.run_id} was planned on {data_label(task.data)} but the data "
            f"given is {data_label(data.identity)}"
        )


def run_local(
    tasks: Sequence[Task],
    store: ResultStore,
    summary: SweepSummary,
    data: Callable[[], ImageData],
    device: torch.device,
    progress: Progress,
    capture: bool | None = None,
) -> SweepSummary:
    """Train ``tasks`` here, one after another, writing each seed's record as it finishes.

    ``data()`` returns MNIST on ``device``; it is only called if a task needs it, and must
    be the data set the tasks were planned on. ``capture``: replay steps as CUDA graphs
    (default: on CUDA).
    """
    start = time.perf_counter()
    workers = probe_workers(device)
    executor = ThreadPoolExecutor(workers) if workers else None
    try:
        for task in tasks:
            images = None
            if kind_of(task.spec).uses_images:
                images = data()
                check_data(images, task)
            progress.start_task(task)
            try:
                results = train_task(task, images, device, progress.step, executor, capture)
            except Exception as error:  # a run that raises is recorded failed; the rest go on
                results = failed_results(task.seeds, error)
            collect(task, results, store, summary, record_meta(device, task.seeds))
            progress.finish_task(task)
    finally:
        if executor is not None:  # interrupted: do not wait for probes nobody will store
            executor.shutdown(wait=False, cancel_futures=True)
        summary.seconds += time.perf_counter() - start
    return summary


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM back while the block runs (a few milliseconds: storing a
    task's records), so that a finished seed is stored whole before an interruption acts;
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


def collect(
    task: Task, results: Sequence[SeedResult], store: ResultStore, summary: SweepSummary, meta: dict
) -> None:
    """Store a finished task's seeds and account for them in the summary."""
    run = task.spec.run_id
    with signals_deferred():
        for result in results:
            store.write(task.spec, result, meta, task.data)
            if result.ok:
                summary.trained.append((run, result.seed))
            else:
                summary.failed.append((run, result.seed, result.error))
