"""The machine a run uses: the device's name, the CPU threads, and the arithmetic peak.

CPU threads. torch's OpenMP threads spin while they wait for work. When there are more
busy threads than cores (another process on the machine, several Ray workers on a node),
the spinning threads take the cores from the ones with work: on two cores, the MLP step of
critic_impact on two threads takes 5 ms alone and 20 ms beside one busy process.
``mirl`` therefore asks OpenMP to sleep while it waits (``OMP_WAIT_POLICY=PASSIVE``, set
when ``mirl`` is imported before torch, unless already set): 11 ms beside the busy
process, but 14 ms alone, as waking the sleeping thread costs more than the second
thread gains on steps this small. One thread takes 7 ms in every case, so CPU sweeps run
one single-threaded process per core (``mirl.results.backends.processes``). Every process gets an
explicit thread count (``configure_threads``; ``MIRL_THREADS`` overrides it). The numbers
are ``mirl bench --busy``'s, in ``benchmarks/results/busy-cpu.json``.
"""

from __future__ import annotations

import os
import platform

import torch

THREADS_ENV = "MIRL_THREADS"
PROBE_WORKERS_ENV = "MIRL_PROBE_WORKERS"

PEAK_FLOPS = {
    # Dense fp32 (no tensor cores) and TF32 tensor-core peaks from NVIDIA's datasheets
    # (SXM parts; the H200 has the H100's chip). Matched against torch's device name.
    "H200": {"fp32": 67e12, "tf32": 495e12},
    "H100": {"fp32": 67e12, "tf32": 495e12},
    "A100": {"fp32": 19.5e12, "tf32": 156e12},
}


def device_name(device: torch.device | str) -> str:
    """The device's model: the GPU's name, or the CPU's with its core count."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


def available_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def env_count(name: str, minimum: int = 1) -> int | None:
    """The count in the environment variable ``name`` (None where it is unset or empty); a
    ValueError naming the variable where it is not an integer of at least ``minimum``."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"the environment variable {name} must be {what}, got {value!r}")
    return int(value)


def check_environment() -> None:
    """Check mirl's environment variables at once (in a sweep's main process, before any
    worker reads them); a ValueError names the first that is wrong."""
    env_count(THREADS_ENV)
    env_count(PROBE_WORKERS_ENV, minimum=0)


def configure_threads(share: int) -> int:
    """Give torch's intra-op threads this process's ``share`` of the cores (at least one),
    or ``MIRL_THREADS`` if set. Returns the count."""
    threads = env_count(THREADS_ENV) or max(1, share)
    torch.set_num_threads(threads)
    return threads


def probe_workers(device: torch.device | str, processes: int = 1) -> int:
    """Threads for saga probes and Jacobian spectra beside training on a GPU: every core
    but the one training (or, with several processes, this process's share of the cores,
    their training threads mostly waiting on the GPU). On the CPU none, as training needs
    the cores. ``MIRL_PROBE_WORKERS`` overrides."""
    chosen = env_count(PROBE_WORKERS_ENV, minimum=0)
    if chosen is not None:
        return chosen
    if torch.device(device).type != "cuda":
        return 0
    cores = available_cores()
    return max(1, cores - 1 if processes == 1 else cores // processes)


def peak_flops(device: torch.device | str, precision: str = "fp32") -> float | None:
    """The datasheet peak (FLOP/s) of a known GPU at ``precision`` ("fp32" or "tf32"),
    or None for a device whose peak is not in ``PEAK_FLOPS``."""
    device = torch.device(device)
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for model, peaks in PEAK_FLOPS.items():
        if model in name:
            return peaks[precision]
    return None
