"""A figure drawn as a matplotlib ``Figure`` (for a notebook, or to save as PNG and PDF)."""

from __future__ import annotations

from pathlib import Path

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MatplotlibFigure

from mirl.figures.drawing import STYLE
from mirl.figures.inputs import FigureData
from mirl.figures.panels import Figure

FORMATS = ("png", "pdf")
PNG_DPI = 150


def draw_figure(figure: Figure, data: FigureData) -> MatplotlibFigure | None:
    """Draw ``figure`` of the results ``data`` (of its experiment), not saved; None when
    ``data`` holds nothing for it."""
    with rc_context(STYLE):
        drawn = MatplotlibFigure()
        FigureCanvasAgg(drawn)
        ax = drawn.add_subplot()
        if not figure.draw(ax, data):
            return None
        ax.set_title(figure.title)
    return drawn


def save_figure(drawn: MatplotlibFigure, stem: Path) -> list[Path]:
    """Write ``drawn`` as ``stem.png`` and ``stem.pdf``; return the paths."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    with rc_context(STYLE):
        for fmt in FORMATS:
            path = stem.with_suffix(f".{fmt}")
            drawn.savefig(path, dpi=PNG_DPI, bbox_inches="tight")
            paths.append(path)
    return paths
