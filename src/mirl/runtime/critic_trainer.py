"""A critic alone, trained on pairs to maximize a bound: the common body of the trainers
that estimate the MI of samples with a known answer (the paper's Fig. 4c Gaussians in
``mirl.paper.noniid``, the tasks of ``mirl.estimation``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from mirl.critics import build_critic
from mirl.runtime.flops import forward_flops
from mirl.runtime.loop import SeedGroup
from mirl.runtime.outcome import DivergenceWatch
from mirl.runtime.stacking import adam, build_seeds


def critic_step_cost(spec: Any, dim_x: int, dim_y: int) -> int:
    """The FLOPs of one seed's step, estimated as 3x the critic's forward pass (a backward
    costs about two forwards)."""
    return 3 * forward_flops(
        lambda: build_critic(spec.critic, dim_x, dim_y, **spec.critic_kwargs),
        (spec.batch_size, dim_x),
        (spec.batch_size, dim_y),
    )


class CriticTrainer:
    """K seeds of a critic ``(x [K, B, dim_x], y [K, B, dim_y]) -> [K, B, B]``, stacked, with
    one Adam; ``trace`` holds every step's training bound ``[steps, K]``.

    ``spec`` names the critic, the bound and the optimizer (``critic``, ``critic_kwargs``,
    ``bound_function``, ``loss_function``, ``lr``, ``steps``). A subclass draws each step's
    pairs (``pairs``, ``[K, B, dim_x + dim_y]`` on the device: the step is captured) and
    evaluates."""

    checkpointed = ("model", "optimizer", "watch", "trace")

    def __init__(self, spec: Any, group: SeedGroup, dim_x: int, dim_y: int):
        self.spec, self.group, self.dim_x = spec, group, dim_x
        self.model = build_seeds(
            lambda: build_critic(spec.critic, dim_x, dim_y, **spec.critic_kwargs),
            group.seeds,
            group.device,
            group.stacked,
        )
        self.bound, self.loss = spec.bound_function(), spec.loss_function()
        self.optimizer = adam(self.model.parameters(), spec.lr)
        self.watch = DivergenceWatch(len(group), group.device)
        self.trace = torch.zeros(spec.steps, len(group), device=group.device)

    def pairs(self) -> Tensor:
        raise NotImplementedError

    def critic_bound(self, pairs: Tensor) -> Tensor:
        """The bound of each seed's batch of pairs ``[K, ..., B, dim_x + dim_y] -> [K, ...]``."""
        return self.bound(self.model(pairs[..., : self.dim_x], pairs[..., self.dim_x :]))

    def warm_up(self) -> None:
        pass

    def step(self) -> None:
        values = self.critic_bound(self.pairs())
        losses = self.loss(values)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.optimizer.step()
        self.trace.index_copy_(0, self.watch.step.view(1), values.detach()[None])
        self.watch.update(losses)

    def train_bound(self, step: int, alive: list[int]) -> np.ndarray:
        """The mean training bound of the seeds ``alive`` over the steps since the last
        evaluation before ``step``."""
        return self.trace[step - self.spec.eval_every : step].mean(0)[alive].cpu().numpy()

    def arrays(self) -> dict[str, np.ndarray]:
        return {"bound_trace": self.trace.T.cpu().numpy()}
