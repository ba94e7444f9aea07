"""The paper's figures, drawn from the results stored in an output directory.

``plot_all(DIR)`` draws every figure of the catalogue (``mirl.report.catalogue``) for which
``DIR`` holds results and writes each as PNG and PDF to ``DIR/figures/``; experiments
without results are skipped. The figures follow the plotting cells of the paper's Colab
(axes, labels, y-limits, the Jacobian percentile plot, the smoothing of Fig. 4c), with
these deliberate differences:

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
from pathlib import Path

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mirl.report.catalogue import FIGURES
from mirl.report.drawing import STYLE
from mirl.report.inputs import PlotData, read_results
from mirl.report.panels import FigureSpec

FIGURE_DIR = "figures"
FORMATS = ("png", "pdf")
PNG_DPI = 150


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


def plot_all(root: str | os.PathLike) -> list[Path]:
    """Draw every figure for which the results directory ``root`` holds results into
    ``root/figures/`` (PNG and PDF); experiments without results are skipped. Returns the
    written paths (none for a directory without finished results). Raises
    ``FileNotFoundError`` or ``NotADirectoryError`` if ``root`` is no directory."""
    data = read_results(root)
    paths = []
    for spec in FIGURES:
        figure = draw_figure(spec, data)
        if figure is not None:
            paths += save_figure(figure, Path(root) / FIGURE_DIR / spec.stem)
    return paths
