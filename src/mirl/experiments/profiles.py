"""Profiles: the scales an experiment runs at, and how a scale changes its runs.

A profile is a number of seeds and a name that experiments declare changes for: ``paper``
(the runs as declared: the paper's settings exactly), ``quick`` (the paper's claims on a
laptop CPU), ``smoke`` (seconds on the synthetic digits, for tests). An experiment's ``Scale``
for a profile says which settings change; an experiment that declares none for a profile
gets the profile's ``default``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mirl.runtime.run_spec import RunSpec, field_names, replace


def apply_overrides(spec: RunSpec, overrides: Mapping[str, Any]) -> RunSpec:
    """``spec`` with ``overrides`` applied to the fields it has; ``*_kwargs`` dicts are merged.

    Fields the spec does not have are skipped, so one set of overrides (``steps``, ``lr``)
    can apply to every kind of run.
    """
    fields = field_names(spec)
    changes = {}
    for key, value in overrides.items():
        if key not in fields:
            continue
        if key.endswith("_kwargs"):
            if not value:
                continue
            value = {**getattr(spec, key), **value}
        changes[key] = value
    return replace(spec, **changes) if changes else spec


@dataclass(frozen=True)
class Scale:
    """How a profile changes the runs of one experiment, applied in this order: ``fields``
    of every run; then ``runs``, the fields of single runs (keyed by run name, as
    declared); then ``encoders``, architecture changes of every run that uses that
    encoder (merged into its ``encoder_kwargs``)."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    runs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    encoders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    note: str = ""
    """Why the scale is what it is (a changed learning rate says why here); ``mirl list``
    and the report show it."""

    def apply(self, spec: RunSpec) -> RunSpec:
        encoder = getattr(spec, "encoder", None)
        return apply_overrides(
            spec,
            {
                **self.fields,
                **self.runs.get(spec.name, {}),
                "encoder_kwargs": self.encoders.get(encoder, {}),
            },
        )


@dataclass(frozen=True)
class Profile:
    """A scale for every experiment: seeds, and the scale of experiments that declare none."""

    name: str
    seeds: int
    description: str
    default: Scale = field(default_factory=Scale)


PROFILES = {
    p.name: p
    for p in (
        Profile(
            "paper",
            20,
            "the paper's settings exactly (20 seeds, the Colab's 21 evaluations over 20,000 "
            "steps), for a GPU",
        ),
        Profile(
            "quick",
            2,
            "the paper's claims on real MNIST in 6 to 8 minutes on a 2-core CPU (22 of "
            "the 24 the report checks: two effects of I_NWJ take more steps than those)",
        ),
        Profile(
            "smoke",
            2,
            "tiny models and few steps: seconds per experiment on --data synthetic (the "
            "tests), minutes on MNIST, whose evaluations it does not shrink",
            Scale({"steps": 8, "evals": 2}),
        ),
    )
}
"""The profiles by name."""
