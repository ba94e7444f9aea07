"""The catalogue: every figure of the paper that mirl draws, and those of its estimation runs
(``mirl estimate`` on Poole et al.'s staircase), declared apart from the drawing.

Each entry names its file, its experiment, title and caption, the column it plots and how
the curves are grouped. The bound panels (Figs. 1b, 2b, 3 and the loss of Fig. 4's runs)
plot the paper's quantity, the Colab's "testing" bound, which it computes on 20 fresh
*training* batches (``colab_bound``, ``colab_loss``), with mirl's bound on the 10,000 test
images dotted beside it (``test_bound``, ``test_loss``): their gap is the critic
overfitting the training data.
"""

from __future__ import annotations

from mirl.paper.names import CRITIC_LABELS, estimator_label, short_name
from mirl.report.panels import (
    FigureSpec,
    JacobianFigure,
    LineFigure,
    StaircaseFigure,
    TraceFigure,
    by_critic,
    by_encoder_and_target,
    by_estimator,
    constant,
)

ESTIMATOR_ORDER = (estimator_label("nwj"), estimator_label("infonce"))  # the Colab's order
CRITIC_ORDER = ("MLP", "Bilinear", "Separable", "Inner product")
BOUND_NOTE = (
    "Solid: as the paper plots it, the Colab's testing value, computed on 20 fresh training "
    "batches; dotted: on the 10,000 test images (the gap is the critic overfitting)."
)


def _plain(bound: str) -> str:
    """A bound's symbol in captions (plain text): ``I_NCE``."""
    return f"I_{short_name(bound).upper()}"


def _bound_panel(stem: str, experiment: str, title: str) -> LineFigure:
    """Figs. 1b and 2b: the bound of each estimator during training."""
    return LineFigure(
        stem=stem,
        experiment=experiment,
        title=title,
        caption=f"The bound I_EST during the same training. {BOUND_NOTE}",
        y="colab_bound",
        beside="test_bound",
        ylabel="$I_{EST}$",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
        ylim=(-5, 8),
    )


def _jacobian(bound: str) -> JacobianFigure:
    """Fig. 2c, for one bound."""
    return JacobianFigure(
        stem=f"fig2c_non_invertible_jacobian_{short_name(bound)}",
        title=f"Fig. 2c: Jacobian condition number, {estimator_label(bound)}",
        caption="Percentiles over samples (of all seeds) of the log condition number of the "
        f"encoder's Jacobian, maximizing {_plain(bound)} (the paper: it grows, the encoder "
        "becomes ill-conditioned).",
        bound=bound,
    )


def _critic_panel(bound: str, panel: str, accuracy: bool, claim: str = "") -> LineFigure:
    """Fig. 3, one panel: the accuracy or the bound per critic, maximizing ``bound``."""
    symbol = estimator_label(bound)
    what = "accuracy" if accuracy else "bound"
    return LineFigure(
        stem=f"fig3{panel}_critic_impact_{what}_{short_name(bound)}",
        experiment="critic_impact",
        title=f"Fig. 3: critic architecture, {symbol}",
        caption=f"Linear-probe test accuracy per critic, maximizing {_plain(bound)}{claim}."
        if accuracy
        else f"The bound {_plain(bound)} per critic{claim}. {BOUND_NOTE}",
        y="accuracy" if accuracy else "colab_bound",
        beside=None if accuracy else "test_bound",
        ylabel=f"Accuracy with {symbol}" if accuracy else symbol,
        hue=by_critic,
        order=CRITIC_ORDER,
        where={"Estimator": bound},
        ylim=(0.8, 0.9) if accuracy else (2, None),
        baseline=accuracy,
    )


def _encoder_accuracy(bound: str, panel: str, claim: str = "") -> LineFigure:
    """Fig. 4a/b: the accuracy per encoder and target t of ``bound``."""
    symbol = estimator_label(bound)
    return LineFigure(
        stem=f"fig4{panel}_encoder_impact_accuracy_{short_name(bound)}",
        experiment="encoder_impact",
        title=f"Fig. 4{panel}: encoder architecture, {symbol} target",
        caption=f"Linear-probe test accuracy when {_plain(bound)} is trained towards a target "
        f"t{claim}.",
        y="accuracy",
        ylabel=f"Accuracy with {symbol}",
        hue=by_encoder_and_target,
        where={"Estimator": bound},
        ylim=(0.78, 0.92),
        baseline=True,
    )


