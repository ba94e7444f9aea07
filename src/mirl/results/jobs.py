"""Several runs in flight on one machine: worker processes that train, one process that
stores.

One run of the paper leaves a GPU mostly idle (its matrices are small even with 20 seeds
stacked), and its evaluations wait on the CPU. ``run_jobs`` trains up to ``jobs`` tasks at
once, each in its own worker process (its own CUDA context and Python interpreter, so one
run's host work overlaps another's GPU work), longest tasks first. The workers send their
results back; this process writes every record, as ``run_local`` does, and shows one
progress display over all of them. A worker that dies (killed, out of memory) is reported,
replaced, and its task redone from the start, up to ``max_retries`` times; what was stored
before is never touched.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import torch

from mirl.data.views import ImageData
from mirl.results.kinds import kind_of
from mirl.results.progress import Progress
from mirl.results.store import ResultStore
from mirl.results.sweep import (
    SweepSummary,
    Task,
    check_data,
    collect,
    failed_results,
    probe_workers,
    record_meta,
    train_task,
)
from mirl.runtime.devices import available_cores, configure_threads

GIB = 2**30
MEMORY_PER_JOB = 2 * GIB
"""GPU memory set aside per job: a CUDA context, MNIST, the stacked models and their
optimizer state, activations and evaluation buffers of the paper's largest runs at 20
seeds fit in it; more jobs than the free memory holds is refused."""

PROGRESS_EVERY = 0.5
"""Seconds between a worker's step reports, and between its checks that the main process
is alive."""


def max_jobs(device: torch.device) -> int:
    """The most jobs the device holds: free GPU memory / ``MEMORY_PER_JOB`` on CUDA, the
    CPU cores on the CPU."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return max(1, free // MEMORY_PER_JOB)
    return available_cores()


def task_cost(task: Task) -> float:
    """A task's expected work in FLOPs (to order tasks, and to decide whether a CPU sweep
    is worth worker processes): its steps, its seeds, and the cost of one seed's step as
    its trainer estimates it."""
    return task.spec.steps * len(task.seeds) * kind_of(task.spec).trainer.step_cost(task.spec)


CPU_JOBS_MIN_FLOPS = 2e11
"""On the CPU, a sweep with less work than this (some ten seconds of one core: the smoke
profile) runs in this process; starting worker processes would cost more than it saves."""


