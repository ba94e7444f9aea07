"""The tidy table of a results directory: one row per (experiment, run, seed, evaluation).

``load(DIR)`` returns a pandas DataFrame with the Colab's columns (``exp_name, nets, Critic,
Estimator, run, iteration, bound_value, accuracy, label``; ``run`` is the seed) and mirl's own
(``name``, ``target``, ``test_bound``, ``train_bound``, ``seconds``, ...).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import pandas as pd

from mirl.paper.names import run_label
from mirl.results.store import Record, ResultStore

COLAB_COLUMNS = [
    "exp_name",
    "nets",
    "Critic",
    "Estimator",
    "run",
    "iteration",
    "bound_value",
    "accuracy",
    "label",
]


def _labels(spec: dict[str, Any]) -> dict[str, Any]:
    """The Colab's descriptive columns for one run (``target`` is NaN where there is none)."""
    kind = spec["kind"]
    if kind == "mi":
        target = math.nan if spec.get("target") is None else spec["target"]
        return {
            "nets": spec["encoder"],
            "Critic": spec["critic"],
            "Estimator": spec["bound"],
            "target": target,
            "label": run_label(spec["encoder"], spec["critic"], spec["bound"], target),
        }
    if kind == "adversarial":
        return {
            "nets": spec["encoder"],
            "Critic": None,
            "Estimator": None,
            "target": math.nan,
            "label": f"{spec['encoder']}, adversarial",
        }
    return {
        "nets": None,
        "Critic": spec["critic"],
        "Estimator": spec["bound"],
        "target": math.nan,
        "sampler": spec["sampler"],
        "label": f"{spec['sampler']}, {spec['bound']}",
    }


def tidy_rows(record: Record) -> list[dict[str, Any]]:
    """The record's evaluation rows with the descriptive columns of the tidy table."""
    base = {
        "exp_name": record.experiment,
        "name": record.name,
        "kind": record.spec["kind"],
        "run": record.seed,
        **_labels(record.spec),
    }
    rows = []
    for row in record.rows:
        full = {**base, **row}
        if record.spec["kind"] == "gaussian":
            full["bound_value"] = row["train_bound"]
        rows.append(full)
    return rows


def load(root: str | os.PathLike, experiment: str | None = None) -> pd.DataFrame:
    """The tidy table of every finished seed under ``root`` (one row per evaluation step).

    Failed seeds have no rows (see ``failures``); corrupt records are skipped with a warning.
    """
    records, corrupt = ResultStore(root).scan(experiment)
    if corrupt:
        for _path, problem in corrupt:
            warnings.warn(f"skipping corrupt record: {problem}", stacklevel=2)
    rows = [row for record in records if record.status == "ok" for row in tidy_rows(record)]
    frame = pd.DataFrame(rows)
    for column in COLAB_COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(dtype=float)
    extras = [c for c in frame.columns if c not in COLAB_COLUMNS]
    return frame[COLAB_COLUMNS + extras]


def failures(root: str | os.PathLike) -> list[Record]:
    """The stored seeds that failed, with their errors."""
    records, _ = ResultStore(root).scan()
    return [r for r in records if r.status == "failed"]
