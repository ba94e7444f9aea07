"""Fig. 1a, 1b: invertible encoders (RealNVP) keep the MI between the views constant, yet
maximizing an MI bound changes, and raises, the linear-probe accuracy of their codes."""

from __future__ import annotations

from mirl.experiments.experiment import Experiment, register_experiment
from mirl.experiments.paper._shared import (
    ESTIMATOR_ORDER,
    PAPER_BOUNDS,
    TESTING_BOUND,
    bound_panel,
)
from mirl.experiments.profiles import Scale
from mirl.figures import Check, FigureData, LineFigure, by_estimator, rises
from mirl.paper.two_view import TwoViewSpec

NAME = "invertible"
REALNVP_ADDITIVE = {"couplings": 30, "hidden": [512, 512], "shift_only": True, "init_std": 1e-4}


def runs() -> list[TwoViewSpec]:
    return [
        TwoViewSpec(NAME, "realnvp", "bilinear", bound, encoder_kwargs=REALNVP_ADDITIVE)
        for bound in PAPER_BOUNDS
    ]


def claims(data: FigureData) -> list[Check]:
    what = "an invertible encoder, whose MI cannot change"
    return [
        *rises(data.frame, "Fig. 1a", what),
        *rises(data.frame, "Fig. 1b", what, "colab_bound", TESTING_BOUND),
    ]


INVERTIBLE = register_experiment(
    Experiment(
        name=NAME,
        reference="Fig. 1a, 1b",
        description="RealNVP encoders keep MI constant, yet maximizing I_EST changes the "
        "probe accuracy",
        runs=runs,
        profiles={
            # A 10x learning rate makes 500 steps of the shrunk flow show what 20,000 of
            # the paper's do (accuracy 0.864 -> 0.871 with I_NCE). I_NWJ diverges at 3e-4
            # and above on this flow, so it keeps the paper's rate, at which its accuracy
            # does not rise within 8,000 steps (0.864 -> 0.863, 2 seeds; 4,000 at 2e-4:
            # 0.864 -> 0.863), nor the paper's flow's within 400 (0.864 -> 0.862, 1 seed):
            # the quick profile does not show Fig. 1a for I_NWJ.
            "quick": Scale(
                {"steps": 500, "evals": 1},
                runs={"realnvp-bilinear-infonce": {"lr": 1e-3}},
                encoders={"realnvp": {"couplings": 10, "hidden": [128, 128]}},
                note="RealNVP shrunk to 10 couplings of 128-128 (a CPU step of the paper's "
                "takes 0.3 s; both start at the pixels' accuracy); I_NCE at a 10x learning "
                "rate, to show in 500 steps what the paper's shows in 20,000; I_NWJ, "
                "unstable above the paper's rate, does not raise the accuracy this early",
            ),
            "smoke": Scale(
                {"steps": 8, "evals": 2},
                encoders={"realnvp": {"couplings": 2, "hidden": [16, 16]}},
            ),
        },
        figures=(
            LineFigure(
                stem="fig1a_invertible_accuracy",
                title="Fig. 1a: invertible encoders (RealNVP)",
                caption="Linear-probe test accuracy of the invertible RealNVP encoders while "
                "I_EST is maximized; their MI cannot change (the paper: the accuracy rises "
                "nonetheless).",
                y="accuracy",
                ylabel="Accuracy",
                hue=by_estimator,
                order=ESTIMATOR_ORDER,
            ),
            bound_panel("fig1b_invertible_bound", "Fig. 1b: invertible encoders (RealNVP)"),
        ),
        claims=claims,
        bench=("realnvp-bilinear-infonce",),
    )
)
