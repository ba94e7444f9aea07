"""The paper's claims, checked on the results at hand.

Each experiment's figures support claims of the paper (the accuracy rises; the ConvNet
beats the MLP at the same target; ...). ``check_claims`` decides each from the stored
numbers (means over seeds at the last evaluation; ``a -> b``: from the first evaluation to
the last) and says which numbers decided it, so that a report made at the quick profile,
or from one's own runs, says beside the figures what they show of the paper and what they
do not. A claim whose runs are missing is left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirl.paper.names import CRITIC_LABELS, ENCODER_LABELS, ESTIMATOR_SYMBOLS
from mirl.report.panels import pooled_log_condition_numbers
from mirl.results.store import Record


@dataclass(frozen=True)
class Check:
    """One claim of the paper, whether these results show it, and the numbers that say so."""

    figure: str
    claim: str
    shown: bool
    evidence: str


def _symbol(bound: str) -> str:
    """``I_NCE`` for ``infonce``: the paper's symbol, as plain text."""
    return ESTIMATOR_SYMBOLS.get(bound, bound).replace("{", "").replace("}", "")


def _mean_at(frame: pd.DataFrame, column: str, last: bool) -> pd.Series:
    """Per run name: the mean over seeds of ``column`` at its first or last evaluation with
    a value (none where the table has no such column)."""
    if column not in frame:
        return pd.Series(dtype=float)
    values = frame.dropna(subset=[column])
    if values.empty:
        return pd.Series(dtype=float)
    step = values.groupby("name")["iteration"].transform("max" if last else "min")
    return values[values["iteration"] == step].groupby("name")[column].mean()


def _rises(frame: pd.DataFrame, figure: str, what: str) -> list[Check]:
    """Per bound: the accuracy at the last evaluation is above the first."""
    first, last = _mean_at(frame, "accuracy", False), _mean_at(frame, "accuracy", True)
    checks = []
    for name, bound in frame.groupby("name")["Estimator"].first().items():
        if name in first and name in last:
            checks.append(
                Check(
                    figure,
                    f"maximizing {_symbol(bound)} raises the accuracy of {what}",
                    bool(last[name] > first[name]),
                    f"accuracy {first[name]:.3f} -> {last[name]:.3f}",
                )
            )
    return checks


def _invertible(frame: pd.DataFrame, records: Sequence[Record], baseline: float | None):
    return _rises(frame, "Fig. 1a", "an invertible encoder, whose MI cannot change")


def _adversarial(frame: pd.DataFrame, records: Sequence[Record], baseline: float | None):
    first, last = _mean_at(frame, "accuracy", False), _mean_at(frame, "accuracy", True)
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


def _non_invertible(frame: pd.DataFrame, records: Sequence[Record], baseline: float | None):
    checks = _rises(frame, "Fig. 2a", "a residual MLP encoder")
    for bound in sorted({r.spec.get("bound") for r in records}):
        spectra = [
            s
            for r in records
            if r.spec.get("bound") == bound and (s := r.arrays().get("singular_values")) is not None
        ]
        if not spectra:
            continue
        medians = np.median(pooled_log_condition_numbers(spectra), axis=1)
        checks.append(
            Check(
                "Fig. 2c",
                f"maximizing {_symbol(bound)}, the encoder's Jacobian becomes ill-conditioned "
                "(its log condition number grows)",
                bool(medians[-1] > medians[0]),
                f"median log condition number {medians[0]:.2f} -> {medians[-1]:.2f}",
            )
        )
    return checks


def _per_critic(values: pd.Series, critics: dict[str, str]) -> str:
    """``MLP 0.818, Bilinear 0.859, ...``: a value per critic, by the paper's names."""
    return ", ".join(f"{CRITIC_LABELS.get(c, c)} {values[run]:.3f}" for c, run in critics.items())


def _critic_impact(frame: pd.DataFrame, records: Sequence[Record], baseline: float | None):
    accuracy, bound = _mean_at(frame, "accuracy", True), _mean_at(frame, "colab_bound", True)
    runs = frame.groupby("name")[["Estimator", "Critic"]].first()
    checks = []
    for estimator, mine in runs.groupby("Estimator"):
        critics = dict(zip(mine["Critic"], mine.index, strict=True))
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
                f"with {_symbol(estimator)}, the simpler critics give better features than the "
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


def _encoder_impact(frame: pd.DataFrame, records: Sequence[Record], baseline: float | None):
    accuracy = _mean_at(frame, "accuracy", True)
    runs = frame.groupby("name")[["Estimator", "target", "nets"]].first()
    checks = []
    for (estimator, t), mine in runs.groupby(["Estimator", "target"]):
        encoders = dict(zip(mine["nets"], mine.index, strict=True))
        if not {"convnet", "mlp"} <= encoders.keys() or not set(mine.index) <= set(accuracy.index):
            continue
        conv, mlp = accuracy[encoders["convnet"]], accuracy[encoders["mlp"]]
        checks.append(
            Check(
                "Fig. 4a, 4b",
                f"trained towards {_symbol(estimator)} = {t:g}, the ConvNet encoder gives better "
                "features than the MLP",
                bool(conv > mlp),
                f"accuracy {ENCODER_LABELS['convnet']} {conv:.3f}, {ENCODER_LABELS['mlp']} "
                f"{mlp:.3f}",
            )
        )
    return checks


def _noniid(frame: pd.DataFrame, records: Sequence[Record], baseline: float | None):
    estimate = _mean_at(frame, "bound_value", True)
    true_mi = frame.groupby("name")["true_mi"].first()
    samplers = {r.name: r.spec.get("sampler") for r in records}
    checks = []
    for name in estimate.index:
        bound = frame.loc[frame["name"] == name, "Estimator"].iloc[0]
        above = estimate[name] > true_mi[name]
        if samplers.get(name) == "noniid":
            claim, shown = f"with non-i.i.d. batches, {_symbol(bound)} exceeds the true MI", above
        else:
            claim = f"with i.i.d. batches, {_symbol(bound)} stays below the true MI"
            shown = not above
        checks.append(
            Check(
                "Fig. 4c",
                claim,
                bool(shown),
                f"estimate {estimate[name]:.4f}, true MI {true_mi[name]:.4f}",
            )
        )
    return checks


Claims = Callable[[pd.DataFrame, Sequence[Record], float | None], list[Check]]
CLAIMS: dict[str, tuple[Claims, tuple[str, ...]]] = {
    "invertible": (_invertible, ("Estimator",)),
    "adversarial": (_adversarial, ()),
    "non_invertible": (_non_invertible, ("Estimator",)),
    "critic_impact": (_critic_impact, ("Estimator", "Critic")),
    "encoder_impact": (_encoder_impact, ("Estimator", "target", "nets")),
    "noniid": (_noniid, ("Estimator", "true_mi", "bound_value")),
}
"""Per experiment of the paper, the function that checks its claims and the columns that
tell its runs apart (the values compared may be missing: those claims are left out)."""


def check_claims(
    experiment: str, frame: pd.DataFrame, records: Sequence[Record], baseline: float | None
) -> list[Check]:
    """The paper's claims for ``experiment`` (none for other experiments), checked on its
    rows of the tidy table ``frame`` and its finished ``records``."""
    if experiment not in CLAIMS or "exp_name" not in frame:
        return []
    check, columns = CLAIMS[experiment]
    mine = frame[frame["exp_name"] == experiment]
    if mine.empty or not set(columns) <= set(mine.columns):
        return []
    return check(mine, [r for r in records if r.status == "ok"], baseline)
