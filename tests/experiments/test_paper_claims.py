"""The paper's claims are decided from the numbers: hand-made tables where the answer is
known, both ways (the report's page shows them: ``test_html``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mirl.experiments import EXPERIMENTS
from mirl.figures import FigureData


def check_claims(experiment: str, frame: pd.DataFrame, records: list, baseline: float | None):
    """The claims of ``experiment`` on these results (none for an unregistered one)."""
    if experiment not in EXPERIMENTS:
        return []
    data = FigureData(frame, records, pd.DataFrame(columns=["experiment"]), None, baseline)
    return EXPERIMENTS[experiment].claims(data.of(experiment))


def rows(experiment: str, runs: dict[str, dict], values: dict[str, list[list[float]]]):
    """A tidy table: ``values[column][run index]`` is that run's mean at each evaluation,
    as two seeds at +-0.001 around it; ``runs`` gives each run's label columns."""
    out = []
    for i, (name, labels) in enumerate(runs.items()):
        steps = len(next(iter(values.values()))[i])
        for step in range(steps):
            for seed, offset in ((0, -0.001), (1, 0.001)):
                row = {"experiment": experiment, "name": name, "seed": seed, "step": 100 * step}
                row.update(labels)
                row.update({c: v[i][step] + offset for c, v in values.items()})
                out.append(row)
    return pd.DataFrame(out)


def decided(checks) -> list[tuple[str, bool]]:
    return [(c.claim, c.shown) for c in checks]


def test_a_rising_accuracy_is_shown_and_a_falling_one_is_not():
    runs = {"flow-nce": {"bound": "infonce"}, "flow-nwj": {"bound": "nwj"}}
    frame = rows("invertible", runs, {"accuracy": [[0.86, 0.87, 0.88], [0.86, 0.85, 0.855]]})
    checks = check_claims("invertible", frame, [], None)
    assert [c.shown for c in checks] == [True, False]
    assert "I_NCE" in checks[0].claim and checks[0].evidence == "accuracy 0.860 -> 0.880"
    assert checks[1].evidence == "accuracy 0.860 -> 0.855"


@pytest.mark.parametrize(("experiment", "figure"), [("invertible", "1b"), ("non_invertible", "2b")])
def test_the_testing_bound_must_rise_while_the_mi_cannot(experiment, figure):
    runs = {"nce": {"bound": "infonce"}, "nwj": {"bound": "nwj"}}
    values = {"accuracy": [[0.8, 0.85, 0.9]] * 2, "colab_bound": [[0.1, 2.0, 3.5], [0.2, 1.0, 0.1]]}
    checks = check_claims(experiment, rows(experiment, runs, values), [], None)
    bound = [c for c in checks if c.figure == f"Fig. {figure}"]
    assert [c.shown for c in bound] == [True, False]
    assert bound[0].claim.startswith("maximizing I_NCE raises the testing I_EST of ")
    assert bound[0].evidence == "testing I_EST 0.100 -> 3.500"


def test_the_adversarial_encoder_must_fall_below_the_pixels():
    frame = rows("adversarial", {"adv": {}}, {"accuracy": [[0.86, 0.85]]})
    assert [c.shown for c in check_claims("adversarial", frame, [], 0.84)] == [False]
    assert [c.shown for c in check_claims("adversarial", frame, [], 0.855)] == [True]
    assert "(pixel baseline 0.855)" in check_claims("adversarial", frame, [], 0.855)[0].evidence


def test_critics_simpler_features_better_and_the_mlp_bound_highest_with_nwj():
    runs = {
        f"{critic}-{bound}": {"critic": critic, "bound": bound}
        for bound in ("infonce", "nwj")
        for critic in ("bilinear", "concat", "separable")
    }
    accuracy = [[0.8, 0.86], [0.8, 0.82], [0.8, 0.85]] * 2
    bound = [[0, 4.2], [0, 4.0], [0, 4.1], [0, 3.4], [0, 4.1], [0, 3.7]]
    frame = rows("critic_impact", runs, {"accuracy": accuracy, "colab_bound": bound})
    checks = check_claims("critic_impact", frame, [], None)
    # I_NCE is near log B with every critic: the paper's bound claim is I_NWJ's alone.
    assert [c.shown for c in checks] == [True, True, True]
    assert "MLP 4.100" in checks[2].evidence and "Bilinear 3.400" in checks[2].evidence
    swapped = frame.assign(accuracy=frame["accuracy"][::-1].to_numpy())
    assert [c.shown for c in check_claims("critic_impact", swapped, [], None)][:2] == [False] * 2


