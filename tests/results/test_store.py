import json
import re

import numpy as np
import pytest

from mirl.estimation import EstimateSpec
from mirl.paper import TwoViewSpec
from mirl.results import failures, load
from mirl.results.plan import plan
from mirl.results.store import ResultStore
from mirl.results.table import COLAB_COLUMNS, FIRST_COLUMNS
from mirl.runtime.outcome import SeedResult
from mirl.runtime.run_spec import replace
from mirl.runtime.training import train

SPEC = TwoViewSpec(
    "critic_impact", "mlp", "concat", "nwj", encoder_kwargs={"widths": [8]}, steps=4, evals=2
)


def result(seed, value=0.5):
    rows = [
        {
            "step": 0,
            "accuracy": 0.8,
            "test_bound": value,
            "test_loss": -value,
            "colab_loss": -value,
            "train_bound": float("nan"),
            "seconds": 1.0,
        },
        {
            "step": 2,
            "accuracy": 0.9,
            "test_bound": value + 1,
            "test_loss": -value - 1,
            "colab_loss": -value - 1,
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
    assert list(frame.columns[: len(FIRST_COLUMNS)]) == FIRST_COLUMNS
    assert len(frame) == 4  # two ok seeds x two evaluations; the failed seed has no rows
    row = frame[(frame.seed == 1) & (frame.step == 2)].iloc[0]
    assert (row.experiment, row.encoder, row.critic, row.bound) == (
        "critic_impact",
        "mlp",
        "concat",
        "nwj",
    )
    assert row.label == "mlp, concat, nwj" and "bound_value" not in frame
    # The Colab's columns, made at the edge: its bound_value is minus its testing loss.
    colab = load(tmp_path, colab_columns=True)
    assert set(COLAB_COLUMNS) <= set(colab.columns)
    row = colab[(colab.run == 1) & (colab.iteration == 2)].iloc[0]
    assert (row.exp_name, row.nets, row.Critic, row.Estimator) == (
        "critic_impact",
        "mlp",
        "concat",
        "nwj",
    )
    assert row.bound_value == 2.0
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
        assert set(load(tmp_path).seed) == {0}
    jobs, summary = plan(store, [SPEC], [0, 1])
    assert [(j.spec, j.seeds) for j in jobs] == [(SPEC, [1])]
    assert summary.skipped == [("critic_impact/mlp-concat-nwj", 0)]
    assert len(summary.set_aside) == 1 and ".corrupt-" in summary.set_aside[0]
    assert not store.path(SPEC, 1).exists()  # moved aside, not deleted


def test_resuming_with_other_settings_is_an_error_naming_them(tmp_path):
    store = ResultStore(tmp_path)
    store.write(SPEC, result(0))
    with pytest.raises(ValueError, match=r"other settings \(lr: stored 0.0001, asked 0.001\)"):
        plan(store, [replace(SPEC, lr=1e-3)], [0, 1])
    jobs, _ = plan(store, [SPEC], [0, 1, 2], group_size=1)
    assert [j.seeds for j in jobs] == [[1], [2]]


GAUSSIAN = EstimateSpec(
    "paper-fig4c",
    "infonce",
    experiment="noniid",
    sampler="noniid",
    heldout_size=None,
    steps=4,
    evals=2,
)


def test_rows_without_a_held_out_estimate_carry_the_training_estimate_as_bound_value(tmp_path):
    (result,) = train(GAUSSIAN, [0])
    ResultStore(tmp_path).write(GAUSSIAN, result)
    row = load(tmp_path, colab_columns=True).iloc[-1]
    assert row.bound_value == row.train_bound == result.rows[-1]["train_bound"]
    assert row.sampler == "noniid" and row.bound == "infonce"


def test_overrides_that_make_two_runs_one_are_refused(tmp_path):
    with pytest.raises(ValueError, match="same name: critic_impact/mlp-concat-nwj"):
        plan(ResultStore(tmp_path), [SPEC, replace(SPEC, lr=1.0)], [0])


SYNTHETIC = {"name": "synthetic", "sha256": "5" * 64}
MNIST = {"name": "mnist", "sha256": "a" * 64}


def test_seeds_on_other_data_are_refused_naming_both_data_sets(tmp_path):
    store = ResultStore(tmp_path)
    store.write(SPEC, result(0), data=MNIST)
    assert store.read(store.path(SPEC, 0)).data == MNIST
    with pytest.raises(ValueError, match=r"data: stored mnist \(sha256 aaaa.*asked synthetic"):
        store.check_same_settings([SPEC], SYNTHETIC)
    assert store.check_same_settings([SPEC], MNIST) == []
    # Runs that train on no data set do not care which one is asked for.
    store.write(GAUSSIAN, result(0))
    assert store.check_same_settings([GAUSSIAN], SYNTHETIC) == []


def test_the_cli_refuses_to_add_seeds_on_other_data(tmp_path, capsys):
    """The issue's case: MNIST seeds stored, then `--data synthetic` asked."""
    from mirl.cli import main
    from mirl.experiments import experiment_specs

    (spec, *_) = experiment_specs("critic_impact", "smoke")
    ResultStore(tmp_path).write(spec, result(0), data=MNIST)
    args = ["run", "critic_impact", "--profile", "smoke", "--data", "synthetic", "--seeds", "3"]
    with pytest.raises(SystemExit, match=r"^mirl: .*data: stored mnist .*asked synthetic"):
        main([*args, "--out", str(tmp_path), "--quiet"])
    assert len(list(tmp_path.rglob("seed-*.json"))) == 1  # nothing trained, nothing moved


def test_records_say_which_data_they_were_trained_on(tmp_path, capsys):
    from mirl.cli import main

    args = ["run", "adversarial", "--profile", "smoke", "--data", "synthetic", "--seeds", "1"]
    assert main([*args, "--out", str(tmp_path), "--quiet", "--steps", "2", "--evals", "1"]) == 0
    records, _ = ResultStore(tmp_path).scan()
    from mirl.data.views import data_summary

    assert {json.dumps(r.data) for r in records} == {json.dumps(data_summary("synthetic").identity)}


def test_failed_only_runs_can_be_rerun_with_new_settings(tmp_path):
    store = ResultStore(tmp_path)
    diverged = replace(SPEC, lr=1e6)
    for seed in (0, 1, 2):
        store.write(diverged, SeedResult(seed, error="the loss became NaN/inf at step 3"))
    jobs, summary = plan(store, [SPEC], [0, 1])
    assert [j.seeds for j in jobs] == [[0, 1]]
    assert len(summary.set_aside_failed) == 3  # seed 2 too: not asked, but not to be mixed
    assert "set aside failed record made with other settings" in "\n".join(summary.lines("D"))
    assert not list(store.path(SPEC, 0).parent.glob("seed-*.json"))
    assert len(list(store.path(SPEC, 0).parent.glob("seed-*.json.failed-*"))) == 3
    # A run with a finished seed still binds its settings.
    store.write(diverged, result(0))
    with pytest.raises(ValueError, match="other settings"):
        plan(store, [SPEC], [0, 1])


def test_every_run_with_other_settings_is_named_in_one_message(tmp_path):
    store = ResultStore(tmp_path)
    other = replace(SPEC, critic="bilinear")
    store.write(SPEC, result(0))
    store.write(other, result(0))
    with pytest.raises(ValueError) as err:
        plan(store, [replace(SPEC, lr=1.0), replace(other, lr=1.0)], [0])
    message = str(err.value)
    assert "\n" not in message
    runs = "critic_impact/mlp-concat-nwj, critic_impact/mlp-bilinear-nwj"
    assert f"(lr: stored 0.0001, asked 1.0): {runs}" in message


def test_no_json_vouches_for_arrays_it_did_not_write(tmp_path, monkeypatch):
    from mirl.results import store as store_module

    store = ResultStore(tmp_path)
    store.write(SPEC, SeedResult(0, error="diverged"))
    writes = []
    real = store_module.atomic_write

    def killed_after_the_arrays(path, payload):
        real(path, payload)
        writes.append(path.suffix)
        if path.suffix == ".npz":
            raise KeyboardInterrupt  # killed between the arrays and their record

    monkeypatch.setattr(store_module, "atomic_write", killed_after_the_arrays)
    with pytest.raises(KeyboardInterrupt):
        store.write(SPEC, result(0))
    assert writes == [".npz"]
    assert store.status(SPEC, 0) == "missing"  # redone on resume; never "failed" with new arrays


def test_a_record_stored_under_another_seed_or_run_is_corrupt(tmp_path):
    store = ResultStore(tmp_path)
    store.write(SPEC, result(0))
    copy = store.path(SPEC, 5)
    copy.write_bytes(store.path(SPEC, 0).read_bytes())
    assert store.status(SPEC, 5) == "corrupt"
    _, corrupt = store.scan()
    assert [
        (p.name, "stored as critic_impact/mlp-concat-nwj/seed-5.json" in m) for p, m in corrupt
    ] == [("seed-5.json", True)]


WRONG_FIELDS = [
    (lambda r: r["spec"].update(lr="fast"), "not a valid run spec"),
    (lambda r: r["spec"].update(jacobian="False"), "jacobian must be true or false"),
    (lambda r: r["spec"].update(critic="bilinear"), "spec is that of run"),
    (lambda r: r["rows"][0].update(accuracy="high"), "'accuracy' at step 0 is not a number"),
    (lambda r: r["meta"].update(seed_group=3), "seed_group"),
    (lambda r: r.update(data=["mnist"]), "'data' has the wrong type"),
    (lambda r: r.update(extra=1), "unknown fields"),
    (lambda r: r.pop("spec"), "'spec' is missing"),
]


def test_records_with_a_valid_checksum_and_a_wrong_field_are_named_never_a_crash(
    tmp_path, reseal, capsys
):
    """The issue's case 4: such a record used to crash report, plot, load and run."""
    from mirl.cli import main

    store = ResultStore(tmp_path)
    for seed in range(len(WRONG_FIELDS) + 1):
        store.write(SPEC, result(seed))
    for seed, (change, _) in enumerate(WRONG_FIELDS, start=1):
        reseal(store.path(SPEC, seed), change)
        assert store.status(SPEC, seed) == "corrupt"
    with pytest.warns(UserWarning) as caught:
        assert set(load(tmp_path).seed) == {0}
    named = "\n".join(str(w.message) for w in caught)
    for seed, (_, problem) in enumerate(WRONG_FIELDS, start=1):
        assert re.search(rf"seed-{seed}\.json: .*{re.escape(problem)}", named), problem
    assert failures(tmp_path) == []
    pytest.importorskip("matplotlib")
    with pytest.warns(UserWarning):
        assert main(["report", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert all(f"seed-{seed}.json" in page for seed in range(1, len(WRONG_FIELDS) + 1))


def test_an_older_mirls_spec_without_a_newer_field_resumes(tmp_path, reseal):
    """Its spec lacks a field added since (stored None, asked 128 was the error)."""
    spec = replace(SPEC, jacobian=True, jacobian_samples=128)
    store = ResultStore(tmp_path)
    store.write(spec, result(0))
    reseal(store.path(spec, 0), lambda r: r["spec"].pop("jacobian_samples"))
    jobs, summary = plan(store, [spec], [0, 1])
    assert summary.skipped == [(spec.run_id, 0)] and [j.seeds for j in jobs] == [[1]]
