"""The seed-batched trainer for two-view MI maximization (``MISpec``), and ``train``, which
dispatches any spec to its trainer.

K seeds of one spec train together: one ``SeedStack`` of K two-view models, one Adam over
the stacked parameters, the sum of the K per-seed losses. Each seed draws its own
initialization, minibatch order and noise (``mirl.runtime.streams``), so seed k's curve is the one
it would have alone, up to float rounding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

import numpy as np
import torch
from torch import Tensor
from torch.func import vmap

from mirl.data.mnist import VIEW_DIM
from mirl.data.views import ImageData, noisy_views, split_views
from mirl.paper.adversarial import train_adversarial
from mirl.paper.models import bound_fn, build_two_view_model, loss_fn
from mirl.paper.noniid import train_gaussian
from mirl.paper.spec import AdversarialSpec, GaussianSpec, MISpec, Spec
from mirl.probe import Accuracies
from mirl.runtime.encode import ENCODE_CHUNK, encode, probe_accuracy
from mirl.runtime.jacobian import jacobian_singular_values
from mirl.runtime.outcome import (
    DivergenceWatch,
    SeedResult,
    fill_accuracies,
    finish,
    retire_diverged,
)
from mirl.runtime.stacking import SeedStack, adam, build_stack
from mirl.runtime.streams import BatchStream, NormalStream

StepCallback = Callable[[int], None]

# Test batches scored per vmapped critic call: bounds the [K, n, B, B, hidden] activations
# of the concat critic.
TEST_BATCHES_PER_CALL = 4
# The Colab's testing loss runs one training batch per slice of this many test images.
COLAB_TEST_SLICE = 512


def train(
    spec: Spec,
    seeds: Sequence[int],
    data: ImageData | None = None,
    device: torch.device | str | None = None,
    on_step: StepCallback | None = None,
    keep_models: bool = False,
    probe_executor: Executor | None = None,
) -> list[SeedResult]:
    """Train ``spec`` for every seed in ``seeds`` at once; one ``SeedResult`` per seed.

    ``data`` is MNIST on the training device (not needed by ``GaussianSpec``, which trains
    on ``device``). ``on_step(n)`` is called after every step with the steps done. With
    ``keep_models``, each finished seed's result carries its trained model. Saga probes run
    on ``probe_executor`` (a thread pool) while training goes on, if one is given.
    """
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct integers, got {seeds}")
    if isinstance(spec, MISpec):
        return train_mi(spec, seeds, _need_data(spec, data), on_step, keep_models, probe_executor)
    if isinstance(spec, AdversarialSpec):
        data = _need_data(spec, data)
        return train_adversarial(spec, seeds, data, on_step, keep_models, probe_executor)
    if isinstance(spec, GaussianSpec):
        return train_gaussian(spec, seeds, torch.device(device or "cpu"), on_step, keep_models)
    raise ValueError(f"not a run spec: {spec!r}")


def _need_data(spec: Spec, data: ImageData | None) -> ImageData:
    if data is None:
        raise ValueError(f"run {spec.experiment}/{spec.name} needs MNIST data")
    return data


class MITrainer:
    """K seeds of an ``MISpec`` ready to train: the stacked two-view models, one Adam, and
    each seed's minibatch and noise streams. ``step()`` is one optimizer step of all seeds."""

    def __init__(self, spec: MISpec, seeds: list[int], data: ImageData):
        self.spec, self.seeds, self.data = spec, seeds, data
        device = data.device
        self.stack = build_stack(lambda: build_two_view_model(spec), seeds, device)
        self.bound, self.loss = bound_fn(spec), loss_fn(spec)
        self.optimizer = adam(self.stack.parameters(), spec.lr)
        self.batches = BatchStream(data.train_x.shape[0], spec.batch_size, seeds, device)
        self.noise = (
            NormalStream((spec.batch_size, VIEW_DIM), seeds, device, "noise")
            if spec.noise_std > 0
            else None
        )
        self.watch = DivergenceWatch(len(seeds), device)
        self._bound_sum = torch.zeros(len(seeds), device=device)
        self._bound_steps = 0

    def step(self, step: int) -> None:
        noise = None if self.noise is None else self.spec.noise_std * self.noise.next()
        x1, x2 = noisy_views(self.data.train_x[self.batches.next()], noise)
        values = self.bound(self.stack(x1, x2))
        losses = self.loss(values)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.optimizer.step()
        self.watch.update(step, losses)
        self._bound_sum += values.detach()
        self._bound_steps += 1

    def take_train_bound(self) -> list[float]:
        """The mean training-batch bound per seed since the last call (NaN before any step)."""
        if not self._bound_steps:
            return [np.nan] * len(self.seeds)
        mean = (self._bound_sum / self._bound_steps).tolist()
        self._bound_sum.zero_()
        self._bound_steps = 0
        return mean


