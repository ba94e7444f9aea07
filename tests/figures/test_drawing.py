"""The drawing rules every figure shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.ndimage import gaussian_filter1d

from mirl.figures.drawing import apply_ylim, mean_sd, ordered_levels, smooth, style_steps


def test_mean_sd_is_the_sample_sd_and_zero_for_one_seed():
    frame = pd.DataFrame({"step": [0, 0, 0, 5], "y": [1.0, 2.0, 6.0, 4.0]})
    x, mean, sd = mean_sd(frame, "y")
    np.testing.assert_allclose(x, [0, 5])
    np.testing.assert_allclose(mean, [3.0, 4.0])
    np.testing.assert_allclose(sd, [np.std([1.0, 2.0, 6.0], ddof=1), 0.0])


def test_mean_sd_leaves_out_steps_without_a_value():
    frame = pd.DataFrame({"step": [0, 0, 5, 5], "y": [1.0, 3.0, np.nan, np.nan]})
    x, mean, _ = mean_sd(frame, "y")
    np.testing.assert_allclose(x, [0])
    np.testing.assert_allclose(mean, [2.0])


def test_levels_in_the_given_order_then_the_rest_sorted():
    labels = pd.Series(["b", "z", "a", "b", None, "y"])
    assert ordered_levels(labels, ["b", "a", "c"]) == ["b", "a", "y", "z"]


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


def test_paper_limits_despite_an_off_scale_start_say_so():
    ax = Figure().add_subplot()
    ax.plot([0, 5, 10], [-40.0, 3.0, 6.0])
    apply_ylim(ax, (2, None), after_start=(3.0, 6.0))
    assert ax.get_ylim()[0] == 2
    assert [t.get_text() for t in ax.texts] == ["values at step 0 lie outside the axis"]


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
