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
    seed keeps no rows: a diverged run is reported, never recorded as a number. ``model``
    is the trained module, when the trainer was asked to keep it (it is never stored).
    """

    seed: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    model: torch.nn.Module | None = field(default=None, repr=False, compare=False)

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


def fill_accuracies(results: list[SeedResult], probes: list[tuple[list[int], Any]]) -> None:
    """Write the probe accuracies of each evaluation into the rows of the seeds that finished.

    ``probes[e]`` is ``(alive, accuracies)``: the indices of the seeds alive at evaluation e
    and their ``Accuracies``. A seed alive at evaluation e that finished has one row per
    evaluation, so its e-th row is evaluation e's.
    """
    for e, (alive, accuracies) in enumerate(probes):
        for k, value in zip(alive, accuracies.result(), strict=True):
            if results[k].ok:
                results[k].rows[e]["accuracy"] = float(value)


def finish(
    results: list[SeedResult], start: float, stack=None, keep_models: bool = False
) -> list[SeedResult]:
    """Stamp the run's wall time on every seed, stack per-evaluation array lists and, with
    ``keep_models``, give every finished seed its trained model (unstacked from ``stack``)."""
    seconds = time.perf_counter() - start
    for k, result in enumerate(results):
        result.seconds = seconds
        if keep_models and result.ok:
            result.model = stack.unstack(k)
        result.arrays = {
            name: np.stack(v) if isinstance(v, list) else v for name, v in result.arrays.items()
        }
    return results
