"""What a user asks mirl to train, as runs: the device, the experiments, their run specs
at a profile, the estimation runs, the seeds and the settings given.

The Python API (``mirl.api``) and the ``mirl`` command turn their arguments into runs with
these functions, so both refuse the same mistakes with the same ValueError, before
anything is trained or written.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch

from mirl.experiments import EXPERIMENTS, PROFILES, Experiment, resolve_experiment, select_runs
from mirl.runtime.run_spec import RunSpec

DEVICES = "auto, cpu, cuda or cuda:N"
"""The devices a sweep can be asked to train on."""


def resolve_device(
    name: str | torch.device = "auto", *, local: bool = True, option: str = "device"
) -> torch.device:
    """The torch device ``name`` asks for: ``auto`` is CUDA where torch sees it, else the
    CPU. With ``local``, the device must be one this machine has (not so for the workers of
    a Ray cluster, where ``auto`` is the CPU the driver plans on). A ValueError names
    ``option`` (the CLI's ``--device``) and what is wrong."""
    if isinstance(name, torch.device):
        name = str(name)
    if name == "auto":
        return torch.device("cuda" if local and torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(name)
    except (RuntimeError, ValueError):
        chosen = None
    if chosen is None or chosen.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown {option} {name!r}; use {DEVICES}")
    if not local:
        return chosen
    if chosen.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{option} cuda asked for, but torch sees no CUDA device")
        count = torch.cuda.device_count()
        if chosen.index is not None and chosen.index >= count:
            raise ValueError(f"{option} {name} asked for, but torch sees {count} CUDA device(s)")
    if chosen.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{option} mps asked for, but torch sees no MPS device")
    return chosen


def resolve_experiments(refs: str | Iterable[str] | None = None) -> list[Experiment]:
    """The experiments ``refs`` names, each once: registered names, or one's own as
    ``path/to/file.py:NAME``, ``module:NAME`` or ``path/to/file.py`` (see
    ``mirl.experiments.resolve_experiment``); None: the paper's six."""
    if refs is None:
        from mirl.experiments.paper import PAPER

        return list(PAPER)
    refs = [refs] if isinstance(refs, str) else list(refs)
    return list({id(e): e for e in map(resolve_experiment, refs)}.values())


def experiment_runs(
    chosen: Sequence[Experiment],
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    runs: str | None = None,
) -> list[RunSpec]:
    """The run specs of the experiments ``chosen`` at ``profile``, with ``overrides`` (run
    settings by name) applied, and only those whose name matches ``runs`` (comma-separated
    shell patterns, e.g. ``"convnet-*-t4"``). A ValueError names an unknown profile or
    setting, or a pattern no run matches."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    specs = [s for e in chosen for s in e.specs(profile)]
    if runs is not None:
        names = ", ".join(e.name for e in chosen)
        specs = select_runs(specs, runs, f"{names} at profile {profile}")
    overridden = []
    for e in chosen:
        mine = [s for s in specs if s.experiment == e.name]
        overridden += e.overridden(mine, overrides) if mine else []
    return overridden


def estimate_runs(
    tasks: str | Sequence[str],
    bounds: str | Sequence[str],
    critics: str | Sequence[str] = "concat",
    experiment: str = "estimate",
    settings: Mapping[str, Any] | None = None,
) -> list[RunSpec]:
    """One estimation run (``mirl.estimation.EstimateSpec``) per task x bound x critic,
    stored under ``experiment``, with ``settings`` (its other fields: ``steps``, ``lr``,
    ``task_kwargs``, ...). Names may be lists or comma-separated strings. A ValueError names
    an unknown name or setting."""
    from mirl.estimation import EstimateSpec

    if experiment in EXPERIMENTS:
        owner = EXPERIMENTS[experiment].reference or "its own runs"
        raise ValueError(
            f"experiment {experiment} is the name of a registered experiment ({owner}); "
            "estimates are stored under a name of their own (default: estimate)"
        )
    settings = dict(settings or {})
    fields = {f.name for f in dataclasses.fields(EstimateSpec)}
    fields -= {"task", "bound", "critic", "experiment"}  # named by their own arguments
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise ValueError(
            f"estimate has no setting {unknown}; its settings: {', '.join(sorted(fields))}"
        )
    combos = itertools.product(_names(tasks), _names(bounds), _names(critics))
    specs = [
        EstimateSpec(task=t, bound=b, critic=c, experiment=experiment, **settings)
        for t, b, c in combos
    ]
    if not specs:
        raise ValueError("name at least one task, bound and critic")
    return specs


def _names(value: str | Sequence[str]) -> list[str]:
    """A list of names, from a list or a comma-separated string, without blanks."""
    names = value.split(",") if isinstance(value, str) else value
    return [name.strip() for name in names if name.strip()]


def seed_list(seeds: int | Iterable[int] | None, profile: str = "quick") -> list[int]:
    """The seeds to train: ``range(seeds)`` for a number, the seeds given, or the
    ``profile``'s number of seeds for None."""
    if seeds is None:
        seeds = PROFILES[profile].seeds if profile in PROFILES else 0
    chosen = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not chosen:
        raise ValueError("seeds must be at least 1")
    return chosen


def given_settings(settings: Mapping[str, Any] | None, **named: Any) -> dict[str, Any]:
    """Run settings to override: those of ``named`` that are given, and ``settings``. A
    setting given both ways is a ValueError: neither may silently win over the other."""
    given = {k: v for k, v in named.items() if v is not None}
    both = sorted(set(given) & set(settings or {}))
    if both:
        key = both[0]
        raise ValueError(
            f"{key} is given twice, as {key}={given[key]!r} and in settings as "
            f"{settings[key]!r}; give it once"
        )
    return {**given, **(settings or {})}
