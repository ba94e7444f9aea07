"""The tidy table of a results directory: one row per (experiment, run, seed, evaluation).

``load(DIR)`` returns a pandas DataFrame in mirl's vocabulary: ``experiment``, ``name``
(the run's), ``kind``, ``seed``, ``step``, the run's labels (``encoder``, ``critic``,
``bound``, ``target``, ``label``, and for estimation runs ``task``, ``sampler``,
``bound_setting``) and the values its evaluations recorded (``accuracy``, ``colab_bound``,
``test_bound``, ``train_bound``, ``estimate``, ``true_mi``, ``seconds``, ...).

The Colab's data frame named the same things otherwise (``exp_name, nets, Critic,
Estimator, run, iteration, bound_value, accuracy, label``, its ``run`` being the seed and
its ``bound_value`` minus the testing loss). This module is where the two meet:
``load(DIR, colab_columns=True)`` adds the Colab's columns for code written against its
frame, and ``from_colab`` reads the Colab's frame in mirl's vocabulary.
"""

from __future__ import annotations

import functools
import json
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from mirl.results.store import Record, ResultStore, skipped
from mirl.runtime.kinds import spec_from_dict

FIRST_COLUMNS = ["experiment", "name", "kind", "seed", "step", "label"]
"""The columns every tidy table starts with, present even when it is empty."""

TEXT_COLUMNS = ("experiment", "name", "kind", "label")
"""Those of ``FIRST_COLUMNS`` that hold text: an empty table keeps them as text (``object``),
so that ``frame["experiment"] + "/" + frame["name"]`` works on it as on any other."""

COLAB_NAMES = {
    "experiment": "exp_name",
    "encoder": "nets",
    "critic": "Critic",
    "bound": "Estimator",
    "seed": "run",
    "step": "iteration",
}
"""mirl's name -> the Colab's, for the columns both have (``label`` and ``accuracy`` are
the same in both)."""

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
"""The columns of the Colab's result frame, in its order."""


@functools.lru_cache(maxsize=1024)
def _labels(spec_json: str) -> dict[str, Any]:
    return spec_from_dict(json.loads(spec_json)).labels()


def tidy_rows(record: Record) -> list[dict[str, Any]]:
    """The record's evaluation rows with the descriptive columns of the tidy table."""
    base = {
        "experiment": record.experiment,
        "name": record.name,
        "kind": record.spec["kind"],
        "seed": record.seed,
        **_labels(json.dumps(record.spec, sort_keys=True)),
    }
    return [{**base, **row} for row in record.rows]


def load(
    root: str | os.PathLike, experiment: str | None = None, *, colab_columns: bool = False
) -> pd.DataFrame:
    """The tidy table of every finished seed under ``root`` (one row per evaluation), in
    mirl's vocabulary; with ``colab_columns``, the Colab's columns too (see the module
    docstring).

    Failed seeds have no rows (see ``failures``); corrupt records are skipped with a warning.
    Raises ``FileNotFoundError`` if ``root`` does not exist and ``NotADirectoryError`` if it
    is a file (``results_dir``): an empty table would read as "nothing trained yet".
    """
    records, corrupt = ResultStore(results_dir(root)).scan(experiment)
    for _path, problem in corrupt:
        warnings.warn(skipped(problem), stacklevel=2)
    frame = tidy_frame(records)
    return with_colab_columns(frame) if colab_columns else frame


def results_dir(root: str | os.PathLike) -> Path:
    """``root`` as a path, if it is an existing directory; else ``FileNotFoundError`` or
    ``NotADirectoryError`` with a message fit for a one-line error."""
    path = Path(root)
    if not path.exists():
        raise FileNotFoundError(f"no results directory {str(path)!r}: it does not exist")
    if not path.is_dir():
        raise NotADirectoryError(f"{str(path)!r} is a file, not a results directory")
    return path


def tidy_frame(records: list[Record]) -> pd.DataFrame:
    """The tidy table of ``records`` (their finished seeds; failed ones have no rows)."""
    rows = [row for record in records if record.status == "ok" for row in tidy_rows(record)]
    frame = pd.DataFrame(rows)
    for column in FIRST_COLUMNS:
        if column not in frame:
            frame[column] = pd.Series(dtype=object if column in TEXT_COLUMNS else float)
    return frame[FIRST_COLUMNS + [c for c in frame.columns if c not in FIRST_COLUMNS]]


def colab_bound_value(frame: pd.DataFrame) -> pd.Series:
    """The Colab's ``bound_value``: minus its testing loss (``-colab_loss``) where a run has
    one (the two-view runs); for estimation runs, their estimate of the MI (on held-out
    pairs, else on their training batches, as the Colab's Fig. 4c); NaN otherwise."""
    nan = pd.Series(float("nan"), index=frame.index)
    value = -frame.get("colab_loss", nan)
    estimate = frame.get("estimate", nan).fillna(frame.get("train_bound", nan))
    return value.where(frame["kind"] != "estimate", estimate)


def with_colab_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the Colab's columns added (``exp_name``, ..., ``bound_value``)."""
    added = {colab: frame[ours] for ours, colab in COLAB_NAMES.items() if ours in frame}
    added["bound_value"] = colab_bound_value(frame)
    return frame.assign(**added)


def from_colab(frame: pd.DataFrame) -> pd.DataFrame:
    """The Colab's result frame in mirl's vocabulary (its ``bound_value``, minus its testing
    loss, becomes ``colab_loss``, negated, and, for runs that maximize the bound,
    ``colab_bound``)."""
    renamed = frame.rename(columns={colab: ours for ours, colab in COLAB_NAMES.items()})
    raw = renamed.pop("bound_value") if "bound_value" in renamed else float("nan")
    bound = pd.to_numeric(pd.Series(raw, index=renamed.index), errors="coerce")
    untargeted = renamed["target"].isna() if "target" in renamed else True
    return renamed.assign(colab_bound=bound.where(untargeted), colab_loss=-bound)


def failures(root: str | os.PathLike) -> list[Record]:
    """The stored seeds that failed, with their errors."""
    records, _ = ResultStore(root).scan()
    return [r for r in records if r.status == "failed"]
