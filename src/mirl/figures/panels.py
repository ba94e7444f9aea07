"""The kinds of figure: curves of a tidy-table column (``LineFigure``), the Jacobian
percentile plot (``JacobianFigure``), the smoothed per-step training estimates of Fig. 4c
(``TraceFigure``) and the estimates on a staircase of known MI (``StaircaseFigure``), and
how their curves are grouped and named (the paper's names, from ``mirl.paper.names``).

A figure draws one experiment's results: ``draw(ax, data)`` is given the ``FigureData`` of
that experiment alone (``FigureData.of``), and returns False, drawing nothing, when they
hold nothing it shows. An experiment lists its figures in its declaration
(``mirl.experiments.Experiment``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from mirl.figures.drawing import (
    COLORS,
    MARKERS,
    PAPER_LINE,
    beside_key,
    beside_line,
    finish_axes,
    line_with_band,
    mean_sd,
    ordered_levels,
    paper_line,
    percentile_bands,
    smooth,
)
from mirl.figures.inputs import FigureData
from mirl.paper.names import (
    CRITIC_LABELS,
    ENCODER_LABELS,
    ESTIMATOR_SYMBOLS,
    SAMPLER_LABELS,
    estimator_label,
)
from mirl.runtime.jacobian import log_condition_numbers
from mirl.runtime.kinds import spec_from_dict

Hue = Callable[[pd.DataFrame], pd.Series]
"""Rows -> the label of the curve each belongs to."""


def by_estimator(frame: pd.DataFrame) -> pd.Series:
    """One curve per bound, e.g. ``$I_{NCE}$``."""
    return frame["bound"].map(estimator_label, na_action="ignore")


def by_critic(frame: pd.DataFrame) -> pd.Series:
    """One curve per critic, named as in the paper (the concat critic is "MLP")."""
    return frame["critic"].map(lambda c: CRITIC_LABELS.get(c, c), na_action="ignore")


def by_encoder_and_target(frame: pd.DataFrame) -> pd.Series:
    """The Colab's Fig. 4 labels, e.g. ``ConvNet $(I_{NWJ}, t=2)$``."""

    def label(row: pd.Series) -> str:
        symbol = estimator_label(row["bound"]).strip("$")
        target = "" if pd.isna(row["target"]) else f", t={row['target']:g}"
        return f"{ENCODER_LABELS.get(row['encoder'], row['encoder'])} $({symbol}{target})$"

    return frame.apply(label, axis=1) if len(frame) else pd.Series(dtype=str)


def by_label(frame: pd.DataFrame) -> pd.Series:
    """One curve per run, by its label (``mlp, bilinear, infonce``)."""
    return frame["label"]


def constant(label: str) -> Hue:
    """One curve for all rows."""
    return lambda frame: pd.Series(label, index=frame.index)


def select(frame: pd.DataFrame, where: Mapping[str, Any]) -> pd.DataFrame:
    """The rows matching ``where`` (none where a column is missing)."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= (frame[column] == value) if column in frame else False
    return frame[mask]


class Figure(Protocol):
    """A figure of an experiment: its file name (unique among all figures), title and
    caption, and how it draws the experiment's results."""

    stem: str
    title: str
    caption: str

    def draw(self, ax: Axes, data: FigureData) -> bool:
        """Draw on ``ax``; False (and nothing drawn) when ``data`` has nothing to show."""
        ...


BESIDE_LABEL = "on test images"
"""The legend entry of the dotted lines: mirl's bound on the 10,000 test images."""


