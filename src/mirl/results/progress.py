"""Progress of a sweep: runs done / total, steps, rate and ETA.

On a terminal a progress bar follows the training steps. Elsewhere (a log file, nohup,
Slurm, CI) there is no bar: one line per finished task, and, while a task trains, a line
every ``interval`` seconds (default one minute) with the steps done, the rate and the time
left, so that a log shows a sweep alive long before its first task ends. The line is
written from the training loop's step callback (and by the Ray backend while it waits),
not from a thread: a second Python thread, even asleep, slowed CPU training down several
times over in measurements here. ``quiet`` silences all of it.
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
    def __init__(
        self,
        tasks,
        quiet: bool = False,
        stream: TextIO | None = None,
        interval: float | None = None,
    ):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.total_tasks = len(tasks)
        self.total_steps = sum(task.steps for task in tasks)
        self.done_tasks = 0
        self.done_steps = 0  # steps of finished tasks
        self.interval = INTERVAL if interval is None else interval
        self.bar = tqdm(
            total=self.total_steps,
            unit="step",
            file=self.stream,
            disable=quiet or not _isatty(self.stream),
            dynamic_ncols=True,
            smoothing=0.05,
        )
        self._running: dict[int, tuple[object, int]] = {}  # id(task) -> (task, steps done)
        self._task = None  # the task of ``step``, trained in this process
        self._task_start = time.perf_counter()
        self._start = time.perf_counter()
        self._last = (self._start, 0)  # time and sweep steps of the last line
        self._log = self.bar.disable and not quiet
        self._next_line = time.monotonic() + self.interval

    def start_task(self, task) -> None:
        self._task = task
        self._running[id(task)] = (task, 0)
        self._task_start = time.perf_counter()
        self.bar.set_description(f"run {self.done_tasks + 1}/{self.total_tasks} {task.label}")

    def step(self, steps_done: int) -> None:
        """Called by the trainer with the number of steps the current task has done."""
        self.update(self._task, steps_done)

    def update(self, task, steps_done: int) -> None:
        """``task`` (one of several in flight, say) has done ``steps_done`` steps."""
        _, before = self._running.get(id(task), (task, 0))
        if steps_done > before or id(task) not in self._running:
            self.bar.update(steps_done - before)
            self._running[id(task)] = (task, steps_done)
        if self._log and time.monotonic() >= self._next_line:
            self.tick()

    def restart(self, task) -> None:
        """``task`` starts again from step 0 (its worker died): take back its steps."""
        _, before = self._running.pop(id(task), (task, 0))
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

    def finish_task(self, task, seconds: float | None = None) -> None:
        """Count ``task`` done; ``seconds`` (default: since ``start_task``) goes in the log."""
        self.done_tasks += 1
        self.done_steps += task.steps
        _, counted = self._running.pop(id(task), (task, 0))
        self.bar.update(task.steps - counted)  # the steps a failed or remote task did not report
        if task is self._task:
            self._task = None
        if self._log:
            if seconds is None:
                seconds = time.perf_counter() - self._task_start
            self._print(f"[{self.done_tasks}/{self.total_tasks}] {task.label}: {seconds:.1f} s")

    def status_line(self) -> str:
        """Where the sweep stands: the task in training, steps, rate since the last line,
        and the time left at the sweep's mean rate."""
        now = time.perf_counter()
        steps = self.done_steps + sum(done for _, done in self._running.values())
        last_time, last_steps = self._last
        self._last = (now, steps)
        rate = (steps - last_steps) / max(now - last_time, 1e-9)
        mean = steps / max(now - self._start, 1e-9)
        left = self.total_steps - steps
        eta = duration(left / mean) if mean > 0 else "unknown"
        if len(self._running) == 1:
            ((task, task_steps),) = self._running.values()
            where = (
                f"run {self.done_tasks + 1}/{self.total_tasks} {task.label}: "
                f"step {task_steps}/{task.steps}"
            )
        else:
            where = f"{self.done_tasks}/{self.total_tasks} runs done"
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


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
