"""The bias and spread of estimators against the true MI, from their evaluation rows."""

from __future__ import annotations

import pandas as pd


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Bias and spread of each estimator: per estimation run and MI level, the held-out
    estimate at the level's last evaluation, its mean and sample sd (ddof=1; NaN for one
    seed) over seeds, and its bias (mean minus the true MI).

    ``frame`` is ``estimate``'s rows or ``mirl.results.load``'s tidy table (other kinds of
    run in it are ignored).

    Columns: ``exp_name, name, task, true_mi, Critic, Estimator, setting`` (the bound's
    keywords), ``iteration, seeds, estimate_mean, estimate_sd, bias``; sorted by experiment,
    task, critic, estimator and level. Empty where ``frame`` has no estimation runs.
    """
    keys = ["exp_name", "name", "true_mi"]
    labels = ["task", "Critic", "Estimator", "setting"]
    columns = [*keys[:2], labels[0], keys[2], *labels[1:]]
    columns += ["iteration", "seeds", "estimate_mean", "estimate_sd", "bias"]
    if "estimate" not in frame:
        return pd.DataFrame(columns=columns)
    rows = frame.dropna(subset=["estimate"])
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = rows.assign(setting=rows.get("bound_setting", "")).fillna({"setting": ""})
    end = rows[rows["iteration"] == rows.groupby(keys)["iteration"].transform("max")]
    table = end.groupby(keys, sort=False).agg(
        **{c: (c, "first") for c in labels},
        iteration=("iteration", "first"),
        seeds=("run", "nunique"),
        estimate_mean=("estimate", "mean"),
        estimate_sd=("estimate", "std"),
    )
    table = table.reset_index()
    table["bias"] = table["estimate_mean"] - table["true_mi"]
    order = ["exp_name", "task", "Critic", "Estimator", "setting", "true_mi"]
    return table.sort_values(order, kind="stable").reset_index(drop=True)[columns]
