"""The adversarial experiment (Fig. 1c): an invertible encoder, whose codes carry all the
information of its input, trained so that a linear classifier cannot read the label.

K seeds train at once: the encoders and the linear classifiers are each one ``SeedStack``
with its own Adam. The classifier first trains alone; then every iteration takes several
classifier steps on the true labels and one encoder step on the cross-entropy to uniform
labels (the classifier is not updated by that step).
"""

from __future__ import annotations

import time
from concurrent.futures import Executor

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl.data.mnist import N_CLASSES, VIEW_DIM
from mirl.data.views import ImageData, split_views
from mirl.layers import dense
from mirl.paper.models import build_encoder
from mirl.paper.spec import AdversarialSpec
from mirl.probe import Accuracies
from mirl.runtime.encode import encode, probe_accuracy
from mirl.runtime.outcome import (
    DivergenceWatch,
    SeedResult,
    fill_accuracies,
    finish,
    retire_diverged,
)
from mirl.runtime.stacking import adam, build_stack
from mirl.runtime.streams import BatchStream


class EncoderWithClassifier(nn.Module):
    """An encoder and a linear classifier on its codes: ``x [B, d] -> logits [B, 10]``."""

    def __init__(self, encoder: nn.Module, n_classes: int = N_CLASSES):
        super().__init__()
        self.encoder = encoder
        self.classifier = dense(encoder.out_dim, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.encoder(x))


def _cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
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
    """K seeds of an ``AdversarialSpec`` ready to train: encoders and linear classifiers
    stacked, their two Adams, and each seed's minibatch stream. ``warm_up()`` trains the
    classifiers alone; ``step()`` is one iteration (classifier steps, then an encoder step)."""

    def __init__(self, spec: AdversarialSpec, seeds: list[int], data: ImageData):
        self.spec, self.data = spec, data
        device = data.device
        self.stack = build_stack(
            lambda: EncoderWithClassifier(
                build_encoder(spec.encoder, VIEW_DIM, **spec.encoder_kwargs)
            ),
            seeds,
            device,
        )
        self.encoder = self.stack.submodule("encoder")
        self.classifier = self.stack.submodule("classifier")
        self.opt_classifier = adam(self.classifier.parameters(), spec.lr)
        self.opt_encoder = adam(self.encoder.parameters(), spec.lr * spec.encoder_lr_factor)
        self.batches = BatchStream(data.train_x.shape[0], spec.batch_size, seeds, device)
        self.train_top = split_views(data.train_x)[0]
        self.watch = DivergenceWatch(len(seeds), device)
        self.classifier_losses = torch.zeros(spec.steps, len(seeds), device=device)
        self.encoder_losses = torch.zeros(spec.steps, len(seeds), device=device)

    def _batch(self) -> tuple[Tensor, Tensor]:
        idx = self.batches.next()
        return self.train_top[idx], self.data.train_y[idx]

    def _classifier_step(self, step: int) -> Tensor:
        x, y = self._batch()
        with torch.no_grad():
            codes = self.encoder(x)
        losses = _cross_entropy(self.classifier(codes), y)
        self.opt_classifier.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.opt_classifier.step()
        self.watch.update(step, losses)
        return losses.detach()

    def warm_up(self) -> None:
        for _ in range(self.spec.warmup):
            self._classifier_step(0)

    def step(self, it: int) -> None:
        for _ in range(self.spec.classifier_steps):
            self.classifier_losses[it] = self._classifier_step(it)
        x, _ = self._batch()
        losses = uniform_cross_entropy(self.stack(x))
        self.opt_encoder.zero_grad(set_to_none=True)
        losses.sum().backward()
        self.opt_encoder.step()
        self.watch.update(it, losses)
        self.encoder_losses[it] = losses.detach()

    def mean_losses(self, since: int, until: int) -> tuple[list[float], list[float]]:
        """Per seed, the mean classifier and encoder losses of iterations [since, until)."""
        if until <= since:
            nan = [np.nan] * self.classifier_losses.shape[1]
            return nan, nan
        window = slice(since, until)
        return (
            self.classifier_losses[window].mean(0).tolist(),
            self.encoder_losses[window].mean(0).tolist(),
        )


def train_adversarial(
    spec: AdversarialSpec,
    seeds: list[int],
    data: ImageData,
    on_step=None,
    keep_models: bool = False,
    probe_executor: Executor | None = None,
) -> list[SeedResult]:
    start = time.perf_counter()
    trainer = AdversarialTrainer(spec, seeds, data)
    results = [SeedResult(seed) for seed in seeds]
    test_top = split_views(data.test_x)[0]
    trainer.warm_up()
    eval_steps = set(spec.eval_steps)
    probes: list[tuple[list[int], Accuracies]] = []
    last_record = 0
    for it in range(spec.steps):
        if it in eval_steps:
            alive = retire_diverged(trainer.watch, results, spec, "a loss")
            if not alive:
                break
            train_codes = encode(trainer.encoder, trainer.train_top)
            test_codes = encode(trainer.encoder, test_top)
            probes.append(
                (
                    alive,
                    probe_accuracy(
                        spec.probe,
                        train_codes[alive],
                        test_codes[alive],
                        data,
                        [seeds[k] for k in alive],
                        probe_executor,
                    ),
                )
            )
            classifier_loss, encoder_loss = trainer.mean_losses(last_record, it)
            elapsed = time.perf_counter() - start
            for k in alive:
                results[k].rows.append(
                    {
                        "iteration": it,
                        "classifier_loss": classifier_loss[k],
                        "encoder_loss": encoder_loss[k],
                        "seconds": elapsed,
                    }
                )
            last_record = it
        trainer.step(it)
        if on_step is not None:
            on_step(it + 1)

    retire_diverged(trainer.watch, results, spec, "a loss")
    fill_accuracies(results, probes)
    for k, result in enumerate(results):
        if result.ok:
            result.arrays["classifier_loss"] = trainer.classifier_losses[:, k].cpu().numpy()
            result.arrays["encoder_loss"] = trainer.encoder_losses[:, k].cpu().numpy()
    return finish(results, start, trainer.stack, keep_models)
