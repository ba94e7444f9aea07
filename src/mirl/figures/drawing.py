"""The figures' look and the drawing helpers they share: curves with bands, the paper's
curves, step axes, the paper's y-limits, legends, percentile bands, smoothing.

The look is the Colab's (seaborn "whitegrid", font size 15), drawn with matplotlib alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d

try:
    from matplotlib.axes import Axes
    from matplotlib.ticker import FuncFormatter, MaxNLocator
except ImportError as err:  # pragma: no cover - depends on the installation
    raise ImportError("mirl.report needs matplotlib: pip install 'mirl[plots]'") from err

STYLE = {
    "figure.figsize": (6.4, 4.8),
    "axes.labelsize": 15,
    "axes.titlesize": 13,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 11,
    "axes.grid": True,
    "grid.color": "#e0e0e0",
    "axes.edgecolor": "#cccccc",
    "axes.axisbelow": True,
    "lines.linewidth": 2,
}
COLORS = tuple(f"C{i}" for i in range(10))
# Evaluations are marked, with one marker per curve, so that overlapping curves stay visible.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
MARKER_SIZE = 4
BAND_ALPHA = 0.2
PAPER_LINE = {"linewidth": 1.0, "linestyle": "--"}
# A second quantity of the same curve (mirl's bound on the test images beside the paper's):
# the curve's colour, dotted, without band or markers.
BESIDE_LINE = {"linewidth": 1.6, "linestyle": ":"}
# Legends with more entries than this go beside the axes instead of over the curves.
LEGEND_INSIDE_MAX = 5
# From this many steps on, the x axis counts thousands of steps (as in the paper).
THOUSANDS_FROM = 2000

# Fig. 4c: the Colab smooths 20,000 per-step estimates with a Gaussian filter of width 100
# steps; shorter runs get the same width relative to their length.
PAPER_TRACE_STEPS = 20000
PAPER_TRACE_SIGMA = 100.0


def line_with_band(
    ax: Axes,
    x: np.ndarray,
    mean: np.ndarray,
    sd: np.ndarray,
    label: str | None,
    color: str,
    marker: str | None = None,
) -> None:
    """A mean curve with a +- sd band (the band is omitted where sd is zero)."""
    ax.plot(x, mean, color=color, label=label, marker=marker, markersize=MARKER_SIZE)
    if np.any(sd > 0):
        ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=BAND_ALPHA, linewidth=0)


def beside_line(ax: Axes, x: np.ndarray, y: np.ndarray, color: str, label: str | None) -> None:
    """A second quantity of a curve, in its colour and dotted (no legend entry by default)."""
    ax.plot(x, y, color=color, label=label or "_nolegend_", **BESIDE_LINE)


def beside_key(ax: Axes, label: str) -> None:
    """One grey dotted legend entry that says what every dotted line shows."""
    ax.plot([], [], color="gray", label=label, **BESIDE_LINE)


def paper_line(ax: Axes, x: np.ndarray, y: np.ndarray, label: str, color: str) -> None:
    """One of the paper's curves, thin and dashed, labelled "(paper)"; skipped if fewer than
    two of its points lie in the shown range (a lone point would be a legend entry only)."""
    if len(x) < 2:
        return
    ax.plot(x, y, color=color, label=f"{label} (paper)", **PAPER_LINE)


def mean_sd(frame: pd.DataFrame, y: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per step with a value of ``y``: the mean and sample sd (ddof=1, 0 for one seed)."""
    grouped = frame.dropna(subset=[y]).groupby("step")[y]
    mean, sd = grouped.mean(), grouped.std().fillna(0.0)
    return mean.index.to_numpy(float), mean.to_numpy(float), sd.to_numpy(float)


