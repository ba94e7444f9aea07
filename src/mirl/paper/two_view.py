"""The two-view kind of run (``TwoViewSpec``): two encoders and a critic trained to
maximize (or to hold at a target) an MI bound between the top and bottom halves of MNIST
digits, K seeds at once (the paper's Sections 3.1-3.3).

One stacked two-view model holds the K seeds, one Adam trains them all, on the sum of
the K per-seed losses. Each seed draws its own initialization, minibatch order and noise
(``mirl.runtime.streams``), so seed k's curve is the one it would have alone, up to float
rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from mirl.critics import build_critic
from mirl.data.mnist import VIEW_DIM
from mirl.data.views import noisy_views, split_views
from mirl.encoders import build_encoder
from mirl.paper.names import run_label
from mirl.probe import start_probe
from mirl.runtime.encode import ENCODE_CHUNK, encode
from mirl.runtime.flops import forward_flops
from mirl.runtime.jacobian import jacobians, singular_values
from mirl.runtime.kinds import Draw, Kind, register_kind
from mirl.runtime.loop import SeedGroup, Values
from mirl.runtime.outcome import DivergenceWatch
from mirl.runtime.run_spec import Objective, RunSpec, on_meta, positive_int, saved_for_backward
from mirl.runtime.stacking import adam, build_seeds
from mirl.runtime.streams import BatchStream, NormalStream


@dataclass(frozen=True)
class TwoViewSpec(Objective, RunSpec):
    """Train two encoders and a critic to maximize a bound (or to hold it at ``target``)
    between the top and bottom halves of MNIST digits, with Adam.

    Evaluates every ``steps // evals`` steps from step 0, and the final model (the defaults
    give the Colab's 21 evaluations, at steps 0 to 20,000): the linear-probe accuracy of
    g1's codes, the bound on fresh training batches as the Colab computed its "testing"
    value, the bound and loss on the test set, the mean training bound since the previous
    evaluation, and (with ``jacobian``) the singular values of g1's Jacobian.
    """

    kind: ClassVar[str] = "two_view"
    experiment: str
    encoder: str
    critic: str
    bound: str
    encoder_kwargs: dict[str, Any] = field(default_factory=dict)
    critic_kwargs: dict[str, Any] = field(default_factory=dict)
    bound_kwargs: dict[str, Any] = field(default_factory=dict)
    target: float | None = None
    lr: float = 1e-4
    batch_size: int = 128
    steps: int = 20000
    evals: int = 20
    noise_std: float = 0.0
    jacobian: bool = False
    jacobian_samples: int = 128
    probe: str = "sklearn"

    def __post_init__(self) -> None:
        self._validate()
        g1 = on_meta(lambda: build_encoder(self.encoder, VIEW_DIM, **self.encoder_kwargs))
        on_meta(lambda: build_critic(self.critic, g1.out_dim, g1.out_dim, **self.critic_kwargs))
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number of nats or None, got {self.target}")
        if not (math.isfinite(self.noise_std) and self.noise_std >= 0):
            raise ValueError(f"noise_std must be a number >= 0, got {self.noise_std}")
        positive_int(self.jacobian_samples, "jacobian_samples")

    @property
    def name(self) -> str:
        suffix = "" if self.target is None else f"-t{self.target:g}"
        return f"{self.encoder}-{self.critic}-{self.bound}{suffix}"

    def labels(self) -> dict[str, Any]:
        t = math.nan if self.target is None else self.target
        return {
            "encoder": self.encoder,
            "critic": self.critic,
            "bound": self.bound,
            "target": t,
            "label": run_label(self.encoder, self.critic, self.bound, t),
        }


TEST_BATCHES_PER_CALL = 4
"""Test batches scored per critic call: bounds the ``[K, n, B, B, hidden]`` activations of
the concat critic."""

COLAB_TEST_SLICE = 512
"""The Colab's testing loss runs one training batch per slice of this many test images."""


class TwoViewModel(nn.Module):
    """``(x1 [B, d1], x2 [B, d2]) -> S [B, B]`` with ``S[i, j] = critic(g1(x1_i), g2(x2_j))``.

    Stacked, ``[K, B, d] -> [K, B, B]``."""

    def __init__(self, g1: nn.Module, g2: nn.Module, critic: nn.Module):
        super().__init__()
        self.g1, self.g2, self.critic = g1, g2, critic

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return self.critic(self.g1(x1), self.g2(x2))

    @classmethod
    def of(cls, spec: TwoViewSpec) -> TwoViewModel:
        """The model of a spec: two encoders of the same architecture and a critic."""
        g1 = build_encoder(spec.encoder, VIEW_DIM, **spec.encoder_kwargs)
        g2 = build_encoder(spec.encoder, VIEW_DIM, **spec.encoder_kwargs)
        critic = build_critic(spec.critic, g1.out_dim, g2.out_dim, **spec.critic_kwargs)
        return cls(g1, g2, critic)