def default_jobs(device: torch.device, tasks: Sequence[Task]) -> int:
    """On a GPU, enough jobs to keep it busy: one per two CPU cores (each job's probes and
    spectra need CPU threads), within what its memory holds. On the CPU one job per core,
    each with one thread, if the sweep is worth it: the small steps of the paper's models
    gain little from a second thread (on two cores, the MLP step of critic_impact takes
    7 ms on one thread, 14 ms on two, ``benchmarks/results/busy-cpu.json``) and two runs
    side by side do twice the work (the quick critic_impact: 169 s with two jobs, 251 s
    with one)."""
    if device.type != "cuda":
        if sum(task_cost(task) for task in tasks) < CPU_JOBS_MIN_FLOPS:
            return 1
        return max(1, min(len(tasks), available_cores()))
    return max(1, min(len(tasks), available_cores() // 2, max_jobs(device)))


def check_jobs(jobs: int, device: torch.device) -> None:
    """Refuse a job count below 1, or above what the device holds, with the reason."""
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    limit = max_jobs(device)
    if jobs > limit:
        if device.type == "cuda":
            free = torch.cuda.mem_get_info(device)[0] / GIB
            raise ValueError(
                f"--jobs {jobs} needs about {jobs * MEMORY_PER_JOB / GIB:.0f} GiB of GPU "
                f"memory ({MEMORY_PER_JOB / GIB:.0f} GiB per job); {device} has "
                f"{free:.1f} GiB free: use at most {limit}"
            )
        raise ValueError(f"--jobs {jobs} exceeds the {limit} CPU cores of this machine")


def _worker_main(
    inbox: Any,
    messages: Any,
    data_kind: str,
    device: str,
    threads: int,
    probe_threads: int,
    capture: bool | None,
) -> None:
    """A worker process: train the tasks it is sent until it is sent None, or until the
    process that sends them is gone (killed: nobody would store what it trains)."""
    configure_threads(threads)
    where = torch.device(device)
    data: ImageData | None = None
    pool = ThreadPoolExecutor(probe_threads) if probe_threads else None
    parent = multiprocessing.parent_process()
    while (item := _next_task(inbox, parent)) is not None:
        task_id, task = item
        reporter = _StepReporter(messages, task_id, parent)
        try:
            images = None
            if kind_of(task.spec).uses_images:
                data = data or ImageData.load(data_kind, where)
                check_data(data, task)
                images = data
            results = train_task(task, images, where, reporter, pool, capture)
        except Exception as error:  # a run that raises is recorded failed; go on
            results = failed_results(task.seeds, error)
        meta = {**record_meta(where, task.seeds), "backend": "jobs"}
        messages.put(("done", task_id, (results, meta)))


def _next_task(inbox: Any, parent: Any) -> Any:
    """The next item sent to a worker; None once its parent process has died."""
    while parent.is_alive():
        try:
            return inbox.get(timeout=PROGRESS_EVERY)
        except queue.Empty:
            continue
    return None


class _StepReporter:
    """A worker's ``on_step``: sends the steps done at most every ``PROGRESS_EVERY`` s, and
    ends the worker if its parent process has died."""

    def __init__(self, messages: Any, task_id: int, parent: Any):
        self.messages, self.task_id, self.parent = messages, task_id, parent
        self.last = time.perf_counter()

    def __call__(self, steps_done: int) -> None:
        now = time.perf_counter()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            if not self.parent.is_alive():
                raise SystemExit("mirl: the sweep's main process is gone")
            self.messages.put(("steps", self.task_id, steps_done))


@dataclass
class _Worker:
    process: Any
    inbox: Any
    task_id: int | None = None  # the task it was sent and has not finished
    started: float = 0.0


def run_jobs(
    tasks: Sequence[Task],
    store: ResultStore,
    summary: SweepSummary,
    data_kind: str,
    device: torch.device,
    progress: Progress,
    jobs: int,
    max_retries: int = 2,
    capture: bool | None = None,
) -> SweepSummary:
    """Train ``tasks`` in ``jobs`` worker processes, longest first, storing each task's
    seeds here as soon as it finishes."""
    if not tasks:
        return summary
    check_jobs(jobs, device)
    start = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    threads = max(1, available_cores() // jobs)
    config = (data_kind, str(device), threads, probe_workers(device, jobs), capture)
    pending = sorted(range(len(tasks)), key=lambda i: -task_cost(tasks[i]))
    attempts = dict.fromkeys(range(len(tasks)), 0)
    workers: list[_Worker] = []
    deaths, left = 0, len(tasks)

    def spawn() -> None:
        inbox = context.Queue()
        process = context.Process(target=_worker_main, args=(inbox, messages, *config), daemon=True)
        process.start()
        workers.append(_Worker(process, inbox))

    def lost(worker: _Worker) -> None:
        """A worker died: redo its task (or record it failed after max_retries)."""
        nonlocal deaths, left
        workers.remove(worker)
        deaths += 1
        code = worker.process.exitcode
        if deaths > jobs * (max_retries + 1):
            raise RuntimeError(f"worker processes keep dying (last exit code {code})")
        if worker.task_id is None:
            return
        task = tasks[worker.task_id]
        attempts[worker.task_id] += 1
        progress.note(f"mirl: a worker died (exit code {code}) training {task.label}")
        progress.restart(task)
        if attempts[worker.task_id] <= max_retries:
            pending.insert(0, worker.task_id)
            return
        error = RuntimeError(f"its worker died on all {max_retries + 1} attempts")
        collect(task, failed_results(task.seeds, error), store, summary, {"backend": "jobs"})
        progress.finish_task(task)
        left -= 1

    def dispatch() -> None:
        """Keep min(jobs, left) workers, each idle one given the longest pending task."""
        while len(workers) < min(jobs, left):
            spawn()
        for worker in workers:
            if worker.task_id is None and pending:
                worker.task_id, worker.started = pending.pop(0), time.perf_counter()
                worker.inbox.put((worker.task_id, tasks[worker.task_id]))
                progress.update(tasks[worker.task_id], 0)

    try:
        dispatch()
        while left:
            try:
                kind, task_id, payload = messages.get(timeout=1.0)
            except queue.Empty:
                for worker in [w for w in workers if not w.process.is_alive()]:
                    lost(worker)
                dispatch()
                progress.tick()
                continue
            worker = next((w for w in workers if w.task_id == task_id), None)
            if worker is None:
                continue  # a message of a task already redone elsewhere
            if kind == "steps":
                progress.update(tasks[task_id], payload)
                continue
            results, meta = payload
            collect(tasks[task_id], results, store, summary, meta)
            progress.finish_task(tasks[task_id], time.perf_counter() - worker.started)
            worker.task_id = None
            left -= 1
            dispatch()
    finally:
        for worker in workers:
            worker.inbox.put(None)
        for worker in workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
        summary.seconds += time.perf_counter() - start
    return summary
