"""The Colab's result files, built here with the Colab's structure (its namedtuples living
in ``__main__``, a DataFrame pickled by pandas, protocols 0 to 4), and what mirl should make
of them."""

from __future__ import annotations

import collections
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mirl.colab import (
    COLUMNS,
)

# The Colab's namedtuples, as its notebook defined them (in __main__).
ResultsConfig = collections.namedtuple("ResultsConfig", ["nets", "critic", "loss"])
Results = collections.namedtuple(
    "Results",
    [
        "iterations",
        "training_losses",
        "testing_losses",
        "classification_accuracies",
        "singular_values",
    ],
)
ResultsAdversarial = collections.namedtuple(
    "ResultsAdversarial", ["losses_e", "losses_c", "classification_accuracies", "iters"]
)
ResultsSamplingIssues = collections.namedtuple(
    "ResultsSamplingIssues",
    [
        "mi_true",
        "nce_estimates_noniid",
        "nce_estimates_iid",
        "nwj_estimates_noniid",
        "nwj_estimates_iid",
    ],
)
NAMEDTUPLES = (ResultsConfig, Results, ResultsAdversarial, ResultsSamplingIssues)

ITERATIONS = [0, 1000, 2000]
# (exp_name, nets, Critic, Estimator) as the Colab's convert_to_data_frame wrote them, and
# what mirl makes of them: (Critic, Estimator, target, label).
RUNS = {
    ("invertible", "realnvp", "Bilinear", "$I_{NCE}$"): (
        "bilinear",
        "infonce",
        None,
        "realnvp, bilinear, infonce",
    ),
    ("critic_impact", "mlp", "MLP", "$I_{NWJ}$"): ("concat", "nwj", None, "mlp, concat, nwj"),
    ("critic_impact", "mlp", "Separable", "$I_{NCE}$"): (
        "separable",
        "infonce",
        None,
        "mlp, separable, infonce",
    ),
    ("encoder_impact", "convnet", "Bilinear", "nce-2"): (
        "bilinear",
        "infonce",
        2.0,
        "convnet, bilinear, infonce, t=2",
    ),
    ("encoder_impact", "mlp", "Bilinear", "nwj-4"): (
        "bilinear",
        "nwj",
        4.0,
        "mlp, bilinear, nwj, t=4",
    ),
}
N_SEEDS = 2
FRAME_COLUMNS = [
    "exp_name",
    "nets",
    "Critic",
    "Estimator",
    "run",
    "iteration",
    "bound_value",
    "accuracy",
    "label",
]


def _values(key: tuple, seed: int) -> tuple[list[float], list[float]]:
    """Distinct, exactly representable bound values and accuracies for one run."""
    offset = list(RUNS).index(key) * 10 + seed
    return [-(offset + i / 4) for i in range(3)], [0.5 + (offset + i) / 256 for i in range(3)]


def colab_frame() -> pd.DataFrame:
    """The Colab's result frame: per run and seed, ``convert_to_data_frame``'s rows, concatenated
    (so the index repeats), bounds as float32 as its TF losses were."""
    frames = []
    for key in RUNS:
        exp_name, nets, critic, estimator = key
        for seed in range(N_SEEDS):
            bounds, accuracies = _values(key, seed)
            raw_critic = {"MLP": "concat"}.get(critic, critic.lower())
            raw_loss = {"$I_{NCE}$": "nce", "$I_{NWJ}$": "nwj"}.get(estimator, estimator)
            frames.append(
                pd.DataFrame(
                    {
                        "exp_name": exp_name,
                        "nets": nets,
                        "Critic": critic,
                        "Estimator": estimator,
                        "run": seed,
                        "iteration": ITERATIONS,
                        "bound_value": np.float32(bounds),
                        "accuracy": accuracies,
                        "label": f"{nets}, {raw_critic}, {raw_loss}",
                    },
                    columns=FRAME_COLUMNS,
                )
            )
    return pd.concat(frames)


def expected_frame() -> pd.DataFrame:
    rows = []
    for key, (critic, bound, target, label) in RUNS.items():
        for seed in range(N_SEEDS):
            for iteration, value, accuracy in zip(ITERATIONS, *_values(key, seed), strict=True):
                rows.append(
                    [key[0], key[1], critic, bound, target, seed, iteration, value, accuracy, label]
                )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"target": float, "bound_value": float})


def singular_values(rng: np.random.Generator, n: int = 4) -> list[np.ndarray]:
    """Per evaluation, ``[n, 392]`` singular values (float32, as TF computed them)."""
    return [rng.uniform(0.01, 5.0, size=(n, 392)).astype(np.float32) for _ in ITERATIONS]


