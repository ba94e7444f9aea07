"""Claims checked on the results at hand, and the helpers experiments state them with.

Each experiment's figures support claims (for the paper's: the accuracy rises; the
ConvNet beats the MLP at the same target; ...). An experiment's ``claims`` function
(``mirl.experiments.Experiment``) decides each from the stored numbers (means over seeds
at the last evaluation; ``a -> b``: from the first evaluation to the last) and says which
numbers decided it, so that a report made at the quick profile, or from one's own runs,
says beside the figures what they show and what they do not. A claim whose runs or values
are missing is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mirl.paper.names import ESTIMATOR_SYMBOLS


@dataclass(frozen=True)
class Check:
    """One claim, whether these results show it, and the numbers that say so."""

    figure: str
    claim: str
    shown: bool
    evidence: str


def symbol(bound: str) -> str:
    """``I_NCE`` for ``infonce``: the paper's symbol, as plain text."""
    return ESTIMATOR_SYMBOLS.get(bound, bound).replace("{", "").replace("}", "")


def mean_at(frame: pd.DataFrame, column: str, last: bool = True) -> pd.Series:
    """Per run name: the mean over seeds of ``column`` at its last (or first) evaluation
    with a value; empty where the table has no such column or value."""
    if column not in frame:
        return pd.Series(dtype=float)
    values = frame.dropna(subset=[column])
    if values.empty:
        return pd.Series(dtype=float)
    step = values.groupby("name")["step"].transform("max" if last else "min")
    return values[values["step"] == step].groupby("name")[column].mean()


def runs_by(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """One row per run name with its ``columns`` (empty where a column is missing)."""
    if frame.empty or not set(columns) <= set(frame.columns):
        return pd.DataFrame(columns=list(columns))
    return frame.groupby("name")[list(columns)].first()


def rises(
    frame: pd.DataFrame,
    figure: str,
    what: str,
    column: str = "accuracy",
    label: str = "accuracy",
) -> list[Check]:
    """Per run: ``column`` at the last evaluation is above the first; the claim names the
    run's bound and the value by its ``label`` (``maximizing I_NCE raises the accuracy of
    {what}``)."""
    first, last = mean_at(frame, column, last=False), mean_at(frame, column)
    checks = []
    for name, bound in runs_by(frame, "bound")["bound"].items():
        if name in first and name in last:
            checks.append(
                Check(
                    figure,
                    f"maximizing {symbol(bound)} raises the {label} of {what}",
                    bool(last[name] > first[name]),
                    f"{label} {first[name]:.3f} -> {last[name]:.3f}",
                )
            )
    return checks
