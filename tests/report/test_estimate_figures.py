"""The estimation runs in the report: the staircase figures and the bias/sd table, from
real (tiny) stored runs of ``mirl estimate``; reports without them are left as they were."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirl.cli import main
from mirl.estimation import summarize
from mirl.figures import draw_figure, read_results
from mirl.report.estimates import estimate_figures, staircase
from mirl.report.figures import plot_all
from mirl.report.html import write_report
from mirl.results import load

CRITIC = json.dumps({"hidden": 8, "layers": 1})


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """The staircase with three bounds (one with a setting) and a fixed task, 2 seeds."""
    out = tmp_path_factory.mktemp("estimates")
    common = ["--critic", "concat", "--seeds", "2", "--steps", "50", "--evals", "10"]
    common += ["--heldout-size", "128", "--set", f"critic_kwargs={CRITIC}", "--device", "cpu"]
    for task, bound, extra in [
        ("staircase,1v1-normal-0.75", "infonce,nwj", []),
        ("staircase", "smile", ["--set", 'bound_kwargs={"clip": 1.0}']),
    ]:
        args = ["estimate", "--task", task, "--bound", bound, *common, *extra]
        assert main([*args, "--out", str(out), "--quiet"]) == 0
    return out


def test_bias_and_sd_per_task_estimator_and_level(results):
    frame = load(results)
    table = summarize(frame)
    assert len(table) == 3 * 5 + 2  # three staircase runs x five levels, two fixed runs
    row = table[(table.name == "staircase-concat-nwj") & np.isclose(table.true_mi, 6.0)].iloc[0]
    # The level of 6 nats covers steps 20-29: its last evaluation is after step 30.
    end = frame[(frame.name == "staircase-concat-nwj") & (frame.step == 30)].estimate
    assert (row.step, row.seeds, row.task) == (30, 2, "staircase")
    assert row.estimate_mean == pytest.approx(end.mean())
    assert row.estimate_sd == pytest.approx(np.std(end, ddof=1))
    assert row.bias == pytest.approx(end.mean() - 6.0)
    assert set(table[table.bound == "smile"].setting) == {"clip1"}
    assert summarize(pd.DataFrame({"experiment": ["x"], "step": [1]})).empty


def test_staircase_figure_shows_each_bound_against_the_true_mi(results):
    data = read_results(results).of("estimate")
    assert [f.stem for f in estimate_figures("estimate", data)] == ["estimate_staircase_concat"]
    drawn = draw_figure(staircase("estimate", "staircase", "concat"), data)
    ax = drawn.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:3] == ["$I_{NCE}$", "$I_{NWJ}$", "$I_{SMILE}$ (clip1)"]
    assert {"True MI", "log B", "training batches (smoothed)"} <= set(labels)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert sorted(set(lines["True MI"].get_ydata())) == pytest.approx([2, 4, 6, 8, 10])
    assert lines["True MI"].get_ydata()[9:11] == pytest.approx([2, 4])  # steps 10 and 11
    assert lines["log B"].get_ydata()[0] == pytest.approx(math.log(64))
    nwj = load(results).query("name == 'staircase-concat-nwj'").groupby("step").estimate
    np.testing.assert_allclose(lines["$I_{NWJ}$"].get_ydata(), nwj.mean().to_numpy())
    # No separable runs, no cubic staircase: nothing to draw.
    assert draw_figure(staircase("estimate", "staircase", "separable"), data) is None
    assert draw_figure(staircase("estimate", "cubic-staircase", "concat"), data) is None


def test_report_shows_the_estimates_table_and_the_figure(results):
    page = write_report(results).read_text(encoding="utf-8")
    section = page[page.index('id="estimate"') :]
    assert "<h3>Estimates against the true MI</h3>" in section
    assert "<td>1v1-normal-0.75</td>" in section and "<td>smile (clip1)</td>" in section
    assert "Final results" not in section and "True MI of the pairs" not in section
    assert "<code>estimate_staircase_concat</code>" in section
    assert sorted(p.name for p in (results / "figures").glob("*.png")) == [
        "estimate_staircase_concat.png"
    ]


def test_reports_without_estimation_runs_draw_no_estimation_figures(tmp_path):
    args = ["run", "noniid", "--profile", "smoke", "--data", "synthetic", "--seeds", "1"]
    assert main([*args, "--out", str(tmp_path), "--quiet"]) == 0
    assert [p.name for p in plot_all(tmp_path)] == [
        "fig4c_noniid_estimates.png",
        "fig4c_noniid_estimates.pdf",
    ]
    page = write_report(tmp_path).read_text(encoding="utf-8")
    assert "Estimates against the true MI" not in page and "True MI of the pairs" in page