class TwoViewTrainer:
    """K seeds of a ``TwoViewSpec`` ready to train (``mirl.runtime.loop.Trainer``)."""

    checkpointed = (
        "model",
        "optimizer",
        "batches",
        "noise",
        "watch",
        "_bound_sum",
        "_bound_steps",
        "_evaluation",
    )

    def __init__(self, spec: TwoViewSpec, group: SeedGroup):
        self.spec, self.group, self.data = spec, group, group.data
        seeds, data, device = group.seeds, group.data, group.data.device
        self.model = build_seeds(lambda: TwoViewModel.of(spec), seeds, device, group.stacked)
        self.bound, self.loss = spec.bound_function(), spec.loss_function()
        self.optimizer = adam(self.model.parameters(), spec.lr)
        self.batches = BatchStream(data.train_x.shape[0], spec.batch_size, seeds, device)
        self.noise = (
            NormalStream((spec.batch_size, VIEW_DIM), seeds, device, "noise")
            if spec.noise_std > 0
            else None
        )
        self.streams = [self.batches] if self.noise is None else [self.batches, self.noise]
        self.watch = DivergenceWatch(len(seeds), device)
        self._bound_sum = torch.zeros(len(seeds), device=device)
        self._bound_steps = torch.zeros((), device=device)
        self._evaluation = _Evaluation(spec, self.model, group)

    @staticmethod
    def step_cost(spec: TwoViewSpec) -> int:
        """The FLOPs of one seed's step, estimated as 3x the forward pass (a backward costs
        about two forwards)."""
        shape = (spec.batch_size, VIEW_DIM)
        return 3 * forward_flops(lambda: TwoViewModel.of(spec), shape, shape)

    def warm_up(self) -> None:
        pass

    def step(self) -> None:
        noise = None if self.noise is None else self.spec.noise_std * self.noise.next()
        x1, x2 = noisy_views(self.data.train_x[self.batches.next()], noise)
        values = self.bound(self.model(x1, x2))
        losses = self.loss(values)
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.optimizer.step()
        self.watch.update(losses)
        self._bound_sum += values.detach()
        self._bound_steps += 1

    def take_train_bound(self) -> Tensor:
        """The mean training-batch bound per seed since the last call (NaN before any step)."""
        mean = self._bound_sum / self._bound_steps
        self._bound_sum.zero_()
        self._bound_steps.zero_()
        return mean

    def evaluate(self, step: int, alive: list[int]) -> Values:
        train_bound = self.take_train_bound()
        return {**self._evaluation(step, alive), "train_bound": train_bound[alive].cpu().numpy()}

    def arrays(self) -> dict[str, np.ndarray]:
        return {}


