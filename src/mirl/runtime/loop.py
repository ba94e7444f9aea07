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
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

from mirl.data.views import ImageData
from mirl.runtime import checkpoint
from mirl.runtime.capture import CapturedStep
from mirl.runtime.outcome import DivergenceWatch, SeedResult, Timings
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
    """A value still being computed (e.g. on a thread pool): ``result()`` waits for it,
    ``done()`` says whether it would wait. A pending value with a ``seconds`` attribute (the
    probe's ``Accuracies``) is a probe fit: its seconds count as probe time."""

    def done(self) -> bool: ...

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

OnEvaluation = Callable[[int, list[int], dict[str, np.ndarray]], None]
"""``on_evaluation(step, seeds, values)``: one evaluation, once all its values are ready;
``values`` holds one value per seed of ``seeds`` (the seeds still alive)."""


def train_seeds(
    trainer: Trainer,
    on_step: Callable[[int], None] | None = None,
    keep_models: bool = False,
    capture: bool | None = None,
    checkpoints: checkpoint.Checkpoints | None = None,
    on_evaluation: OnEvaluation | None = None,
) -> list[SeedResult]:
    """Run ``trainer``'s schedule; one ``SeedResult`` per seed.

    ``on_step(n)`` is called after every step with the steps done (once with the step it
    resumes from); ``on_evaluation`` after every evaluation as soon as its values are ready
    (live metrics: probes still running beside training delay it, not the training).
    ``capture`` replays the step as a CUDA graph (CUDA only; the default on CUDA). With
    ``keep_models``, every finished seed's result carries its trained model (unstacked from
    the trainer's). ``checkpoints``: see the module docstring.
    """
    device = trainer.group.device
    if capture is None:
        capture = device.type == "cuda"
    if capture and device.type != "cuda":
        raise ValueError(f"capturing a step as a CUDA graph needs a CUDA device, not {device}")
    spec, seeds = trainer.spec, trainer.group.seeds
    results = [SeedResult(seed) for seed in seeds]
    evaluations: list[Evaluation] = []
    timings = Timings()
    first, spent = 0, 0.0
    saved = None if checkpoints is None else checkpoints.latest()
    if saved is None:
        trainer.warm_up()
    else:
        checkpoint.put_back(trainer, saved["trainer"])
        first, spent = saved["step"], saved["seconds"]
        timings = Timings(**saved.get("timings", {}))
        evaluations = [
            (n, alive, checkpoint.arrays(v), t) for n, alive, v, t in saved["evaluations"]
        ]
        if on_step is not None:
            on_step(first)
    reported = len(evaluations)  # evaluations handed to on_evaluation so far
    start = time.perf_counter() - spent
    last_saved = time.monotonic()

    def report(wait: bool) -> None:
        """Ready the evaluations whose values are done (all of them with ``wait``), and hand
        the ones not yet reported to ``on_evaluation``, in order."""
        nonlocal reported
        for i, (n, alive, values, t) in enumerate(evaluations):
            if not wait and not all(_done(v) for v in values.values()):
                break
            evaluations[i] = (n, alive, _ready_values(values, timings), t)
            if i >= reported and on_evaluation is not None:
                on_evaluation(n, [seeds[k] for k in alive], evaluations[i][2])
            reported = max(reported, i + 1)

    def save(n: int) -> None:
        nonlocal last_saved
        report(wait=True)
        checkpoints.save(
            {
                "format": checkpoint.FORMAT,
                "step": n,
                "seconds": time.perf_counter() - start,
                "timings": asdict(timings),
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
            began = time.perf_counter()
            values = trainer.evaluate(n, alive)
            ended = time.perf_counter()
            in_line = sum(_in_line_probe_seconds(v) for v in values.values())
            timings.evaluation += ended - began - in_line
            evaluations.append((n, alive, values, ended - start))
        if reported < len(evaluations):
            report(wait=False)
        if n == spec.steps:
            break
        began = time.perf_counter()
        step()
        timings.train += time.perf_counter() - began
        if on_step is not None:
            on_step(n + 1)
    _retire_diverged(trainer, results)
    report(wait=True)
    _record(results, evaluations)
    for name, per_seed in trainer.arrays().items():
        for k, result in enumerate(results):
            if result.ok:
                result.arrays[name] = per_seed[k]
    seconds = time.perf_counter() - start
    for k, result in enumerate(results):
        result.seconds, result.timings = seconds, timings
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


def _done(value: np.ndarray | Pending) -> bool:
    return isinstance(value, np.ndarray) or value.done()


def _in_line_probe_seconds(value: np.ndarray | Pending) -> float:
    """The seconds of a probe that ran inside an evaluation (0 for anything else)."""
    return value.seconds if getattr(value, "in_line", False) else 0.0


def _ready_values(values: Values, timings: Timings) -> dict[str, np.ndarray]:
    """An evaluation's values, waiting for those still pending; a probe's fits count in
    ``timings`` once, when its values become ready."""
    ready = {}
    for name, value in values.items():
        if isinstance(value, np.ndarray):
            ready[name] = value
            continue
        ready[name] = np.asarray(value.result())
        timings.probe += getattr(value, "seconds", 0.0)
    return ready


def _record(results: list[SeedResult], evaluations: list[Evaluation]) -> None:
    """One row per evaluation for every seed that finished (its ``step``), with the values of
    the evaluation (all ready) and the seconds since the start."""
    for step, alive, values, seconds in evaluations:
        for i, k in enumerate(alive):
            result = results[k]
            if not result.ok:
                continue
            row = {"step": step}
            for name, value in values.items():
                if value.ndim == 1:
                    row[name] = float(value[i])
                else:
                    result.arrays.setdefault(name, []).append(value[i])
            row["seconds"] = seconds
            result.rows.append(row)
    for result in results:
        result.arrays = {name: np.stack(v) for name, v in result.arrays.items()}
