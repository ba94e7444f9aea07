"""What figures and claims read from a results directory; nothing here trains.

The stored records (``mirl.results``), their tidy table, the pixel baseline (through
``mirl.paper.baseline``, its one reader) and, where ``mirl import-colab`` put them in
``DIR/colab/``, the paper's own results in the same vocabulary.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirl.paper.baseline import read_baseline
from mirl.results.store import Record, ResultStore, skipped
from mirl.results.table import FIRST_COLUMNS, from_colab, results_dir, tidy_frame


@dataclass
class FigureData:
    """What figures and claims read of a results directory, or of one experiment in it.

    ``frame`` is the tidy table of the finished seeds (``mirl.results.load``); ``records``
    the finished records, whose arrays some figures read; ``paper`` the Colab's table in
    the same vocabulary (empty without ``DIR/colab/``) and ``colab`` the rest of the paper's
    results (``mirl.colab.ColabResults`` or None); ``baseline`` the pixel baseline accuracy.
    """

    frame: pd.DataFrame
    records: list[Record]
    paper: pd.DataFrame
    colab: Any | None = None
    baseline: float | None = None

    def of(self, experiment: str) -> FigureData:
        """The results of ``experiment`` alone (the paper's too)."""
        return FigureData(
            frame=self.frame[self.frame["experiment"] == experiment],
            records=[r for r in self.records if r.experiment == experiment],
            paper=self.paper[self.paper["experiment"] == experiment],
            colab=self.colab,
            baseline=self.baseline,
        )


def load_paper_results(root: str | os.PathLike) -> Any | None:
    """The paper's original results stored under ``DIR/colab/`` (``mirl.colab``), or None;
    damaged or ill-formed ones are skipped with a warning naming the file, rather than
    stopping every figure."""
    from mirl.colab import load_colab

    try:
        return load_colab(root)
    except (OSError, ValueError) as err:
        warnings.warn(f"not overlaying the paper's results: {err}", stacklevel=2)
        return None


def paper_frame(colab: Any | None) -> pd.DataFrame:
    """The paper's tidy table in mirl's vocabulary, with the adversarial curve (stored
    apart) added as rows (see ``mirl.results.table.from_colab``)."""
    if colab is None:
        labels = ["encoder", "critic", "bound", "target", "accuracy", "colab_bound", "colab_loss"]
        return pd.DataFrame(columns=[*FIRST_COLUMNS, *labels])
    frame = from_colab(colab.frame)
    adversarial = getattr(colab, "adversarial", None)
    if adversarial is not None and not (frame["experiment"] == "adversarial").any():
        steps, accuracy = adversarial
        rows = {
            "experiment": "adversarial",
            "encoder": "realnvp",
            "seed": 0,
            "step": np.asarray(steps),
            "accuracy": np.asarray(accuracy),
        }
        frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
    return frame


def figure_data(root: str | os.PathLike, records: list[Record]) -> FigureData:
    """The ``FigureData`` of ``records`` read from the results directory ``root``, with the
    directory's pixel baseline and the paper's own results."""
    finished = [r for r in records if r.status == "ok"]
    colab = load_paper_results(root)
    baseline = read_baseline(root)
    return FigureData(
        frame=tidy_frame(finished),
        records=finished,
        paper=paper_frame(colab),
        colab=colab,
        baseline=None if baseline is None else float(baseline["accuracy"]),
    )


def scan(root: str | os.PathLike) -> tuple[list[Record], list[tuple[Path, str]]]:
    """The readable records of the results directory ``root`` and its corrupt ones, each
    corrupt one with a warning that names it (they are never read as data)."""
    records, corrupt = ResultStore(results_dir(root)).scan()
    for _path, problem in corrupt:
        warnings.warn(skipped(problem), stacklevel=3)
    return records, corrupt


def read_results(root: str | os.PathLike) -> FigureData:
    """Read what figures and claims need from the results directory ``root``."""
    return figure_data(root, scan(root)[0])
