"""Fig. 3: the critic's architecture. Simpler critics (bilinear, separable) give looser
bounds but better features than an MLP critic, whose I_NWJ bound is the highest."""

from __future__ import annotations

import itertools

import pandas as pd

from mirl.experiments.experiment import Experiment, register_experiment
from mirl.experiments.paper._shared import BOUND_NOTE, MLP_300, PAPER_BOUNDS, plain
from mirl.experiments.profiles import Scale
from mirl.figures import Check, FigureData, LineFigure, by_critic, mean_at, runs_by, symbol
from mirl.paper.names import CRITIC_LABELS, estimator_label, short_name
from mirl.paper.two_view import TwoViewSpec

NAME = "critic_impact"
CRITIC_ORDER = ("MLP", "Bilinear", "Separable", "Inner product")


def runs() -> list[TwoViewSpec]:
    return [
        TwoViewSpec(NAME, "mlp", critic, bound, encoder_kwargs=MLP_300)
        for critic, bound in itertools.product(("bilinear", "separable", "concat"), PAPER_BOUNDS)
    ]


def _per_critic(values: pd.Series, critics: dict[str, str]) -> str:
    """``MLP 0.818, Bilinear 0.859, ...``: a value per critic, by the paper's names."""
    return ", ".join(f"{CRITIC_LABELS.get(c, c)} {values[run]:.3f}" for c, run in critics.items())


def claims(data: FigureData) -> list[Check]:
    accuracy, bound = mean_at(data.frame, "accuracy"), mean_at(data.frame, "colab_bound")
    checks = []
    for estimator, mine in runs_by(data.frame, "bound", "critic").groupby("bound"):
        critics = dict(zip(mine["critic"], mine.index, strict=True))
        if (
            "concat" not in critics
            or len(critics) < 2
            or not set(mine.index) <= set(accuracy.index)
        ):
            continue
        simple = [c for c in critics if c != "concat"]
        mlp = critics["concat"]
        checks.append(
            Check(
                "Fig. 3",
                f"with {symbol(estimator)}, the simpler critics give better features than the "
                "MLP critic",
                all(accuracy[critics[c]] > accuracy[mlp] for c in simple),
                f"accuracy {_per_critic(accuracy, critics)}",
            )
        )
        # I_NCE is near its cap log(B) with every critic: the bound claim is I_NWJ's.
        if estimator == "nwj" and set(mine.index) <= set(bound.index):
            checks.append(
                Check(
                    "Fig. 3",
                    "with I_NWJ, the MLP critic reaches the highest bound (the better features "
                    "come with looser bounds)",
                    all(bound[mlp] > bound[critics[c]] for c in simple),
                    f"bound {_per_critic(bound, critics)}",
                )
            )
    return checks


def panel(bound: str, letter: str, accuracy: bool, claim: str = "") -> LineFigure:
    """One panel of Fig. 3: the accuracy or the bound per critic, maximizing ``bound``."""
    symbol_ = estimator_label(bound)
    what = "accuracy" if accuracy else "bound"
    return LineFigure(
        stem=f"fig3{letter}_critic_impact_{what}_{short_name(bound)}",
        title=f"Fig. 3: critic architecture, {symbol_}",
        caption=f"Linear-probe test accuracy per critic, maximizing {plain(bound)}{claim}."
        if accuracy
        else f"The bound {plain(bound)} per critic{claim}. {BOUND_NOTE}",
        y="accuracy" if accuracy else "colab_bound",
        beside=None if accuracy else "test_bound",
        ylabel=f"Accuracy with {symbol_}" if accuracy else symbol_,
        hue=by_critic,
        order=CRITIC_ORDER,
        where={"bound": bound},
        ylim=(0.8, 0.9) if accuracy else (2, None),
        baseline=accuracy,
    )


CRITIC_IMPACT = register_experiment(
    Experiment(
        name=NAME,
        reference="Fig. 3",
        description="simpler critics (bilinear, separable) give looser bounds but better features",
        runs=runs,
        profiles={
            # The claims hold from 400 steps on (bilinear and separable above concat for
            # both bounds; I_NWJ highest with concat); each evaluation costs a saga fit.
            "quick": Scale({"steps": 400, "evals": 2}),
            "smoke": Scale({"steps": 8, "evals": 2}),
        },
        figures=(
            panel("nwj", "a", accuracy=True, claim=" (MLP: the concat critic)"),
            panel("infonce", "b", accuracy=True),
            panel(
                "nwj",
                "c",
                accuracy=False,
                claim=" (the paper: the best features come with looser bounds)",
            ),
            panel("infonce", "d", accuracy=False),
        ),
        claims=claims,
        bench=("mlp-bilinear-infonce", "mlp-separable-infonce", "mlp-concat-infonce"),
    )
)
