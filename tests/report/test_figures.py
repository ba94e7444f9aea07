"""Figures drawn from real (smoke-scale) stored results, and the drawing rules."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.ndimage import gaussian_filter1d

from mirl.cli import main
from mirl.paper.experiments import EXPERIMENTS
from mirl.report.figures import (
    FIGURES,
    apply_ylim,
    draw_figure,
    load_paper_results,
    log_condition_numbers,
    mean_sd,
    plot_all,
    read_results,
    smooth,
    style_steps,
)
from mirl.results import load
from mirl.results.store import CorruptRecord, ResultStore

BASELINE = 0.8351


def figure_spec(stem: str):
    return next(f for f in FIGURES if f.stem == stem)


def legend_labels(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


def line(figure: Figure, label: str):
    return next(x for x in figure.axes[0].get_lines() if x.get_label() == label)


@pytest.fixture(scope="session")
def results(tmp_path_factory) -> Path:
    """All six experiments trained at smoke scale on the synthetic digits, plus a baseline."""
    out = tmp_path_factory.mktemp("smoke")
    for name in EXPERIMENTS:
        args = ["run", name, "--profile", "smoke", "--data", "synthetic", "--out", str(out)]
        assert main([*args, "--quiet"]) == 0
    (out / "baseline.json").write_text(json.dumps({"accuracy": BASELINE, "data": "synthetic"}))
    return out


@pytest.fixture(scope="module")
def plotted(results) -> list[Path]:
    return plot_all(results)


@pytest.fixture(scope="module")
def plot_data(results):
    """What the figures read from the smoke results (no paper results)."""
    return read_results(results)


def test_plot_all_writes_every_figure_as_png_and_pdf(results, plotted):
    expected = {results / "figures" / f"{f.stem}.{ext}" for f in FIGURES for ext in ("png", "pdf")}
    assert set(plotted) == expected
    assert len(plotted) == len(expected)
    assert set((results / "figures").iterdir()) == expected
    for path in plotted:
        head = path.read_bytes()[:8]
        assert head.startswith(b"\x89PNG" if path.suffix == ".png" else b"%PDF")
        assert path.stat().st_size > 5000


def test_plot_all_draws_only_the_experiments_present(results, tmp_path):
    shutil.copytree(results / "runs" / "noniid", tmp_path / "runs" / "noniid")
    paths = plot_all(tmp_path)
    assert sorted(p.name for p in paths) == [
        "fig4c_noniid_estimates.pdf",
        "fig4c_noniid_estimates.png",
    ]


def test_plot_all_on_an_empty_or_missing_dir_draws_nothing(tmp_path):
    assert plot_all(tmp_path) == []
    assert plot_all(tmp_path / "missing") == []
    assert not (tmp_path / "figures").exists()


def test_curves_are_the_mean_over_seeds_with_sd_bands(results, plot_data):
    figure = draw_figure(figure_spec("fig3a_critic_impact_accuracy_nwj"), plot_data)
    frame = load(results)
    rows = frame[(frame.exp_name == "critic_impact") & (frame.name == "mlp-bilinear-nwj")]
    expected = rows.groupby("iteration")["accuracy"].mean()
    drawn = line(figure, "Bilinear")
    np.testing.assert_allclose(drawn.get_xdata(), expected.index.to_numpy(float))
    np.testing.assert_allclose(drawn.get_ydata(), expected.to_numpy())
    assert legend_labels(figure)[:3] == ["MLP", "Bilinear", "Separable"]


def test_mean_sd_is_the_sample_sd_and_zero_for_one_seed():
    frame = pd.DataFrame({"iteration": [0, 0, 0, 5], "y": [1.0, 2.0, 6.0, 4.0]})
    x, mean, sd = mean_sd(frame, "y")
    np.testing.assert_allclose(x, [0, 5])
    np.testing.assert_allclose(mean, [3.0, 4.0])
    np.testing.assert_allclose(sd, [np.std([1.0, 2.0, 6.0], ddof=1), 0.0])


def test_legends_use_the_paper_notation(plot_data):
    labels = legend_labels(draw_figure(figure_spec("fig1a_invertible_accuracy"), plot_data))
    assert labels == ["$I_{NWJ}$", "$I_{NCE}$"]
    labels = legend_labels(draw_figure(figure_spec("fig4a_encoder_impact_accuracy_nwj"), plot_data))
    assert labels[:4] == [
        "ConvNet $(I_{NWJ}, t=2)$",
        "ConvNet $(I_{NWJ}, t=4)$",
        "MLP $(I_{NWJ}, t=2)$",
        "MLP $(I_{NWJ}, t=4)$",
    ]


def test_pixel_baseline_only_where_the_setting_matches(plot_data):
    label = f"Pixels, linear probe ({BASELINE:.3f})"
    assert label in legend_labels(
        draw_figure(figure_spec("fig2a_non_invertible_accuracy"), plot_data)
    )
    assert label not in legend_labels(
        draw_figure(figure_spec("fig1a_invertible_accuracy"), plot_data)
    )


def test_encoder_loss_is_minus_bound_value(results, plot_data):
    figure = draw_figure(figure_spec("appendix_encoder_impact_loss_nce"), plot_data)
    frame = load(results)
    rows = frame[frame.name == "mlp-bilinear-infonce-t4"]
    expected = (-rows.groupby("iteration")["bound_value"].mean()).to_numpy()
    np.testing.assert_allclose(line(figure, "MLP $(I_{NCE}, t=4)$").get_ydata(), expected)
    assert (expected >= 0).all()


def test_jacobian_percentiles_pool_the_samples_of_all_seeds(results, plot_data):
    figure = draw_figure(figure_spec("fig2c_non_invertible_jacobian_nce"), plot_data)
    assert legend_labels(figure) == [
        "Minimum",
        "20th perc.",
        "40th perc.",
        "60th perc.",
        "80th perc.",
        "Maximum",
    ]
    records, _ = ResultStore(results).scan("non_invertible")
    spectra = [r.arrays()["singular_values"] for r in records if r.spec["bound"] == "infonce"]
    pooled = np.concatenate([np.log(s[..., 0] / s[..., -1]) for s in spectra], axis=1)
    np.testing.assert_allclose(line(figure, "Minimum").get_ydata(), pooled.min(1), rtol=1e-5)
    np.testing.assert_allclose(line(figure, "Maximum").get_ydata(), pooled.max(1), rtol=1e-5)


def test_log_condition_numbers_concatenate_seeds_along_samples():
    one = np.array([[[4.0, 2.0, 1.0]], [[9.0, 3.0, 1.0]]])  # [evals=2, n=1, d=3]
    two = np.array([[[1.0, 1.0, 1.0]], [[8.0, 2.0, 2.0]], [[5.0, 5.0, 5.0]]])  # 3 evals
    np.testing.assert_allclose(log_condition_numbers([one, two]), np.log([[4.0, 1.0], [9.0, 4.0]]))


def test_noniid_curves_are_smoothed_traces_averaged_over_seeds(results, plot_data):
    figure = draw_figure(figure_spec("fig4c_noniid_estimates"), plot_data)
    records, _ = ResultStore(results).scan("noniid")
    traces = [r.arrays()["bound_trace"] for r in records if r.name == "noniid-infonce"]
    expected = np.mean([smooth(t) for t in traces], axis=0)
    drawn = line(figure, "$I_{NCE}$, non-i.i.d. samples")
    np.testing.assert_allclose(drawn.get_ydata(), expected, rtol=1e-6)
    true_mi = line(figure, "True MI").get_ydata()
    assert true_mi[0] == pytest.approx(-0.5 * np.log(1 - 0.4**2 / 4))  # rho = 0.4 / 2
    assert legend_labels(figure) == [
        "True MI",
        "$I_{NCE}$, non-i.i.d. samples",
        "$I_{NCE}$, i.i.d. samples",
        "$I_{NWJ}$, non-i.i.d. samples",
        "$I_{NWJ}$, i.i.d. samples",
    ]


def test_smoothing_width_scales_with_the_run_length():
    rng = np.random.default_rng(0)
    long, short = rng.normal(size=20000), rng.normal(size=2000)
    np.testing.assert_allclose(smooth(long), gaussian_filter1d(long, 100.0))
    np.testing.assert_allclose(smooth(short), gaussian_filter1d(short, 10.0))


def test_paper_limits_only_when_everything_fits():
    ax = Figure().add_subplot()
    ax.plot([0, 10], [0.85, 0.88])
    apply_ylim(ax, (0.83, 0.9))
    assert ax.get_ylim() == (0.83, 0.9)

    ax = Figure().add_subplot()
    ax.plot([0, 10], [0.85, 0.88])
    ax.axhline(0.5)  # e.g. a baseline below the paper's range
    apply_ylim(ax, (0.83, 0.9))
    low, high = ax.get_ylim()
    assert low < 0.5 and high > 0.88

    ax = Figure().add_subplot()
    ax.plot([0, 10], [3.0, 6.0])
    apply_ylim(ax, (2, None))
    low, high = ax.get_ylim()
    assert low == 2 and high >= 6.0


def test_steps_axis_in_thousands_only_for_long_runs():
    ax = Figure().add_subplot()
    style_steps(ax, 20000)
    assert ax.get_xlabel() == "Training steps (in thousands)"
    assert ax.xaxis.get_major_formatter()(15000, 0) == "15"
    assert ax.get_xlim() == (0, 20000)

    ax = Figure().add_subplot()
    style_steps(ax, 1200)
    assert ax.get_xlabel() == "Training steps"
    assert ax.get_xlim() == (0, 1200)


def fake_colab(frame: pd.DataFrame) -> SimpleNamespace:
    """A ColabResults-like object: the stored runs shifted, so that the overlay is distinct."""
    paper = frame[frame.exp_name.isin(["invertible", "critic_impact"])].copy()
    paper["accuracy"] -= 0.05
    steps = np.arange(0, 9, 4.0)
    return SimpleNamespace(
        frame=paper,
        condition_numbers={"infonce": (steps, np.full((3, 10), 3.0))},
        noniid={"nwj_iid": np.linspace(0.0, 0.02, 200)},
        mi_true=-0.5 * np.log(1 - 0.4**2 / 4),  # the paper's Gaussians, as the stored runs
        adversarial=(np.arange(0, 4001, 400.0), np.linspace(0.9, 0.3, 11)),
    )


def test_paper_results_are_overlaid_when_available(results, monkeypatch):
    colab = fake_colab(load(results))
    module = types.ModuleType("mirl.colab")
    module.load_colab = lambda root: colab
    monkeypatch.setitem(sys.modules, "mirl.colab", module)
    overlaid = read_results(results)

    figure = draw_figure(figure_spec("fig1a_invertible_accuracy"), overlaid)
    assert "$I_{NCE}$ (paper)" in legend_labels(figure)
    paper = colab.frame[(colab.frame.exp_name == "invertible") & (colab.frame.Estimator == "nwj")]
    drawn = line(figure, "$I_{NWJ}$ (paper)")
    assert drawn.get_linestyle() == "--"
    np.testing.assert_allclose(
        drawn.get_ydata(), paper.groupby("iteration")["accuracy"].mean().to_numpy()
    )
    jacobian = draw_figure(figure_spec("fig2c_non_invertible_jacobian_nce"), overlaid)
    np.testing.assert_allclose(line(jacobian, "Median (paper)").get_ydata(), [3.0] * 3)
    noniid = draw_figure(figure_spec("fig4c_noniid_estimates"), overlaid)
    assert "$I_{NWJ}$, i.i.d. samples (paper)" in legend_labels(noniid)
    assert "True MI (paper)" not in legend_labels(noniid)  # the same MI as the stored runs
    # The paper's adversarial curve runs 4,000 iterations; within the 8 stored, only its
    # first point falls: no curve to draw.
    adversarial = draw_figure(figure_spec("fig1c_adversarial_accuracy"), overlaid)
    assert not any("(paper)" in label for label in legend_labels(adversarial))
    # Panels without paper results have no overlay.
    encoder = draw_figure(figure_spec("fig4a_encoder_impact_accuracy_nwj"), overlaid)
    assert not any("(paper)" in label for label in legend_labels(encoder))


def test_no_paper_results_without_the_colab_module(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "mirl.colab", None)  # importing it raises ImportError
    assert load_paper_results(results) is None
    data = read_results(results)
    assert data.colab is None and data.paper.empty


def test_damaged_paper_results_are_skipped_with_a_warning(results, monkeypatch):
    def damaged(root):
        raise CorruptRecord("colab/rows.csv does not match its checksum")

    module = types.ModuleType("mirl.colab")
    module.load_colab = damaged
    monkeypatch.setitem(sys.modules, "mirl.colab", module)
    with pytest.warns(UserWarning, match="does not match its checksum"):
        assert load_paper_results(results) is None
