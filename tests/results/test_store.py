import json

import numpy as np
import pytest

from mirl.paper.spec import GaussianSpec, TwoViewSpec, replace
from mirl.results import failures, load
from mirl.results.kinds import train
from mirl.results.store import ResultStore
from mirl.results.sweep import plan
from mirl.results.table import COLAB_COLUMNS
from mirl.runtime.outcome import SeedResult

SPEC = TwoViewSpec(
    "critic_impact", "mlp", "concat", "nwj", encoder_kwargs={"widths": [8]}, steps=4, evals=2
)


def result(seed, value=0.5):
    rows = [
        {
            "iteration": 0,
            "accuracy": 0.8,
            "test_bound": value,
            "test_loss": -value,
            "bound_value": value,
            "train_bound": float("nan"),
            "seconds": 1.0,
        },
        {
            "iteration": 2,
            "accuracy": 0.9,
            "test_bound": value + 1,
            "test_loss": -value - 1,
            "bound_value": value + 1,
            "train_bound": value,
            "seconds": 2.0,
        },
    ]
    return SeedResult(seed, rows, {"singular_values": np.arange(6.0).reshape(1, 2, 3)}, seconds=2.0)


def test_round_trip_and_the_tidy_table(tmp_path):
    store = ResultStore(tmp_path)
    for seed in (0, 1):
        store.write(SPEC, result(seed, value=seed), {"device": "cpu"})
    store.write(SPEC, SeedResult(2, error="loss became NaN/inf at step 3"))
    frame = load(tmp_path)
    assert list(frame.columns[: len(COLAB_COLUMNS)]) == COLAB_COLUMNS
    assert len(frame) == 4  # two ok seeds x two evaluations; the failed seed has no rows
    row = frame[(frame.run == 1) & (frame.iteration == 2)].iloc[0]
    assert (row.exp_name, row.nets, row.Critic, row.Estimator) == (
        "critic_impact",
        "mlp",
        "concat",
        "nwj",
    )
    assert row.bound_value == 2.0 and row.label == "mlp, concat, nwj"
    record = store.read(store.path(SPEC, 0))
    np.testing.assert_array_equal(
        record.arrays()["singular_values"], np.arange(6.0).reshape(1, 2, 3)
    )
    assert record.meta["device"] == "cpu"
    (failed,) = failures(tmp_path)
    assert failed.seed == 2 and "step 3" in failed.error
    assert store.status(SPEC, 2) == "failed" and store.status(SPEC, 5) == "missing"


def damage_truncate(path):
    path.write_bytes(path.read_bytes()[:-20])


def damage_edit(path):
    wrapper = json.loads(path.read_bytes())
    wrapper["record"]["rows"][1]["accuracy"] = 0.99  # valid JSON, wrong content
    path.write_text(json.dumps(wrapper))


def damage_arrays(path):
    npz = path.with_suffix(".npz")
    blob = bytearray(npz.read_bytes())
    blob[-30] ^= 0xFF
    npz.write_bytes(bytes(blob))


@pytest.mark.parametrize("damage", [damage_truncate, damage_edit, damage_arrays])
def test_damaged_records_are_detected_never_read_and_redone_without_loss(tmp_path, damage):
    store = ResultStore(tmp_path)
    store.write(SPEC, result(0))
    store.write(SPEC, result(1))
    damage(store.path(SPEC, 1))
    assert store.status(SPEC, 1) == "corrupt"
    records, corrupt = store.scan()
    assert [r.seed for r in records] == [0] and len(corrupt) == 1
    with pytest.warns(UserWarning, match="corrupt record"):
        assert set(load(tmp_path).run) == {0}
    tasks, summary = plan(store, [SPEC], [0, 1])
    assert [(t.spec, t.seeds) for t in tasks] == [(SPEC, [1])]
    assert summary.skipped == [("critic_impact/mlp-concat-nwj", 0)]
    assert len(summary.set_aside) == 1 and ".corrupt-" in summary.set_aside[0]
    assert not store.path(SPEC, 1).exists()  # moved aside, not deleted


def test_resuming_with_other_settings_is_an_error_naming_them(tmp_path):
    store = ResultStore(tmp_path)
    store.write(SPEC, result(0))
    with pytest.raises(ValueError, match=r"other settings \(lr: stored 0.0001, asked 0.001\)"):
        plan(store, [replace(SPEC, lr=1e-3)], [0, 1])
    tasks, _ = plan(store, [SPEC], [0, 1, 2], group_size=1)
    assert [t.seeds for t in tasks] == [[1], [2]]


def test_gaussian_rows_carry_the_estimate_as_bound_value(tmp_path):
    spec = GaussianSpec("noniid", "infonce", steps=4, evals=2)
    (result,) = train(spec, [0])
    ResultStore(tmp_path).write(spec, result)
    row = load(tmp_path).iloc[-1]
    assert row.bound_value == row.train_bound == result.rows[-1]["train_bound"]
    assert row.sampler == "noniid" and row.Estimator == "infonce"


def test_overrides_that_make_two_runs_one_are_refused(tmp_path):
    with pytest.raises(ValueError, match="same name: critic_impact/mlp-concat-nwj"):
        plan(ResultStore(tmp_path), [SPEC, replace(SPEC, lr=1.0)], [0])
