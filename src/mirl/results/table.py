"""The tidy table of a results directory: one row per (experiment, run, seed, evaluation).

``load(DIR)`` returns a pandas DataFrame with the Colab's columns (``exp_name, nets, Critic,
Estimator, run, iteration, bound_value, accuracy, label``; ``run`` is the seed) and mirl's own
(``name``, ``target``, ``test_bound``, ``train_bound``, ``seconds``, ...).
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from typing import Any

import pandas as pd

from mirl.results.kinds import spec_from_dict
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


@functools.lru_cache(maxsize=1024)
def _labels(spec_json: str) -> dict[str, Any]:
    return spec_from_dict(json.loads(spec_json)).labels()


def tidy_rows(record: Record) -> list[dict[str, Any]]:
    """The record's evaluation rows with the descriptive columns of the tidy table."""
    base = {
        "exp_name": record.experiment,
        "name": record.name,
        "kind": record.spec["kind"],
        "run": record.seed,
        **_labels(json.dumps(record.spec, sort_keys=True)),
    }
    return [{**base, **row} for row in record.rows]


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