@dataclass(frozen=True)
class LineFigure:
    """Curves of one column of the tidy table against training steps, one per hue level,
    with the paper's matching curves and (optionally) the pixel baseline.

    ``beside``: a second column drawn in each curve's colour, dotted: on the bound panels,
    mirl's bound on the test images beside the paper's quantity ``y`` (the Colab's testing
    bound, on fresh training batches), so that the gap between the two is seen.
    """

    stem: str
    title: str
    caption: str
    y: str  # a column of the tidy table (and of the paper's, for its curves)
    ylabel: str
    hue: Hue
    order: Sequence[str] = ()
    where: Mapping[str, Any] = field(default_factory=dict)
    ylim: tuple[float | None, float | None] | None = None
    legend: str = "lower right"
    baseline: bool = False
    beside: str | None = None

    def draw(self, ax: Axes, data: FigureData) -> bool:
        ours = select(data.frame, self.where)
        columns = [c for c in (self.y, self.beside) if c is not None and c in ours]
        ours = ours.dropna(subset=columns, how="all") if columns else ours.iloc[:0]
        if ours.empty:
            return False
        last_step = float(ours["step"].max())
        paper = select(data.paper, self.where)
        if self.y in paper:
            paper = paper[(paper["step"] <= last_step) & paper[self.y].notna()]
        else:
            paper = paper.iloc[:0]
        our_hue, paper_hue = self.hue(ours), self.hue(paper)
        drew_beside = False
        for i, level in enumerate(ordered_levels(our_hue, self.order)):
            color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
            mine, label = ours[our_hue == level], level
            if self.y in mine and mine[self.y].notna().any():
                line_with_band(ax, *mean_sd(mine, self.y), label, color, marker)
                label = None
            if self.beside in mine and mine[self.beside].notna().any():
                x, mean, _ = mean_sd(mine, self.beside)
                beside_line(ax, x, mean, color, label)
                drew_beside = True
            theirs = paper[paper_hue == level]
            if not theirs.empty:
                x, mean, _ = mean_sd(theirs, self.y)
                paper_line(ax, x, mean, level, color)
        if drew_beside:
            beside_key(ax, BESIDE_LABEL)
        if self.baseline and data.baseline is not None:
            label = f"Pixels, linear probe ({data.baseline:.3f})"
            ax.axhline(data.baseline, color="k", linestyle=":", linewidth=1.5, label=label)
        later = ours.loc[ours["step"] > 0, columns].stack()
        after_start = (float(later.min()), float(later.max())) if len(later) else None
        finish_axes(ax, last_step, self.ylabel, self.ylim, self.legend, after_start=after_start)
        return True


def pooled_log_condition_numbers(spectra: Sequence[np.ndarray]) -> np.ndarray:
    """Jacobian ``log(sigma_max / sigma_min)`` of every sample of every seed.

    ``spectra`` holds one ``[evals, n, d]`` array of singular values per seed; the seeds are
    concatenated along the sample axis (as in the Colab), over the evaluations all of them
    have. Returns ``[T, n * seeds]``.
    """
    steps = min(s.shape[0] for s in spectra)
    return np.concatenate([log_condition_numbers(s[:steps]) for s in spectra], axis=1)


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
    ylim: tuple[float | None, float | None] | None = (0.0, 8.0)

    def draw(self, ax: Axes, data: FigureData) -> bool:
        runs, spectra = [], []
        for r in data.records:
            s = r.arrays().get("singular_values") if r.spec.get("bound") == self.bound else None
            if s is not None:
                runs.append(r)
                spectra.append(s)
        if not spectra:
            return False
        values = pooled_log_condition_numbers(spectra)
        steps = np.array([row["step"] for row in runs[0].rows], float)[: len(values)]
        percentile_bands(ax, steps, values)
        paper = (getattr(data.colab, "condition_numbers", None) or {}).get(self.bound)
        if paper is not None:
            x, logs = np.asarray(paper[0], float), np.asarray(paper[1], float)
            shown = x <= steps[-1]
            paper_line(ax, x[shown], np.median(logs[shown], axis=1), "Median", "k")
        ylabel = rf"Jacobian, $\log\,(\sigma_1 / \sigma_{{{spectra[0].shape[-1]}}})$"
        finish_axes(ax, steps[-1], ylabel, self.ylim, self.legend, ncol=2)
        return True


@dataclass(frozen=True)
class TraceFigure:
    """Fig. 4c: the smoothed per-step training estimate of each (bound, sampler), mean +- sd
    over seeds, against the true MI."""

    stem: str
    title: str
    caption: str
    ylim: tuple[float | None, float | None] | None = (-0.3, 0.25)
    legend: str = "lower right"

    def draw(self, ax: Axes, data: FigureData) -> bool:
        traces: dict[tuple[str, str], list[np.ndarray]] = {}
        for r in data.records:
            trace = r.arrays().get("bound_trace")
            if trace is not None and "bound" in r.spec:
                key = (r.spec["bound"], r.spec.get("sampler") or "iid")
                traces.setdefault(key, []).append(trace)
        if not traces:
            return False
        true_mi = data.frame.get("true_mi", pd.Series(dtype=float))
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


