"""The report's numbers, on hand-made tidy tables."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mirl.report.summary import final_results, format_mean_sd, format_seconds, time_spent


def two_view_rows() -> pd.DataFrame:
    """Two seeds of a two-view run at steps 0 and 10, and one seed of a Gaussian run of
    Fig. 4c (an estimation run without held-out pairs)."""
    return pd.DataFrame(
        {
            "experiment": ["e"] * 4 + ["g"],
            "name": ["r"] * 4 + ["iid-nwj"],
            "kind": ["two_view"] * 4 + ["estimate"],
            "seed": [0, 0, 1, 1, 0],
            "step": [0, 10, 0, 10, 40],
            "accuracy": [0.1, 0.8, 0.2, 0.9, np.nan],
            "colab_bound": [0.0, 5.0, 0.0, 6.0, np.nan],
            "train_bound": [0.0, 4.0, 0.0, 4.5, 0.3],  # the Gaussian run's training estimate
            "test_bound": [0.0, 2.0, 0.0, 3.0, np.nan],
        }
    )


def test_end_values_show_the_papers_bound_and_the_test_images_bound():
    final = final_results(two_view_rows()).set_index("name")
    run = final.loc["r"]
    assert (run.step, run.seeds) == (10, 2)
    assert run.accuracy_mean == pytest.approx(0.85)
    assert run.accuracy_sd == pytest.approx(np.std([0.8, 0.9], ddof=1))
    assert run.paper_bound_mean == pytest.approx(5.5)  # the Colab's testing bound
    assert run.paper_bound_sd == pytest.approx(np.std([5.0, 6.0], ddof=1))
    assert run.test_bound_mean == pytest.approx(2.5)  # mirl's, on the test images
    gaussian = final.loc["iid-nwj"]
    assert gaussian.paper_bound_mean == pytest.approx(0.3)
    assert np.isnan(gaussian.test_bound_mean) and np.isnan(gaussian.paper_bound_sd)


def test_end_values_of_a_table_without_the_papers_column():
    """Records written before colab_bound existed: their test-set bound only, never their
    training bound (or the old bound_value, minus the test loss) in the paper's column."""
    frame = two_view_rows().drop(columns="colab_bound").iloc[:4]
    run = final_results(frame).set_index("name").loc["r"]
    assert np.isnan(run.paper_bound_mean) and run.test_bound_mean == pytest.approx(2.5)


def test_end_values_of_an_empty_table():
    final = final_results(pd.DataFrame())
    assert final.empty and "test_bound_mean" in final.columns


def test_times_count_each_seed_group_once():
    def record(experiment: str, name: str, seed: int, group: list[int], seconds: float):
        meta = {"seed_group": group, "seconds": seconds, "train_seconds": seconds / 2}
        return SimpleNamespace(experiment=experiment, name=name, seed=seed, meta=meta)

    records = [
        record("noniid", "iid-nwj", 0, [0, 1], 10.0),
        record("noniid", "iid-nwj", 1, [0, 1], 10.0),
        record("noniid", "iid-nwj", 2, [2], 4.0),  # resumed later, alone
        record("noniid", "iid-infonce", 0, [0, 1], 10.0),  # another run, same seeds
        record("critic_impact", "mlp-concat-nwj", 0, [0], 1.5),
    ]
    times = time_spent(records)
    assert {name: t["seconds"] for name, t in times.items()} == {
        "noniid": 24.0,
        "critic_impact": 1.5,
    }
    assert times["noniid"]["train_seconds"] == 12.0
    assert times["noniid"]["probe_seconds"] == 0.0  # records without it count nothing


def test_numbers_read_naturally():
    assert format_seconds(12.34) == "12.3 s"
    assert format_seconds(243) == "4 min 03 s"
    assert format_seconds(7500) == "2 h 05 min"
    assert format_mean_sd(0.5, 0.25, 2) == "0.50 ± 0.25"
    assert format_mean_sd(0.5, np.nan, 2) == "0.50"
    assert format_mean_sd(np.nan, np.nan, 2) == "—"
