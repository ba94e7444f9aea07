"""The one training loop: every kind of run supplies its step and its evaluation.

A trainer is made from a run's spec and its ``SeedGroup`` (the K seeds and what they
train with); it holds them as stacked modules, optimizers and random streams, and knows
how to take one training step of all of them and how to evaluate them. The loop
runs the schedule: evaluations before the steps in ``eval_steps`` (a step equal to
``steps`` means after the last one), divergence checks at each evaluation, progress after
every step, and, at the end, one ``SeedResult`` per seed. Values an evaluation could not
finish at once (saga probes on a thread pool, Jacobian spectra) are collected at the end,
so training goes on while they run.

On CUDA the step can be captured once as a CUDA graph and replayed (``capture=True``):
everything a step does (drawing its batch, forward, bound, backward, Adam, the divergence
watch) then runs without the host, and the numbers are those of the eager step.

Given ``checkpoints`` (``mirl.runtime.checkpoint``), the loop starts from the newest one
there is, and takes one before every evaluation (after the first) and every
``checkpoints.every`` seconds: the trainer's state (its ``checkpointed`` attributes), the
evaluations so far (waiting for any still pending) and the time spent. A run resumed from
one computes what the run never stopped computes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

from mirl.data.views import ImageData
from mirl.runtime import checkpoint
from mirl.runtime.capture import CapturedStep
from mirl.runtime.outcome import DivergenceWatch, SeedResult
from mirl.runtime.run_spec import RunSpec
from mirl.runtime.streams import Stream
from mirl.seeds import unstack


@dataclass(frozen=True)
class SeedGroup:
    """The seeds of one run trained together, and what they train with: the device; the
    images, for the kinds that train on them (on that device); a thread pool for the saga
    probes and Jacobian spectra that run beside training; and whether the seeds' modules
    are stacked (``stacked=False`` with one seed: the plain loop benchmarks compare to)."""

    seeds: list[int]
    device: torch.device
    data: ImageData | None = None
    probe_executor: Executor | None = None
    stacked: bool = True

    def __post_init__(self) -> None:
        seeds = list(self.seeds)
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be a non-empty list of distinct integers, got {seeds}")
        object.__setattr__(self, "seeds", seeds)
        object.__setattr__(self, "device", torch.device(self.device))

    def __len__(self) -> int:
        return len(self.seeds)


class Pending(Protocol):
    """A value still being computed (e.g. on a thread pool): ``result()`` waits for it."""

    def result(self) -> np.ndarray: ...


Values = Mapping[str, "np.ndarray | Pending"]
"""An evaluation: per name, one value per alive seed ``[A, ...]``. Scalars per seed (``[A]``)
become columns of the seed's rows; larger ones are stacked over evaluations into arrays."""


class Trainer(Protocol):
    """K seeds of one run, ready to train: ``Trainer(spec, group)``. See the module
    docstring. ``checkpointed`` names the attributes that hold its training state (see
    ``mirl.runtime.checkpoint``)."""

    spec: RunSpec
    group: SeedGroup
    watch: DivergenceWatch
    model: nn.Module
    streams: Sequence[Stream]
    checkpointed: tuple[str, ...]

    @staticmethod
    def step_cost(spec) -> int:
        """One seed's step in FLOPs, estimated without training (orders work in a sweep)."""

    def warm_up(self) -> None:
        """Work before step 0 that is not a training step of the schedule (may do nothing)."""

    def step(self) -> None:
        """One training step of every seed: device work only, so that it can be captured."""

    def evaluate(self, step: int, alive: list[int]) -> Values:
        """The values of the seeds ``alive`` (indices into ``seeds``) before ``step``."""

    def arrays(self) -> dict[str, np.ndarray]:
        """Per-seed arrays ``[K, ...]`` kept at the end of training (e.g. per-step traces)."""


Evaluation = tuple[int, list[int], Values, float]
"""``(step, alive, values, seconds)``: one evaluation of the seeds ``alive``, ``seconds``
after the start of training."""


