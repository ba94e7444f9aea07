"""Progress of a sweep: runs done / total, steps, rate and ETA.

On a terminal a progress bar follows the training steps, and in a Jupyter kernel a
progress widget (``tqdm.auto``'s; its text form where ipywidgets is missing). Elsewhere (a
log file, nohup, Slurm, CI) there is no bar: one line per finished job, and, while jobs
train, a line every ``interval`` seconds (default one minute) with the steps done, the
rate and the time left, so that a log shows a sweep alive long before its first job ends.
The line is written when a job reports its steps (from the training loop's step
callback) or when a backend waiting for its workers ticks, not from a thread: a second
Python thread, even asleep, slowed CPU training down several times over in measurements
here. ``quiet`` silences all of it.
"""

from __future__ import annotations

import contextlib
import sys
import time
from typing import TextIO

from tqdm import tqdm

INTERVAL = 60.0
"""Seconds between two progress lines off a terminal, at most."""


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 05 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min"


class Progress:
    """Progress of the jobs of a sweep, however many are in flight and wherever they train:
    each reports its steps (``update``) and its end (``finish``)."""

    def __init__(
        self,
        jobs,
        quiet: bool = False,
        stream: TextIO | None = None,
        interval: float | None = None,
    ):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.total_jobs = len(jobs)
        self.total_steps = sum(job.steps for job in jobs)
        self.done_jobs = 0
        self.done_steps = 0  # steps of finished jobs
        self.interval = INTERVAL if interval is None else interval
        jupyter = _in_jupyter()
        if jupyter:
            from tqdm.auto import tqdm as bar
        else:
            bar = tqdm
        self.bar = bar(
            total=self.total_steps,
            unit="step",
            file=self.stream,
            disable=quiet or not (jupyter or _isatty(self.stream)),
            dynamic_ncols=True,
            smoothing=0.05,
        )
        # id(job) -> (job, steps done, when it first reported)
        self._running: dict[int, tuple[object, int, float]] = {}
        self._start = time.perf_counter()
        self._last = (self._start, 0)  # time and sweep steps of the last line
        self._log = self.bar.disable and not quiet
        self._next_line = time.monotonic() + self.interval

    def update(self, job, steps_done: int) -> None:
        """``job`` has done ``steps_done`` steps (0: it has started)."""
        entry = self._running.get(id(job))
        if entry is None:
            entry = (job, 0, time.perf_counter())
            if len(self._running) == 0:
                self.bar.set_description(f"run {self.done_jobs + 1}/{self.total_jobs} {job.label}")
        _, before, started = entry
        if steps_done > before:
            self.bar.update(steps_done - before)
        self._running[id(job)] = (job, max(before, steps_done), started)
        if self._log and time.monotonic() >= self._next_line:
            self.tick()

    def restart(self, job) -> None:
        """``job`` starts again from step 0 (its worker died): take back its steps."""
        _, before, _ = self._running.pop(id(job), (job, 0, 0.0))
        self.bar.update(-before)

    def note(self, message: str) -> None:
        """A line about the sweep (a worker lost, say), above the bar on a terminal."""
        if self.quiet:
            return
        if self.bar.disable:
            self._print(message)
        else:
            self.bar.write(message, file=self.stream)

    def tick(self) -> None:
        """Write the status line off a terminal, if ``interval`` has passed since the last."""
        if self._log and time.monotonic() >= self._next_line:
            self._next_line = time.monotonic() + self.interval
            self._print(self.status_line())

    def finish(self, job, seconds: float | None = None, note: str = "") -> None:
        """Count ``job`` done; ``seconds`` (default: since its first report) and ``note`` go
        in the log."""
        self.done_jobs += 1
        self.done_steps += job.steps
        _, counted, started = self._running.pop(id(job), (job, 0, time.perf_counter()))
        self.bar.update(job.steps - counted)  # the steps a failed or remote job did not report
        if self._log:
            if seconds is None:
                seconds = time.perf_counter() - started
            note = f" ({note})" if note else ""
            self._print(f"[{self.done_jobs}/{self.total_jobs}] {job.label}: {seconds:.1f} s{note}")

    def status_line(self) -> str:
        """Where the sweep stands: the job in training, steps, rate since the last line,
        and the time left at the sweep's mean rate."""
        now = time.perf_counter()
        steps = self.done_steps + sum(done for _, done, _ in self._running.values())
        last_time, last_steps = self._last
        self._last = (now, steps)
        rate = (steps - last_steps) / max(now - last_time, 1e-9)
        mean = steps / max(now - self._start, 1e-9)
        left = self.total_steps - steps
        eta = duration(left / mean) if mean > 0 else "unknown"
        if len(self._running) == 1:
            ((job, job_steps, _),) = self._running.values()
            where = (
                f"run {self.done_jobs + 1}/{self.total_jobs} {job.label}: "
                f"step {job_steps}/{job.steps}"
            )
        else:
            where = f"{self.done_jobs}/{self.total_jobs} runs done"
            if self._running:
                where += f", {len(self._running)} in flight"
        return (
            f"[{duration(now - self._start)}] {where}; sweep {steps}/{self.total_steps} steps, "
            f"{rate:.1f} steps/s, ETA {eta}"
        )

    def _print(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # the log went away; training goes on
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        self.bar.close()


def _in_jupyter() -> bool:
    """Whether this process is a Jupyter kernel (as ``tqdm.auto`` decides it)."""
    return "ipykernel.zmqshell" in sys.modules


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
