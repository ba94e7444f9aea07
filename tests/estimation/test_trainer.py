"""The estimation trainer: seed batching, held-out pairs, the staircase, ground truth."""

import math

import numpy as np
import pytest
import torch

from mirl.estimation import HELDOUT, TRAIN, EstimateSpec, EstimateTrainer, estimate, seed_pairs
from mirl.runtime.loop import SeedGroup, train_seeds
from mirl.runtime.training import train
from mirl.tasks import staircase_rho

TINY = {"hidden": 8, "layers": 1}
SEEDS = [3, 5, 8]


def tiny(task="staircase", bound="nwj", **settings) -> EstimateSpec:
    defaults = {
        "critic_kwargs": TINY,
        "task_kwargs": {"levels": [1, 2], "dim": 3} if task == "staircase" else {},
        "batch_size": 16,
        "steps": 20,
        "evals": 4,
        "heldout_size": 64,
        "lr": 1e-2,
    }
    return EstimateSpec(task, bound, **{**defaults, **settings})


def assert_same_models(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    for key in sa:
        torch.testing.assert_close(sa[key], sb[key], atol=1e-5, rtol=0, msg=key)


# NWJ: InfoNCE leaves a critic's output bias without a real gradient (it shifts whole rows),
# so that bias would differ between a group and a lone seed by Adam-normalized rounding noise.
@pytest.mark.parametrize("critic", ["concat", "separable"])
@pytest.mark.parametrize("train_size", [None, 48])
def test_seed_in_a_group_estimates_as_it_would_alone(critic, train_size):
    spec = tiny(critic=critic, train_size=train_size)
    group = train(spec, SEEDS, keep_models=True)
    alone = train(spec, [SEEDS[1]], keep_models=True)
    assert all(r.ok for r in group + alone)
    assert_same_models(group[1].model, alone[0].model)
    for a, b in zip(group[1].rows, alone[0].rows, strict=True):
        for key in ("estimate", "train_bound", "true_mi"):
            assert a[key] == pytest.approx(b[key], abs=1e-5), key
    np.testing.assert_allclose(
        group[1].arrays["bound_trace"], alone[0].arrays["bound_trace"], atol=1e-5
    )
    assert group[0].rows[-1]["estimate"] != group[1].rows[-1]["estimate"]


def test_rows_follow_the_staircase_levels():
    (result,) = train(tiny(), [0])
    assert [r["step"] for r in result.rows] == [5, 10, 15, 20]
    assert [r["true_mi"] for r in result.rows] == pytest.approx([1, 1, 2, 2])
    assert result.arrays["bound_trace"].shape == (20,)
    # train_bound is the mean of the per-step training bound since the last evaluation.
    trace = result.arrays["bound_trace"]
    assert result.rows[1]["train_bound"] == pytest.approx(trace[5:10].mean(), abs=1e-6)


def test_fresh_pairs_come_from_the_level_of_their_step():
    # Two 2-d levels far apart in MI: the correlation of x and y tells them apart.
    spec = tiny(task_kwargs={"levels": [0.01, 4.0], "dim": 2}, batch_size=64, steps=128)
    trainer = EstimateTrainer(spec, SeedGroup([0, 1], torch.device("cpu")))
    rho = [0.0, 0.0]
    for step in range(128):
        pairs = trainer.pairs()  # [K, B, 4]
        corr = (pairs[..., 0] * pairs[..., 2]).mean().item()
        rho[spec.level(step)] += corr / 64
    # Each level's correlation per coordinate: sqrt(1 - exp(-2 mi / dim)).
    assert rho == pytest.approx([staircase_rho(0.01, 2), staircase_rho(4.0, 2)], abs=0.03)


def test_heldout_pairs_are_drawn_once_per_seed_and_level_and_never_trained_on():
    spec = tiny(train_size=32)
    trainer = EstimateTrainer(spec, SeedGroup(SEEDS, torch.device("cpu")))
    for level, task in enumerate(spec.levels.tasks):
        for k, seed in enumerate(SEEDS):
            heldout = seed_pairs(task, spec.heldout_size, seed, HELDOUT, "cpu")
            training = seed_pairs(task, spec.train_size, seed, TRAIN, "cpu")
            torch.testing.assert_close(trainer.heldout[level, k], heldout, rtol=0, atol=0)
            torch.testing.assert_close(trainer.train_sets[level, k], training, rtol=0, atol=0)
            assert not torch.isin(heldout, training).any()
    # A batch of the fixed training set is rows of the training set of the step's level.
    batch = trainer.pairs()
    for k in range(len(SEEDS)):
        rows = (batch[k][:, None, :] == trainer.train_sets[0, k][None]).all(-1).any(-1)
        assert rows.all()


def test_infonce_stays_below_log_batch_size():
    spec = tiny(
        "staircase-10", "infonce", critic_kwargs={"hidden": 32, "layers": 1}, steps=60, evals=3
    )
    (result,) = train(spec, [0])
    values = [r[k] for r in result.rows for k in ("estimate", "train_bound")]
    assert max(values) <= math.log(16) + 1e-5
    assert result.arrays["bound_trace"].max() <= math.log(16) + 1e-5
    assert values[-1] > 1.5  # it trained towards the cap (true MI 10 nats)


@pytest.mark.parametrize("bound", ["infonce", "smile"])
def test_an_easy_gaussian_is_estimated_near_its_true_mi(bound):
    spec = EstimateSpec(
        "bivariate-normal",
        bound,
        task_kwargs={"correlation": 0.8},  # 0.511 nats
        critic_kwargs={"hidden": 32, "layers": 1},
        lr=5e-3,
        steps=300,
        evals=3,
        heldout_size=2048,
    )
    frame = estimate(spec, seeds=[0, 1])
    last = frame[frame.step == 300]
    assert set(frame.columns) >= {"seed", "task", "critic", "bound", "estimate", "true_mi"}
    assert last.true_mi.iloc[0] == pytest.approx(-0.5 * math.log(1 - 0.64))
    assert last.estimate.mean() == pytest.approx(last.true_mi.iloc[0], abs=0.08)


def test_a_diverging_seed_is_reported_not_recorded():
    spec = tiny("staircase-10", "nwj", lr=1e3, steps=40, evals=2)
    trainer = EstimateTrainer(spec, SeedGroup([0], torch.device("cpu")))
    (result,) = train_seeds(trainer)
    assert not result.ok and result.rows == []
    assert "NaN/inf at step" in result.error and spec.run_id in result.error
    with pytest.warns(UserWarning, match="NaN/inf"):
        assert estimate(spec, seeds=[0]).empty
