"""What training one seed of a run produces, and how a divergence becomes a reported failure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor


@dataclass
class Timings:
    """Where a seed group's seconds went: its training steps, its evaluations (without the
    probe fits they ran in line) and its probe fits (all of them, wherever they ran; fits
    beside training on a thread pool add up over the threads)."""

    train: float = 0.0
    evaluation: float = 0.0
    probe: float = 0.0


@dataclass
class SeedResult:
    """One seed of one run: its evaluation rows, its arrays, or the error that stopped it.

    ``rows`` has one dict per evaluation (at least its ``step``); ``arrays`` holds
    per-evaluation arrays such as Jacobian singular values ``[evals, n, d]`` and per-step
    traces. A failed seed keeps no rows: a diverged run is reported, never recorded as a
    number. ``seconds`` is the group's time from start to end and ``timings`` where it went
    (all seeds of a group share both). ``model`` is the trained module, when the trainer
    was asked to keep it (it is never stored).
    """

    seed: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    timings: Timings = field(default_factory=Timings)
    model: torch.nn.Module | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


class DivergenceWatch:
    """Remembers, per seed, the first step whose loss was not finite, without a host sync.

    ``update`` runs every step on the device (also inside a captured CUDA graph: the step
    counter lives on the device); ``failed`` (which syncs) is read at evaluations, where
    the host waits for the device anyway.
    """

    checkpointed = ("first_bad", "step")

    def __init__(self, num_seeds: int, device: torch.device):
        self.first_bad = torch.full((num_seeds,), -1, dtype=torch.long, device=device)
        self.step = torch.zeros((), dtype=torch.long, device=device)

    def update(self, losses: Tensor, advance: bool = True) -> None:
        """Check this step's ``losses [..., K]``; ``advance`` counts the step."""
        bad = ~torch.isfinite(losses.detach()).reshape(-1, self.first_bad.shape[0]).all(0)
        newly_bad = bad & (self.first_bad < 0)
        self.first_bad.copy_(torch.where(newly_bad, self.step, self.first_bad))
        if advance:
            self.step += 1

    def failed(self) -> dict[int, int]:
        """``{seed index: first bad step}`` for every seed that has diverged."""
        bad = self.first_bad.cpu().tolist()
        return {k: step for k, step in enumerate(bad) if step >= 0}
