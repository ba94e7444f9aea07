"""The paper's names for mirl's bounds, critics, encoders and samplers, in one place.

The figures label curves with them, the Colab import maps the Colab's names back through
them, and the tidy table labels runs as the Colab did (``mlp, bilinear, infonce, t=2``).
"""

from __future__ import annotations

import math

ESTIMATOR_SYMBOLS = {
    "infonce": "I_{NCE}",
    "nwj": "I_{NWJ}",
    "tuba": "I_{TUBA}",
    "dv": "I_{DV}",
    "js": "I_{JS}",
    "smile": "I_{SMILE}",
    "interpolated": r"I_{\alpha}",
}
"""The paper's symbol for each bound (matplotlib mathtext, without the dollars)."""

CRITIC_LABELS = {
    "concat": "MLP",
    "bilinear": "Bilinear",
    "separable": "Separable",
    "innerprod": "Inner product",
}
"""The paper calls the concat critic "MLP"."""

ENCODER_LABELS = {"convnet": "ConvNet", "mlp": "MLP", "realnvp": "RealNVP"}
SAMPLER_LABELS = {"noniid": "non-i.i.d. samples", "iid": "i.i.d. samples"}


def estimator_label(bound: str) -> str:
    """The paper's symbol for a bound, as matplotlib mathtext, e.g. ``$I_{NCE}$``."""
    symbol = ESTIMATOR_SYMBOLS.get(bound, r"I_{\mathrm{" + bound + "}}")
    return f"${symbol}$"


def short_name(bound: str) -> str:
    """The Colab's name of a bound in its loss dicts and file names: the lower-case subscript
    of the paper's symbol, e.g. ``nce`` for ``infonce`` (``I_{NCE}``)."""
    symbol = ESTIMATOR_SYMBOLS.get(bound, bound)
    return symbol.removeprefix("I_{").removesuffix("}").lower()


def run_label(nets: str, critic: str, bound: str, target: float | None = None) -> str:
    """The label of a two-view run, as the Colab forms it: ``mlp, bilinear, infonce``, with
    ``, t=2`` for a run trained towards a target."""
    label = f"{nets}, {critic}, {bound}"
    return label if target is None or math.isnan(target) else f"{label}, t={target:g}"