def train_mi(
    spec: MISpec,
    seeds: list[int],
    data: ImageData,
    on_step: StepCallback | None = None,
    keep_models: bool = False,
    probe_executor: Executor | None = None,
) -> list[SeedResult]:
    """Maximize (or target) the spec's bound between the two views, K seeds at once."""
    start = time.perf_counter()
    trainer = MITrainer(spec, seeds, data)
    evaluator = MIEvaluator(spec, trainer.stack, data, seeds, probe_executor)
    results = [SeedResult(seed) for seed in seeds]
    eval_steps = set(spec.eval_steps)
    probes: list[tuple[list[int], Accuracies]] = []  # per evaluation; resolved at the end

    for step in range(spec.steps):
        if step in eval_steps:
            alive = retire_diverged(trainer.watch, results, spec, "loss")
            if not alive:
                break
            train_bound = trainer.take_train_bound()
            metrics, accuracies = evaluator(step, alive)
            probes.append((alive, accuracies))
            elapsed = time.perf_counter() - start
            for k in alive:
                row = {key: float(v[k]) for key, v in metrics.items() if key != "singular_values"}
                results[k].rows.append(
                    {"iteration": step, **row, "train_bound": train_bound[k], "seconds": elapsed}
                )
                if "singular_values" in metrics:
                    results[k].arrays.setdefault("singular_values", []).append(
                        metrics["singular_values"][k]
                    )
        trainer.step(step)
        if on_step is not None:
            on_step(step + 1)

    retire_diverged(trainer.watch, results, spec, "loss")
    fill_accuracies(results, probes)
    return finish(results, start, trainer.stack, keep_models)


