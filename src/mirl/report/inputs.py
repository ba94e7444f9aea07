"""What the figures and the report read from a results directory; nothing here trains.

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
from mirl.results.store import Record, ResultStore
from mirl.results.table import COLAB_COLUMNS, load


@dataclass
class PlotData:
    """Everything the figures read from an output directory.

    ``frame`` is ``mirl.results.load``'s tidy table; ``records`` the finished (``ok``)
    records, whose arrays some figures read; ``paper`` the Colab's table in the same
    vocabulary (empty without ``DIR/colab/``) and ``colab`` the rest of the paper's results
    (``mirl.colab.ColabResults`` or None); ``baseline`` the pixel baseline accuracy.
    """

    frame: pd.DataFrame
    records: list[Record]
    paper: pd.DataFrame
    colab: Any | None = None
    baseline: float | None = None


def results_dir(root: str | os.PathLike) -> Path:
    """``root`` as a path, if it is an existing directory; else ``FileNotFoundError`` or
    ``NotADirectoryError`` with a message fit for a one-line error."""
    path = Path(root)
    if not path.exists():
        raise FileNotFoundError(f"no results directory {str(path)!r}: it does not exist")
    if not path.is_dir():
        raise NotADirectoryError(f"{str(path)!r} is a file, not a results directory")
    return path


def load_paper_results(root: str | os.PathLike) -> Any | None:
    """The paper's original results stored under ``DIR/colab/`` (``mirl.colab``), or None;
    damaged or ill-formed ones are skipped with a warning naming the file, rather than
    stopping every figure."""
    try:
        from mirl.colab import load_colab
    except ImportError:
        return None
    try:
        return load_colab(root)
    except (OSError, ValueError) as err:
        warnings.warn(f"not overlaying the paper's results: {err}", stacklevel=2)
        return None


def paper_frame(colab: Any | None) -> pd.DataFrame:
    """The paper's tidy table, with the adversarial curve (stored apart) added as rows.

    The Colab kept one bound column, ``bound_value``: minus its testing loss. It is given
    here under mirl's names for the same quantity, ``colab_loss`` (its negative) and, for
    runs that maximize the bound (no target), ``colab_bound``.
    """
    if colab is None:
        return pd.DataFrame(columns=[*COLAB_COLUMNS, "colab_bound", "colab_loss"])
    frame = colab.frame
    adversarial = getattr(colab, "adversarial", None)
    if adversarial is not None and not (frame["exp_name"] == "adversarial").any():
        iterations, accuracy = adversarial
        rows = {
            "exp_name": "adversarial",
            "nets": "realnvp",
            "run": 0,
            "iteration": np.asarray(iterations),
            "accuracy": np.asarray(accuracy),
        }
        frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
    bound = pd.to_numeric(frame["bound_value"], errors="coerce")
    untargeted = frame["target"].isna() if "target" in frame else True
    return frame.assign(colab_bound=bound.where(untargeted), colab_loss=-bound)


def read_results(root: str | os.PathLike) -> PlotData:
    """Read what the figures need from the results directory ``root``."""
    root = results_dir(root)
    records, _ = ResultStore(root).scan()
    colab = load_paper_results(root)
    baseline = read_baseline(root)
    return PlotData(
        frame=load(root),
        records=[r for r in records if r.status == "ok"],
        paper=paper_frame(colab),
        colab=colab,
        baseline=None if baseline is None else float(baseline["accuracy"]),
    )
