"""``train``: any run spec, K seeds at once, in this process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor

import torch

from mirl.data.views import ImageData
from mirl.runtime.checkpoint import Checkpoints
from mirl.runtime.kinds import kind_of
from mirl.runtime.loop import OnEvaluation, SeedGroup, train_seeds
from mirl.runtime.outcome import SeedResult
from mirl.runtime.run_spec import RunSpec


def train(
    spec: RunSpec,
    seeds: Sequence[int],
    *,
    device: torch.device | str | None = None,
    data: ImageData | None = None,
    on_step: Callable[[int], None] | None = None,
    keep_models: bool = False,
    probe_executor: Executor | None = None,
    capture: bool | None = None,
    checkpoints: Checkpoints | None = None,
    on_evaluation: OnEvaluation | None = None,
) -> list[SeedResult]:
    """Train ``spec`` for every seed in ``seeds`` at once; one ``SeedResult`` per seed.

    Runs on ``device`` (default: the data's, else the CPU). Kinds that train on images need
    ``data`` (``ImageData.load("mnist", device)``). ``on_step(n)`` is called after every
    step, ``on_evaluation(step, seeds, values)`` after every evaluation once its values are
    ready (see ``mirl.runtime.loop``). With ``keep_models``, each finished seed's result
    carries its trained model. Saga probes and Jacobian spectra run on ``probe_executor``
    (a thread pool) while training goes on, if one is given. ``capture`` replays each step
    as a CUDA graph; the default is to do so on CUDA. With ``checkpoints``
    (``mirl.runtime.checkpoint``), training starts from the newest checkpoint there is and
    takes new ones as it goes.
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
    return train_seeds(trainer, on_step, keep_models, capture, checkpoints, on_evaluation)
