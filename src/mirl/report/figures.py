"""Every figure a results directory holds results for, drawn from the stored records.

``plot_all(DIR)`` draws, for each experiment in ``DIR``, the figures its declaration lists
(``mirl.experiments``), or for estimation runs that no experiment declares, their staircase
figures (``mirl.report.estimates``), and writes each as PNG and PDF to ``DIR/figures/``;
figures with nothing to show are skipped. The figures follow the plotting cells of the
paper's Colab (axes, labels, y-limits, the Jacobian percentile plot, the smoothing of Fig.
4c), with these deliberate differences:

- curves are the mean over seeds with a band of +- one sample standard deviation (as
  seaborn's ``ci="sd"``), drawn with matplotlib alone;
- the x axis comes from the data (plain steps for short runs, thousands from 2,000 on);
- the paper's y-limits are used only when everything drawn fits inside them, otherwise
  the axis scales itself, so no curve is ever cut off;
- the bound panels show, dotted beside the paper's quantity, mirl's bound on the test
  images;
- the pixel baseline (``DIR/baseline.json``) is a dotted line on the accuracy panels whose
  setting it matches, and the paper's own curves (when ``mirl.colab`` finds them in
  ``DIR/colab/``) are thin dashed lines labelled "(paper)", shown over the steps the
  stored runs cover, so that both are compared at the same steps.

Plots only read stored results: nothing here trains.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from matplotlib.figure import Figure as MatplotlibFigure

from mirl.experiments import EXPERIMENTS
from mirl.figures import Figure, FigureData, draw_figure, read_results, save_figure
from mirl.report.estimates import estimate_figures

FIGURE_DIR = "figures"


def ordered_experiments(names: Iterable[str]) -> list[str]:
    """The experiments ``names``: the registered ones in their order, then the others by
    name."""
    present = set(names)
    return [n for n in EXPERIMENTS if n in present] + sorted(present - set(EXPERIMENTS))


def figures_of(experiment: str, data: FigureData) -> Sequence[Figure]:
    """The figures of ``experiment``: its declaration's, or for runs that no experiment
    declares, the estimation figures they allow. ``data`` is the experiment's alone."""
    if experiment in EXPERIMENTS:
        return EXPERIMENTS[experiment].figures
    return estimate_figures(experiment, data)


def drawn_figures(
    data: FigureData, experiments: Iterable[str]
) -> Iterator[tuple[str, MatplotlibFigure]]:
    """``(stem, figure)`` for each figure of ``experiments`` (``ordered_experiments``) that
    ``data`` holds values for, drawn one at a time."""
    for name in ordered_experiments(experiments):
        mine = data.of(name)
        for figure in figures_of(name, mine):
            drawn = draw_figure(figure, mine)
            if drawn is not None:
                yield figure.stem, drawn


def draw_all(data: FigureData, root: str | os.PathLike) -> list[Path]:
    """Draw every figure ``data`` holds results for into ``root/figures/`` (PNG and PDF);
    return the written paths."""
    paths = []
    for stem, drawn in drawn_figures(data, (r.experiment for r in data.records)):
        paths += save_figure(drawn, Path(root) / FIGURE_DIR / stem)
    return paths


def plot_all(root: str | os.PathLike) -> list[Path]:
    """Draw every figure for which the results directory ``root`` holds results into
    ``root/figures/`` (PNG and PDF). Returns the written paths (none for a directory without
    finished results). Raises ``FileNotFoundError`` or ``NotADirectoryError`` if ``root`` is
    no directory."""
    return draw_all(read_results(root), root)
