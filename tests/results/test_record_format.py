"""Records are checked against their format when read, and older formats are upgraded.

``format1/`` holds the records of ``mirl reproduce --profile smoke --data synthetic`` as
mirl 0.1 (record format 1) wrote them."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from mirl.paper.experiments import experiment_specs
from mirl.results import load
from mirl.results.record_format import FORMAT, RecordFormatError, check
from mirl.results.store import ResultStore
from mirl.results.sweep import plan

FORMAT1 = Path(__file__).parent / "format1"


def test_format_1_records_are_upgraded_on_read(tmp_path):
    shutil.copytree(FORMAT1, tmp_path, dirs_exist_ok=True)
    records, corrupt = ResultStore(tmp_path).scan()
    assert not corrupt and len(records) == 46  # 23 runs x 2 seeds
    assert {r.spec["kind"] for r in records} == {"two_view", "adversarial", "gaussian"}
    frame = load(tmp_path)
    two_view = frame[frame.kind == "two_view"]
    # Format 1's bound_value was the test-set value, which test_loss still holds.
    assert two_view.bound_value.isna().all() and two_view.test_loss.notna().all()
    noniid = frame[frame.exp_name == "noniid"]
    assert (noniid.bound_value == noniid.train_bound).all()
    stored = json.loads((tmp_path / "runs/critic_impact/mlp-bilinear-nwj/seed-1.json").read_text())
    mine = (frame.exp_name == "critic_impact") & (frame.name == "mlp-bilinear-nwj")
    row = frame[mine & (frame.run == 1)].iloc[-1]
    assert row.accuracy == stored["record"]["rows"][-1]["accuracy"]


def test_a_format_1_directory_resumes_without_training_again(tmp_path):
    shutil.copytree(FORMAT1, tmp_path, dirs_exist_ok=True)
    specs = [s for name in ("critic_impact", "noniid") for s in experiment_specs(name, "smoke")]
    tasks, summary = plan(ResultStore(tmp_path), specs, [0, 1])
    assert tasks == [] and len(summary.skipped) == 20


def good_record() -> dict:
    path = FORMAT1 / "runs/critic_impact/mlp-bilinear-nwj/seed-0.json"
    return json.loads(path.read_text())["record"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("rows"), "'rows' is missing"),
        (lambda r: r.update(seed="0"), "'seed' has the wrong type"),
        (lambda r: r.update(seed=True), "'seed' has the wrong type"),
        (lambda r: r.update(status="done"), "unknown status"),
        (lambda r: r.update(format=FORMAT + 1), "newer mirl"),
        (lambda r: r.pop("format"), "no format version"),
        (lambda r: r["rows"].append({"accuracy": 1}), "integer iteration"),
        (lambda r: r["spec"].pop("kind"), "no kind"),
    ],
)
def test_a_record_off_its_format_is_named(change, message):
    record = good_record()
    change(record)
    with pytest.raises(RecordFormatError, match=message):
        check(record)


def test_a_good_record_passes_and_is_upgraded():
    upgraded = check(good_record())
    assert upgraded["format"] == FORMAT and upgraded["spec"]["kind"] == "two_view"
    assert all("bound_value" not in row for row in upgraded["rows"])
    assert not math.isnan(upgraded["rows"][0]["test_loss"])


def format_2_record() -> dict:
    record = check(good_record())
    record.pop("data")
    return {**record, "format": 2}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(extra=1), r"unknown fields \['extra'\] for format 3"),
        (lambda r: r.update(data={"name": 3}), "'data' is not"),
        (lambda r: r.update(data={"name": "mnist", "url": "x"}), "'data' is not"),
        (lambda r: r.update(seconds=float("nan")), "'seconds' is not finite"),
        (lambda r: r.update(seed=-1), "negative seed"),
        (lambda r: r["rows"][0].update(accuracy=[1]), "'accuracy' at iteration 0 is not a number"),
        (lambda r: r["meta"].update(host=5), r"meta\['host'\] has the wrong type"),
        (lambda r: r["meta"].update(seed_group=["0"]), "not a list of seeds"),
        (lambda r: r.pop("data"), "'data' is missing"),
    ],
)
def test_a_format_3_record_off_its_format_is_named(change, message):
    record = check(good_record())
    change(record)
    with pytest.raises(RecordFormatError, match=message):
        check(record)


def test_records_before_format_3_are_upgraded_with_their_data_not_recorded():
    assert FORMAT == 3
    upgraded = check(format_2_record())
    assert upgraded["format"] == 3 and upgraded["data"] is None
    assert check(good_record())["data"] is None
    with pytest.raises(RecordFormatError, match=r"unknown fields \['data'\] for format 2"):
        check({**format_2_record(), "data": None})
