"""The paper's figures, drawn from the results stored in an output directory.

``plot_all(DIR)`` draws every figure for which ``DIR`` holds results and writes each as PNG
and PDF to ``DIR/figures/``; experiments without results are skipped. The figures follow
the plotting cells of the paper's Colab (axes, labels, y-limits, the Jacobian percentile
plot, the smoothing of Fig. 4c), with these deliberate differences:

- curves are the mean over seeds with a band of +- one sample standard deviation (as
  seaborn's ``ci="sd"``), drawn with matplotlib alone;
- the x axis comes from the data (plain steps for short runs, thousands from 2,000 on);
- the paper's y-limits are used only when everything drawn fits inside them, otherwise
  the axis scales itself, so no curve is ever cut off;
- the pixel baseline (``DIR/baseline.json``) is a dotted line on the accuracy panels whose
  setting it matches, and the paper's own curves (when ``mirl.colab`` finds them in
  ``DIR/colab/``) are thin dashed lines labelled "(paper)", shown over the steps the
  stored runs cover, so that both are compared at the same steps.

Plots only read stored results: nothing here trains.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d

try:
    from matplotlib import rc_context
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator
except ImportError as err:  # pragma: no cover - depends on the installation
    raise ImportError("mirl.report.figures needs matplotlib: pip install 'mirl[plots]'") from err

from mirl.paper.baseline import read_baseline
from mirl.results.store import Record, ResultStore
from mirl.results.table import COLAB_COLUMNS, load

FIGURE_DIR = "figures"
FORMATS = ("png", "pdf")
PNG_DPI = 150

# The Colab's look (seaborn "whitegrid", font size 15), without seaborn.
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
# Legends with more entries than this go beside the axes instead of over the curves.
LEGEND_INSIDE_MAX = 5
# From this many steps on, the x axis counts thousands of steps (as in the paper).
THOUSANDS_FROM = 2000

# Fig. 4c: the Colab smooths 20,000 per-step estimates with a Gaussian filter of width 100
# steps; shorter runs get the same width relative to their length.
PAPER_TRACE_STEPS = 20000
PAPER_TRACE_SIGMA = 100.0

ESTIMATOR_SYMBOLS = {
    "infonce": "I_{NCE}",
    "nwj": "I_{NWJ}",
    "tuba": "I_{TUBA}",
    "dv": "I_{DV}",
    "js": "I_{JS}",
    "smile": "I_{SMILE}",
    "interpolated": r"I_{\alpha}",
}
CRITIC_LABELS = {
    "concat": "MLP",
    "bilinear": "Bilinear",
    "separable": "Separable",
    "innerprod": "Inner product",
}
ENCODER_LABELS = {"convnet": "ConvNet", "mlp": "MLP", "realnvp": "RealNVP"}
SAMPLER_LABELS = {"noniid": "non-i.i.d. samples", "iid": "i.i.d. samples"}


def estimator_label(bound: str) -> str:
    """The paper's symbol for a bound, as matplotlib mathtext, e.g. ``$I_{NCE}$``."""
    symbol = ESTIMATOR_SYMBOLS.get(bound, r"I_{\mathrm{" + bound + "}}")
    return f"${symbol}$"


# ----------------------------------------------------------------------------- inputs


@dataclass
class PlotData:
    """Everything the figures read from an output directory.

    ``frame`` is ``mirl.results.store.load``'s tidy table; ``records`` the finished (``ok``)
    records, whose arrays some figures read; ``paper`` the Colab's table in the same
    vocabulary (empty without ``DIR/colab/``) and ``colab`` the rest of the paper's results
    (``mirl.colab.ColabResults`` or None); ``baseline`` the pixel baseline accuracy.
    """

    frame: pd.DataFrame
    records: list[Record]
    paper: pd.DataFrame
    colab: Any | None = None
    baseline: float | None = None


def load_paper_results(root: str | Path) -> Any | None:
    """The paper's original results stored under ``DIR/colab/`` (``mirl.colab``), or None;
    damaged ones are skipped with a warning rather than stopping every figure."""
    try:
        from mirl.colab import load_colab
    except ImportError:
        return None
    try:
        return load_colab(root)
    except (OSError, ValueError, KeyError) as err:
        warnings.warn(f"not overlaying the paper's results: {err}", stacklevel=2)
        return None


