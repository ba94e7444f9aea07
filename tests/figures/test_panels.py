"""The kinds of figure, drawn from real (smoke-scale) stored results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mirl.figures.drawing import smooth
from mirl.figures.panels import BESIDE_LABEL, pooled_log_condition_numbers
from mirl.results import load
from mirl.results.store import ResultStore

BASELINE = 0.8351  # tests/conftest.py writes it


def run_means(results, run: str, column: str) -> pd.Series:
    """Per step, the mean over seeds of ``column`` for ``run`` (``experiment/name``)."""
    frame = load(results, colab_columns=True)
    experiment, name = run.split("/")
    rows = frame[(frame.experiment == experiment) & (frame.name == name)]
    return rows.groupby("step")[column].mean()


def test_curves_are_the_mean_over_seeds_with_sd_bands(results, draw):
    drawn = draw("fig3a_critic_impact_accuracy_nwj")
    expected = run_means(results, "critic_impact/mlp-bilinear-nwj", "accuracy")
    line = drawn.line("Bilinear")
    np.testing.assert_allclose(line.get_xdata(), expected.index.to_numpy(float))
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    assert drawn.legend()[:3] == ["MLP", "Bilinear", "Separable"]
    assert len(drawn.ax.collections) >= 3  # the sd bands


def test_legends_use_the_paper_notation(draw):
    assert draw("fig1a_invertible_accuracy").legend() == ["$I_{NWJ}$", "$I_{NCE}$"]
    assert draw("fig4a_encoder_impact_accuracy_nwj").legend()[:4] == [
        "ConvNet $(I_{NWJ}, t=2)$",
        "ConvNet $(I_{NWJ}, t=4)$",
        "MLP $(I_{NWJ}, t=2)$",
        "MLP $(I_{NWJ}, t=4)$",
    ]


def test_pixel_baseline_only_where_the_setting_matches(draw):
    label = f"Pixels, linear probe ({BASELINE:.3f})"
    assert label in draw("fig2a_non_invertible_accuracy").legend()
    assert label not in draw("fig1a_invertible_accuracy").legend()


@pytest.mark.parametrize(
    ("stem", "run", "label"),
    [
        ("fig1b_invertible_bound", "invertible/realnvp-bilinear-nwj", "$I_{NWJ}$"),
        ("fig2b_non_invertible_bound", "non_invertible/mlp-bilinear-infonce", "$I_{NCE}$"),
        ("fig3c_critic_impact_bound_nwj", "critic_impact/mlp-separable-nwj", "Separable"),
        ("fig3d_critic_impact_bound_nce", "critic_impact/mlp-concat-infonce", "MLP"),
    ],
)
def test_bound_panels_show_the_papers_quantity_and_the_test_images_beside(
    results, draw, stem, run, label
):
    drawn = draw(stem)
    solid = drawn.line(label)
    np.testing.assert_allclose(solid.get_ydata(), run_means(results, run, "colab_bound"))
    dotted = next(
        x
        for x in drawn.ax.get_lines()
        if x.get_linestyle() == ":" and x.get_color() == solid.get_color()
    )
    np.testing.assert_allclose(dotted.get_ydata(), run_means(results, run, "test_bound"))
    assert BESIDE_LABEL in drawn.legend() and "test images" in BESIDE_LABEL
    # The paper's quantity is the Colab's column: bound_value = -colab_loss = colab_bound.
    np.testing.assert_allclose(solid.get_ydata(), run_means(results, run, "bound_value"))


def test_loss_panels_show_the_papers_loss_and_the_test_loss_beside(results, draw):
    drawn = draw("appendix_encoder_impact_loss_nce")
    solid = drawn.line("MLP $(I_{NCE}, t=4)$")
    colab_loss = run_means(results, "encoder_impact/mlp-bilinear-infonce-t4", "colab_loss")
    np.testing.assert_allclose(solid.get_ydata(), colab_loss)
    np.testing.assert_allclose(
        colab_loss, -run_means(results, "encoder_impact/mlp-bilinear-infonce-t4", "bound_value")
    )
    assert (colab_loss >= 0).all()
    dotted = [x for x in drawn.ax.get_lines() if x.get_linestyle() == ":" and len(x.get_xdata())]
    expected = run_means(results, "encoder_impact/mlp-bilinear-infonce-t4", "test_loss")
    assert any(np.allclose(x.get_ydata(), expected) for x in dotted)


def test_accuracy_panels_have_no_test_image_lines(draw):
    assert BESIDE_LABEL not in draw("fig3a_critic_impact_accuracy_nwj").legend()


def test_a_run_without_the_papers_quantity_still_shows_its_test_bound(plot_data, draw):
    """Records written before colab_bound existed: the dotted line carries the label."""
    old = plot_data.frame.assign(colab_bound=np.nan)
    drawn = draw("fig1b_invertible_bound", type(plot_data)(old, plot_data.records, plot_data.paper))
    assert drawn.legend() == ["$I_{NWJ}$", "$I_{NCE}$", BESIDE_LABEL]
    assert all(x.get_linestyle() == ":" for x in drawn.ax.get_lines())


def test_jacobian_percentiles_pool_the_samples_of_all_seeds(results, draw):
    drawn = draw("fig2c_non_invertible_jacobian_nce")
    assert drawn.legend() == [
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
    np.testing.assert_allclose(drawn.line("Minimum").get_ydata(), pooled.min(1), rtol=1e-5)
    np.testing.assert_allclose(drawn.line("Maximum").get_ydata(), pooled.max(1), rtol=1e-5)


def test_log_condition_numbers_concatenate_seeds_along_samples():
    one = np.array([[[4.0, 2.0, 1.0]], [[9.0, 3.0, 1.0]]])  # [evals=2, n=1, d=3]
    two = np.array([[[1.0, 1.0, 1.0]], [[8.0, 2.0, 2.0]], [[5.0, 5.0, 5.0]]])  # 3 evals
    np.testing.assert_allclose(
        pooled_log_condition_numbers([one, two]), np.log([[4.0, 1.0], [9.0, 4.0]])
    )


def test_noniid_curves_are_smoothed_traces_averaged_over_seeds(results, draw):
    drawn = draw("fig4c_noniid_estimates")
    records, _ = ResultStore(results).scan("noniid")
    traces = [r.arrays()["bound_trace"] for r in records if r.name == "noniid-infonce"]
    expected = np.mean([smooth(t) for t in traces], axis=0)
    line = drawn.line("$I_{NCE}$, non-i.i.d. samples")
    np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-6)
    true_mi = drawn.line("True MI").get_ydata()
    assert true_mi[0] == pytest.approx(-0.5 * np.log(1 - 0.4**2 / 4))  # rho = 0.4 / 2
    assert drawn.legend() == [
        "True MI",
        "$I_{NCE}$, non-i.i.d. samples",
        "$I_{NCE}$, i.i.d. samples",
        "$I_{NWJ}$, non-i.i.d. samples",
        "$I_{NWJ}$, i.i.d. samples",
    ]
