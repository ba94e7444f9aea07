"""MI estimation on Gaussian pairs with a known answer (the paper's Section 4, Fig. 4c).

A critic alone is trained to maximize a bound on 2-d pairs ``(x, y)``. With iid pairs the
estimate stays below the true MI; with the paper's non-iid sampler (one z shared by the
whole batch) the negatives are no longer draws from p(x)p(y), and the estimate can exceed
it: the lower-bound guarantee needs iid samples.
"""

from __future__ import annotations

import numpy as np
import torch

from mirl.critics import build_critic
from mirl.data.gaussian import GaussianPairs, gaussian_mi
from mirl.paper.spec import GaussianSpec
from mirl.runtime.flops import forward_flops
from mirl.runtime.loop import Values
from mirl.runtime.outcome import DivergenceWatch
from mirl.runtime.stacking import adam, build_seeds
from mirl.runtime.streams import NormalStream


def true_mi(spec: GaussianSpec) -> float:
    """The MI of each pair, whose law is ``N(0, sigma_z + sigma_eps)`` under both samplers."""
    return gaussian_mi(np.add(spec.sigma_z, spec.sigma_eps))


class GaussianTrainer:
    """K seeds of a ``GaussianSpec`` ready to train (``mirl.runtime.loop.Trainer``): stacked
    critics, one Adam, each seed's stream of pairs; ``trace`` holds every step's bound."""

    def __init__(
        self,
        spec: GaussianSpec,
        seeds: list[int],
        device: torch.device,
        data: None = None,
        probe_executor: None = None,
        stacked: bool = True,
    ):
        self.spec, self.seeds = spec, seeds
        self.steps, self.eval_steps, self.run_id = spec.steps, spec.eval_steps, spec.run_id
        self.model = build_seeds(
            lambda: build_critic(spec.critic, 1, 1, **spec.critic_kwargs), seeds, device, stacked
        )
        self.bound, self.loss = spec.bound_function(), spec.loss_function()
        self.optimizer = adam(self.model.parameters(), spec.lr)
        self.normals = NormalStream((spec.batch_size + 1, 2), seeds, device, "pairs", chunk=256)
        self.streams = [self.normals]
        self.pairs = GaussianPairs(spec.sampler, spec.sigma_z, spec.sigma_eps)
        self.watch = DivergenceWatch(len(seeds), device)
        self.trace = torch.zeros(spec.steps, len(seeds), device=device)
        self.mi = true_mi(spec)

    @staticmethod
    def step_cost(spec: GaussianSpec) -> int:
        """The FLOPs of one seed's step, estimated as 3x the critic's forward pass."""
        shape = (spec.batch_size, 1)
        return 3 * forward_flops(
            lambda: build_critic(spec.critic, 1, 1, **spec.critic_kwargs), shape, shape
        )

    def warm_up(self) -> None:
        pass

    def step(self) -> None:
        pairs = self.pairs(self.normals.next())
        values = self.bound(self.model(pairs[..., :1], pairs[..., 1:]))
        losses = self.loss(values)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.optimizer.step()
        self.trace.index_copy_(0, self.watch.step.view(1), values.detach()[None])
        self.watch.update(losses)

    def evaluate(self, step: int, alive: list[int]) -> Values:
        window = self.trace[step - self.spec.eval_every : step].mean(0)[alive]
        return {
            "train_bound": window.cpu().numpy(),
            "bound_value": window.cpu().numpy(),
            "true_mi": np.full(len(alive), self.mi),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        return {"bound_trace": self.trace.T.cpu().numpy()}
