"""What the figures read from a directory: the stored runs, the baseline, and the paper's
results imported into ``DIR/colab/`` (overlaid where present, skipped with a warning where
damaged)."""

from __future__ import annotations

import sys
import types
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mirl._files import ChecksumError
from mirl.figures.inputs import load_paper_results, paper_frame, read_results, results_dir
from mirl.results import load
from mirl.results.table import COLAB_COLUMNS


def fake_colab(frame: pd.DataFrame) -> SimpleNamespace:
    """A ColabResults-like object (its frame in the Colab's columns): the stored runs
    shifted, so that the overlay is distinct."""
    frame = frame[[*COLAB_COLUMNS, "target", "name"]]
    paper = frame[frame.exp_name.isin(["invertible", "critic_impact"])].copy()
    paper["accuracy"] -= 0.05
    paper["bound_value"] -= 1.0
    steps = np.arange(0, 9, 4.0)
    return SimpleNamespace(
        frame=paper,
        condition_numbers={"infonce": (steps, np.full((3, 10), 3.0))},
        noniid={"nwj_iid": np.linspace(0.0, 0.02, 200)},
        mi_true=-0.5 * np.log(1 - 0.4**2 / 4),  # the paper's Gaussians, as the stored runs
        adversarial=(np.arange(0, 4001, 400.0), np.linspace(0.9, 0.3, 11)),
    )


@pytest.fixture
def colab_module(monkeypatch):
    """Install a stand-in ``mirl.colab`` whose ``load_colab`` is the given function."""

    def install(load_colab) -> None:
        module = types.ModuleType("mirl.colab")
        module.load_colab = load_colab
        monkeypatch.setitem(sys.modules, "mirl.colab", module)

    return install


def test_paper_results_are_overlaid_when_available(results, colab_module, draw):
    colab = fake_colab(load(results, colab_columns=True))
    colab_module(lambda root: colab)
    overlaid = read_results(results)

    figure = draw("fig1a_invertible_accuracy", overlaid)
    assert "$I_{NCE}$ (paper)" in figure.legend()
    paper = colab.frame[(colab.frame.exp_name == "invertible") & (colab.frame.Estimator == "nwj")]
    drawn = figure.line("$I_{NWJ}$ (paper)")
    assert drawn.get_linestyle() == "--"
    np.testing.assert_allclose(
        drawn.get_ydata(), paper.groupby("iteration")["accuracy"].mean().to_numpy()
    )
    # On a bound panel, the paper's curve is its bound_value: the Colab's testing bound.
    bound = draw("fig3c_critic_impact_bound_nwj", overlaid).line("Bilinear (paper)")
    critic = colab.frame[(colab.frame.name == "mlp-bilinear-nwj")]
    np.testing.assert_allclose(
        bound.get_ydata(), critic.groupby("iteration")["bound_value"].mean().to_numpy()
    )
    jacobian = draw("fig2c_non_invertible_jacobian_nce", overlaid)
    np.testing.assert_allclose(jacobian.line("Median (paper)").get_ydata(), [3.0] * 3)
    noniid = draw("fig4c_noniid_estimates", overlaid)
    assert "$I_{NWJ}$, i.i.d. samples (paper)" in noniid.legend()
    assert "True MI (paper)" not in noniid.legend()  # the same MI as the stored runs
    # The paper's adversarial curve runs 4,000 iterations; within the 8 stored, only its
    # first point falls: no curve to draw.
    adversarial = draw("fig1c_adversarial_accuracy", overlaid)
    assert not any("(paper)" in label for label in adversarial.legend())
    # Panels without paper results have no overlay.
    encoder = draw("fig4a_encoder_impact_accuracy_nwj", overlaid)
    assert not any("(paper)" in label for label in encoder.legend())


def test_the_papers_bound_column_is_given_mirls_names():
    frame = pd.DataFrame(
        {"exp_name": "x", "target": [np.nan, 2.0], "bound_value": [3.5, -0.25], "iteration": 0}
    )
    paper = paper_frame(SimpleNamespace(frame=frame, adversarial=None))
    assert list(paper["experiment"]) == ["x", "x"] and list(paper["step"]) == [0, 0]
    np.testing.assert_array_equal(paper["colab_loss"], [-3.5, 0.25])
    np.testing.assert_array_equal(paper["colab_bound"], [3.5, np.nan])  # a target: a loss only
    assert {"colab_bound", "colab_loss"} <= set(paper_frame(None).columns)


def test_no_paper_results_without_an_import(results):
    assert load_paper_results(results) is None
    data = read_results(results)
    assert data.colab is None and data.paper.empty


def test_damaged_paper_results_are_skipped_with_a_warning(results, colab_module):
    def damaged(root):
        raise ChecksumError("colab/rows.csv does not match its checksum")

    colab_module(damaged)
    with pytest.warns(UserWarning, match="does not match its checksum"):
        assert load_paper_results(results) is None


@pytest.mark.parametrize(
    "manifest",
    ["[]", '{"sha256": 5}', '"text"', "{not json", '{"format": 1, "files": {}}'],
)
def test_a_colab_json_of_the_wrong_shape_is_skipped_with_a_warning_naming_it(tmp_path, manifest):
    (tmp_path / "colab").mkdir()
    (tmp_path / "colab" / "colab.json").write_text(manifest)
    with pytest.warns(UserWarning, match=r"colab\.json"):
        data = read_results(tmp_path)
    assert data.colab is None and data.paper.empty


def test_results_dir_must_be_an_existing_directory(tmp_path):
    assert results_dir(tmp_path) == tmp_path
    with pytest.raises(FileNotFoundError, match="does not exist"):
        results_dir(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a results directory"):
        read_results(tmp_path / "file")
