"""What training one seed of a run produces, and how a divergence becomes a reported failure."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor


@dataclass
class SeedResult:
    """One seed of one run: its evaluation rows, its arrays, or the error that stopped it.

    ``rows`` has one dict per evaluation step (at least ``iteration``); ``arrays`` holds
    per-evaluation arrays such as Jacobian singular values ``[evals, n, d]``. A failed
    seed keeps no rows: a diverged run is reported, never recorded as a number.
    """

    seed: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class DivergenceWatch:
    """Remembers, per seed, the first step whose loss was not finite, without a host sync.

    ``update`` runs every step on the device; ``failed`` (which syncs) is read at
    evaluations, where the host waits for the device anyway.
    """

    def __init__(self, num_seeds: int, device: torch.device):
        self.first_bad = torch.full((num_seeds,), -1, dtype=torch.long, device=device)

    def update(self, step: int, losses: Tensor) -> None:
        newly_bad = ~torch.isfinite(losses.detach()) & (self.first_bad < 0)
        self.first_bad = torch.where(newly_bad, step, self.first_bad)

    def failed(self) -> dict[int, int]:
        """``{seed index: first bad step}`` for every seed that has diverged."""
        bad = self.first_bad.cpu().tolist()
        return {k: step for k, step in enumerate(bad) if step >= 0}


def retire_diverged(
    watch: DivergenceWatch, results: list[SeedResult], spec, what: str
) -> list[int]:
    """Mark the seeds whose ``what`` went non-finite as failed, naming the step and the run,
    and drop their rows; return the indices of the seeds still alive."""
    for k, step in watch.failed().items():
        if results[k].ok:
            results[k].error = (
                f"{what} became NaN/inf at step {step} of run {spec.experiment}/{spec.name} "
                f"(seed {results[k].seed})"
            )
            results[k].rows.clear()
            results[k].arrays.clear()
    return [k for k, r in enumerate(results) if r.ok]


def finish(results: list[SeedResult], start: float) -> list[SeedResult]:
    """Stamp the run's wall time on every seed and stack per-evaluation array lists."""
    seconds = time.perf_counter() - start
    for result in results:
        result.seconds = seconds
        result.arrays = {
            name: np.stack(v) if isinstance(v, list) else v for name, v in result.arrays.items()
        }
    return results
