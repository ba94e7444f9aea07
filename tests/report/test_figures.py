"""``plot_all``: every figure of the experiments that a directory has results for, as PNG
and PDF, and nothing for a directory without results."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mirl.experiments.paper import PAPER
from mirl.report.figures import plot_all


@pytest.fixture(scope="module")
def results(smoke_results) -> Path:
    return smoke_results


@pytest.fixture(scope="module")
def plotted(results) -> list[Path]:
    return plot_all(results)


def test_plot_all_writes_every_figure_as_png_and_pdf(results, plotted):
    paper = [f for e in PAPER for f in e.figures]
    expected = {results / "figures" / f"{f.stem}.{ext}" for f in paper for ext in ("png", "pdf")}
    assert set(plotted) == expected
    assert len(plotted) == len(expected)
    assert set((results / "figures").iterdir()) == expected
    for path in plotted:
        head = path.read_bytes()[:8]
        assert head.startswith(b"\x89PNG" if path.suffix == ".png" else b"%PDF")
        assert path.stat().st_size > 5000


def test_plot_all_draws_only_the_experiments_present(results, tmp_path):
    shutil.copytree(results / "runs" / "noniid", tmp_path / "runs" / "noniid")
    paths = plot_all(tmp_path)
    assert sorted(p.name for p in paths) == [
        "fig4c_noniid_estimates.pdf",
        "fig4c_noniid_estimates.png",
    ]


def test_plot_all_on_an_empty_dir_draws_nothing(tmp_path):
    assert plot_all(tmp_path) == []
    assert not (tmp_path / "figures").exists()


def test_plot_all_refuses_a_missing_dir_or_a_file_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_all(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file"):
        plot_all(tmp_path / "file")