def test_the_convnet_must_beat_the_mlp_at_each_target():
    runs = {
        f"{nets}-t{t}": {"encoder": nets, "target": float(t), "bound": "nwj"}
        for nets in ("convnet", "mlp")
        for t in (2, 4)
    }
    accuracy = [[0.7, 0.88], [0.7, 0.80], [0.8, 0.85], [0.8, 0.84]]
    checks = check_claims(
        "encoder_impact", rows("encoder_impact", runs, {"accuracy": accuracy}), [], None
    )
    chain = (
        "with I_NWJ, a higher target t gives better features for both encoders: "
        "ConvNet t=4 > ConvNet t=2 > MLP t=4 > MLP t=2"
    )
    assert decided(checks) == [
        ("trained towards I_NWJ = 2, the ConvNet encoder gives better features than the MLP", True),
        (
            "trained towards I_NWJ = 4, the ConvNet encoder gives better features than the MLP",
            False,
        ),
        (chain, False),
    ]
    in_order = [[0.7, 0.86], [0.7, 0.88], [0.8, 0.84], [0.8, 0.85]]
    checks = check_claims(
        "encoder_impact", rows("encoder_impact", runs, {"accuracy": in_order}), [], None
    )
    assert decided(checks)[2] == (chain, True)
    assert checks[2].evidence == "accuracy 0.880, 0.860, 0.850, 0.840"
    # MLP t=4 not above MLP t=2: the chain breaks at its last link.
    swapped = [[0.7, 0.86], [0.7, 0.88], [0.8, 0.85], [0.8, 0.84]]
    checks = check_claims(
        "encoder_impact", rows("encoder_impact", runs, {"accuracy": swapped}), [], None
    )
    assert decided(checks)[2] == (chain, False)


def test_noniid_estimates_above_the_true_mi_iid_ones_below():
    runs = {
        "iid-nce": {"bound": "infonce", "sampler": "iid", "true_mi": 0.02},
        "noniid-nce": {"bound": "infonce", "sampler": "noniid", "true_mi": 0.02},
        "noniid-nwj": {"bound": "nwj", "sampler": "noniid", "true_mi": 0.02},
    }
    frame = rows("noniid", runs, {"train_bound": [[0, 0.018], [0, 0.2], [0, 0.015]]})
    assert [c.shown for c in check_claims("noniid", frame, [], None)] == [True, True, False]


def test_ill_conditioning_is_read_from_the_jacobian_spectra():
    def spectra(log_conds: list[float]) -> np.ndarray:  # [evals, samples, d]
        return np.array([[[np.exp(c), 1.0, 1.0]] * 4 for c in log_conds])

    growing = SimpleNamespace(
        name="a", experiment="non_invertible", spec={"bound": "infonce"}, status="ok",
        arrays=lambda: {"singular_values": spectra([0.0, 1.0, 2.0])},
    )  # fmt: skip
    flat = SimpleNamespace(
        name="b", experiment="non_invertible", spec={"bound": "nwj"}, status="ok",
        arrays=lambda: {"singular_values": spectra([1.0, 1.0, 0.5])},
    )  # fmt: skip
    runs = {"a": {"bound": "infonce"}, "b": {"bound": "nwj"}}
    frame = rows("non_invertible", runs, {"accuracy": [[0.8, 0.9], [0.8, 0.9]]})
    checks = check_claims("non_invertible", frame, [growing, flat], None)
    jacobian = [c for c in checks if c.figure == "Fig. 2c"]
    assert [c.shown for c in jacobian] == [True, False]
    assert jacobian[0].evidence == "median log condition number 0.00 -> 2.00"


def test_no_claims_for_missing_runs_or_other_experiments():
    frame = rows("critic_impact", {"x": {"critic": "bilinear", "bound": "nwj"}}, {
        "accuracy": [[0.8, 0.9]], "colab_bound": [[0, 1]]
    })  # fmt: skip
    assert check_claims("critic_impact", frame, [], None) == []  # no MLP critic to compare
    runs = {n: {"critic": n, "bound": "nwj"} for n in ("bilinear", "concat")}
    values = {"accuracy": [[0.8, 0.9], [np.nan, np.nan]], "colab_bound": [[0, 1], [0, 2]]}
    unprobed = rows("critic_impact", runs, values).dropna(subset=["accuracy"])
    assert check_claims("critic_impact", unprobed, [], None) == []  # a run without accuracy
    without_bounds = rows("critic_impact", runs, {"accuracy": [[0.8, 0.9], [0.8, 0.85]]})
    (check,) = check_claims("critic_impact", without_bounds, [], None)  # no colab_bound
    assert check.shown and "features" in check.claim
    relabelled = without_bounds.assign(experiment="encoder_impact")  # no encoder, no target
    assert check_claims("encoder_impact", relabelled, [], None) == []
    assert check_claims("estimate", frame, [], None) == []
    assert check_claims("invertible", frame, [], None) == []  # no invertible rows