def _encoder_loss(bound: str, claim: str = "") -> LineFigure:
    """The appendix: the loss L_t of Fig. 4's runs."""
    symbol = estimator_label(bound)
    return LineFigure(
        stem=f"appendix_encoder_impact_loss_{short_name(bound)}",
        experiment="encoder_impact",
        title=f"Appendix: loss $L_t$ with {symbol}",
        caption=f"The loss L_t = |{_plain(bound)} - t| of the same runs{claim}. {BOUND_NOTE}",
        y="colab_loss",
        beside="test_loss",
        ylabel=f"$L_t(g_1, g_2), {symbol.strip('$')}$",
        hue=by_encoder_and_target,
        where={"Estimator": bound},
        legend="upper right",
    )


STAIRCASES = {
    "staircase": "Poole et al. (2019), Fig. 2: 20-d Gaussians",
    "cubic-staircase": "Song and Ermon (2020), Fig. 1: 20-d Gaussians with y -> y^3",
}
"""The staircase schedules that ``mirl estimate`` figures show, and where they come from."""


def _staircase(task: str, critic: str) -> StaircaseFigure:
    """The estimates of every bound on one staircase with one critic."""
    name = CRITIC_LABELS.get(critic, critic)
    return StaircaseFigure(
        stem=f"estimate_{task.replace('-', '_')}_{critic}",
        experiment="estimate",
        title=f"{task}: {name} critic",
        caption=f"{STAIRCASES[task]}, MI stepping 2 to 10 nats. Per bound, trained with the "
        f"{name.lower()} critic: the estimate on held-out pairs (mean ± sd over seeds; "
        "dotted: on the training batches, smoothed), against the true MI (black). InfoNCE "
        "cannot exceed log B; the variance of NWJ and TUBA grows with the MI, and SMILE's "
        "clipping lowers it.",
        task=task,
        critic=critic,
    )


FIGURES: tuple[FigureSpec, ...] = (
    LineFigure(
        stem="fig1a_invertible_accuracy",
        experiment="invertible",
        title="Fig. 1a: invertible encoders (RealNVP)",
        caption="Linear-probe test accuracy of the invertible RealNVP encoders while I_EST is "
        "maximized; their MI cannot change (the paper: the accuracy rises nonetheless).",
        y="accuracy",
        ylabel="Accuracy",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
    ),
    _bound_panel("fig1b_invertible_bound", "invertible", "Fig. 1b: invertible encoders (RealNVP)"),
    LineFigure(
        stem="fig1c_adversarial_accuracy",
        experiment="adversarial",
        title="Fig. 1c: adversarial training",
        caption="Linear-probe test accuracy of an invertible encoder trained against a linear "
        "classifier; its MI cannot change (the paper: its accuracy drops).",
        y="accuracy",
        ylabel="Accuracy",
        hue=constant("Adversarially trained\ninvertible encoder"),
        legend="best",
    ),
    LineFigure(
        stem="fig2a_non_invertible_accuracy",
        experiment="non_invertible",
        title="Fig. 2a: non-invertible encoders (residual MLP)",
        caption="Linear-probe test accuracy of the residual MLP encoders (noisy inputs); the "
        "dotted line is the linear probe on the input pixels.",
        y="accuracy",
        ylabel="Accuracy",
        hue=by_estimator,
        order=ESTIMATOR_ORDER,
        ylim=(0.83, 0.9),
        baseline=True,
    ),
    _bound_panel(
        "fig2b_non_invertible_bound",
        "non_invertible",
        "Fig. 2b: non-invertible encoders (residual MLP)",
    ),
    _jacobian("infonce"),
    _jacobian("nwj"),
    _critic_panel("nwj", "a", accuracy=True, claim=" (MLP: the concat critic)"),
    _critic_panel("infonce", "b", accuracy=True),
    _critic_panel(
        "nwj", "c", accuracy=False, claim=" (the paper: the best features come with looser bounds)"
    ),
    _critic_panel("infonce", "d", accuracy=False),
    _encoder_accuracy("nwj", "a", ": at the same t (the paper: the ConvNet beats the MLP)"),
    _encoder_accuracy("infonce", "b"),
    _encoder_loss("nwj", ": each reaches its target"),
    _encoder_loss("infonce"),
    TraceFigure(
        stem="fig4c_noniid_estimates",
        experiment="noniid",
        title="Fig. 4c: i.i.d. vs non-i.i.d. samples",
        caption="Per-step training estimates of the MI of Gaussian pairs (Gaussian-smoothed, "
        "mean over seeds); the paper: with batch-dependent (non-i.i.d.) samples, both exceed "
        "the true MI.",
    ),
    *(_staircase(task, critic) for task in STAIRCASES for critic in CRITIC_LABELS),
)
"""Every figure: the paper's, in its order, then those of the estimation runs."""
