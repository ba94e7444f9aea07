"""Fig. 1c: an invertible encoder, whose codes keep all the information of its input,
trained against a linear classifier: the probe accuracy of its codes falls below that of
the pixels, though no information is lost."""

from __future__ import annotations

from mirl.experiments.experiment import Experiment, register_experiment
from mirl.experiments.profiles import Scale
from mirl.figures import Check, FigureData, LineFigure, constant, mean_at
from mirl.paper.adversarial import AdversarialSpec

NAME = "adversarial"
REALNVP_AFFINE = {"couplings": 30, "hidden": [512, 512], "shift_only": False, "init_std": 1e-4}


def runs() -> list[AdversarialSpec]:
    return [AdversarialSpec(NAME, "realnvp", encoder_kwargs=REALNVP_AFFINE)]


def claims(data: FigureData) -> list[Check]:
    first, last = mean_at(data.frame, "accuracy", last=False), mean_at(data.frame, "accuracy")
    baseline = data.baseline
    checks = []
    for name in last.index.intersection(first.index):
        shown = last[name] < first[name] and (baseline is None or last[name] < baseline)
        under = "" if baseline is None else f" (pixel baseline {baseline:.3f})"
        checks.append(
            Check(
                "Fig. 1c",
                "trained against a linear classifier, an invertible encoder's accuracy falls "
                "below that of the pixels",
                bool(shown),
                f"accuracy {first[name]:.3f} -> {last[name]:.3f}{under}",
            )
        )
    return checks


ADVERSARIAL = register_experiment(
    Experiment(
        name=NAME,
        reference="Fig. 1c",
        description="an invertible encoder trained against a linear classifier: MI kept, "
        "accuracy lost",
        runs=runs,
        profiles={
            "quick": Scale(
                {"steps": 300, "evals": 1, "warmup": 200, "encoder_lr_factor": 0.1},
                encoders={"realnvp": {"couplings": 10, "hidden": [128, 128]}},
                note="RealNVP shrunk to 10 couplings of 128-128; the encoder at a 10x "
                "learning rate, for the collapse of Fig. 1c within 300 iterations",
            ),
            "smoke": Scale(
                {"steps": 8, "evals": 2, "warmup": 3},
                encoders={"realnvp": {"couplings": 2, "hidden": [16, 16]}},
            ),
        },
        figures=(
            LineFigure(
                stem="fig1c_adversarial_accuracy",
                title="Fig. 1c: adversarial training",
                caption="Linear-probe test accuracy of an invertible encoder trained against "
                "a linear classifier; its MI cannot change (the paper: its accuracy drops).",
                y="accuracy",
                ylabel="Accuracy",
                hue=constant("Adversarially trained\ninvertible encoder"),
                legend="best",
            ),
        ),
        claims=claims,
        bench=("realnvp-adversarial",),
    )
)
