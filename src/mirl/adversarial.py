"""The adversarial experiment (Fig. 1c): an invertible encoder, whose codes carry all the
information of its input, trained so that a linear classifier cannot read the label.

K seeds train at once: the encoders and the linear classifiers are each one ``SeedStack``
with its own Adam. The classifier first trains alone; then every iteration takes several
classifier steps on the true labels and one encoder step on the cross-entropy to uniform
labels (the classifier is not updated by that step).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl.data.mnist import N_CLASSES, VIEW_DIM
from mirl.data.views import ImageData, split_views
from mirl.ensemble import build_stack
from mirl.evaluation import encode, probe_accuracy
from mirl.initializers import dense
from mirl.models import build_encoder
from mirl.outcome import DivergenceWatch, SeedResult, finish, retire_diverged
from mirl.spec import AdversarialSpec
from mirl.streams import BatchStream


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


def _uniform_cross_entropy(logits: Tensor) -> Tensor:
    """Mean cross-entropy to the uniform label distribution per seed: ``[K, B, C] -> [K]``."""
    return -F.log_softmax(logits, dim=-1).mean(dim=-1).mean(dim=-1)


def train_adversarial(
    spec: AdversarialSpec, seeds: list[int], data: ImageData, on_step=None
) -> list[SeedResult]:
    device = data.device
    start = time.perf_counter()
    stack = build_stack(
        lambda: EncoderWithClassifier(build_encoder(spec.encoder, VIEW_DIM, **spec.encoder_kwargs)),
        seeds,
        device,
    )
    encoder, classifier = stack.submodule("encoder"), stack.submodule("classifier")
    opt_classifier = torch.optim.Adam(classifier.parameters(), lr=spec.lr)
    opt_encoder = torch.optim.Adam(encoder.parameters(), lr=spec.lr * spec.encoder_lr_factor)
    batches = BatchStream(data.train_x.shape[0], spec.batch_size, seeds, device)
    watch = DivergenceWatch(len(seeds), device)
    results = [SeedResult(seed) for seed in seeds]
    train_top, _ = split_views(data.train_x)
    test_top, _ = split_views(data.test_x)

    def batch() -> tuple[Tensor, Tensor]:
        idx = batches.next()
        return train_top[idx], data.train_y[idx]

    def classifier_step(step: int) -> Tensor:
        x, y = batch()
        with torch.no_grad():
            codes = encoder(x)
        losses = _cross_entropy(classifier(codes), y)
        opt_classifier.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt_classifier.step()
        watch.update(step, losses)
        return losses.detach()

    for _ in range(spec.warmup):
        classifier_step(0)

    n = spec.steps
    eval_steps = set(spec.eval_steps)
    classifier_losses = torch.zeros(n, len(seeds), device=device)
    encoder_losses = torch.zeros(n, len(seeds), device=device)
    last_record = 0
    for it in range(n):
        if it in eval_steps:
            alive = retire_diverged(watch, results, spec, "a loss")
            if not alive:
                break
            with torch.no_grad():
                train_codes, test_codes = encode(encoder, train_top), encode(encoder, test_top)
            accuracy = np.full(len(seeds), np.nan)
            accuracy[alive] = probe_accuracy(
                spec.probe, train_codes[alive], test_codes[alive], data, [seeds[k] for k in alive]
            )
            # Mean losses since the previous record (none yet at iteration 0).
            c_mean = (
                classifier_losses[last_record:it].mean(0).tolist() if it else [np.nan] * len(seeds)
            )
            e_mean = (
                encoder_losses[last_record:it].mean(0).tolist() if it else [np.nan] * len(seeds)
            )
            elapsed = time.perf_counter() - start
            for k in alive:
                results[k].rows.append(
                    {
                        "iteration": it,
                        "accuracy": float(accuracy[k]),
                        "classifier_loss": c_mean[k],
                        "encoder_loss": e_mean[k],
                        "seconds": elapsed,
                    }
                )
            last_record = it

        for _ in range(spec.classifier_steps):
            classifier_losses[it] = classifier_step(it)
        x, _ = batch()
        losses = _uniform_cross_entropy(stack(x))
        opt_encoder.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt_encoder.step()
        watch.update(it, losses)
        encoder_losses[it] = losses.detach()
        if on_step is not None:
            on_step(it + 1)

    retire_diverged(watch, results, spec, "a loss")
    for k, result in enumerate(results):
        if result.ok:
            result.arrays["classifier_loss"] = classifier_losses[:, k].cpu().numpy()
            result.arrays["encoder_loss"] = encoder_losses[:, k].cpu().numpy()
    return finish(results, start)
