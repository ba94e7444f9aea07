"""What ``mirl bench`` times: one paper-profile run stands for each distinct training step
(each experiment names its runs that stand for its architectures, ``Experiment.bench``),
and the trainers that run it, stacked or plain.

The plain one-seed loop is the same trainer with one seed and its model left unstacked
(``stacked=False``): the same modules, streams, bound and optimizer, so it cannot drift
from what the stacked step computes; only the layers' kernels differ (``F.linear`` and
ungrouped convolutions instead of batched products).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import torch

from mirl.data.views import ImageData
from mirl.experiments import EXPERIMENTS, architecture_key
from mirl.runtime.flops import counted_flops
from mirl.runtime.kinds import kind_of
from mirl.runtime.loop import SeedGroup, Trainer
from mirl.runtime.run_spec import RunSpec


def item_specs(experiments: Sequence[str]) -> list[RunSpec]:
    """The paper-profile spec that stands for each distinct step of ``experiments`` (the
    bound and the target do not change a step's cost, so one run stands for every run of
    the same architecture): the runs their declarations name, the first of each
    architecture."""
    items: dict[tuple, RunSpec] = {}
    for name in experiments:
        experiment = EXPERIMENTS[name]
        for spec in experiment.specs("paper"):
            if spec.name in experiment.bench:
                items.setdefault(architecture_key(spec), spec)
    return list(items.values())


def make_trainer(
    spec: RunSpec,
    seeds: list[int],
    data: ImageData,
    stacked: bool = True,
    executor: Executor | None = None,
) -> Trainer:
    """The trainer of ``spec`` for ``seeds`` on the data's device."""
    kind = kind_of(spec)
    images = data if kind.uses_images else None
    return kind.trainer(spec, SeedGroup(seeds, data.device, images, executor, stacked))


def step_flops(trainer: Trainer) -> int:
    """The floating-point operations of one training step (forward and backward of every
    matrix product and convolution; it takes the step)."""
    return counted_flops(trainer.step)


def tf32(enabled: bool) -> None:
    """Allow (or not) TF32 tensor cores for float32 matrix products on CUDA."""
    torch.backends.cuda.matmul.allow_tf32 = enabled
