"""Progress of a sweep on the terminal: runs done / total, steps, rate and ETA.

On a terminal a progress bar follows the training steps; elsewhere (a log file, CI) there
is no bar, only one line per finished task. ``quiet`` silences both.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm import tqdm


class Progress:
    def __init__(self, tasks, quiet: bool = False, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.total_tasks = len(tasks)
        self.done_tasks = 0
        self.bar = tqdm(
            total=sum(task.steps for task in tasks),
            unit="step",
            file=self.stream,
            disable=quiet or not self.stream.isatty(),
            dynamic_ncols=True,
            smoothing=0.05,
        )
        self._task_steps = 0
        self._task_start = time.perf_counter()

    def start_task(self, task) -> None:
        self._task_steps = 0
        self._task_start = time.perf_counter()
        self.bar.set_description(f"run {self.done_tasks + 1}/{self.total_tasks} {task.label}")

    def step(self, steps_done: int) -> None:
        """Called by the trainer with the number of steps the current task has done."""
        if steps_done > self._task_steps:
            self.bar.update(steps_done - self._task_steps)
            self._task_steps = steps_done

    def finish_task(self, task, seconds: float | None = None) -> None:
        """Count ``task`` done; ``seconds`` (default: since ``start_task``) goes in the log."""
        self.done_tasks += 1
        if self.bar.disable and not self.quiet:
            if seconds is None:
                seconds = time.perf_counter() - self._task_start
            print(
                f"[{self.done_tasks}/{self.total_tasks}] {task.label}: {seconds:.1f} s",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        self.bar.close()
