"""Every kind of run in one table, and ``train``, which trains any spec.

A kind is a spec class (what determines a run), the trainer that runs it K seeds at once
(``mirl.runtime.loop.Trainer``), and whether it trains on images. The store, the sweep and
the tidy table look kinds up here rather than switching on spec classes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import torch

from mirl._registry import lookup
from mirl.data.views import ImageData
from mirl.estimation import EstimateSpec, EstimateTrainer
from mirl.paper.adversarial import AdversarialTrainer
from mirl.paper.noniid import GaussianTrainer
from mirl.paper.spec import AdversarialSpec, GaussianSpec, Spec, TwoViewSpec
from mirl.paper.two_view import TwoViewTrainer
from mirl.runtime.loop import SeedGroup, train_seeds
from mirl.runtime.outcome import SeedResult

Draw = tuple[str, int, str]
"""``(setting, n, split)``: a run draws ``n`` distinct examples of ``split`` ("train" or
"test") at once, ``n`` being the value of ``setting``."""


def _two_view_draws(spec: TwoViewSpec) -> list[Draw]:
    # Training batches and the Colab's testing batches come from the training set; the
    # test bound is computed on whole test batches of the training batch size.
    draws = [("batch_size", spec.batch_size, "train"), ("batch_size", spec.batch_size, "test")]
    if spec.jacobian:
        draws.append(("jacobian_samples", spec.jacobian_samples, "train"))
    return draws


def _adversarial_draws(spec: AdversarialSpec) -> list[Draw]:
    return [("batch_size", spec.batch_size, "train")]


@dataclass(frozen=True)
class Kind:
    spec: type
    trainer: Callable
    uses_images: bool
    draws: Callable[[Any], list[Draw]] = lambda spec: []
    """What a run of this kind draws from the data set at once (see ``Draw``), so that a
    setting too large for the data is refused before any training."""


KINDS = {
    TwoViewSpec.kind: Kind(TwoViewSpec, TwoViewTrainer, uses_images=True, draws=_two_view_draws),
    AdversarialSpec.kind: Kind(
        AdversarialSpec, AdversarialTrainer, uses_images=True, draws=_adversarial_draws
    ),
    GaussianSpec.kind: Kind(GaussianSpec, GaussianTrainer, uses_images=False),
    EstimateSpec.kind: Kind(EstimateSpec, EstimateTrainer, uses_images=False),
}
"""The kinds of run by name (the ``kind`` of a spec and of a stored record)."""


def kind_of(spec: Spec) -> Kind:
    """The kind of ``spec``; a ValueError for anything that is not a run spec."""
    return lookup(KINDS, getattr(spec, "kind", None), "run kind")


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """A JSON-ready dict of the spec, with its kind."""
    return json.loads(json.dumps({"kind": spec.kind, **dataclasses.asdict(spec)}))


def spec_from_dict(data: dict[str, Any]) -> Spec:
    """Rebuild a spec from ``spec_to_dict``'s output (validating it again)."""
    data = dict(data)
    cls = lookup(KINDS, data.pop("kind", None), "run kind").spec
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} got unknown fields {unknown}")
    return cls(**data)


def train(
    spec: Spec,
    seeds: Sequence[int],
    *,
    device: torch.device | str | None = None,
    data: ImageData | None = None,
    on_step: Callable[[int], None] | None = None,
    keep_models: bool = False,
    probe_executor: Executor | None = None,
    capture: bool | None = None,
) -> list[SeedResult]:
    """Train ``spec`` for every seed in ``seeds`` at once; one ``SeedResult`` per seed.

    Runs on ``device`` (default: the data's, else the CPU). Kinds that train on images need
    ``data`` (``ImageData.load("mnist", device)``). ``on_step(n)`` is called after every
    step. With ``keep_models``, each finished seed's result carries its trained model. Saga
    probes and Jacobian spectra run on ``probe_executor`` (a thread pool) while training
    goes on, if one is given. ``capture`` replays each step as a CUDA graph; the default is
    to do so on CUDA.
    """
    kind = kind_of(spec)
    if device is None:
        device = data.device if kind.uses_images and data is not None else "cpu"
    device = torch.device(device)
    if kind.uses_images:
        if data is None:
            raise ValueError(
                f"run {spec.run_id} trains on images: pass data=ImageData.load('mnist', device)"
            )
        if device.type != data.device.type:
            raise ValueError(f"run {spec.run_id}: data on {data.device}, device {device} asked")
        device = data.device
    images = data if kind.uses_images else None
    trainer = kind.trainer(spec, SeedGroup(seeds, device, images, probe_executor))
    return train_seeds(trainer, on_step, keep_models, capture)
