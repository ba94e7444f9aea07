"""Live metrics: the scalars of an evaluation, written per run and seed for TensorBoard, and
read back with TensorBoard's own reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mirl.results.live import CONDITION_PERCENTILES, LiveMetrics, scalars

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read_scalars(directory: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar of the event files in ``directory``: tag -> [(step, value), ...]."""
    events = event_accumulator.EventAccumulator(str(directory))
    events.Reload()
    return {
        tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]
    }


def test_scalars_keep_one_number_per_seed_and_summarize_spectra():
    spectra = np.ones((2, 5, 3))
    spectra[1, :, -1] = np.exp(-np.arange(5.0))  # seed 1: log condition numbers 0, 1, ..., 4
    values = {
        "accuracy": np.array([0.5, 0.75]),
        "step_count": np.array([3, 4]),
        "singular_values": spectra,
        "trace": np.zeros((2, 7)),  # more than one number per seed, no summary: left out
        "note": np.array(["a", "b"]),  # not a number: left out
    }
    out = scalars(values, seeds=2)
    percentiles = {f"log_condition_number/p{q}" for q in CONDITION_PERCENTILES}
    assert set(out) == {"accuracy", "step_count"} | percentiles
    np.testing.assert_array_equal(out["accuracy"], [0.5, 0.75])
    np.testing.assert_allclose(out["log_condition_number/p0"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(out["log_condition_number/p50"], [0.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(out["log_condition_number/p100"], [0.0, 4.0], atol=1e-12)
    assert scalars({"accuracy": np.array([0.5])}, seeds=2) == {}  # not one per seed


def test_each_seed_of_a_run_has_its_own_event_directory(tmp_path):
    live = LiveMetrics(tmp_path, "critic_impact/bilinear-nwj")
    live(0, [3, 5], {"accuracy": np.array([0.1, 0.2]), "colab_bound": np.array([1.0, 2.0])})
    live(10, [5], {"accuracy": np.array([0.4]), "colab_bound": np.array([np.nan])})
    live.close()
    run = tmp_path / "critic_impact" / "bilinear-nwj"
    assert sorted(p.name for p in run.iterdir()) == ["seed-3", "seed-5"]
    seed3, seed5 = read_scalars(run / "seed-3"), read_scalars(run / "seed-5")
    assert seed3 == {"accuracy": [(0, pytest.approx(0.1))], "colab_bound": [(0, 1.0)]}
    assert seed5["accuracy"] == [(0, pytest.approx(0.2)), (10, pytest.approx(0.4))]
    assert seed5["colab_bound"] == [(0, 2.0)]  # the NaN is left out


def test_a_missing_tensorboard_says_what_to_install(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError, match=r"mirl\[tensorboard\]"):
        LiveMetrics(tmp_path, "e/r")