def style_steps(ax: Axes, last_step: float) -> None:
    """Label the x axis with training steps, in thousands for long runs, from 0 to the end."""
    if last_step >= THOUSANDS_FROM:
        ax.xaxis.set_major_locator(MaxNLocator(steps=[1, 2, 4, 5, 10]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1000:g}"))
        ax.set_xlabel("Training steps (in thousands)")
    else:
        ax.set_xlabel("Training steps")
    if last_step > 0:
        ax.set_xlim(0, last_step)


def _inside(limits: tuple[float | None, float | None], low: float, high: float) -> bool:
    bottom, top = limits
    return (bottom is None or low >= bottom) and (top is None or high <= top)


def apply_ylim(
    ax: Axes,
    limits: tuple[float | None, float | None] | None,
    after_start: tuple[float, float] | None = None,
) -> None:
    """Use the paper's y-limits (None: that side scales itself) if all drawn fits, or if
    all but the step-0 evaluation fits (``after_start``: the range of the later values),
    saying so on the axes: an estimate at initialization can be far off-scale (I_NWJ of a
    random critic) and would otherwise flatten every later curve."""
    if limits is None:
        return
    if _inside(limits, *ax.dataLim.intervaly):
        ax.set_ylim(*limits)
    elif after_start is not None and _inside(limits, *after_start):
        ax.set_ylim(*limits)
        # Top left: the legend sits low, and curves start low where step 0 is off-scale.
        ax.text(
            0.02,
            0.98,
            "values at step 0 lie outside the axis",
            transform=ax.transAxes,
            va="top",
            fontsize=9,
            color="#666666",
        )


def place_legend(ax: Axes, loc: str, ncol: int = 1) -> None:
    """The legend at the paper's place, or beside the axes when it would hide the curves."""
    handles, _ = ax.get_legend_handles_labels()
    if len(handles) <= LEGEND_INSIDE_MAX * ncol:
        ax.legend(loc=loc, ncol=ncol)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), ncol=1, borderaxespad=0)


def finish_axes(
    ax: Axes,
    last_step: float,
    ylabel: str,
    ylim: tuple[float | None, float | None] | None,
    legend: str,
    ncol: int = 1,
    after_start: tuple[float, float] | None = None,
) -> None:
    """The common dressing of every figure: x axis, y label, y-limits, legend."""
    style_steps(ax, last_step)
    ax.set_ylabel(ylabel)
    apply_ylim(ax, ylim, after_start)
    place_legend(ax, legend, ncol)


def ordered_levels(labels: pd.Series, order: Sequence[str]) -> list[str]:
    """The distinct labels: those in ``order`` first (in that order), then the rest sorted."""
    present = set(labels.dropna())
    return [level for level in order if level in present] + sorted(present - set(order))


def percentile_bands(ax: Axes, x: np.ndarray, values: np.ndarray, bands: int = 5) -> None:
    """The Colab's ``percentile_plot``: per step, the sorted ``values`` [T, n] split into
    ``bands`` equal quantile ranges, each filled, with dashed minimum, quantile and
    maximum lines."""
    ordered = np.sort(values, axis=1)
    edges = [int(k / bands * (ordered.shape[1] - 1)) for k in range(bands + 1)]
    ax.plot(x, ordered[:, edges[0]], color="gray", linestyle="--", label="Minimum")
    for k in range(bands):
        color = COLORS[k % len(COLORS)]
        ax.fill_between(
            x, ordered[:, edges[k]], ordered[:, edges[k + 1]], color=color, alpha=0.75, lw=0
        )
        label = "Maximum" if k == bands - 1 else f"{100 * (k + 1) // bands}th perc."
        ax.plot(x, ordered[:, edges[k + 1]], color=color, linestyle="--", label=label)


def smooth(trace: np.ndarray) -> np.ndarray:
    """The Colab's Gaussian smoothing of a per-step trace, its width scaled to the length."""
    sigma = PAPER_TRACE_SIGMA * len(trace) / PAPER_TRACE_STEPS
    return gaussian_filter1d(np.asarray(trace, dtype=np.float64), sigma)
