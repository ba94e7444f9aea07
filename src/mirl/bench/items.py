"""What ``mirl bench`` times: one paper-profile run stands for each distinct training step,
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
from mirl.paper.experiments import experiment_specs
from mirl.paper.spec import Spec
from mirl.results.kinds import kind_of
from mirl.runtime.flops import counted_flops
from mirl.runtime.loop import SeedGroup, Trainer

ITEM_RUNS = {
    "invertible": ("realnvp-bilinear-infonce",),
    "adversarial": ("realnvp-adversarial",),
    "non_invertible": ("mlp-bilinear-infonce",),
    "critic_impact": ("mlp-bilinear-infonce", "mlp-separable-infonce", "mlp-concat-infonce"),
    "encoder_impact": ("convnet-bilinear-infonce-t2",),
    "noniid": ("noniid-infonce",),
}
"""The runs timed per experiment: the bound and the target do not change a step's cost, so
one run stands for every run of the same architecture."""


def item_specs(experiments: Sequence[str]) -> list[Spec]:
    """The paper-profile spec that stands for each distinct step of ``experiments``."""
    return [
        s
        for name in experiments
        for s in experiment_specs(name, "paper")
        if s.name in ITEM_RUNS[name]
    ]


def architecture_key(spec: Spec) -> tuple:
    """What determines a step's cost: the kind and the networks (and the noise draws)."""
    return (
        spec.kind,
        getattr(spec, "encoder", None),
        getattr(spec, "critic", None),
        getattr(spec, "noise_std", 0) > 0,
    )


def make_trainer(
    spec: Spec,
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
