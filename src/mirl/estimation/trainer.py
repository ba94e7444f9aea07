"""K seeds of an estimation run trained together: stacked critics, one Adam, per-seed samples.

Every seed draws its pairs from its own generators, named by purpose and task, so seed k
draws the same pairs whichever seeds share its group, and every bound and critic trained
with seed k sees the same pairs (comparisons between estimators are paired):

- ``TRAIN``: fresh pairs every step (``PairStream``), or, with ``train_size``, one training
  set per level, batched by the seed's own permutations;
- ``HELDOUT``: ``heldout_size`` pairs per level, drawn once and never trained on;
- ``SAMPLER``: with the paper's ``sampler``, standard normals that the task's
  ``BatchSampler`` turns into each step's batch (iid, or with a shared z).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from mirl.critics import build_critic
from mirl.estimation.spec import EstimateSpec
from mirl.runtime.critic_trainer import CriticTrainer, critic_step_cost
from mirl.runtime.kinds import Kind, register_kind
from mirl.runtime.loop import SeedGroup, Values
from mirl.runtime.run_spec import on_meta, saved_for_backward
from mirl.runtime.streams import BatchStream, NormalStream, Stream, generators
from mirl.tasks import Task

TRAIN = "estimate/train"
HELDOUT = "estimate/heldout"
BATCHES = "estimate/batches"
SAMPLER = "pairs"
"""The purposes of a seed's random streams (``mirl.runtime.streams.derive_seed``)."""

CHUNK_STEPS = 64
"""Steps of fresh pairs drawn at once per seed (the same for any group of seeds)."""

EVAL_SCORES = 1 << 16
"""Score entries (K x batches x B x B) evaluated at once on the held-out pairs."""


def seed_pairs(task: Task, n: int, seed: int, purpose: str, device: torch.device | str) -> Tensor:
    """The ``n`` pairs ``[n, dim_x + dim_y]`` (x then y) that ``seed`` draws from ``task`` for
    ``purpose`` (``TRAIN`` with a training set, ``HELDOUT``): what its runs train or are
    evaluated on, e.g. to hand the same samples to another library."""
    (generator,) = generators([seed], f"{purpose}/{task.name}", device)
    return torch.cat(task.sample(n, generator), dim=-1)


class PairStream(Stream):
    """Fresh pairs ``[K, B, dim_x + dim_y]`` per step, each seed from its own generator, of
    the level the step trains on (the stream's n-th item is step n's batch)."""

    checkpointed = (*Stream.checkpointed, "_made")

    def __init__(self, spec: EstimateSpec, seeds: Sequence[int], device: torch.device | str):
        self.spec = spec
        self._gens = generators(seeds, f"{TRAIN}/{spec.levels.name}", device)
        self._made = 0
        super().__init__(self._chunk, CHUNK_STEPS, device)

    def _chunk(self) -> Tensor:
        """The next ``CHUNK_STEPS`` steps' pairs, ``[CHUNK_STEPS, K, B, d]``."""
        steps = range(self._made, self._made + self.block_len)
        self._made += self.block_len
        runs = [
            (level, len(list(group))) for level, group in itertools.groupby(steps, self.spec.level)
        ]
        b, tasks = self.spec.batch_size, self.spec.levels.tasks
        per_seed = [
            torch.cat(
                [
                    torch.cat(tasks[level].sample(n * b, g), dim=-1).view(n, b, -1)
                    for level, n in runs
                ]
            )
            for g in self._gens
        ]
        return torch.stack(per_seed, dim=1)


