"""What the figure tests share: the smoke results as figures read them, the paper's figures
by name, and a small wrapper to read what a drawn figure shows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from matplotlib.figure import Figure

from mirl.experiments.paper import PAPER
from mirl.figures import FigureData, draw_figure, read_results

FIGURES = {f.stem: (e.name, f) for e in PAPER for f in e.figures}
"""The paper's figures by file name, with their experiment."""


class Drawn:
    """A drawn figure, read as a test needs it: legend texts and lines by label."""

    def __init__(self, figure: Figure):
        self.figure = figure
        self.ax = figure.axes[0]

    def legend(self) -> list[str]:
        return [t.get_text() for t in self.ax.get_legend().get_texts()]

    def line(self, label: str):
        return next(x for x in self.ax.get_lines() if x.get_label() == label)


@pytest.fixture(scope="session")
def results(smoke_results):
    """The smoke results directory (``tests/conftest.py``)."""
    return smoke_results


@pytest.fixture(scope="session")
def plot_data(smoke_results) -> FigureData:
    """What the figures read from the smoke results (no paper results)."""
    return read_results(smoke_results)


@pytest.fixture
def draw(plot_data) -> Callable[..., Drawn]:
    """``draw(stem, data=plot_data)``: the paper's figure ``stem``, drawn of its experiment's
    results in ``data``."""

    def drawn(stem: str, data: FigureData | None = None) -> Drawn:
        experiment, figure = FIGURES[stem]
        drawing = draw_figure(figure, (plot_data if data is None else data).of(experiment))
        assert drawing is not None, f"{stem} drew nothing"
        return Drawn(drawing)

    return drawn
