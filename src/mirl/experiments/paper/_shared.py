"""What the paper's experiments share: its bounds, its encoders, and how its bound panels
are drawn."""

from __future__ import annotations

from mirl.figures import LineFigure, by_estimator
from mirl.paper.names import estimator_label, short_name

PAPER_BOUNDS = ("infonce", "nwj")
"""The bounds the paper trains with."""

MLP_300 = {"widths": [300, 300, 100]}
"""The paper's MLP encoder (Sections 3.2, 3.3)."""

ESTIMATOR_ORDER = (estimator_label("nwj"), estimator_label("infonce"))
"""The Colab's order of the bounds in legends."""

BOUND_NOTE = (
    "Solid: as the paper plots it, the Colab's testing value, computed on 20 fresh training "
    "batches; dotted: on the 10,000 test images (the gap is the critic overfitting)."
)


TESTING_BOUND = "testing I_EST"
"""The label of the bound the paper plots (``colab_bound``) in claims."""


def plain(bound: str) -> str:
    """A bound's symbol in captions (plain text): ``I_NCE``."""
    return f"I_{short_name(bound).upper()}"


def bound_panel(stem: str, title: str) -> LineFigure:
    """Figs. 1b and 2b: the bound of each estimator during training."""
    return LineFigure(
        stem=stem,
        title=title,
        caption=f"The bound I_EST during the same training. {BOUND_NOTE}",
        y="colab_bound",
        beside="test_bound",
        ylabel="$I_{EST}$",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
        ylim=(-5, 8),
    )
