"""Figures and claims of an experiment's results; nothing here trains.

``FigureData`` is what a results directory holds (``read_results``), and ``.of(name)``
that of one experiment; the kinds of figure (``LineFigure``, ``JacobianFigure``,
``TraceFigure``, ``StaircaseFigure``) draw it on matplotlib axes, ``draw_figure`` returns
one as a matplotlib figure (inline in a notebook) and ``save_figure`` writes it as PNG and
PDF; ``Check`` and the helpers of ``claims`` state and decide an experiment's claims. The
modules: ``inputs``, ``drawing`` (the look), ``panels`` (the kinds of figure), ``render``
and ``claims``.
"""

from mirl.figures.claims import Check, mean_at, rises, runs_by, symbol
from mirl.figures.inputs import FigureData, figure_data, read_results, results_dir, scan
from mirl.figures.panels import (
    Figure,
    JacobianFigure,
    LineFigure,
    StaircaseFigure,
    TraceFigure,
    by_critic,
    by_encoder_and_target,
    by_estimator,
    by_label,
    constant,
    pooled_log_condition_numbers,
)
from mirl.figures.render import draw_figure, save_figure

__all__ = [
    "Check",
    "Figure",
    "FigureData",
    "JacobianFigure",
    "LineFigure",
    "StaircaseFigure",
    "TraceFigure",
    "by_critic",
    "by_encoder_and_target",
    "by_estimator",
    "by_label",
    "constant",
    "draw_figure",
    "figure_data",
    "mean_at",
    "pooled_log_condition_numbers",
    "read_results",
    "results_dir",
    "rises",
    "runs_by",
    "save_figure",
    "scan",
    "symbol",
]