class MIEvaluator:
    """One evaluation of K seeds: probe accuracy, test bound and loss, Jacobian spectra."""

    def __init__(
        self,
        spec: MISpec,
        stack: SeedStack,
        data: ImageData,
        seeds: list[int],
        probe_executor: Executor | None,
    ):
        self.spec, self.data, self.seeds = spec, data, seeds
        self.probe_executor = probe_executor
        self.model = stack
        self.g1, self.g2 = stack.submodule("g1"), stack.submodule("g2")
        self.critic = stack.submodule("critic")
        self.bound, self.loss = bound_fn(spec), loss_fn(spec)
        # The Colab's "testing loss": one fresh training batch per 512-image slice of the test
        # set, weighted by the slice's size (its test images feed a placeholder that the
        # loss does not read); 20 batches for MNIST's 10,000 test images.
        n_test = data.test_x.shape[0]
        sizes = [min(COLAB_TEST_SLICE, n_test - i) for i in range(0, n_test, COLAB_TEST_SLICE)]
        self.colab_weights = torch.tensor(sizes, device=data.device) / n_test
        n_train = data.train_x.shape[0]
        self.colab_batches = BatchStream(n_train, spec.batch_size, seeds, data.device, "colab")
        self.colab_noise = NormalStream(
            (spec.batch_size, VIEW_DIM), seeds, data.device, "colab-noise", chunk=len(sizes)
        )
        if spec.jacobian:
            n = spec.jacobian_samples
            self.jacobian_batches = BatchStream(
                data.train_x.shape[0], n, seeds, data.device, "jacobian"
            )
            self.jacobian_noise = NormalStream(
                (n, VIEW_DIM), seeds, data.device, "jacobian-noise", chunk=1
            )

    def _noise(self, purpose: str) -> NormalStream | None:
        if self.spec.noise_std == 0:
            return None
        return NormalStream(
            (ENCODE_CHUNK, VIEW_DIM), self.seeds, self.data.device, purpose, chunk=1
        )

    @torch.no_grad()
    def __call__(self, step: int, alive: list[int]) -> tuple[dict[str, np.ndarray], Accuracies]:
        """The metrics ``[K]`` of every seed, and the probe accuracies of the ``alive`` ones."""
        spec, data = self.spec, self.data
        std = spec.noise_std
        train_top, _ = split_views(data.train_x)
        test_top, test_bottom = split_views(data.test_x)
        train_codes = encode(self.g1, train_top, self._noise(f"probe-noise-{step}"), std)
        # Both views of a test image get the same noise: two streams of one purpose agree.
        u = encode(self.g1, test_top, self._noise(f"test-noise-{step}"), std)
        v = encode(self.g2, test_bottom, self._noise(f"test-noise-{step}"), std)
        bounds = self._test_bounds(u, v)
        colab_bounds = self._colab_bounds()
        metrics = {
            "test_bound": bounds.mean(dim=-1).cpu().numpy(),
            "test_loss": self.loss(bounds).mean(dim=-1).cpu().numpy(),
            "colab_bound": (colab_bounds @ self.colab_weights).cpu().numpy(),
            "colab_loss": (self.loss(colab_bounds) @ self.colab_weights).cpu().numpy(),
        }
        metrics["bound_value"] = -metrics["colab_loss"]
        accuracies = probe_accuracy(
            spec.probe,
            train_codes[alive],
            u[alive],
            data,
            [self.seeds[k] for k in alive],
            self.probe_executor,
        )
        if spec.jacobian:
            x = data.train_x[self.jacobian_batches.next()]
            top, _ = noisy_views(x, std * self.jacobian_noise.next())
            metrics["singular_values"] = (
                jacobian_singular_values(self.g1, top).float().cpu().numpy()
            )
        return metrics, accuracies

    def _colab_bounds(self) -> Tensor:
        """The bound on fresh training batches, one per weight: ``[K, n_batches]``."""
        values = []
        for _ in range(len(self.colab_weights)):
            noise = self.spec.noise_std * self.colab_noise.next() if self.spec.noise_std else None
            x1, x2 = noisy_views(self.data.train_x[self.colab_batches.next()], noise)
            values.append(self.bound(self.model(x1, x2)))
        return torch.stack(values, dim=-1)

    def _test_bounds(self, u: Tensor, v: Tensor) -> Tensor:
        """The bound on each full test batch of the training batch size: ``[K, n_batches]``."""
        k, b = u.shape[0], self.spec.batch_size
        n = u.shape[1] // b
        u = u[:, : n * b].reshape(k, n, b, -1)
        v = v[:, : n * b].reshape(k, n, b, -1)
        critic = self.critic

        def per_seed(params: dict, buffers: dict, us: Tensor, vs: Tensor) -> Tensor:
            return vmap(lambda a, c: critic.call_one(params, buffers, a, c))(us, vs)

        scores = [
            vmap(per_seed)(
                critic.params,
                critic.buffers,
                u[:, i : i + TEST_BATCHES_PER_CALL],
                v[:, i : i + TEST_BATCHES_PER_CALL],
            )
            for i in range(0, n, TEST_BATCHES_PER_CALL)
        ]
        return self.bound(torch.cat(scores, dim=1))
