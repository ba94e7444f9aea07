"""``estimate``: train an estimation run's seeds together here and return their rows."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd
import torch

from mirl.estimation.spec import EstimateSpec
from mirl.estimation.trainer import EstimateTrainer
from mirl.runtime.loop import SeedGroup, train_seeds


def estimate(
    spec: EstimateSpec,
    seeds: Sequence[int] = tuple(range(8)),
    device: torch.device | str = "cpu",
    capture: bool | None = None,
) -> pd.DataFrame:
    """Train ``spec`` for all ``seeds`` at once and return one row per (seed, evaluation).

    Columns, as in ``mirl.results.load``'s tidy table: ``experiment``, ``name`` (the run's),
    ``seed``, ``step``, ``estimate`` (the bound on held-out pairs), ``train_bound`` (its
    mean on the training batches since the previous evaluation), ``true_mi`` (of the level
    evaluated), ``seconds``, and the spec's labels (``task``, ``critic``, ``bound``, ...). A seed
    whose loss became NaN/inf has no rows; a warning names it and the step. ``capture``
    replays each step as a CUDA graph (default: on CUDA). Nothing is stored: ``mirl
    estimate`` stores runs and resumes them.

    Example: ``estimate(EstimateSpec("staircase", "smile"), seeds=range(8), device="cuda")``.
    """
    results = train_seeds(EstimateTrainer(spec, SeedGroup(seeds, device)), capture=capture)
    for result in results:
        if not result.ok:
            warnings.warn(result.error, stacklevel=2)
    base = {"experiment": spec.experiment, "name": spec.name, **spec.labels()}
    rows = [{**base, "seed": r.seed, **row} for r in results for row in r.rows]
    return pd.DataFrame(rows)
