"""The adversarial kind of run (``AdversarialSpec``, the paper's Fig. 1c): an invertible
encoder, whose codes carry all the information of its input, trained so that a linear
classifier cannot read the label.

K seeds train at once: encoders and linear classifiers stacked in one model, with an Adam
for each. The classifier first trains alone; then every iteration takes several
classifier steps on the true labels and one encoder step on the cross-entropy to uniform
labels (the classifier is not updated by that step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl.data.mnist import N_CLASSES, VIEW_DIM
from mirl.data.views import split_views
from mirl.encoders import build_encoder
from mirl.layers import Dense
from mirl.probe import start_probe
from mirl.runtime.encode import encode
from mirl.runtime.flops import forward_flops
from mirl.runtime.kinds import Draw, Kind, register_kind
from mirl.runtime.loop import SeedGroup, Values
from mirl.runtime.outcome import DivergenceWatch
from mirl.runtime.run_spec import RunSpec, on_meta, positive, positive_int
from mirl.runtime.stacking import adam, build_seeds
from mirl.runtime.streams import BatchStream


@dataclass(frozen=True)
class AdversarialSpec(RunSpec):
    """An invertible encoder trained to make a linear classifier's predictions uniform.

    The classifier (lr ``lr``) first trains alone for ``warmup`` steps; then each of the
    ``steps`` iterations takes ``classifier_steps`` classifier steps and one encoder step
    (lr ``lr * encoder_lr_factor``) on the cross-entropy to uniform labels. The linear
    probe runs every ``steps // evals`` iterations from iteration 0, and after the last (the
    defaults give the Colab's 11 probes, at iterations 0 to 4,000).
    """

    kind: ClassVar[str] = "adversarial"
    experiment: str
    encoder: str = "realnvp"
    encoder_kwargs: dict[str, Any] = field(default_factory=dict)
    lr: float = 1e-3
    encoder_lr_factor: float = 0.01
    batch_size: int = 128
    warmup: int = 1000
    steps: int = 4000
    evals: int = 10
    classifier_steps: int = 10
    probe: str = "sklearn"

    def __post_init__(self) -> None:
        self._validate()
        on_meta(lambda: build_encoder(self.encoder, VIEW_DIM, **self.encoder_kwargs))
        positive(self.encoder_lr_factor, "encoder_lr_factor")
        if self.warmup < 0:
            raise ValueError(f"warmup must be a non-negative integer, got {self.warmup!r}")
        positive_int(self.classifier_steps, "classifier_steps")

    @property
    def name(self) -> str:
        return f"{self.encoder}-adversarial"

    def labels(self) -> dict[str, Any]:
        return {
            "encoder": self.encoder,
            "critic": None,
            "bound": None,
            "target": math.nan,
            "label": f"{self.encoder}, adversarial",
        }


class EncoderWithClassifier(nn.Module):
    """An encoder and a linear classifier on its codes: ``x [B, d] -> logits [B, 10]``."""

    def __init__(self, encoder: nn.Module, n_classes: int = N_CLASSES):
        super().__init__()
        self.encoder = encoder
        self.classifier = Dense(encoder.out_dim, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.encoder(x))


def cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy per seed: ``logits [K, B, C]``, labels ``[K, B]`` -> ``[K]``."""
    k, b, c = logits.shape
    return (
        F.cross_entropy(logits.reshape(k * b, c), labels.reshape(k * b), reduction="none")
        .view(k, b)
        .mean(1)
    )


def uniform_cross_entropy(logits: Tensor) -> Tensor:
    """Mean cross-entropy to the uniform label distribution per seed: ``[K, B, C] -> [K]``."""
    return -F.log_softmax(logits, dim=-1).mean(dim=-1).mean(dim=-1)


