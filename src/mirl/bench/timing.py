"""Wall-clock timing with the device synchronized, and the CPU's measured matmul peak."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_block(fn: Callable[[], None], device: torch.device, repeats: int) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls, synchronized around each."""
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_matmul_peak(size: int = 1024, repeats: int = 5) -> float:
    """The FLOP/s of a float32 ``size x size`` matrix product on this CPU, with torch's
    threads: the practical arithmetic peak that CPU step times are compared with."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    seconds = time_block(lambda: a @ b, torch.device("cpu"), repeats)
    return 2 * size**3 / seconds
