"""An experiment: one declaration of its runs, its scales, its figures, its claims and what
``mirl bench`` times of it; and the registry that holds the paper's and one's own."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mirl._registry import lookup
from mirl.experiments.profiles import PROFILES, Scale, apply_overrides
from mirl.figures import Check, Figure, FigureData
from mirl.runtime.run_spec import SAFE_NAME, RunSpec, field_names
from mirl.runtime.sources import load_source

Claims = Callable[[FigureData], list[Check]]
"""The claims of an experiment, checked on its results (see ``mirl.figures.claims``)."""


@dataclass(frozen=True)
class Experiment:
    """Everything mirl needs to know about an experiment, in one place.

    - ``runs()``: its run specs as declared (any kind of run, ``experiment`` set to
      ``name``), at the scale the experiment is about (for the paper: the Colab's settings);
    - ``profiles``: per profile name, the ``Scale`` that changes them (a profile it does not
      name gets the profile's default);
    - ``figures``: what the report draws of its results; ``claims``: what its results are
      checked against, each claim shown or not by the numbers;
    - ``bench``: the names of the runs ``mirl bench`` times, one per distinct architecture
      (a run's bound and target do not change the cost of its step);
    - ``reference``: where the paper shows it (``"Fig. 3"``), empty for one's own.
    """

    name: str
    description: str
    runs: Callable[[], Sequence[RunSpec]] = field(repr=False)
    profiles: Mapping[str, Scale] = field(default_factory=dict, repr=False)
    figures: Sequence[Figure] = field(default=(), repr=False)
    claims: Claims | None = field(default=None, repr=False)
    bench: Sequence[str] = ()
    reference: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not SAFE_NAME.fullmatch(self.name):
            raise ValueError(
                f"an experiment's name is letters, digits, '_', '.' and '-' (it names a "
                f"directory), got {self.name!r}"
            )
        unknown = sorted(set(self.profiles) - set(PROFILES))
        if unknown:
            raise ValueError(
                f"experiment {self.name!r} scales unknown profiles {unknown}; profiles: "
                f"{', '.join(PROFILES)}"
            )

    def scale(self, profile: str) -> Scale:
        """The scale of this experiment at ``profile``."""
        return self.profiles.get(profile, lookup(PROFILES, profile, "profile").default)

    def specs(
        self,
        profile: str = "quick",
        overrides: Mapping[str, Any] | None = None,
        runs: str | None = None,
    ) -> list[RunSpec]:
        """The run specs at ``profile``, with ``overrides`` applied last, and only those whose
        name matches ``runs`` (comma-separated shell patterns, e.g. ``"convnet-*-t4"``).

        An override naming a setting no run has, or a pattern that matches no run, is an
        error that lists what there is.
        """
        scale = self.scale(profile)
        declared = list(self.runs())
        for spec in declared:
            if spec.experiment != self.name:
                raise ValueError(
                    f"experiment {self.name!r} declares a run of experiment "
                    f"{spec.experiment!r} ({spec.name}): its runs' experiment must be its name"
                )
        specs = [scale.apply(spec) for spec in declared]
        if runs is not None:
            specs = select_runs(specs, runs, f"experiment {self.name!r}")
        return self.overridden(specs, overrides)

    def overridden(
        self, specs: Sequence[RunSpec], overrides: Mapping[str, Any] | None
    ) -> list[RunSpec]:
        """``specs`` (runs of this experiment) with ``overrides`` applied to each run that has
        the setting; a setting none of them has is an error that lists theirs. Applied after
        the runs are chosen, so a setting of the chosen runs (a ConvNet's ``encoder_kwargs``)
        never reaches the others."""
        if not overrides:
            return list(specs)
        known = set().union(*(field_names(s) for s in specs))
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(
                f"experiment {self.name!r} has no setting {unknown}; "
                f"its settings: {', '.join(sorted(known))}"
            )
        return [apply_overrides(s, overrides) for s in specs]


def select_runs(specs: Sequence[RunSpec], patterns: str, what: str) -> list[RunSpec]:
    """The specs whose name (or ``experiment/name``) matches one of the comma-separated shell
    ``patterns``; a ValueError listing the runs of ``what`` when none matches."""
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    if not wanted:
        raise ValueError("--runs is empty: give run names or patterns, e.g. 'mlp-*'")
    chosen = [
        s
        for s in specs
        if any(fnmatch.fnmatchcase(s.name, p) or fnmatch.fnmatchcase(s.run_id, p) for p in wanted)
    ]
    if not chosen:
        names = ", ".join(s.name for s in specs)
        raise ValueError(f"no run of {what} matches {patterns!r}; its runs: {names}")
    return chosen


def architecture_key(spec: RunSpec) -> tuple:
    """What determines the cost of a run's step: its kind and networks (and whether it
    draws noise); its bound and target do not."""
    return (
        spec.kind,
        getattr(spec, "encoder", None),
        getattr(spec, "critic", None),
        getattr(spec, "noise_std", 0) > 0,
    )


EXPERIMENTS: dict[str, Experiment] = {}
"""Every experiment by name: the paper's six, in the paper's order, then those registered
by one's own files."""


def register_experiment(experiment: Experiment) -> Experiment:
    """Add ``experiment`` to ``EXPERIMENTS``; a name taken by another experiment is an error
    (the same declaration registered again, as when its file is loaded twice, is not)."""
    if not isinstance(experiment, Experiment):
        raise TypeError(f"register_experiment takes an Experiment, not {type(experiment)}")
    taken = EXPERIMENTS.get(experiment.name)
    if taken is not None and taken != experiment:
        raise ValueError(f"an experiment named {experiment.name!r} is already registered")
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def experiment_specs(
    name: str,
    profile: str = "quick",
    overrides: Mapping[str, Any] | None = None,
    runs: str | None = None,
) -> list[RunSpec]:
    """The run specs of the registered experiment ``name`` (see ``Experiment.specs``)."""
    return lookup(EXPERIMENTS, name, "experiment").specs(profile, overrides, runs)


def resolve_experiment(ref: str) -> Experiment:
    """The experiment ``ref`` names: a registered name; ``path/to/file.py:NAME`` or
    ``module:NAME`` (the file or module is loaded first, and registers it); or
    ``path/to/file.py`` alone, for the one experiment that file registers. Raises
    ``ValueError`` (``SourceError`` for a file that does not load) naming what there is."""
    source, _, name = ref.rpartition(":") if ":" in ref else ("", "", ref)
    if not source and ref.endswith(".py"):
        source, name = ref, ""
    if source:
        module = load_source(source)
        if not name:
            mine = [e for e in EXPERIMENTS.values() if e.runs.__module__ == module.__name__]
            if len(mine) != 1:
                found = ", ".join(e.name for e in mine) or "none"
                raise ValueError(
                    f"{source} registers {len(mine)} experiments ({found}): name one, {source}:NAME"
                )
            return mine[0]
    return lookup(EXPERIMENTS, name, "experiment")