def train_seeds(
    trainer: Trainer,
    on_step: Callable[[int], None] | None = None,
    keep_models: bool = False,
    capture: bool | None = None,
    checkpoints: checkpoint.Checkpoints | None = None,
) -> list[SeedResult]:
    """Run ``trainer``'s schedule; one ``SeedResult`` per seed.

    ``on_step(n)`` is called after every step with the steps done (once with the step it
    resumes from). ``capture`` replays the step as a CUDA graph (CUDA only; the default on
    CUDA). With ``keep_models``, every finished seed's result carries its trained model
    (unstacked from the trainer's). ``checkpoints``: see the module docstring.
    """
    device = trainer.group.device
    if capture is None:
        capture = device.type == "cuda"
    if capture and device.type != "cuda":
        raise ValueError(f"capturing a step as a CUDA graph needs a CUDA device, not {device}")
    spec = trainer.spec
    results = [SeedResult(seed) for seed in trainer.group.seeds]
    evaluations: list[Evaluation] = []
    first, spent = 0, 0.0
    saved = None if checkpoints is None else checkpoints.latest()
    if saved is None:
        trainer.warm_up()
    else:
        checkpoint.put_back(trainer, saved["trainer"])
        first, spent = saved["step"], saved["seconds"]
        evaluations = [
            (n, alive, checkpoint.arrays(v), t) for n, alive, v, t in saved["evaluations"]
        ]
        if on_step is not None:
            on_step(first)
    start = time.perf_counter() - spent
    last_saved = time.monotonic()

    def save(n: int) -> None:
        nonlocal last_saved
        evaluations[:] = [(m, alive, _ready_values(v), t) for m, alive, v, t in evaluations]
        checkpoints.save(
            {
                "format": checkpoint.FORMAT,
                "step": n,
                "seconds": time.perf_counter() - start,
                "trainer": checkpoint.take(trainer),
                "evaluations": [
                    (m, alive, checkpoint.tensors(v), t) for m, alive, v, t in evaluations
                ],
            }
        )
        last_saved = time.monotonic()

    step = CapturedStep(trainer.step, trainer.streams) if capture else trainer.step
    eval_steps = set(spec.eval_steps)
    for n in range(first, spec.steps + 1):
        due = checkpoints is not None and n > first
        if due and (n in eval_steps or time.monotonic() - last_saved >= checkpoints.every):
            save(n)
        if n in eval_steps:
            alive = _retire_diverged(trainer, results)
            if not alive:
                break
            values = trainer.evaluate(n, alive)
            evaluations.append((n, alive, values, time.perf_counter() - start))
        if n == spec.steps:
            break
        step()
        if on_step is not None:
            on_step(n + 1)
    _retire_diverged(trainer, results)
    _record(results, evaluations)
    for name, per_seed in trainer.arrays().items():
        for k, result in enumerate(results):
            if result.ok:
                result.arrays[name] = per_seed[k]
    seconds = time.perf_counter() - start
    for k, result in enumerate(results):
        result.seconds = seconds
        if keep_models and result.ok:
            result.model = unstack(trainer.model, k)
    return results


def _retire_diverged(trainer: Trainer, results: list[SeedResult]) -> list[int]:
    """Mark the seeds whose loss went non-finite as failed, naming the step and the run;
    return the indices of the seeds still alive."""
    for k, step in trainer.watch.failed().items():
        if results[k].ok:
            results[k].error = (
                f"the loss became NaN/inf at step {step} of run {trainer.spec.run_id} "
                f"(seed {results[k].seed})"
            )
    return [k for k, r in enumerate(results) if r.ok]


def _ready(value: np.ndarray | Pending) -> np.ndarray:
    return value if isinstance(value, np.ndarray) else np.asarray(value.result())


def _ready_values(values: Values) -> dict[str, np.ndarray]:
    """An evaluation's values, waiting for those still pending."""
    return {name: _ready(value) for name, value in values.items()}


def _record(results: list[SeedResult], evaluations: list[Evaluation]) -> None:
    """One row per evaluation for every seed that finished (its ``step``), with the values of the
    evaluation (waiting for those still pending) and the seconds since the start."""
    for step, alive, values, seconds in evaluations:
        done = _ready_values(values)
        for i, k in enumerate(alive):
            result = results[k]
            if not result.ok:
                continue
            row = {"step": step}
            for name, value in done.items():
                if value.ndim == 1:
                    row[name] = float(value[i])
                else:
                    result.arrays.setdefault(name, []).append(value[i])
            row["seconds"] = seconds
            result.rows.append(row)
    for result in results:
        result.arrays = {name: np.stack(v) for name, v in result.arrays.items()}