def by_estimator_setting(frame: pd.DataFrame) -> pd.Series:
    """One curve per bound and its keywords, e.g. ``$I_{SMILE}$ (clip1)``."""
    setting = frame.get("bound_setting", pd.Series("", index=frame.index)).fillna("")
    label = frame["bound"].map(estimator_label)
    return label.where(setting == "", label + " (" + setting + ")")


@dataclass(frozen=True)
class StaircaseFigure:
    """Poole et al.'s Fig. 2 for one critic: per bound, the held-out estimate at each
    evaluation (mean +- sd over seeds) and, dotted, the training-batch estimate of every
    step (smoothed, mean over seeds), against the true MI of each step, and log B under
    InfoNCE. The y axis is held to the staircase's range: at high MI some bounds'
    estimates leave it (their variance grows exponentially), and the axes say so."""

    stem: str
    title: str
    caption: str
    task: str
    critic: str
    legend: str = "upper left"

    def draw(self, ax: Axes, data: FigureData) -> bool:
        ours = select(data.frame, {"task": self.task, "critic": self.critic})
        ours = ours.dropna(subset=["estimate"]) if "estimate" in ours else ours.iloc[:0]
        if ours.empty:
            return False
        runs = set(ours["name"])
        records = [r for r in data.records if r.name in runs]
        hue = by_estimator_setting(ours)
        shown: list[np.ndarray] = []
        for i, level in enumerate(
            ordered_levels(hue, [estimator_label(b) for b in ESTIMATOR_SYMBOLS])
        ):
            color, marker = COLORS[i % len(COLORS)], MARKERS[i % len(MARKERS)]
            mine = ours[hue == level]
            x, mean, sd = mean_sd(mine, "estimate")
            line_with_band(ax, x, mean, sd, level, color, marker)
            shown += [mean - sd, mean + sd]
            names = set(mine["name"])
            traces = [r.arrays()["bound_trace"] for r in records if r.name in names]
            length = min(len(t) for t in traces)
            trace = np.mean([smooth(t[:length]) for t in traces], axis=0)
            beside_line(ax, np.arange(1, length + 1), trace, color, None)
            shown.append(trace)
        beside_key(ax, "training batches (smoothed)")
        top = 1.2 * self._true_mi(ax, records) + 0.5
        self._log_batch(ax, records)
        ax.set_ylim(-1.0, top)
        values = np.concatenate(shown)
        if np.nanmin(values) < -1.0 or np.nanmax(values) > top:
            ax.text(
                0.98,
                0.02,
                "values beyond the axis are cut",
                transform=ax.transAxes,
                ha="right",
                fontsize=9,
                color="#666666",
            )
        last_step = float(max(r.spec["steps"] for r in records))
        finish_axes(ax, last_step, "MI (nats)", None, self.legend)
        return True

    @staticmethod
    def _true_mi(ax: Axes, records: Sequence[Any]) -> float:
        """The true MI after each step of each distinct schedule; returns the largest."""
        schedules = {
            (r.spec["task"], str(r.spec["task_kwargs"]), r.spec["steps"]): r for r in records
        }
        top = 0.0
        for i, record in enumerate(schedules.values()):
            run = spec_from_dict(record.spec)
            levels = np.array([task.true_mi for task in run.levels.tasks])
            mi = levels[[run.level(step) for step in range(run.steps)]]
            ax.plot(
                np.arange(1, run.steps + 1),
                mi,
                color="k",
                linewidth=1.5,
                label="True MI" if i == 0 else None,
            )
            top = max(top, float(levels.max()))
        return top

    @staticmethod
    def _log_batch(ax: Axes, records: Sequence[Any]) -> None:
        """log B, which InfoNCE cannot exceed, for each batch size B of its runs."""
        capped = {r.spec["batch_size"] for r in records if r.spec["bound"] == "infonce"}
        for i, b in enumerate(sorted(capped)):
            label = "log B" if i == 0 else None
            ax.axhline(np.log(b), color="gray", linestyle=":", linewidth=1.2, label=label)