class AdversarialTrainer:
    """K seeds of an ``AdversarialSpec`` ready to train (``mirl.runtime.loop.Trainer``):
    ``warm_up()`` trains the classifiers alone; ``step()`` is one iteration."""

    checkpointed = (
        "model",
        "opt_classifier",
        "opt_encoder",
        "batches",
        "watch",
        "iteration",
        "classifier_losses",
        "encoder_losses",
        "_last_evaluation",
    )

    def __init__(self, spec: AdversarialSpec, group: SeedGroup):
        self.spec, self.group, self.data = spec, group, group.data
        seeds, data, device, stacked = group.seeds, group.data, group.data.device, group.stacked
        self.model = build_seeds(
            lambda: EncoderWithClassifier(
                build_encoder(spec.encoder, VIEW_DIM, **spec.encoder_kwargs)
            ),
            seeds,
            device,
            stacked,
        )
        self.opt_classifier = adam(self.model.classifier.parameters(), spec.lr)
        self.opt_encoder = adam(self.model.encoder.parameters(), spec.lr * spec.encoder_lr_factor)
        self.batches = BatchStream(data.train_x.shape[0], spec.batch_size, seeds, device)
        self.streams = [self.batches]
        self.train_top = split_views(data.train_x)[0]
        self.watch = DivergenceWatch(len(seeds), device)
        # Per-iteration losses, written at the device-side iteration count.
        self.iteration = torch.zeros(1, dtype=torch.long, device=device)
        self.classifier_losses = torch.zeros(spec.steps, len(seeds), device=device)
        self.encoder_losses = torch.zeros(spec.steps, len(seeds), device=device)
        self._last_evaluation = 0

    @staticmethod
    def step_cost(spec: AdversarialSpec) -> int:
        """The FLOPs of one seed's iteration, estimated from the encoder's forward pass: one
        per classifier step, three for the encoder step."""
        encoder = forward_flops(
            lambda: build_encoder(spec.encoder, VIEW_DIM, **spec.encoder_kwargs),
            (spec.batch_size, VIEW_DIM),
        )
        return (spec.classifier_steps + 3) * encoder

    def _batch(self) -> tuple[Tensor, Tensor]:
        idx = self.batches.next()
        return self.train_top[idx], self.data.train_y[idx]

    def _classifier_step(self) -> Tensor:
        x, y = self._batch()
        with torch.no_grad():
            codes = self.model.encoder(x)
        losses = cross_entropy(self.model.classifier(codes), y)
        self.opt_classifier.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.opt_classifier.step()
        return losses.detach()

    def warm_up(self) -> None:
        for _ in range(self.spec.warmup):
            self.watch.update(self._classifier_step(), advance=False)

    def step(self) -> None:
        steps = range(self.spec.classifier_steps)
        classifier = torch.stack([self._classifier_step() for _ in steps])
        x, _ = self._batch()
        losses = uniform_cross_entropy(self.model(x))
        self.opt_encoder.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.opt_encoder.step()
        self.watch.update(torch.cat([classifier, losses.detach()[None]]))
        # As recorded before: the last classifier step's loss, and the encoder's.
        self.classifier_losses.index_copy_(0, self.iteration, classifier[-1:])
        self.encoder_losses.index_copy_(0, self.iteration, losses.detach()[None])
        self.iteration += 1

    def mean_losses(self, since: int, until: int) -> tuple[Tensor, Tensor]:
        """Per seed, the mean classifier and encoder losses of iterations [since, until)."""
        window = slice(since, until)
        return self.classifier_losses[window].mean(0), self.encoder_losses[window].mean(0)

    @torch.no_grad()
    def evaluate(self, step: int, alive: list[int]) -> Values:
        k = len(self.group)
        train_codes = encode(self.model.encoder, self.train_top, k)
        test_codes = encode(self.model.encoder, split_views(self.data.test_x)[0], k)
        classifier_loss, encoder_loss = self.mean_losses(self._last_evaluation, step)
        self._last_evaluation = step
        return {
            "classifier_loss": classifier_loss[alive].cpu().numpy(),
            "encoder_loss": encoder_loss[alive].cpu().numpy(),
            "accuracy": start_probe(
                self.spec.probe,
                train_codes[alive],
                self.data.train_y,
                test_codes[alive],
                self.data.test_y,
                [self.group.seeds[i] for i in alive],
                self.group.probe_executor,
            ),
        }

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "classifier_loss": self.classifier_losses.T.cpu().numpy(),
            "encoder_loss": self.encoder_losses.T.cpu().numpy(),
        }


def _draws(spec: AdversarialSpec) -> list[Draw]:
    return [("batch_size", spec.batch_size, "train")]


def _example() -> AdversarialSpec:
    return AdversarialSpec(
        "check",
        encoder_kwargs={"couplings": 2, "hidden": [8]},
        batch_size=16,
        warmup=2,
        steps=4,
        evals=2,
        classifier_steps=2,
        probe="torch",
    )


ADVERSARIAL = register_kind(Kind(AdversarialSpec, AdversarialTrainer, _example, _draws))
