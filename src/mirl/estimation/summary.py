"""The bias and spread of estimators against the true MI, from their evaluation rows."""

from __future__ import annotations

import pandas as pd


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Bias and spread of each estimator: per estimation run and MI level, the held-out
    estimate at the level's last evaluation, its mean and sample sd (ddof=1; NaN for one
    seed) over seeds, and its bias (mean minus the true MI).

    ``frame`` is ``estimate``'s rows or ``mirl.results.load``'s tidy table (other kinds of
    run in it are ignored).

    Columns: ``experiment, name, task, true_mi, critic, bound, setting`` (the bound's
    keywords), ``step, seeds, estimate_mean, estimate_sd, bias``; sorted by experiment,
    task, critic, bound and level. Empty where ``frame`` has no estimation runs.
    """
    keys = ["experiment", "name", "true_mi"]
    labels = ["task", "critic", "bound", "setting"]
    columns = [*keys[:2], labels[0], keys[2], *labels[1:]]
    columns += ["step", "seeds", "estimate_mean", "estimate_sd", "bias"]
    if "estimate" not in frame:
        return pd.DataFrame(columns=columns)
    rows = frame.dropna(subset=["estimate"])
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows.assign(setting=rows.get("bound_setting", "")).fillna({"setting": ""})
    end = rows[rows["step"] == rows.groupby(keys)["step"].transform("max")]
    table = end.groupby(keys, sort=False).agg(
        **{c: (c, "first") for c in labels},
        step=("step", "first"),
        seeds=("seed", "nunique"),
        estimate_mean=("estimate", "mean"),
        estimate_sd=("estimate", "std"),
    )
    table = table.reset_index()
    table["bias"] = table["estimate_mean"] - table["true_mi"]
    order = ["experiment", "task", "critic", "bound", "setting", "true_mi"]
    return table.sort_values(order, kind="stable").reset_index(drop=True)[columns]