def colab_condition_numbers() -> list:
    rng = np.random.default_rng(0)

    def runs(count: int) -> list:
        return [
            Results(
                iterations=ITERATIONS,
                training_losses=[np.float32(-1.5)] * 5,
                testing_losses=[np.float32(-1.0)] * 3,
                classification_accuracies=[0.84, 0.85, 0.86],
                singular_values=singular_values(rng),
            )
            for _ in range(count)
        ]

    return [
        (ResultsConfig("mlp", "bilinear", "nce"), runs(2)),
        (ResultsConfig("mlp", "separable", "nce"), runs(1)),  # not a bilinear critic: skipped
        (ResultsConfig("mlp", "bilinear", "nwj"), runs(3)),
    ]


def naive_log_condition(runs: list) -> np.ndarray:
    """``[T, n]``: for each evaluation and sample, log(max) - log(min), runs side by side."""
    return np.array(
        [
            [
                np.log(float(max(sample))) - np.log(float(min(sample)))
                for run in runs
                for sample in run.singular_values[t]
            ]
            for t in range(len(ITERATIONS))
        ]
    )


def colab_noniid() -> ResultsSamplingIssues:
    trace = [np.float32(v) for v in np.linspace(-0.1, 0.2, 50)]
    return ResultsSamplingIssues(
        mi_true=np.float64(0.125),
        nce_estimates_noniid=trace,
        nce_estimates_iid=trace[::-1],
        nwj_estimates_noniid=[2 * v for v in trace],
        nwj_estimates_iid=[-v for v in trace],
    )


def colab_adversarial() -> ResultsAdversarial:
    return ResultsAdversarial(
        losses_e=[np.float32(2.3)] * 4,
        losses_c=[np.float32(0.3)] * 4,
        classification_accuracies=[0.9, 0.6, 0.3],
        iters=[0, 400, 800],
    )


@pytest.fixture
def as_main(monkeypatch):
    """Put the namedtuples in ``__main__``, where the Colab defined them, while pickling."""
    for cls in NAMEDTUPLES:
        monkeypatch.setattr(cls, "__module__", "__main__")
        monkeypatch.setattr(sys.modules["__main__"], cls.__name__, cls, raising=False)


@pytest.fixture
def colab_files(tmp_path, as_main) -> dict[str, Path]:
    """The Colab's four files, pickled as they were (pandas' to_pickle for the frame; Python 2's
    default protocol 0 for one of the namedtuple files)."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    files = {name: folder / f"{name}_results.pkl" for name in ("mi", "noniid", "adv", "cond")}
    colab_frame().to_pickle(files["mi"])
    files["noniid"].write_bytes(pickle.dumps(colab_noniid(), protocol=0))
    files["adv"].write_bytes(pickle.dumps(colab_adversarial(), protocol=2))
    files["cond"].write_bytes(pickle.dumps(colab_condition_numbers(), protocol=4))
    return files


def _check_results(results) -> None:
    pd.testing.assert_frame_equal(
        results.frame, expected_frame(), check_dtype=False, check_exact=True
    )
    assert results.frame["run"].dtype == np.int64
    assert results.frame["bound_value"].dtype == np.float64
    cond = colab_condition_numbers()
    assert sorted(results.condition_numbers) == ["infonce", "nwj"]
    for bound, (_, runs) in zip(["infonce", "nwj"], [cond[0], cond[2]], strict=True):
        iterations, log_condition = results.condition_numbers[bound]
        np.testing.assert_array_equal(iterations, ITERATIONS)
        assert log_condition.shape == (3, 4 * len(runs))
        np.testing.assert_allclose(log_condition, naive_log_condition(runs), rtol=1e-12)
    noniid = colab_noniid()
    assert results.mi_true == 0.125
    np.testing.assert_array_equal(results.noniid["infonce_noniid"], noniid.nce_estimates_noniid)
    np.testing.assert_array_equal(results.noniid["infonce_iid"], noniid.nce_estimates_iid)
    np.testing.assert_array_equal(results.noniid["nwj_noniid"], noniid.nwj_estimates_noniid)
    np.testing.assert_array_equal(results.noniid["nwj_iid"], noniid.nwj_estimates_iid)
    iterations, accuracy = results.adversarial
    np.testing.assert_array_equal(iterations, [0, 400, 800])
    np.testing.assert_array_equal(accuracy, [0.9, 0.6, 0.3])


@pytest.fixture
def check_results():
    """Asserts that an import holds exactly what the Colab's files of ``colab_files`` hold."""
    return _check_results


@pytest.fixture
def raw_frame() -> pd.DataFrame:
    """The Colab's result frame, unpickled."""
    return colab_frame()


@pytest.fixture
def expected() -> pd.DataFrame:
    """What mirl makes of ``raw_frame``."""
    return expected_frame()


@pytest.fixture
def adversarial() -> ResultsAdversarial:
    return colab_adversarial()


class _Shell:
    """Runs a shell command when unpickled, as a malicious download would."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.fixture
def shell():
    """``shell(command)``: an object that runs ``command`` when unpickled."""
    return _Shell