class _Evaluation:
    """One evaluation of K seeds: probe accuracy, the Colab's testing bound, test bound and
    loss, Jacobian spectra."""

    checkpointed = ("colab_batches", "colab_noise", "jacobian_batches", "jacobian_noise")

    def __init__(self, spec: TwoViewSpec, model: TwoViewModel, group: SeedGroup):
        self.spec, self.model, self.group, self.data = spec, model, group, group.data
        seeds, data = group.seeds, group.data
        self.bound, self.loss = spec.bound_function(), spec.loss_function()
        device, n_train = data.device, data.train_x.shape[0]
        # The Colab's "testing loss": one fresh training batch per 512-image slice of the test
        # set, weighted by the slice's size (its test images feed a placeholder that the
        # loss does not read); 20 batches for MNIST's 10,000 test images.
        n_test = data.test_x.shape[0]
        sizes = [min(COLAB_TEST_SLICE, n_test - i) for i in range(0, n_test, COLAB_TEST_SLICE)]
        self.colab_weights = torch.tensor(sizes, device=device) / n_test
        self.colab_batches = BatchStream(n_train, spec.batch_size, seeds, device, "colab")
        self.colab_noise = NormalStream(
            (spec.batch_size, VIEW_DIM), seeds, device, "colab-noise", chunk=len(sizes)
        )
        if spec.jacobian:
            n = spec.jacobian_samples
            self.jacobian_batches = BatchStream(n_train, n, seeds, device, "jacobian")
            self.jacobian_noise = NormalStream(
                (n, VIEW_DIM), seeds, device, "jacobian-noise", chunk=1
            )

    def _noise(self, purpose: str) -> NormalStream | None:
        if self.spec.noise_std == 0:
            return None
        return NormalStream(
            (ENCODE_CHUNK, VIEW_DIM), self.group.seeds, self.data.device, purpose, chunk=1
        )

    def _encode(self, encoder: nn.Module, x: Tensor, purpose: str) -> Tensor:
        stream = self._noise(purpose)
        return encode(encoder, x, len(self.group), stream, self.spec.noise_std)

    @torch.no_grad()
    def __call__(self, step: int, alive: list[int]) -> Values:
        spec, data = self.spec, self.data
        train_top, _ = split_views(data.train_x)
        test_top, test_bottom = split_views(data.test_x)
        train_codes = self._encode(self.model.g1, train_top, f"probe-noise-{step}")
        # Both views of a test image get the same noise: two streams of one purpose agree.
        u = self._encode(self.model.g1, test_top, f"test-noise-{step}")
        v = self._encode(self.model.g2, test_bottom, f"test-noise-{step}")
        bounds = self._test_bounds(u, v)
        colab_bounds = self._colab_bounds()
        colab_loss = self.loss(colab_bounds) @ self.colab_weights
        values: dict = {
            "test_bound": bounds.mean(dim=-1),
            "test_loss": self.loss(bounds).mean(dim=-1),
            "colab_bound": colab_bounds @ self.colab_weights,
            "colab_loss": colab_loss,
        }
        values = {name: value[alive].cpu().numpy() for name, value in values.items()}
        values["accuracy"] = start_probe(
            spec.probe,
            train_codes[alive],
            data.train_y,
            u[alive],
            data.test_y,
            [self.group.seeds[k] for k in alive],
            self.group.probe_executor,
        )
        if spec.jacobian:
            x = data.train_x[self.jacobian_batches.next()]
            top, _ = noisy_views(x, spec.noise_std * self.jacobian_noise.next())
            with torch.enable_grad():
                jac = jacobians(self.model.g1, top)
            values["singular_values"] = singular_values(jac[alive])
        return values

    def _colab_bounds(self) -> Tensor:
        """The bound on fresh training batches, one per weight: ``[K, n_batches]``."""
        bounds = []
        for _ in range(len(self.colab_weights)):
            noise = self.spec.noise_std * self.colab_noise.next() if self.spec.noise_std else None
            x1, x2 = noisy_views(self.data.train_x[self.colab_batches.next()], noise)
            bounds.append(self.bound(self.model(x1, x2)))
        return torch.stack(bounds, dim=-1)

    def _test_bounds(self, u: Tensor, v: Tensor) -> Tensor:
        """The bound on each full test batch of the training batch size: ``[K, n_batches]``."""
        k, b = u.shape[0], self.spec.batch_size
        n = u.shape[1] // b
        u = u[:, : n * b].reshape(k, n, b, -1)
        v = v[:, : n * b].reshape(k, n, b, -1)
        per_call = TEST_BATCHES_PER_CALL
        scores = [
            self.model.critic(u[:, i : i + per_call], v[:, i : i + per_call])
            for i in range(0, n, per_call)
        ]
        return self.bound(torch.cat(scores, dim=1))


def _draws(spec: TwoViewSpec) -> list[Draw]:
    # Training batches and the Colab's testing batches come from the training set; the
    # test bound is computed on whole test batches of the training batch size.
    draws = [("batch_size", spec.batch_size, "train"), ("batch_size", spec.batch_size, "test")]
    if spec.jacobian:
        draws.append(("jacobian_samples", spec.jacobian_samples, "train"))
    return draws


MNIST_IMAGES = 70_000
"""The images an evaluation encodes: MNIST's 60,000 training and 10,000 test images."""

FLOAT32 = 4


def _memory(spec: TwoViewSpec, seeds: int) -> dict[str, int]:
    """Bytes a group of ``seeds`` seeds of ``spec`` holds while it trains (see ``Kind``):
    the networks with their gradients and Adam's moments, a step's activations (as autograd
    keeps them, and their gradients), the codes an evaluation probes, and the Jacobians."""
    k, b = seeds, spec.batch_size
    model = on_meta(lambda: TwoViewModel.of(spec))
    parameters = sum(p.numel() for p in model.parameters())
    activations = saved_for_backward(model, (b, VIEW_DIM), (b, VIEW_DIM))
    need = {
        "encoder_kwargs and critic_kwargs: the networks and Adam's state": (
            4 * FLOAT32 * k * parameters
        ),
        "batch_size and encoder_kwargs: a step's activations": 2 * k * activations,
        "encoder_kwargs: the codes of an evaluation": (
            FLOAT32 * k * MNIST_IMAGES * (model.g1.out_dim + model.g2.out_dim)
        ),
    }
    if spec.jacobian:
        need["jacobian_samples: the encoder's Jacobians"] = (
            FLOAT32 * k * spec.jacobian_samples * model.g1.out_dim * VIEW_DIM
        )
    return need


def _example() -> TwoViewSpec:
    return TwoViewSpec(
        "check",
        "mlp",
        "bilinear",
        "nwj",
        encoder_kwargs={"widths": [16, 8]},
        batch_size=16,
        steps=4,
        evals=2,
        probe="torch",
    )


TWO_VIEW = register_kind(Kind(TwoViewSpec, TwoViewTrainer, _example, _draws, _memory))
