"""Seeds as a batch dimension: seed k trained in a group is seed k trained alone."""

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from mirl.estimation import EstimateSpec
from mirl.experiments import EXPERIMENTS, experiment_specs
from mirl.layers import Dense
from mirl.paper import AdversarialSpec, TwoViewSpec
from mirl.runtime.kinds import kind_of
from mirl.runtime.loop import SeedGroup, train_seeds
from mirl.runtime.run_spec import replace
from mirl.runtime.stacking import build_seeds
from mirl.runtime.training import train

SEEDS = [3, 5, 8]


def assert_same_models(a: torch.nn.Module, b: torch.nn.Module, atol: float) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        torch.testing.assert_close(sa[key], sb[key], atol=atol, rtol=0, msg=key)


def assert_same_rows(a, b, atol: float) -> None:
    assert len(a) == len(b) > 0
    for ra, rb in zip(a, b, strict=True):
        for key in ra:
            if key in ("seconds", "accuracy"):
                continue
            va, vb = ra[key], rb[key]
            assert (math.isnan(va) and math.isnan(vb)) or va == pytest.approx(vb, abs=atol), key


# NWJ throughout: InfoNCE is invariant to shifting a row of scores, so the biases that only
# shift rows (a critic's output bias, g2's last bias under a bilinear critic) get a gradient
# that is pure rounding noise, which Adam normalizes into +-lr steps. Those parameters then
# differ between a group and a lone seed by ~lr per step, by construction of Adam.
SPECS = {
    "standard": TwoViewSpec(
        "t", "mlp", "separable", "nwj", encoder_kwargs={"widths": [32, 16]}, steps=6, evals=2
    ),
    "target": TwoViewSpec(
        "t", "mlp", "bilinear", "nwj", encoder_kwargs={"widths": [16]}, target=2.0, steps=6, evals=2
    ),
    "jacobian+noise": TwoViewSpec(
        "t",
        "mlp",
        "concat",
        "nwj",
        encoder_kwargs={"widths": [392, 392], "shortcuts": True, "init_std": 1e-2},
        critic_kwargs={"hidden": 8},
        noise_std=0.05,
        jacobian=True,
        jacobian_samples=4,
        steps=6,
        evals=2,
    ),
    "convnet": TwoViewSpec(
        "t",
        "convnet",
        "bilinear",
        "nwj",
        encoder_kwargs={"channels": 2, "out_dim": 8},
        steps=4,
        evals=2,
    ),
    "realnvp": TwoViewSpec(
        "t",
        "realnvp",
        "bilinear",
        "nwj",
        encoder_kwargs={"couplings": 2, "hidden": [8], "init_std": 0.01},
        steps=4,
        evals=2,
    ),
    "adversarial": AdversarialSpec(
        "t",
        encoder_kwargs={"couplings": 2, "hidden": [8]},
        warmup=2,
        steps=4,
        evals=2,
        classifier_steps=2,
    ),
    "noniid": EstimateSpec(
        "paper-fig4c",
        "nwj",
        experiment="t",
        sampler="noniid",
        critic_kwargs={"hidden": 6, "layers": 2},
        heldout_size=None,
        batch_size=128,
        steps=20,
        evals=2,
        lr=1e-2,
    ),
}


@pytest.mark.parametrize("kind", SPECS)
def test_seed_in_a_group_trains_as_it_would_alone(kind, data):
    spec = SPECS[kind]
    group = train(spec, SEEDS, data=data, keep_models=True)
    alone = train(spec, [SEEDS[1]], data=data, keep_models=True)
    assert [r.seed for r in group] == SEEDS
    assert all(r.ok for r in group + alone)
    assert_same_models(group[1].model, alone[0].model, atol=1e-5)
    assert_same_rows(group[1].rows, alone[0].rows, atol=1e-4)
    for name, array in alone[0].arrays.items():
        np.testing.assert_allclose(group[1].arrays[name], array, rtol=1e-4, atol=1e-5, err_msg=name)
    # ...and the seeds of a group really differ from each other.
    first = next(iter(group[0].model.state_dict().values()))
    assert not torch.equal(first, next(iter(group[1].model.state_dict().values())))


