"""Smoke-scale results of all six experiments (synthetic digits), shared by the report tests,
and a small wrapper to read what a drawn figure shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from mirl.cli import main
from mirl.paper.experiments import EXPERIMENTS
from mirl.report.catalogue import FIGURES
from mirl.report.figures import draw_figure
from mirl.report.inputs import PlotData, read_results

BASELINE = 0.8351


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
def results(tmp_path_factory) -> Path:
    """All six experiments trained at smoke scale on the synthetic digits, plus a baseline."""
    out = tmp_path_factory.mktemp("smoke")
    for name in EXPERIMENTS:
        args = ["run", name, "--profile", "smoke", "--data", "synthetic", "--out", str(out)]
        assert main([*args, "--quiet"]) == 0
    (out / "baseline.json").write_text(json.dumps({"accuracy": BASELINE, "data": "synthetic"}))
    return out


@pytest.fixture(scope="session")
def plot_data(results) -> PlotData:
    """What the figures read from the smoke results (no paper results)."""
    return read_results(results)


@pytest.fixture
def draw(plot_data) -> Callable[..., Drawn]:
    """``draw(stem, data=plot_data)``: the catalogue's figure ``stem``, drawn."""

    def drawn(stem: str, data: PlotData | None = None) -> Drawn:
        spec = next(f for f in FIGURES if f.stem == stem)
        figure = draw_figure(spec, plot_data if data is None else data)
        assert figure is not None, f"{stem} drew nothing"
        return Drawn(figure)

    return drawn