class EstimateTrainer(CriticTrainer):
    """K seeds of an ``EstimateSpec`` ready to train (``mirl.runtime.loop.Trainer``): a
    ``CriticTrainer`` on each seed's pairs of the spec's task, level after level."""

    checkpointed = (*CriticTrainer.checkpointed, "fresh", "batches", "normals")

    def __init__(self, spec: EstimateSpec, group: SeedGroup):
        levels = spec.levels
        super().__init__(spec, group, levels.dim_x, levels.dim_y)
        device = group.device
        if spec.heldout_size is not None:
            self.heldout = self._draw(spec.heldout_size, HELDOUT)  # [L, K, H, d]
        if spec.sampler is not None:
            (task,) = levels.tasks
            self.sampler = task.base.batch_sampler(spec.sampler)
            shape = (spec.batch_size + 1, levels.dim_x + levels.dim_y)
            self.normals = NormalStream(shape, group.seeds, device, SAMPLER, chunk=256)
            self.streams: list[Stream] = [self.normals]
        elif spec.train_size is None:
            self.fresh = PairStream(spec, group.seeds, device)
            self.streams = [self.fresh]
        else:
            self.train_sets = self._draw(spec.train_size, TRAIN)  # [L, K, N, d]
            self.batches = BatchStream(
                spec.train_size, spec.batch_size, group.seeds, device, BATCHES
            )
            self.streams = [self.batches]
            # Row of seed k's pair i of level l in the flattened training sets: (l K + k) N + i.
            self._seed_rows = torch.arange(len(group), device=device)[:, None] * spec.train_size

    def _draw(self, n: int, purpose: str) -> Tensor:
        """Every seed's ``n`` pairs of every level, ``[L, K, n, d]``."""
        device = self.group.device
        return torch.stack(
            [
                torch.stack(
                    [seed_pairs(task, n, seed, purpose, device) for seed in self.group.seeds]
                )
                for task in self.spec.levels.tasks
            ]
        )

    @staticmethod
    def step_cost(spec: EstimateSpec) -> int:
        return critic_step_cost(spec, spec.levels.dim_x, spec.levels.dim_y)

    def pairs(self) -> Tensor:
        """This step's pairs ``[K, B, d]``, read on the device (capturable)."""
        if self.spec.sampler is not None:
            return self.sampler(self.normals.next())
        if self.spec.train_size is None:
            return self.fresh.next()
        k, n = len(self.group), self.spec.train_size
        level = torch.div(self.watch.step, self.spec.steps_per_level, rounding_mode="floor")
        level = level.clamp(max=len(self.spec.levels.tasks) - 1)
        rows = level * (k * n) + self._seed_rows + self.batches.next()  # [K, B]
        flat = self.train_sets.view(-1, self.train_sets.shape[-1])
        return flat.index_select(0, rows.view(-1)).view(k, self.spec.batch_size, -1)

    @torch.no_grad()
    def heldout_estimate(self, level: int) -> Tensor:
        """The bound on the held-out pairs of ``level``, the mean over its batches, ``[K]``."""
        k, b = len(self.group), self.spec.batch_size
        batches = self.heldout[level].view(k, -1, b, self.heldout.shape[-1])  # [K, H/B, B, d]
        per_chunk = max(1, EVAL_SCORES // (k * b * b))
        values = [self.critic_bound(chunk) for chunk in batches.split(per_chunk, dim=1)]
        return torch.cat(values, dim=1).mean(dim=1)

    def evaluate(self, step: int, alive: list[int]) -> Values:
        level = self.spec.level(step - 1)
        values = {
            "train_bound": self.train_bound(step, alive),
            "true_mi": np.full(len(alive), self.spec.levels.tasks[level].true_mi),
        }
        if self.spec.heldout_size is not None:
            values["estimate"] = self.heldout_estimate(level)[alive].cpu().numpy()
        return values


FLOAT32, FLOAT64 = 4, 8
"""Bytes of a float32 (what trains) and of a float64 (what tasks draw in)."""


def group_memory(spec: EstimateSpec, seeds: int) -> dict[str, int]:
    """Bytes that ``EstimateTrainer`` holds while it trains ``seeds`` seeds of ``spec``
    together, by what holds them, each named with the setting that sizes it: the critics with
    their gradients and Adam's moments, a step's activations (as autograd keeps them, and
    their gradients), the pairs or normals drawn ahead, the training sets, the held-out
    pairs, and every step's training bound."""
    levels, k, b = spec.levels, seeds, spec.batch_size
    d, n_levels = levels.dim_x + levels.dim_y, len(levels.tasks)

    critic = on_meta(
        lambda: build_critic(spec.critic, levels.dim_x, levels.dim_y, **spec.critic_kwargs)
    )
    parameters = sum(p.numel() for p in critic.parameters())
    activations = saved_for_backward(critic, (b, levels.dim_x), (b, levels.dim_y))
    need = {
        "critic_kwargs: the critics and Adam's state": 4 * FLOAT32 * k * parameters,
        "batch_size and critic_kwargs: a step's activations": 2 * k * activations,
        "steps: every step's training bound": FLOAT32 * k * spec.steps,
    }
    if spec.sampler is not None:
        need["batch_size: the normals drawn ahead"] = FLOAT32 * k * 256 * (b + 1) * d
    elif spec.train_size is None:  # a chunk for the group, drawn seed by seed in float64
        need["batch_size: the pairs drawn ahead"] = (FLOAT32 * k + FLOAT64) * CHUNK_STEPS * b * d
    else:
        need["train_size: the training sets"] = FLOAT32 * n_levels * k * spec.train_size * d
    if spec.heldout_size is not None:
        need["heldout_size: the held-out pairs"] = FLOAT32 * n_levels * k * spec.heldout_size * d
    return need


def _example() -> EstimateSpec:
    return EstimateSpec(
        "bivariate-normal",
        "nwj",
        experiment="check",
        task_kwargs={"correlation": 0.5},
        critic_kwargs={"hidden": 8, "layers": 1},
        batch_size=8,
        heldout_size=16,
        steps=4,
        evals=2,
    )


ESTIMATE = register_kind(Kind(EstimateSpec, EstimateTrainer, _example, memory=group_memory))