def test_evaluations_follow_the_colab_schedule_and_end_with_the_final_model(data):
    spec = SPECS["jacobian+noise"]
    (result,) = train(replace(spec, steps=7, evals=3), [0], data=data)
    assert [r["step"] for r in result.rows] == [0, 2, 4, 6, 7]
    assert math.isnan(result.rows[0]["train_bound"])  # no training step before step 0
    assert result.arrays["singular_values"].shape == (5, 4, 392)
    row = result.rows[-1]
    # The Colab's "testing loss", really on fresh training batches.
    assert row["colab_loss"] == pytest.approx(-row["colab_bound"])  # maximize: loss = -bound
    assert row["test_bound"] == pytest.approx(-row["test_loss"])
    assert 0 <= row["accuracy"] <= 1


def test_each_evaluation_is_reported_live_once_ready_and_the_time_is_split(data):
    spec = replace(SPECS["standard"], steps=6, evals=3)
    reported = []

    def on_evaluation(step, seeds, values):
        reported.append((step, seeds, values))

    with ThreadPoolExecutor(2) as pool:  # probes beside training: reported when they finish
        group = SeedGroup([3, 5], data.device, data, pool)
        results = train_seeds(kind_of(spec).trainer(spec, group), on_evaluation=on_evaluation)
    assert [(step, seeds) for step, seeds, _ in reported] == [(n, [3, 5]) for n in (0, 2, 4, 6)]
    per_evaluation = zip(*(r.rows for r in results), strict=True)
    for (step, _, values), rows in zip(reported, per_evaluation, strict=True):
        assert [row["step"] for row in rows] == [step, step]
        for name in ("accuracy", "test_bound", "colab_bound"):
            assert list(values[name]) == [row[name] for row in rows], name
    timings = results[0].timings
    assert timings is results[1].timings  # one group, one account
    assert timings.train > 0 and timings.evaluation > 0 and timings.probe > 0
    # The steps and the evaluations happen one after the other, within the group's time.
    assert timings.train + timings.evaluation <= results[0].seconds


def test_target_objective_records_the_distance_to_the_target(data):
    (result,) = train(SPECS["target"], [0], data=data)
    t = SPECS["target"].target
    for row in result.rows:
        # The mean of |bound - t| over test batches is at least |mean bound - t| (Jensen).
        assert row["test_loss"] >= abs(row["test_bound"] - t) - 1e-6
        assert row["colab_loss"] >= abs(row["colab_bound"] - t) - 1e-6


def test_diverging_seed_is_reported_with_its_step_and_run(data):
    spec = TwoViewSpec(
        "boom", "mlp", "bilinear", "nwj", encoder_kwargs={"widths": [16]}, lr=1e4, steps=40, evals=4
    )
    results = train(spec, [0, 1], data=data)
    assert not any(r.ok for r in results)
    for r in results:
        assert r.rows == [] and r.arrays == {}
        assert "became NaN/inf at step" in r.error and "boom/mlp-bilinear-nwj" in r.error


def test_one_seed_diverging_does_not_disturb_the_others():
    stack = build_seeds(lambda: Dense(3, 1), [0, 1], "cpu")
    loss = stack(torch.randn(2, 4, 3)).pow(2).mean(dim=(1, 2))
    loss = loss * torch.tensor([float("nan"), 1.0])  # seed 0 diverges
    loss.sum().backward()
    grads = [p.grad for p in stack.parameters()]
    assert all(torch.isnan(g[0]).all() for g in grads)
    assert all(torch.isfinite(g[1]).all() for g in grads)


def test_bad_seed_lists_and_missing_data_are_rejected(data):
    spec = SPECS["standard"]
    with pytest.raises(ValueError, match="distinct"):
        train(spec, [1, 1], data=data)
    with pytest.raises(ValueError, match="trains on images"):
        train(spec, [0])


@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_every_experiment_trains_at_the_smoke_profile(experiment, data):
    for spec in experiment_specs(experiment, "smoke")[:2]:
        results = train(spec, [0, 1], data=data)
        assert all(r.ok and r.rows for r in results), [r.error for r in results]


@pytest.mark.parametrize(
    "kind", ["standard", "jacobian+noise", "convnet", "realnvp", "adversarial", "noniid"]
)
def test_the_plain_one_seed_model_trains_as_the_stacked_one(kind, data):
    # mirl bench times the stacked step against this plain model: same modules, same seed.
    spec = SPECS[kind]
    entry = kind_of(spec)
    images = data if entry.uses_images else None
    cpu = torch.device("cpu")
    stacked = train_seeds(entry.trainer(spec, SeedGroup([5], cpu, images)), keep_models=False)
    plain = train_seeds(entry.trainer(spec, SeedGroup([5], cpu, images, stacked=False)))
    assert_same_rows(plain[0].rows, stacked[0].rows, atol=1e-4)
