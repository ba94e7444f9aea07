"""EstimateSpec: Poole et al.'s defaults, the staircase schedule, validation before training."""

import math
import pickle

import pytest

from mirl.estimation import FAMILIES, EstimateSpec, resolve_task
from mirl.runtime.kinds import spec_from_dict, spec_to_dict
from mirl.tasks import TASKS


def test_defaults_are_poole_et_al():
    spec = EstimateSpec("staircase", "infonce")
    assert (spec.batch_size, spec.lr, spec.steps, spec.critic) == (64, 5e-4, 20000, "concat")
    assert spec.critic_kwargs == {"hidden": 256, "layers": 2}
    separable = EstimateSpec("staircase", "infonce", critic="separable")
    assert separable.critic_kwargs == {"hidden": 256, "layers": 2, "out": 32}
    assert spec.train_size is None  # fresh pairs every step


def test_staircase_steps_through_its_levels():
    spec = EstimateSpec("staircase", "nwj")
    assert [t.true_mi for t in spec.levels.tasks] == pytest.approx([2, 4, 6, 8, 10], abs=1e-9)
    assert spec.steps_per_level == 4000
    assert [spec.level(s) for s in (0, 3999, 4000, 19999, 20000)] == [0, 0, 1, 4, 4]
    cubic = EstimateSpec("cubic-staircase", "smile")
    assert cubic.levels.name == "cubic-staircase"
    assert [t.name for t in cubic.levels.tasks][:2] == ["cubic-staircase-2", "cubic-staircase-4"]
    short = EstimateSpec("staircase", "nwj", task_kwargs={"levels": [1, 3]}, steps=10, evals=2)
    assert short.levels.name == "staircase-1-3" and short.eval_steps == [5, 10]
    assert [short.level(s) for s in (4, 5)] == [0, 1]


def test_fixed_tasks_and_families():
    fixed = EstimateSpec("1v1-normal-0.75", "infonce", steps=10, evals=1)
    assert fixed.levels.tasks == (TASKS["1v1-normal-0.75"],)
    family = EstimateSpec(
        "bivariate-normal", "infonce", task_kwargs={"correlation": 0.5}, steps=10, evals=1
    )
    assert family.levels.name == "1v1-normal-0.5"
    assert family.levels.tasks[0].true_mi == pytest.approx(-0.5 * math.log(0.75))
    assert set(FAMILIES) >= {"staircase", "cubic-staircase", "multinormal-dense"}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"task": "nope"}, r"unknown task 'nope'; valid names: 1v1-additive-0.1, "),
        ({"bound": "nope"}, r"unknown bound 'nope'; valid names: dv, infonce"),
        ({"critic": "nope"}, r"unknown critic 'nope'; valid names: bilinear, concat"),
        (
            {"task": "bivariate-normal", "task_kwargs": {"correlation": 1.5}},
            r"correlation must lie in \(-1, 1\), got 1.5",
        ),
        (
            {"task": "multinormal-dense", "task_kwargs": {"dim_x": 0, "dim_y": 3}},
            "dim_x must be an integer >= 1, got 0",
        ),
        ({"task": "staircase", "task_kwargs": {"levels": [2, -1]}}, "mi must be finite and >= 0"),
        ({"task": "staircase", "task_kwargs": {"levels": []}}, "levels must be a non-empty list"),
        ({"task": "staircase", "task_kwargs": {"dim": 0}}, "dim must be an integer >= 1"),
        ({"task": "staircase", "task_kwargs": {"rho": 0.5}}, r"unknown arguments \['rho'\]"),
        ({"task": "multinormal-dense", "task_kwargs": {}}, "missing 2 required positional"),
        ({"task": "staircase-2", "task_kwargs": {"dim": 3}}, "is fixed and takes no task_kwargs"),
        ({"task": "staircase", "steps": 1001}, r"must split evenly over the 5 levels"),
        ({"bound_kwargs": {"alpha": 0.5}}, r"unknown arguments \['alpha'\]"),
        ({"critic_kwargs": {"width": 3}}, r"unknown arguments \['width'\]"),
        ({"heldout_size": 100}, "must be a multiple of batch_size"),
        ({"train_size": 10}, "train_size must be None"),
        ({"batch_size": 1}, "at least 2"),
        ({"lr": 0.0}, "lr must be a positive number"),
        ({"steps": "10"}, "steps must be an integer"),
    ],
)
def test_impossible_settings_fail_before_training(settings, message):
    with pytest.raises(ValueError, match=message) as err:
        EstimateSpec(**{"task": "staircase-2", "bound": "smile", **settings})
    assert "\n" not in str(err.value)


def test_spec_round_trips_through_json_and_overrides_merge():
    spec = EstimateSpec(
        "staircase",
        "smile",
        critic="separable",
        task_kwargs={"levels": [2, 4]},
        bound_kwargs={"clip": 1.0},
        critic_kwargs={"hidden": 64},
        steps=10,
        evals=2,
        train_size=128,
    )
    assert spec.critic_kwargs == {"hidden": 64, "layers": 2, "out": 32}
    assert spec_from_dict(spec_to_dict(spec)) == spec
    # Pickled (to another process) without its resolved levels, whose maps may be closures.
    cubic = EstimateSpec("cubic-staircase", "nwj")
    assert cubic.levels.tasks[0].true_mi == pytest.approx(2.0)
    assert pickle.loads(pickle.dumps(cubic)) == cubic
    assert spec.name == "staircase-2-4-separable-smile-clip1"
    assert spec.labels()["label"] == "staircase-2-4, separable, smile (clip1)"
    assert spec.labels()["task"] == "staircase-2-4" and spec.labels()["bound"] == "smile"


def test_resolve_task_lists_families_among_valid_names():
    with pytest.raises(ValueError, match="cubic-staircase") as err:
        resolve_task("stairs")
    assert "staircase-10" in str(err.value)
