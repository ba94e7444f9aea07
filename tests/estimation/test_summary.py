"""``summarize``: each estimator's bias and sd per task and level, on hand-made rows."""

import numpy as np
import pandas as pd
import pytest

from mirl.estimation import summarize


def rows() -> pd.DataFrame:
    """A two-level run (2 seeds, two evaluations per level) and a two-view run's rows."""
    return pd.DataFrame(
        {
            "experiment": ["e"] * 8 + ["paper"],
            "name": ["s-concat-nwj"] * 8 + ["mlp-bilinear-nwj"],
            "task": ["s"] * 8 + [np.nan],
            "critic": ["concat"] * 8 + ["bilinear"],
            "bound": ["nwj"] * 8 + ["nwj"],
            "bound_setting": [""] * 8 + [np.nan],
            "seed": [0, 0, 0, 0, 1, 1, 1, 1, 0],
            "step": [5, 10, 15, 20] * 2 + [10],
            "true_mi": [2.0, 2.0, 4.0, 4.0] * 2 + [np.nan],
            "estimate": [1.0, 1.5, 2.0, 3.0, 1.2, 1.9, 2.5, 3.4, np.nan],
        }
    )


def test_each_level_is_summarized_at_its_last_evaluation():
    table = summarize(rows())
    assert list(table.true_mi) == [2.0, 4.0]  # the two-view run is left out
    low, high = table.iloc[0], table.iloc[1]
    assert (low.step, low.seeds, low.task, low.setting) == (10, 2, "s", "")
    assert low.estimate_mean == pytest.approx(1.7)
    assert low.estimate_sd == pytest.approx(np.std([1.5, 1.9], ddof=1))
    assert low.bias == pytest.approx(-0.3)
    assert high.step == 20 and high.bias == pytest.approx(3.2 - 4.0)


def test_one_seed_has_no_sd_and_no_estimates_give_an_empty_table():
    one = summarize(rows().query("seed == 1"))
    assert one.seeds.tolist() == [1, 1] and one.estimate_sd.isna().all()
    assert summarize(rows().drop(columns="estimate")).empty
    assert list(summarize(pd.DataFrame()).columns)[-3:] == ["estimate_mean", "estimate_sd", "bias"]
