"""Records are checked against their format when read, and older formats are upgraded.

``format1/`` holds the records of ``mirl reproduce --profile smoke --data synthetic`` as
mirl 0.1 (record format 1) wrote them."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from mirl.experiments import experiment_specs
from mirl.results import load
from mirl.results.plan import plan
from mirl.results.record_format import FORMAT, RecordFormatError, check
from mirl.results.store import ResultStore

FORMAT1 = Path(__file__).parent / "format1"


def test_format_1_records_are_upgraded_on_read(tmp_path):
    shutil.copytree(FORMAT1, tmp_path, dirs_exist_ok=True)
    records, corrupt = ResultStore(tmp_path).scan()
    assert not corrupt and len(records) == 46  # 23 runs x 2 seeds
    # Format 3's Gaussian runs of Fig. 4c are now estimation runs of the paper's sampler.
    assert {r.spec["kind"] for r in records} == {"two_view", "adversarial", "estimate"}
    frame = load(tmp_path, colab_columns=True)
    two_view = frame[frame.kind == "two_view"]
    # Format 1's bound_value was the test-set value, which test_loss still holds.
    assert two_view.bound_value.isna().all() and two_view.test_loss.notna().all()
    noniid = frame[frame.experiment == "noniid"]
    assert (noniid.bound_value == noniid.train_bound).all()
    stored = json.loads((tmp_path / "runs/critic_impact/mlp-bilinear-nwj/seed-1.json").read_text())
    mine = (frame.experiment == "critic_impact") & (frame.name == "mlp-bilinear-nwj")
    row = frame[mine & (frame.seed == 1)].iloc[-1]
    assert row.accuracy == stored["record"]["rows"][-1]["accuracy"]


def test_a_format_1_directory_resumes_without_training_again(tmp_path):
    shutil.copytree(FORMAT1, tmp_path, dirs_exist_ok=True)
    # The smoke profile as it was then: 9 steps of the critic runs (evaluated at 0 and 4).
    specs = experiment_specs("critic_impact", "smoke", {"steps": 9})
    specs += experiment_specs("noniid", "smoke")
    jobs, summary = plan(ResultStore(tmp_path), specs, [0, 1])
    assert jobs == [] and len(summary.skipped) == 20


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


def older(record: dict, version: int) -> dict:
    """A current record as format ``version`` (2 or 3) wrote it: rows by iteration, and
    before format 3 no data set."""
    rows = [{("iteration" if k == "step" else k): v for k, v in r.items()} for r in record["rows"]]
    old = {**record, "format": version, "rows": rows}
    if version < 3:
        old.pop("data")
    return old


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(extra=1), rf"unknown fields \['extra'\] for format {FORMAT}"),
        (lambda r: r.update(data={"name": 3}), "'data' is not"),
        (lambda r: r.update(data={"name": "mnist", "url": "x"}), "'data' is not"),
        (lambda r: r.update(seconds=float("nan")), "'seconds' is not finite"),
        (lambda r: r.update(seed=-1), "negative seed"),
        (lambda r: r["rows"][0].update(accuracy=[1]), "'accuracy' at step 0 is not a number"),
        (lambda r: r["rows"].append({"iteration": 3}), "integer step"),
        (lambda r: r["meta"].update(host=5), r"meta\['host'\] has the wrong type"),
        (lambda r: r["meta"].update(seed_group=["0"]), "not a list of seeds"),
        (lambda r: r.pop("data"), "'data' is missing"),
    ],
)
def test_a_current_record_off_its_format_is_named(change, message):
    record = check(good_record())
    change(record)
    with pytest.raises(RecordFormatError, match=message):
        check(record)


def test_records_before_format_4_are_upgraded_to_mirls_vocabulary():
    assert FORMAT == 4
    current = check(good_record())
    for version in (2, 3):
        upgraded = check(older(current, version))
        assert upgraded["format"] == 4 and upgraded["rows"] == current["rows"]
        assert all("iteration" not in row and "step" in row for row in upgraded["rows"])
    assert check(older(current, 2))["data"] is None
    with pytest.raises(RecordFormatError, match=r"unknown fields \['data'\] for format 2"):
        check({**older(current, 2), "data": None})


def test_a_gaussian_run_of_format_3_is_the_estimation_run_of_the_paper_sampler():
    path = FORMAT1 / "runs/noniid/noniid-nwj/seed-0.json"
    upgraded = check(json.loads(path.read_text())["record"])
    spec = upgraded["spec"]
    assert spec["kind"] == "estimate" and spec["task"] == "paper-fig4c"
    assert (spec["sampler"], spec["heldout_size"], spec["task_kwargs"]) == ("noniid", None, {})
    assert all("bound_value" not in row for row in upgraded["rows"])
    other = json.loads(path.read_text())["record"]
    other["spec"]["sigma_eps"] = [[1.0, 0.5], [0.5, 1.0]]
    assert check(other)["spec"]["task_kwargs"]["sigma_eps"] == [[1.0, 0.5], [0.5, 1.0]]
