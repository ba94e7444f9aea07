"""A critic and an encoder of one's own, compared with the paper's on the MNIST halves.

Everything mirl needs to know lives in this one file, registered from outside the package:

- ``Cosine``, a critic: the cosine similarity of the two codes over a learned temperature,
  as in SimCLR, ``f(u, v) = cos(u, W v) / tau``;
- ``Rows``, an encoder: one dense layer shared by the 14 rows of a half image (a
  convolution whose kernel is a whole row), averaged over the rows, then a dense layer;
- ``own_critic_encoder``, an experiment: both against the paper's MLP encoder and bilinear
  critic, maximizing I_NCE, with its scales, figures, claims and bench items.

Run it as the paper's experiments run (seeds as a batch, the verified store, resume,
``--jobs``, Ray, figures and report)::

    mirl run examples/own_critic_and_encoder.py:own_critic_encoder --out results/own
    mirl report results/own --load examples/own_critic_and_encoder.py
    mirl check examples/own_critic_and_encoder.py
"""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl import CRITICS, ENCODERS, Stackable
from mirl.experiments import Experiment, Scale, register_experiment
from mirl.figures import Check, FigureData, LineFigure, by_label, mean_at, runs_by
from mirl.layers import Dense
from mirl.paper import TwoViewSpec


class Cosine(Stackable):
    """``f(u, v) = cos(u, W v) / tau``, ``W [du, dv]`` and ``log tau`` learned (from 0.1).

    Stacked, ``log_tau`` is ``[K]``: one temperature per seed, applied to that seed's scores.
    """

    example_kwargs: ClassVar[dict[str, Any]] = {}

    def __init__(self, dim_u: int, dim_v: int, temperature: float = 0.1):
        super().__init__()
        self.project_v = Dense(dim_v, dim_u, bias=False)
        self.log_tau = nn.Parameter(torch.tensor(float(temperature)).log())

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        scores = F.normalize(u, dim=-1) @ F.normalize(self.project_v(v), dim=-1).transpose(-1, -2)
        tau = self.log_tau.exp()
        if tau.ndim == 1:  # stacked: seed k's temperature for seed k's scores [K, ..., B, B]
            tau = tau.reshape(-1, *([1] * (scores.ndim - 1)))
        return scores / tau


class Rows(Stackable):
    """``[B, in_dim] -> [B, out_dim]``: the half image as rows of ``width`` pixels, one
    dense layer of ``hidden`` units (ReLU) shared by every row, the mean over the rows,
    and a dense layer to ``out_dim``."""

    example_kwargs: ClassVar[dict[str, Any]] = {"hidden": 8, "out_dim": 6}

    def __init__(self, in_dim: int, width: int = 28, hidden: int = 256, out_dim: int = 100):
        super().__init__()
        if in_dim % width:
            raise ValueError(f"Rows: in_dim={in_dim} is not a whole number of rows of {width}")
        self.width, self.out_dim = width, out_dim
        self.row = Dense(width, hidden)
        self.head = Dense(hidden, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        rows = x.reshape(*x.shape[:-1], -1, self.width)  # [..., rows, width]
        return self.head(F.relu(self.row(rows)).mean(dim=-2))


CRITICS["cosine"] = Cosine
ENCODERS["rows"] = Rows

NAME = "own_critic_encoder"
ENCODER_KWARGS = {"mlp": {"widths": [300, 300, 100]}, "rows": {}}


def runs() -> list[TwoViewSpec]:
    """Each encoder with each critic, maximizing I_NCE, at the paper's settings."""
    return [
        TwoViewSpec(NAME, encoder, critic, "infonce", encoder_kwargs=ENCODER_KWARGS[encoder])
        for encoder, critic in itertools.product(ENCODER_KWARGS, ("bilinear", "cosine"))
    ]


def claims(data: FigureData) -> list[Check]:
    """With either encoder, the cosine critic gives better features than the bilinear one."""
    accuracy = mean_at(data.frame, "accuracy")
    checks = []
    for encoder, mine in runs_by(data.frame, "encoder", "critic").groupby("encoder"):
        critics = dict(zip(mine["critic"], mine.index, strict=True))
        if {"bilinear", "cosine"} - critics.keys() or set(critics.values()) - set(accuracy.index):
            continue  # a run missing, or not evaluated
        cosine, bilinear = accuracy[critics["cosine"]], accuracy[critics["bilinear"]]
        checks.append(
            Check(
                encoder,
                f"with the {encoder} encoder, the cosine critic gives better features than "
                "the bilinear one",
                bool(cosine > bilinear),
                f"accuracy cosine {cosine:.3f}, bilinear {bilinear:.3f}",
            )
        )
    return checks


register_experiment(
    Experiment(
        name=NAME,
        description="a cosine critic and a row encoder of one's own against the paper's "
        "bilinear critic and MLP encoder, maximizing I_NCE",
        runs=runs,
        profiles={
            "quick": Scale({"steps": 600, "evals": 3}),
            "smoke": Scale(
                {"steps": 8, "evals": 2},
                encoders={"mlp": {"widths": [16, 8]}, "rows": {"hidden": 16, "out_dim": 8}},
            ),
        },
        figures=(
            LineFigure(
                stem="own_critic_encoder_accuracy",
                title="A critic and an encoder of one's own",
                caption="Linear-probe test accuracy of each encoder with each critic, "
                "maximizing I_NCE; the dotted line is the probe on the pixels.",
                y="accuracy",
                ylabel="Accuracy",
                hue=by_label,
                baseline=True,
            ),
            LineFigure(
                stem="own_critic_encoder_bound",
                title="A critic and an encoder of one's own: the bound",
                caption="I_NCE on fresh training batches (solid) and on the test images (dotted).",
                y="colab_bound",
                beside="test_bound",
                ylabel="$I_{NCE}$",
                hue=by_label,
            ),
        ),
        claims=claims,
        bench=tuple(f"{e}-{c}-infonce" for e in ENCODER_KWARGS for c in ("bilinear", "cosine")),
    )
)
