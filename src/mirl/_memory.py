"""Sizes checked against the memory they need before anything is allocated.

A task of 20,000 dimensions needs a 24 GB covariance, a critic of a million hidden units
terabytes: allocated, the first is killed by the kernel and the second fails deep inside
training (and is stored as a failed record). ``check_memory`` refuses them first, in one
line that names what needs the memory and how much there is.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence

import torch

GB = 1e9


def available_memory(device: torch.device | str = "cpu") -> int:
    """Bytes that a new allocation on ``device`` can have: on CUDA the device's free memory;
    elsewhere the host's available memory (Linux's ``MemAvailable``, which counts the
    caches the kernel gives back; where there is none, the physical memory)."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def fit_at_once(needs: Sequence[int], device: torch.device | str = "cpu") -> int:
    """How many of the allocations ``needs`` (bytes) fit in ``available_memory(device)``
    together, the largest first: what can run at once whichever of them run together."""
    have = available_memory(device)
    return sum(1 for total in itertools.accumulate(sorted(needs, reverse=True)) if total <= have)


def check_memory(
    need: int, what: str, device: torch.device | str = "cpu", detail: str = ""
) -> None:
    """A ValueError if ``need`` bytes exceed ``available_memory(device)``, naming ``what``
    needs them (with its settings), both sizes, and the ``detail`` of where they go."""
    have = available_memory(device)
    if need > have:
        where = "this machine" if torch.device(device).type == "cpu" else str(device)
        detail = f" ({detail})" if detail else ""
        raise ValueError(
            f"{what} needs about {need / GB:,.1f} GB of memory{detail}; {where} has "
            f"{have / GB:,.1f} GB available"
        )
