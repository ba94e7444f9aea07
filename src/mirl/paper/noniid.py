"""MI estimation on Gaussian pairs with a known answer (the paper's Section 4, Fig. 4c).

A critic alone is trained to maximize a bound on 2-d pairs ``(x, y)``. With iid pairs the
estimate stays below the true MI; with the paper's non-iid sampler (one z shared by the
whole batch) the negatives are no longer draws from p(x)p(y), and the estimate can exceed
it: the lower-bound guarantee needs iid samples.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from mirl.data.gaussian import GaussianPairs, gaussian_mi
from mirl.paper.models import bound_fn, build_critic, loss_fn
from mirl.paper.spec import GaussianSpec
from mirl.runtime.outcome import DivergenceWatch, SeedResult, finish, retire_diverged
from mirl.runtime.stacking import adam, build_stack
from mirl.runtime.streams import NormalStream


def true_mi(spec: GaussianSpec) -> float:
    """The MI of each pair, whose law is ``N(0, sigma_z + sigma_eps)`` under both samplers."""
    return gaussian_mi(np.add(spec.sigma_z, spec.sigma_eps))


class GaussianTrainer:
    """K seeds of a ``GaussianSpec`` ready to train: stacked critics, one Adam, each seed's
    stream of pairs. ``step()`` is one optimizer step; ``trace`` holds every step's bound."""

    def __init__(self, spec: GaussianSpec, seeds: list[int], device: torch.device):
        self.spec = spec
        self.critic = build_stack(
            lambda: build_critic(spec.critic, 1, 1, **spec.critic_kwargs), seeds, device
        )
        self.bound, self.loss = bound_fn(spec), loss_fn(spec)
        self.optimizer = adam(self.critic.parameters(), spec.lr)
        self.normals = NormalStream((spec.batch_size + 1, 2), seeds, device, "pairs", chunk=256)
        self.pairs = GaussianPairs(spec.sampler, spec.sigma_z, spec.sigma_eps)
        self.watch = DivergenceWatch(len(seeds), device)
        self.trace = torch.zeros(spec.steps, len(seeds), device=device)

    def step(self, step: int) -> None:
        pairs = self.pairs(self.normals.next())
        values = self.bound(self.critic(pairs[..., :1], pairs[..., 1:]))
        losses = self.loss(values)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.optimizer.step()
        self.watch.update(step, losses)
        self.trace[step] = values.detach()


def train_gaussian(
    spec: GaussianSpec,
    seeds: list[int],
    device: torch.device,
    on_step=None,
    keep_models: bool = False,
) -> list[SeedResult]:
    start = time.perf_counter()
    trainer = GaussianTrainer(spec, seeds, device)
    results = [SeedResult(seed) for seed in seeds]
    mi = true_mi(spec)
    eval_steps = set(spec.eval_steps)

    for step in range(spec.steps):
        trainer.step(step)
        done = step + 1
        if done in eval_steps:
            alive = retire_diverged(trainer.watch, results, spec, "loss")
            if not alive:
                break
            window = trainer.trace[done - spec.eval_every : done].mean(0).tolist()
            elapsed = time.perf_counter() - start
            for k in alive:
                results[k].rows.append(
                    {"iteration": done, "train_bound": window[k], "true_mi": mi, "seconds": elapsed}
                )
        if on_step is not None:
            on_step(done)

    retire_diverged(trainer.watch, results, spec, "loss")
    for k, result in enumerate(results):
        if result.ok:
            result.arrays["bound_trace"] = trainer.trace[:, k].cpu().numpy()
    return finish(results, start, trainer.critic, keep_models)
