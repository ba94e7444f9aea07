"""The loop's own checks: a seed group of distinct seeds, and capture only on CUDA, for every
way into it (``mirl.results.train``, ``mirl.estimation.estimate``)."""

from __future__ import annotations

import pytest
import torch

from mirl.estimation import EstimateSpec, EstimateTrainer, estimate
from mirl.runtime.loop import SeedGroup, train_seeds
from mirl.runtime.training import train

SPEC = EstimateSpec("bivariate-normal", "infonce", steps=4, evals=1, heldout_size=64)


@pytest.mark.parametrize("seeds", [[], [0, 0], (1, 2, 1)])
def test_a_seed_group_needs_distinct_seeds(seeds):
    message = "seeds must be a non-empty list of distinct integers"
    with pytest.raises(ValueError, match=message):
        SeedGroup(seeds, torch.device("cpu"))
    with pytest.raises(ValueError, match=message):
        train(SPEC, seeds)
    with pytest.raises(ValueError, match=message):
        estimate(SPEC, seeds)


def test_a_seed_group_takes_any_sequence_and_device_name():
    group = SeedGroup(range(3), "cpu")
    assert group.seeds == [0, 1, 2] and group.device == torch.device("cpu") and len(group) == 3


def test_capture_needs_cuda_and_is_off_elsewhere_by_default():
    message = "capturing a step as a CUDA graph needs a CUDA device, not cpu"
    trainer = EstimateTrainer(SPEC, SeedGroup([0], "cpu"))
    with pytest.raises(ValueError, match=message):
        train_seeds(trainer, capture=True)
    with pytest.raises(ValueError, match=message):
        train(SPEC, [0], capture=True)
    (result,) = train_seeds(trainer)  # the default on the CPU: eager
    assert result.ok and [row["step"] for row in result.rows] == [4]
