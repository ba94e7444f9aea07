"""Fig. 2a-c: non-invertible encoders (residual MLPs) on noisy views: maximizing an MI
bound raises the probe accuracy while the encoder's Jacobian becomes ill-conditioned."""

from __future__ import annotations

import numpy as np

from mirl.experiments.experiment import Experiment, register_experiment
from mirl.experiments.paper._shared import (
    ESTIMATOR_ORDER,
    PAPER_BOUNDS,
    TESTING_BOUND,
    bound_panel,
    plain,
)
from mirl.experiments.profiles import Scale
from mirl.figures import (
    Check,
    FigureData,
    JacobianFigure,
    LineFigure,
    by_estimator,
    pooled_log_condition_numbers,
    rises,
    symbol,
)
from mirl.paper.names import estimator_label, short_name
from mirl.paper.two_view import TwoViewSpec

NAME = "non_invertible"
MLP_SHORTCUTS = {"widths": [392] * 5, "shortcuts": True, "init_std": 1e-4}


def runs() -> list[TwoViewSpec]:
    return [
        TwoViewSpec(
            NAME,
            "mlp",
            "bilinear",
            bound,
            encoder_kwargs=MLP_SHORTCUTS,
            noise_std=0.05,
            jacobian=True,
        )
        for bound in PAPER_BOUNDS
    ]


def claims(data: FigureData) -> list[Check]:
    what = "a residual MLP encoder of noisy views"
    checks = [
        *rises(data.frame, "Fig. 2a", what),
        *rises(data.frame, "Fig. 2b", what, "colab_bound", TESTING_BOUND),
    ]
    for bound in sorted({str(r.spec.get("bound")) for r in data.records}):
        spectra = [
            s
            for r in data.records
            if r.spec.get("bound") == bound and (s := r.arrays().get("singular_values")) is not None
        ]
        if not spectra:
            continue
        medians = np.median(pooled_log_condition_numbers(spectra), axis=1)
        checks.append(
            Check(
                "Fig. 2c",
                f"maximizing {symbol(bound)}, the encoder's Jacobian becomes ill-conditioned "
                "(its log condition number grows)",
                bool(medians[-1] > medians[0]),
                f"median log condition number {medians[0]:.2f} -> {medians[-1]:.2f}",
            )
        )
    return checks


def jacobian_figure(bound: str) -> JacobianFigure:
    """Fig. 2c, for one bound."""
    return JacobianFigure(
        stem=f"fig2c_non_invertible_jacobian_{short_name(bound)}",
        title=f"Fig. 2c: Jacobian condition number, {estimator_label(bound)}",
        caption="Percentiles over samples (of all seeds) of the log condition number of the "
        f"encoder's Jacobian, maximizing {plain(bound)} (the paper: it grows, the encoder "
        "becomes ill-conditioned).",
        bound=bound,
    )


NON_INVERTIBLE = register_experiment(
    Experiment(
        name=NAME,
        reference="Fig. 2a, 2b, 2c",
        description="residual MLPs become ill-conditioned (Jacobian condition numbers) as "
        "I_EST grows",
        runs=runs,
        profiles={
            # Its evaluations (a 392-d saga fit, Jacobian spectra) cost more than its
            # training: the first and the last.
            "quick": Scale({"steps": 400, "evals": 1}),
            "smoke": Scale({"steps": 8, "evals": 2, "jacobian_samples": 8}),
        },
        figures=(
            LineFigure(
                stem="fig2a_non_invertible_accuracy",
                title="Fig. 2a: non-invertible encoders (residual MLP)",
                caption="Linear-probe test accuracy of the residual MLP encoders (noisy "
                "inputs); the dotted line is the linear probe on the input pixels.",
                y="accuracy",
                ylabel="Accuracy",
                hue=by_estimator,
                order=ESTIMATOR_ORDER,
                ylim=(0.83, 0.9),
                baseline=True,
            ),
            bound_panel(
                "fig2b_non_invertible_bound", "Fig. 2b: non-invertible encoders (residual MLP)"
            ),
            jacobian_figure("infonce"),
            jacobian_figure("nwj"),
        ),
        claims=claims,
        bench=("mlp-bilinear-infonce",),
    )
)