def paper_frame(colab: Any | None) -> pd.DataFrame:
    """The paper's tidy table, with the adversarial curve (stored apart) added as rows."""
    if colab is None:
        return pd.DataFrame(columns=COLAB_COLUMNS)
    parts = [colab.frame]
    adversarial = getattr(colab, "adversarial", None)
    if adversarial is not None and not (colab.frame["exp_name"] == "adversarial").any():
        iterations, accuracy = adversarial
        parts.append(
            pd.DataFrame(
                {
                    "exp_name": "adversarial",
                    "nets": "realnvp",
                    "run": 0,
                    "iteration": np.asarray(iterations),
                    "accuracy": np.asarray(accuracy),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def read_results(root: str | Path) -> PlotData:
    """Read what the figures need from ``root``; never trains."""
    records, _ = ResultStore(root).scan()
    colab = load_paper_results(root)
    baseline = read_baseline(root)
    return PlotData(
        frame=load(root),
        records=[r for r in records if r.status == "ok"],
        paper=paper_frame(colab),
        colab=colab,
        baseline=None if baseline is None else float(baseline["accuracy"]),
    )


# ----------------------------------------------------------------------------- drawing


def line_with_band(
    ax: Axes,
    x: np.ndarray,
    mean: np.ndarray,
    sd: np.ndarray,
    label: str,
    color: str,
    marker: str | None = None,
) -> None:
    """A mean curve with a +- sd band (the band is omitted where sd is zero)."""
    ax.plot(x, mean, color=color, label=label, marker=marker, markersize=MARKER_SIZE)
    if np.any(sd > 0):
        ax.fill_between(x, mean - sd, mean + sd, color=color, alpha=BAND_ALPHA, linewidth=0)


def paper_line(ax: Axes, x: np.ndarray, y: np.ndarray, label: str, color: str) -> None:
    """One of the paper's curves, thin and dashed, labelled "(paper)"; skipped if fewer than
    two of its points lie in the shown range (a lone point would be a legend entry only)."""
    if len(x) < 2:
        return
    ax.plot(x, y, color=color, label=f"{label} (paper)", **PAPER_LINE)


def mean_sd(frame: pd.DataFrame, y: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per iteration: the mean and sample sd (ddof=1, 0 for one seed) of column ``y``."""
    grouped = frame.groupby("iteration")[y]
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
        ax.text(
            0.02,
            0.02,
            "values at step 0 lie outside the axis",
            transform=ax.transAxes,
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


def select(frame: pd.DataFrame, experiment: str, where: Mapping[str, Any]) -> pd.DataFrame:
    """The rows of ``experiment`` matching ``where``, with ``loss = -bound_value`` added."""
    mask = frame["exp_name"] == experiment
    for column, value in where.items():
        mask &= (frame[column] == value) if column in frame else False
    rows = frame[mask]
    return rows.assign(loss=-pd.to_numeric(rows["bound_value"], errors="coerce"))


# ----------------------------------------------------------------------------- figures

Hue = Callable[[pd.DataFrame], pd.Series]


def by_estimator(frame: pd.DataFrame) -> pd.Series:
    """One curve per bound, e.g. ``$I_{NCE}$``."""
    return frame["Estimator"].map(estimator_label, na_action="ignore")


def by_critic(frame: pd.DataFrame) -> pd.Series:
    """One curve per critic, named as in the paper (the concat critic is "MLP")."""
    return frame["Critic"].map(lambda c: CRITIC_LABELS.get(c, c), na_action="ignore")


def by_encoder_and_target(frame: pd.DataFrame) -> pd.Series:
    """The Colab's Fig. 4 labels, e.g. ``ConvNet $(I_{NWJ}, t=2)$``."""

    def label(row: pd.Series) -> str:
        symbol = estimator_label(row["Estimator"]).strip("$")
        target = "" if pd.isna(row["target"]) else f", t={row['target']:g}"
        return f"{ENCODER_LABELS.get(row['nets'], row['nets'])} $({symbol}{target})$"

    return frame.apply(label, axis=1) if len(frame) else pd.Series(dtype=str)


def constant(label: str) -> Hue:
    """One curve for all rows."""
    return lambda frame: pd.Series(label, index=frame.index)


ESTIMATOR_ORDER = (estimator_label("nwj"), estimator_label("infonce"))  # the Colab's order
CRITIC_ORDER = ("MLP", "Bilinear", "Separable", "Inner product")


class FigureSpec(Protocol):
    """A figure: its file name, the experiment it shows, a title and a caption."""

    stem: str
    experiment: str
    title: str
    caption: str

    def draw(self, ax: Axes, data: PlotData) -> bool:
        """Draw on ``ax``; False (and nothing drawn) when ``data`` has nothing to show."""
        ...


@dataclass(frozen=True)
class LineFigure:
    """Curves of one column of the tidy table against training steps, one per hue level,
    with the paper's matching curves and (optionally) the pixel baseline."""

    stem: str
    experiment: str
    title: str
    caption: str
    y: str  # a column of the tidy table, or "loss" (= -bound_value)
    ylabel: str
    hue: Hue
    order: Sequence[str] = ()
    where: Mapping[str, Any] = field(default_factory=dict)
    ylim: tuple[float | None, float | None] | None = None
    legend: str = "lower right"
    baseline: bool = False

    def draw(self, ax: Axes, data: PlotData) -> bool:
        ours = select(data.frame, self.experiment, self.where).dropna(subset=[self.y])
        if ours.empty:
            return False
        paper = select(data.paper, self.experiment, self.where)
        last_step = float(ours["iteration"].max())
        if self.y in paper:
            paper = paper[(paper["iteration"] <= last_step) & paper[self.y].notna()]
        else:
            paper = paper.iloc[:0]
        our_hue, paper_hue = self.hue(ours), self.hue(paper)
        for i, level in enumerate(ordered_levels(our_hue, self.order)):
            color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
            line_with_band(ax, *mean_sd(ours[our_hue == level], self.y), level, color, marker)
            mine = paper[paper_hue == level]
            if not mine.empty:
                x, mean, _ = mean_sd(mine, self.y)
                paper_line(ax, x, mean, level, color)
        if self.baseline and data.baseline is not None:
            label = f"Pixels, linear probe ({data.baseline:.3f})"
            ax.axhline(data.baseline, color="k", linestyle=":", linewidth=1.5, label=label)
        later = ours.loc[ours["iteration"] > 0, self.y]
        after_start = (float(later.min()), float(later.max())) if len(later) else None
        finish_axes(ax, last_step, self.ylabel, self.ylim, self.legend, after_start=after_start)
        return True


def log_condition_numbers(spectra: Sequence[np.ndarray]) -> np.ndarray:
    """Jacobian ``log(sigma_max / sigma_min)`` of every sample of every seed.

    ``spectra`` holds one ``[evals, n, d]`` array of singular values per seed; the seeds are
    concatenated along the sample axis (as in the Colab), over the evaluations all of them
    have. Returns ``[T, n * seeds]``.
    """
    steps = min(s.shape[0] for s in spectra)
    with np.errstate(divide="ignore"):
        logs = [
            np.log(s[:steps].max(-1).astype(np.float64))
            - np.log(s[:steps].min(-1).astype(np.float64))
            for s in spectra
        ]
    return np.concatenate(logs, axis=1)


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


@dataclass(frozen=True)
class JacobianFigure:
    """Fig. 2c: percentiles of the encoder's Jacobian log condition number over training,
    for the runs of one bound, with the paper's median."""

    stem: str
    title: str
    caption: str
    bound: str
    # The Colab's places (lower right for I_NCE, upper left for I_NWJ) cover the bands when
    # the condition numbers grow differently, so matplotlib picks the emptiest corner.
    legend: str = "best"
    experiment: str = "non_invertible"
    ylim: tuple[float | None, float | None] | None = (0.0, 8.0)

    def draw(self, ax: Axes, data: PlotData) -> bool:
        runs = [
            r
            for r in data.records
            if r.experiment == self.experiment and r.spec.get("bound") == self.bound
        ]
        spectra = [s for s in (r.arrays().get("singular_values") for r in runs) if s is not None]
        if not spectra:
            return False
        values = log_condition_numbers(spectra)
        iterations = np.array([row["iteration"] for row in runs[0].rows], float)[: len(values)]
        percentile_bands(ax, iterations, values)
        paper = (getattr(data.colab, "condition_numbers", None) or {}).get(self.bound)
        if paper is not None:
            x, logs = np.asarray(paper[0], float), np.asarray(paper[1], float)
            shown = x <= iterations[-1]
            paper_line(ax, x[shown], np.median(logs[shown], axis=1), "Median", "k")
        ylabel = rf"Jacobian, $\log\,(\sigma_1 / \sigma_{{{spectra[0].shape[-1]}}})$"
        finish_axes(ax, iterations[-1], ylabel, self.ylim, self.legend, ncol=2)
        return True


def smooth(trace: np.ndarray) -> np.ndarray:
    """The Colab's Gaussian smoothing of a per-step trace, its width scaled to the length."""
    sigma = PAPER_TRACE_SIGMA * len(trace) / PAPER_TRACE_STEPS
    return gaussian_filter1d(np.asarray(trace, dtype=np.float64), sigma)


@dataclass(frozen=True)
class TraceFigure:
    """Fig. 4c: the smoothed per-step training estimate of each (bound, sampler), mean +- sd
    over seeds, against the true MI."""

    stem: str
    experiment: str
    title: str
    caption: str
    ylim: tuple[float | None, float | None] | None = (-0.3, 0.25)
    legend: str = "lower right"

    def draw(self, ax: Axes, data: PlotData) -> bool:
        traces: dict[tuple[str, str], list[np.ndarray]] = {}
        for r in data.records:
            if r.experiment == self.experiment and r.arrays_sha256 is not None:
                trace = r.arrays().get("bound_trace")
                if trace is not None:
                    traces.setdefault((r.spec["bound"], r.spec["sampler"]), []).append(trace)
        if not traces:
            return False
        true_mi = data.frame.loc[data.frame["exp_name"] == self.experiment, "true_mi"]
        for i, value in enumerate(sorted(true_mi.dropna().unique())):
            label = "True MI" if i == 0 else None
            ax.axhline(value, color="k", linestyle="--", linewidth=1.5, label=label)
        last_step = 0.0
        for i, key in enumerate(sorted(traces, key=self._order)):
            bound, sampler = key
            color = COLORS[i % len(COLORS)]
            length = min(len(t) for t in traces[key])
            smoothed = np.stack([smooth(t[:length]) for t in traces[key]])
            sd = smoothed.std(axis=0, ddof=1) if len(smoothed) > 1 else np.zeros(length)
            label = f"{estimator_label(bound)}, {SAMPLER_LABELS.get(sampler, sampler)}"
            line_with_band(ax, np.arange(length), smoothed.mean(axis=0), sd, label, color)
            last_step = max(last_step, length - 1)
            paper = self._paper_trace(data.colab, bound, sampler)
            if paper is not None:
                shown = min(len(paper), length)
                paper_line(ax, np.arange(shown), paper[:shown], label, color)
        self._paper_true_mi(ax, data.colab, true_mi)
        finish_axes(ax, last_step, "$I_{EST}$", self.ylim, self.legend)
        return True

    @staticmethod
    def _order(key: tuple[str, str]) -> tuple[int, str, int, str]:
        """The Colab's order: I_NCE before I_NWJ, non-i.i.d. before i.i.d."""
        bounds, samplers = ("infonce", "nwj"), ("noniid", "iid")
        bound, sampler = key
        return (
            bounds.index(bound) if bound in bounds else len(bounds),
            bound,
            samplers.index(sampler) if sampler in samplers else len(samplers),
            sampler,
        )

    @staticmethod
    def _paper_trace(colab: Any | None, bound: str, sampler: str) -> np.ndarray | None:
        traces = getattr(colab, "noniid", None) or {}
        trace = traces.get(f"{bound}_{sampler}")
        return None if trace is None else smooth(np.asarray(trace))

    @staticmethod
    def _paper_true_mi(ax: Axes, colab: Any | None, ours: pd.Series) -> None:
        """The paper's true MI, only where it differs from the stored runs' (other sigmas)."""
        value = getattr(colab, "mi_true", None)
        if value is not None and not np.isclose(ours.dropna(), value).any():
            ax.axhline(value, color="gray", label="True MI (paper)", **PAPER_LINE)


def _jacobian_figure(bound: str, short: str) -> JacobianFigure:
    return JacobianFigure(
        stem=f"fig2c_non_invertible_jacobian_{short}",
        title=f"Fig. 2c: Jacobian condition number, {estimator_label(bound)}",
        caption="Percentiles over samples (of all seeds) of the log condition number of the "
        f"encoder's Jacobian, maximizing I_{short.upper()} (the paper: it grows, the encoder "
        "becomes ill-conditioned).",
        bound=bound,
    )


NWJ, NCE = {"Estimator": "nwj"}, {"Estimator": "infonce"}

FIGURES: tuple[FigureSpec, ...] = (
    LineFigure(
        stem="fig1a_invertible_accuracy",
        experiment="invertible",
        title="Fig. 1a: invertible encoders (RealNVP)",
        caption="Linear-probe test accuracy of the invertible RealNVP encoders while I_EST is "
        "maximized; their MI cannot change (the paper: the accuracy rises nonetheless).",
        y="accuracy",
        ylabel="Accuracy",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
    ),
    LineFigure(
        stem="fig1b_invertible_bound",
        experiment="invertible",
        title="Fig. 1b: invertible encoders (RealNVP)",
        caption="The bound I_EST on the test set during the same training.",
        y="bound_value",
        ylabel="$I_{EST}$",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
        ylim=(-5, 8),
    ),
    LineFigure(
        stem="fig1c_adversarial_accuracy",
        experiment="adversarial",
        title="Fig. 1c: adversarial training",
        caption="Linear-probe test accuracy of an invertible encoder trained against a linear "
        "classifier; its MI cannot change (the paper: its accuracy drops).",
        y="accuracy",
        ylabel="Accuracy",
        hue=constant("Adversarially trained\ninvertible encoder"),
        legend="best",
    ),
    LineFigure(
        stem="fig2a_non_invertible_accuracy",
        experiment="non_invertible",
        title="Fig. 2a: non-invertible encoders (residual MLP)",
        caption="Linear-probe test accuracy of the residual MLP encoders (noisy inputs); the "
        "dotted line is the linear probe on the input pixels.",
        y="accuracy",
        ylabel="Accuracy",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
        ylim=(0.83, 0.9),
        baseline=True,
    ),
    LineFigure(
        stem="fig2b_non_invertible_bound",
        experiment="non_invertible",
        title="Fig. 2b: non-invertible encoders (residual MLP)",
        caption="The bound I_EST on the test set during the same training.",
        y="bound_value",
        ylabel="$I_{EST}$",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
        ylim=(-5, 8),
    ),
    _jacobian_figure("infonce", "nce"),
    _jacobian_figure("nwj", "nwj"),
    LineFigure(
        stem="fig3a_critic_impact_accuracy_nwj",
        experiment="critic_impact",
        title="Fig. 3: critic architecture, $I_{NWJ}$",
        caption="Linear-probe test accuracy per critic, maximizing I_NWJ (MLP: the concat critic).",
        y="accuracy",
        ylabel="Accuracy with $I_{NWJ}$",
        hue=by_critic,
        order=CRITIC_ORDER,
        where=NWJ,
        ylim=(0.8, 0.9),
        baseline=True,
    ),
    LineFigure(
        stem="fig3b_critic_impact_accuracy_nce",
        experiment="critic_impact",
        title="Fig. 3: critic architecture, $I_{NCE}$",
        caption="Linear-probe test accuracy per critic, maximizing I_NCE.",
        y="accuracy",
        ylabel="Accuracy with $I_{NCE}$",
        hue=by_critic,
        order=CRITIC_ORDER,
        where=NCE,
        ylim=(0.8, 0.9),
        baseline=True,
    ),
    LineFigure(
        stem="fig3c_critic_impact_bound_nwj",
        experiment="critic_impact",
        title="Fig. 3: critic architecture, $I_{NWJ}$",
        caption="The bound I_NWJ on the test set per critic (the paper: the best features come "
        "with looser bounds).",
        y="bound_value",
        ylabel="$I_{NWJ}$",
        hue=by_critic,
        order=CRITIC_ORDER,
        where=NWJ,
        ylim=(2, None),
    ),
    LineFigure(
        stem="fig3d_critic_impact_bound_nce",
        experiment="critic_impact",
        title="Fig. 3: critic architecture, $I_{NCE}$",
        caption="The bound I_NCE on the test set per critic.",
        y="bound_value",
        ylabel="$I_{NCE}$",
        hue=by_critic,
        order=CRITIC_ORDER,
        where=NCE,
        ylim=(2, None),
    ),
    LineFigure(
        stem="fig4a_encoder_impact_accuracy_nwj",
        experiment="encoder_impact",
        title="Fig. 4a: encoder architecture, $I_{NWJ}$ target",
        caption="Linear-probe test accuracy when I_NWJ is trained towards a target t: at the "
        "same t (the paper: the ConvNet beats the MLP).",
        y="accuracy",
        ylabel="Accuracy with $I_{NWJ}$",
        hue=by_encoder_and_target,
        where=NWJ,
        ylim=(0.78, 0.92),
        baseline=True,
    ),
    LineFigure(
        stem="fig4b_encoder_impact_accuracy_nce",
        experiment="encoder_impact",
        title="Fig. 4b: encoder architecture, $I_{NCE}$ target",
        caption="Linear-probe test accuracy when I_NCE is trained towards a target t.",
        y="accuracy",
        ylabel="Accuracy with $I_{NCE}$",
        hue=by_encoder_and_target,
        where=NCE,
        ylim=(0.78, 0.92),
        baseline=True,
    ),
    LineFigure(
        stem="appendix_encoder_impact_loss_nwj",
        experiment="encoder_impact",
        title="Appendix: loss $L_t$ with $I_{NWJ}$",
        caption="The test loss L_t = |I_NWJ - t| of the same runs: each reaches its target.",
        y="loss",
        ylabel="$L_t(g_1, g_2), I_{NWJ}$",
        hue=by_encoder_and_target,
        where=NWJ,
        legend="upper right",
    ),
    LineFigure(
        stem="appendix_encoder_impact_loss_nce",
        experiment="encoder_impact",
        title="Appendix: loss $L_t$ with $I_{NCE}$",
        caption="The test loss L_t = |I_NCE - t| of the same runs.",
        y="loss",
        ylabel="$L_t(g_1, g_2), I_{NCE}$",
        hue=by_encoder_and_target,
        where=NCE,
        legend="upper right",
    ),
    TraceFigure(
        stem="fig4c_noniid_estimates",
        experiment="noniid",
        title="Fig. 4c: i.i.d. vs non-i.i.d. samples",
        caption="Per-step training estimates of the MI of Gaussian pairs (Gaussian-smoothed, "
        "mean over seeds); the paper: with batch-dependent (non-i.i.d.) samples, both exceed "
        "the true MI.",
    ),
)
"""Every figure, in the paper's order."""


# ----------------------------------------------------------------------------- output


def draw_figure(spec: FigureSpec, data: PlotData) -> Figure | None:
    """Draw one figure (not saved), or None when ``data`` holds nothing for it."""
    with rc_context(STYLE):
        figure = Figure()
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        if not spec.draw(ax, data):
            return None
        ax.set_title(spec.title)
    return figure


def save_figure(figure: Figure, stem: Path) -> list[Path]:
    """Write ``figure`` as ``stem.png`` and ``stem.pdf``; return the paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with rc_context(STYLE):
        for fmt in FORMATS:
            path = stem.with_suffix(f".{fmt}")
            figure.savefig(path, dpi=PNG_DPI, bbox_inches="tight")
            paths.append(path)
    return paths


def plot_all(root: str | Path) -> list[Path]:
    """Draw every figure for which ``root`` holds results into ``root/figures/`` (PNG and
    PDF); experiments without results are skipped. Returns the written paths."""
    root = Path(root)
    data = read_results(root)
    paths = []
    for spec in FIGURES:
        figure = draw_figure(spec, data)
        if figure is not None:
            paths += save_figure(figure, root / FIGURE_DIR / spec.stem)
    return paths
