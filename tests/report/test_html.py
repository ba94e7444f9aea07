"""The HTML report, written from real (smoke-scale) stored results alone."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from mirl.cli import main
from mirl.experiments import experiment_specs
from mirl.report.html import write_report
from mirl.report.summary import final_results, format_seconds
from mirl.results import load
from mirl.results.store import ResultStore
from mirl.runtime.outcome import SeedResult

EXPERIMENTS = ("critic_impact", "noniid")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """Two experiments trained at smoke scale on the synthetic digits."""
    out = tmp_path_factory.mktemp("report")
    for name in EXPERIMENTS:
        args = ["run", name, "--profile", "smoke", "--data", "synthetic", "--out", str(out)]
        assert main([*args, "--quiet"]) == 0
    return out


@pytest.fixture
def copy(results, tmp_path) -> Path:
    """A copy of the results that a test may change."""
    target = tmp_path / "out"
    shutil.copytree(results, target)
    return target


@pytest.fixture(scope="module")
def report(results) -> str:
    return write_report(results).read_text(encoding="utf-8")


def test_report_embeds_every_figure_and_nothing_external(results, report):
    pngs = sorted((results / "figures").glob("*.png"))
    assert len(pngs) == 5  # Fig. 3 (four panels) and Fig. 4c
    for png in pngs:
        assert f"data:image/png;base64,{base64.b64encode(png.read_bytes()).decode()}" in report
    assert report.count("<img ") == len(pngs)
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", report)
    assert "<script" not in report and "<link" not in report


def test_report_shows_experiments_with_figure_numbers_and_descriptions(report):
    assert "Fig. 3: critic_impact" in report
    assert "Fig. 4c: noniid" in report
    assert "simpler critics (bilinear, separable) give looser bounds" in report
    assert 'id="invertible"' not in report and 'href="#adversarial"' not in report


def test_final_table_is_the_mean_and_sd_over_seeds_at_the_last_step(results, report):
    frame = load(results)
    rows = frame[frame.name == "mlp-concat-nwj"]
    last = rows[rows.step == rows.step.max()]
    accuracy, bound = last["accuracy"].to_numpy(), last["colab_bound"].to_numpy()
    test = last["test_bound"].to_numpy()
    assert len(last) == 2

    final = final_results(frame).set_index("name").loc["mlp-concat-nwj"]
    assert final.step == 8 and final.seeds == 2
    assert final.accuracy_mean == pytest.approx(accuracy.mean())
    assert final.accuracy_sd == pytest.approx(np.std(accuracy, ddof=1))
    assert final.paper_bound_mean == pytest.approx(bound.mean())
    assert final.paper_bound_sd == pytest.approx(np.std(bound, ddof=1))
    assert final.test_bound_mean == pytest.approx(test.mean())
    row = '<td>mlp-concat-nwj</td><td class="num">8</td><td class="num">2</td>'
    row += f'<td class="num">{accuracy.mean():.4f} ± {np.std(accuracy, ddof=1):.4f}</td>'
    row += f'<td class="num">{bound.mean():.3f} ± {np.std(bound, ddof=1):.3f}</td>'
    row += f'<td class="num">{test.mean():.3f} ± {np.std(test, ddof=1):.3f}</td>'
    assert row in report
    header = "<th>Bound I_EST on training batches, as the paper (nats)</th>"
    assert header + "<th>Bound on test images (nats)</th>" in report


def test_the_paper_claims_are_checked_beside_the_figures(report):
    section = report[report.index('id="critic_impact"') : report.index('id="noniid"')]
    assert "The paper's claims in these results" in section
    assert "the simpler critics give better features than the MLP critic" in section
    assert "with non-i.i.d. batches, I_NCE exceeds the true MI" in report


def test_a_table_without_test_image_bounds_has_no_such_column(report):
    noniid = report.split('id="noniid"')[1]
    assert "Bound on test images" not in noniid.split("<h3>Settings")[0]


def test_noniid_final_bound_is_the_training_estimate(results):
    frame = load(results)
    final = final_results(frame).set_index("name").loc["noniid-infonce"]
    rows = frame[(frame.name == "noniid-infonce") & (frame.step == 40)]
    assert final.paper_bound_mean == pytest.approx(rows["train_bound"].mean())
    assert np.isnan(final.accuracy_mean)


def test_report_shows_settings_versions_devices_and_wall_time(results, report):
    assert "<code>steps=8</code>" in report  # shared by every run of the experiment
    assert "<th>critic</th>" in report and "<td>separable</td>" in report  # varies
    records, _ = ResultStore(results).scan()
    meta = records[0].meta
    for key in ("torch_version", "python_version", "device", "mirl_version"):
        assert f"<td>{meta[key]}</td>" in report
    noniid = [r for r in records if r.experiment == "noniid"]
    seconds = sum(
        {(r.name, tuple(r.meta["seed_group"])): r.meta["seconds"] for r in noniid}.values()
    )
    assert f"training wall time {format_seconds(seconds)}" in report


def test_failed_and_corrupt_runs_are_listed_and_escaped(copy):
    spec = experiment_specs("critic_impact", "smoke")[0]
    store = ResultStore(copy)
    store.write(spec, SeedResult(7, error="loss became <NaN> at step 3 & stopped"), {})
    (copy / "runs" / "noniid" / "iid-nwj" / "seed-9.json").write_text("{not json")
    with pytest.warns(UserWarning, match="skipping corrupt record"):  # from plot_all
        html = write_report(copy).read_text(encoding="utf-8")
    failures = html.split('id="failures"')[1]
    assert "loss became &lt;NaN&gt; at step 3 &amp; stopped" in failures
    assert "<NaN>" not in html
    assert "<td>critic_impact</td><td>mlp-bilinear-infonce</td><td>7</td>" in failures
    corrupt = html.split('id="corrupt"')[1]
    assert "runs/noniid/iid-nwj/seed-9.json" in corrupt


def test_report_is_made_from_stored_rows_alone(copy, monkeypatch):
    import mirl.runtime.training

    def no_training(*args, **kwargs):
        raise AssertionError("the report must not train")

    monkeypatch.setattr(mirl.runtime.training, "train_seeds", no_training)
    (copy / "baseline.json").write_text(json.dumps({"accuracy": 0.8351, "data": "mnist"}))
    html = write_report(copy).read_text(encoding="utf-8")
    assert "<b>0.8351</b>" in html
    expected = final_results(load(copy)).set_index("name").loc["mlp-separable-infonce"]
    assert f"{expected.accuracy_mean:.4f} ± {expected.accuracy_sd:.4f}" in html


def test_report_refuses_a_missing_dir_or_a_file_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_report(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        write_report(tmp_path / "file")


def test_report_of_an_empty_dir(tmp_path):
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "holds no results yet" in html
    assert "<img" not in html
