"""The ``processes`` backend: several jobs in flight on one machine, each in a worker
process, one process that stores.

One run of the paper leaves a GPU mostly idle (its matrices are small even with 20 seeds
stacked), and its evaluations wait on the CPU. ``WorkerProcesses`` trains up to ``jobs``
jobs at once, each in its own worker process (its own CUDA context and Python interpreter,
so one run's host work overlaps another's GPU work), longest jobs first. The workers send
their steps and results back to the sweep's sink, which writes every record in this
process and shows one progress display over all of them. A worker that dies (killed, out
of memory) is reported, replaced, and its job redone, up to ``max_retries`` times; what was
stored before is never touched.

Ctrl-C reaches every process of the terminal's group: a worker then ends quietly (exit code
130, no traceback), and the main process alone says, in one line, what was stored.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import torch

from mirl._memory import check_memory, fit_at_once
from mirl.results.execution import Context, failed_results, lost_meta, pack, run_job, unpack
from mirl.results.plan import Job
from mirl.results.sink import Sink
from mirl.runtime.devices import available_cores, configure_threads, probe_workers
from mirl.runtime.kinds import group_memory, kind_of
from mirl.runtime.sources import load_sources

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


def job_cost(job: Job) -> float:
    """A job's expected work in FLOPs (to order jobs, and to decide whether a CPU sweep is
    worth worker processes): its steps, its seeds, and the cost of one seed's step as its
    trainer estimates it."""
    return job.spec.steps * len(job.seeds) * kind_of(job.spec).trainer.step_cost(job.spec)


CPU_JOBS_MIN_FLOPS = 2e11
"""On the CPU, a sweep with less work than this (some ten seconds of one core: the smoke
profile) runs in this process; starting worker processes would cost more than it saves."""


def default_jobs(device: torch.device, jobs: Sequence[Job]) -> int:
    """On a GPU, enough jobs to keep it busy: one per two CPU cores (each job's probes and
    spectra need CPU threads), within what its memory holds. On the CPU one job per core,
    each with one thread, if the sweep is worth it: the small steps of the paper's models
    gain little from a second thread (on two cores, the MLP step of critic_impact takes
    7 ms on one thread, 14 ms on two, ``benchmarks/results/busy-cpu.json``) and two runs
    side by side do twice the work (the quick critic_impact: 169 s with two jobs, 251 s
    with one). Either way no more than the largest jobs' memory allows at once."""
    if device.type != "cuda":
        if sum(job_cost(job) for job in jobs) < CPU_JOBS_MIN_FLOPS:
            return 1
        n = min(len(jobs), available_cores())
    else:
        n = min(len(jobs), available_cores() // 2, max_jobs(device))
    return max(1, min(n, fit_at_once(_memory_needs(jobs), device)))


def _memory_needs(jobs: Sequence[Job]) -> list[int]:
    """The bytes each job holds while it trains (``group_memory``)."""
    return [sum(group_memory(job.spec, len(job.seeds)).values()) for job in jobs]


def check_jobs(jobs: int, device: torch.device, work: Sequence[Job] = ()) -> None:
    """Refuse a job count below 1, or above what the device holds (its cores or GPU
    memory, and the memory of the largest of ``work`` trained at once), with the reason."""
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
    at_once = min(jobs, len(work))
    if at_once > 1:
        needs = _memory_needs(work)
        fits = fit_at_once(needs, device)
        check_memory(
            sum(sorted(needs, reverse=True)[:at_once]),
            f"--jobs {jobs} (the {at_once} largest groups of seeds, trained at once)",
            device,
            f"--jobs {fits} fits" if fits else "the largest does not fit alone",
        )


def _worker_main(
    inbox: Any, messages: Any, context: Context, threads: int, probe_threads: int
) -> None:
    """A worker process: train the jobs it is sent until it is sent None, or until the
    process that sends them is gone (killed: nobody would store what it trains). Started
    with SIGINT ignored (``_sigint_ignored``), it takes Ctrl-C from here on, and ends on it
    quietly: the main process, interrupted too, reports."""
    pool = None
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        configure_threads(threads)
        load_sources(context.sources)
        pool = ThreadPoolExecutor(probe_threads) if probe_threads else None
        parent = multiprocessing.parent_process()
        while (item := _next_job(inbox, parent)) is not None:
            job_id, payload = item
            reporter = _StepReporter(messages, job_id, parent)
            results, meta = run_job(unpack(payload, context), context, reporter, pool)
            messages.put(("done", job_id, (results, {**meta, "backend": "processes"})))
    except KeyboardInterrupt:
        messages.cancel_join_thread()  # the main process reads no more: do not wait on it
        raise SystemExit(128 + signal.SIGINT) from None
    finally:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in this process while a worker starts: the worker inherits it, so
    that a Ctrl-C while it imports torch does not print a traceback from there
    (``_worker_main`` takes SIGINT back once it runs). Outside the main thread, signals are
    not this code's to change."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _next_job(inbox: Any, parent: Any) -> Any:
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

    def __init__(self, messages: Any, job_id: int, parent: Any):
        self.messages, self.job_id, self.parent = messages, job_id, parent
        self.last = time.perf_counter()

    def __call__(self, steps_done: int) -> None:
        now = time.perf_counter()
        if now - self.last >= PROGRESS_EVERY:
            self.last = now
            if not self.parent.is_alive():
                raise SystemExit("mirl: the sweep's main process is gone")
            self.messages.put(("steps", self.job_id, steps_done))


@dataclass
class _Worker:
    process: Any
    inbox: Any
    job_id: int | None = None  # the job it was sent and has not finished


class WorkerProcesses:
    """Trains ``options.jobs`` jobs at once in worker processes, longest first, each job's
    seeds stored by the sink as soon as it finishes; a dead worker's job is redone up to
    ``options.max_retries`` times, then recorded failed."""

    def __init__(self, options):
        self.jobs, self.max_retries = options.jobs, options.max_retries

    def run(self, jobs: Sequence[Job], context: Context, sink: Sink) -> None:
        if not jobs:
            return
        device = torch.device(context.device)
        check_jobs(self.jobs, device, jobs)
        n_workers, max_retries = self.jobs, self.max_retries
        spawn_context = multiprocessing.get_context("spawn")
        messages = spawn_context.Queue()
        threads = max(1, available_cores() // n_workers)
        config = (context, threads, probe_workers(device, n_workers))
        pending = sorted(range(len(jobs)), key=lambda i: -job_cost(jobs[i]))
        payloads = [pack(job) for job in jobs]
        attempts = dict.fromkeys(range(len(jobs)), 0)
        workers: list[_Worker] = []
        deaths, left = 0, len(jobs)

        def spawn() -> None:
            inbox = spawn_context.Queue()
            process = spawn_context.Process(
                target=_worker_main, args=(inbox, messages, *config), daemon=True
            )
            with _sigint_ignored():
                process.start()
            workers.append(_Worker(process, inbox))

        def lost(worker: _Worker) -> None:
            """A worker died: redo its job (or record it failed after max_retries)."""
            nonlocal deaths, left
            workers.remove(worker)
            deaths += 1
            code = worker.process.exitcode
            if deaths > n_workers * (max_retries + 1):
                raise RuntimeError(f"worker processes keep dying (last exit code {code})")
            if worker.job_id is None:
                return
            job = jobs[worker.job_id]
            attempts[worker.job_id] += 1
            sink.restarted(job, f"mirl: a worker died (exit code {code}) training {job.label}")
            if attempts[worker.job_id] <= max_retries:
                pending.insert(0, worker.job_id)
                return
            error = RuntimeError(f"its worker died on all {max_retries + 1} attempts")
            meta = lost_meta(context, job.seeds, "processes")
            sink.finished(job, failed_results(job.seeds, error), meta)
            left -= 1

        def dispatch() -> None:
            """Keep min(n_workers, left) workers, each idle one given the longest pending job."""
            while len(workers) < min(n_workers, left):
                spawn()
            for worker in workers:
                if worker.job_id is None and pending:
                    worker.job_id = pending.pop(0)
                    worker.inbox.put((worker.job_id, payloads[worker.job_id]))
                    sink.steps(jobs[worker.job_id], 0)

        try:
            dispatch()
            while left:
                try:
                    kind, job_id, payload = messages.get(timeout=1.0)
                except queue.Empty:
                    for worker in [w for w in workers if not w.process.is_alive()]:
                        lost(worker)
                    dispatch()
                    sink.tick()
                    continue
                worker = next((w for w in workers if w.job_id == job_id), None)
                if worker is None:
                    continue  # a message of a job already redone elsewhere
                if kind == "steps":
                    sink.steps(jobs[job_id], payload)
                    continue
                results, meta = payload
                sink.finished(jobs[job_id], results, meta)
                worker.job_id = None
                left -= 1
                dispatch()
        finally:
            for worker in workers:
                worker.inbox.put(None)
            for worker in workers:
                worker.process.join(timeout=5)
                if worker.process.is_alive():
                    worker.process.kill()
