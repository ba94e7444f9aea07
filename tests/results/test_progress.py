"""Progress off a terminal: a status line at least every interval, with rate and ETA."""

from __future__ import annotations

import io
import re

from mirl.results.progress import Progress, duration


class Job:
    def __init__(self, label: str, steps: int):
        self.label, self.steps = label, steps


def test_off_a_terminal_status_lines_come_every_interval_with_rate_and_eta(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("mirl.results.progress.time.monotonic", lambda: clock[0])
    monkeypatch.setattr("mirl.results.progress.time.perf_counter", lambda: clock[0])
    log = io.StringIO()
    jobs = [Job("a/run seeds 0-1", 1000), Job("a/other seeds 0-1", 1000)]
    progress = Progress(jobs, stream=log, interval=60)
    progress.update(jobs[0], 0)
    for step in range(1, 301):  # 300 steps in 90 s: one line, after a minute
        clock[0] += 0.3
        progress.update(jobs[0], step)
    lines = log.getvalue().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        r"\[60 s\] run 1/2 a/run seeds 0-1: step 200/1000; sweep 200/2000 steps, "
        r"3\.3 steps/s, ETA 9 min",
        lines[0],
    ), lines[0]
    progress.finish(jobs[0])
    assert log.getvalue().splitlines()[-1] == "[1/2] a/run seeds 0-1: 90.0 s"
    progress.close()


def test_a_terminal_gets_the_bar_and_quiet_gets_nothing():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    progress = Progress([Job("x", 10)], stream=Terminal(), interval=0)
    assert not progress.bar.disable and not progress._log
    quiet = io.StringIO()
    job = Job("x", 10)
    progress = Progress([job], quiet=True, stream=quiet, interval=0)
    progress.update(job, 5)
    progress.finish(job)
    assert quiet.getvalue() == ""


def test_durations_read_well():
    assert [duration(s) for s in (5, 600, 3 * 3600 + 300)] == ["5 s", "10 min", "3 h 05 min"]


def test_a_jupyter_kernel_gets_tqdm_auto_s_bar_whatever_the_stream(monkeypatch):
    import sys
    import types

    from tqdm.auto import tqdm as auto

    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    progress = Progress([Job("x", 10)], stream=io.StringIO(), interval=0)
    assert isinstance(progress.bar, auto) and not progress.bar.disable and not progress._log
    progress.close()
