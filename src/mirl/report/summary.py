"""The numbers of the report: end values per run, wall times, and how they are written."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from mirl.results.store import Record


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    """``frame[column]`` as floats (NaN where absent or not a number)."""
    if column not in frame:
        return pd.Series(float("nan"), index=frame.index)
    return pd.to_numeric(frame[column], errors="coerce")


def final_results(frame: pd.DataFrame) -> pd.DataFrame:
    """Per run: the last evaluation step and, over the seeds evaluated there, the mean and
    sample sd (ddof=1; NaN for one seed) of the accuracy and of two bounds.

    ``paper_bound``: the paper's quantity, the bound as the Colab measured it during
    training (``colab_bound``, on fresh training batches, also for runs trained towards a
    target t); for estimation runs, their estimate of the MI (``estimate``, on held-out
    pairs, else ``train_bound``, the training-batch estimate of the paper's Gaussian runs).
    ``test_bound``: mirl's bound on the test images, where the run has one. Columns:
    ``experiment, name, step, seeds`` and ``{accuracy, paper_bound, test_bound}_{mean, sd}``.
    """
    statistics = {
        f"{value}_{name}": (value, how)
        for value in ("accuracy", "paper_bound", "test_bound")
        for name, how in (("mean", "mean"), ("sd", "std"))
    }
    columns = ["experiment", "name", "step", "seeds", *statistics]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    estimate = _numbers(frame, "estimate").fillna(_numbers(frame, "train_bound"))
    kind = frame["kind"] if "kind" in frame else pd.Series("", index=frame.index)
    paper = _numbers(frame, "colab_bound").where(kind != "estimate", estimate)
    numbers = frame.assign(
        accuracy=_numbers(frame, "accuracy"),
        paper_bound=paper,
        test_bound=_numbers(frame, "test_bound"),
    )
    last = numbers.groupby(["experiment", "name"])["step"].transform("max")
    final = numbers[numbers["step"] == last]
    table = final.groupby(["experiment", "name"], sort=False).agg(
        step=("step", "first"), seeds=("seed", "nunique"), **statistics
    )
    return table.reset_index()[columns]


TIME_KEYS = ("seconds", "train_seconds", "evaluation_seconds", "probe_seconds")
"""The times a record's meta holds: the group's wall time, then where it went (its steps,
its evaluations, its probe fits; see ``mirl.runtime.outcome.Timings``)."""


def time_spent(records: Iterable[Record]) -> dict[str, dict[str, float]]:
    """Per experiment, the sum of each of ``TIME_KEYS`` over its seed groups: each group of
    seeds trained together is counted once (its seeds share one meta); a key a record
    lacks (records stored before mirl kept it) counts 0."""
    groups: dict[tuple[str, str, tuple[int, ...]], dict[str, float]] = {}
    for r in records:
        group = tuple(r.meta.get("seed_group") or [r.seed])
        groups[(r.experiment, r.name, group)] = {
            key: float(r.meta.get(key) or 0.0) for key in TIME_KEYS
        }
    totals: dict[str, dict[str, float]] = {}
    for (experiment, _, _), times in groups.items():
        total = totals.setdefault(experiment, dict.fromkeys(TIME_KEYS, 0.0))
        for key, value in times.items():
            total[key] += value
    return totals


def format_mean_sd(mean: float, sd: float, digits: int) -> str:
    """``mean ± sd``; the mean alone for one seed; an em dash for no value."""
    if pd.isna(mean):
        return "—"
    if pd.isna(sd):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def format_seconds(seconds: float) -> str:
    """A duration for people: ``12.3 s``, ``4 min 03 s``, ``2 h 05 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_setting(value: Any) -> str:
    """A spec value as compact text (JSON for lists and dicts)."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    return str(value)
