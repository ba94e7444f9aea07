"""The paper's figures: which quantity each panel plots."""

from __future__ import annotations

from mirl.experiments.paper import PAPER
from mirl.figures import LineFigure

FIGURES = [f for e in PAPER for f in e.figures]


def test_bound_panels_plot_the_papers_quantity_with_the_test_images_beside():
    """Issue 9: the paper's "testing" bound is the Colab's bound on fresh training batches
    (colab_*); mirl's bound on the test images is drawn beside it, never instead of it."""
    lines = [f for f in FIGURES if isinstance(f, LineFigure)]
    plotted = {f.stem: (f.y, f.beside) for f in lines if f.y != "accuracy"}
    assert plotted == {
        "fig1b_invertible_bound": ("colab_bound", "test_bound"),
        "fig2b_non_invertible_bound": ("colab_bound", "test_bound"),
        "fig3c_critic_impact_bound_nwj": ("colab_bound", "test_bound"),
        "fig3d_critic_impact_bound_nce": ("colab_bound", "test_bound"),
        "appendix_encoder_impact_loss_nwj": ("colab_loss", "test_loss"),
        "appendix_encoder_impact_loss_nce": ("colab_loss", "test_loss"),
    }
    assert all(f.beside is None for f in lines if f.y == "accuracy")
    for f in lines:
        if f.beside is not None:
            assert "test images" in f.caption and "training batches" in f.caption
