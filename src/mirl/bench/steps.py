"""Training-step timings: the plain one-seed loop, K seeds stacked, and (on CUDA) the
stacked step captured as a CUDA graph, side by side in one process, each against the
arithmetic floor of its FLOPs at the device's peak."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from mirl.bench.items import make_trainer, step_flops, tf32
from mirl.bench.timing import cpu_matmul_peak, time_block
from mirl.data.views import ImageData
from mirl.runtime.capture import CapturedStep
from mirl.runtime.devices import peak_flops
from mirl.runtime.run_spec import RunSpec


@dataclass
class BenchConfig:
    device: torch.device
    seeds: list[int]
    warmup: int = 3
    steps: int = 10
    repeats: int = 3
    tf32: bool = False  # also time the captured step with TF32 matrix products
    peaks: dict = field(default_factory=dict)  # precision -> (FLOP/s, where it comes from)


def device_peaks(device: torch.device) -> dict[str, tuple[float, str]]:
    """The arithmetic peak a step is compared with: a GPU's datasheet fp32 (and TF32)
    peak, or the CPU's measured matrix-product rate."""
    if device.type == "cuda":
        peaks = {}
        for precision in ("fp32", "tf32"):
            value = peak_flops(device, precision)
            if value is not None:
                peaks[precision] = (value, f"datasheet {precision}")
        return peaks
    return {"fp32": (cpu_matmul_peak(), "measured 1024x1024 float32 matmul")}


def _modes(config: BenchConfig) -> list[tuple[str, int]]:
    modes = [("plain", 1)] + [("stacked", k) for k in config.seeds]
    if config.device.type == "cuda":
        modes += [("captured", k) for k in config.seeds]
        if config.tf32:
            modes.append(("captured-tf32", max(config.seeds)))
    return modes


def _time_mode(
    spec: RunSpec, data: ImageData, config: BenchConfig, mode: str, k: int
) -> tuple[float, int]:
    """Seconds per step and FLOPs per step of ``spec`` at K seeds in ``mode``."""
    trainer = make_trainer(spec, list(range(k)), data, stacked=mode != "plain")
    flops = step_flops(trainer)
    step: Callable[[], None] = trainer.step
    if mode.startswith("captured"):
        step = CapturedStep(trainer.step, trainer.streams)
    for _ in range(config.warmup + 2):  # captured: eager steps, the capture, replays
        step()

    def block() -> None:
        for _ in range(config.steps):
            step()

    return time_block(block, config.device, config.repeats) / config.steps, flops


def bench_steps(spec: RunSpec, data: ImageData, config: BenchConfig) -> list[dict]:
    """Step timings of one item, one record per (mode, K); a mode that fails (out of
    memory, say) is recorded with its error and the others go on."""
    if not config.peaks:
        config.peaks = device_peaks(config.device)
    records = []
    for mode, k in _modes(config):
        base = {
            "item": spec.run_id,
            "kind": "train_step",
            "mode": mode,
            "device": str(config.device),
            "seeds": k,
        }
        tf32(mode.endswith("tf32"))
        try:
            seconds, flops = _time_mode(spec, data, config, mode, k)
        except (RuntimeError, ValueError) as error:
            records.append({**base, "kind": "train_step_failed", "error": str(error)[:500]})
            continue
        finally:
            tf32(False)
            if config.device.type == "cuda":
                torch.cuda.empty_cache()  # the mode's trainer is gone
        peak, source = config.peaks.get("tf32" if mode.endswith("tf32") else "fp32", (None, None))
        floor_ms = None if peak is None else 1000 * flops / peak
        records.append(
            {
                **base,
                "ms_per_step": 1000 * seconds,
                "steps_per_second_per_seed": k / seconds,
                "flops_per_step": flops,
                "peak_flops": peak,
                "peak_source": source,
                "floor_ms": floor_ms,
                "floor_ratio": None if floor_ms is None else 1000 * seconds / floor_ms,
            }
        )
    timed = [r for r in records if r["kind"] == "train_step"]
    plain = next((r for r in timed if r["mode"] == "plain"), None)
    stacked_one = next(
        (r for r in timed if r["mode"] == "stacked" and r["seeds"] == min(config.seeds)), None
    )
    for record in timed:
        rate = record["steps_per_second_per_seed"]
        record["speedup_vs_plain"] = rate / plain["steps_per_second_per_seed"] if plain else None
        record["speedup_vs_k1"] = (
            rate / stacked_one["steps_per_second_per_seed"] if stacked_one else None
        )
    return records
