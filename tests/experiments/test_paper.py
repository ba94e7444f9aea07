"""The paper profile must match the Colab's settings; a drifting default fails here."""

import pytest

from mirl.experiments import EXPERIMENTS, PROFILES, experiment_specs
from mirl.experiments.paper import PAPER
from mirl.selection import experiment_runs
from mirl.tasks import get_task

# (experiment, run name) -> the Colab's settings for that run.
MI_DEFAULTS = {"lr": 1e-4, "batch_size": 128, "steps": 20000, "evals": 20, "probe": "sklearn"}
REALNVP = {"couplings": 30, "hidden": [512, 512], "init_std": 1e-4}
MLP_300 = {"widths": [300, 300, 100]}
COLAB = {
    ("invertible", "realnvp-bilinear-infonce"): {
        "encoder_kwargs": {**REALNVP, "shift_only": True},
        "noise_std": 0.0,
    },
    ("invertible", "realnvp-bilinear-nwj"): {"encoder_kwargs": {**REALNVP, "shift_only": True}},
    ("non_invertible", "mlp-bilinear-infonce"): {
        "encoder_kwargs": {"widths": [392] * 5, "shortcuts": True, "init_std": 1e-4},
        "noise_std": 0.05,
        "jacobian": True,
        "jacobian_samples": 128,
    },
    ("non_invertible", "mlp-bilinear-nwj"): {"noise_std": 0.05, "jacobian": True},
    **{
        ("critic_impact", f"mlp-{critic}-{bound}"): {
            "encoder_kwargs": MLP_300,
            "critic_kwargs": {},
            "target": None,
        }
        for critic in ("bilinear", "separable", "concat")
        for bound in ("infonce", "nwj")
    },
    **{
        ("encoder_impact", f"{enc}-bilinear-{bound}-t{t}"): {
            "encoder_kwargs": kw,
            "target": float(t),
        }
        for enc, kw in (("convnet", {}), ("mlp", MLP_300))
        for bound in ("infonce", "nwj")
        for t in (2, 4)
    },
}
ADVERSARIAL = {
    "encoder": "realnvp",
    "encoder_kwargs": {**REALNVP, "shift_only": False},
    "lr": 1e-3,
    "encoder_lr_factor": 0.01,
    "batch_size": 128,
    "warmup": 1000,
    "steps": 4000,
    "evals": 10,
    "classifier_steps": 10,
    "probe": "sklearn",
}
NONIID = {
    "critic": "concat",
    "critic_kwargs": {"hidden": 10, "layers": 5},
    "lr": 1e-4,
    "batch_size": 128,
    "steps": 20000,
    "evals": 20,
    "task": "paper-fig4c",
    "task_kwargs": {},
    "heldout_size": None,
}
FIG4C = {"sigma_z": ((1.0, -0.5), (-0.5, 1.0)), "sigma_eps": ((1.0, 0.9), (0.9, 1.0))}


def paper_specs():
    return {(s.experiment, s.name): s for e in PAPER for s in e.specs("paper")}


def test_paper_profile_has_exactly_the_colab_runs():
    names = set(paper_specs())
    expected = set(COLAB) | {("adversarial", "realnvp-adversarial")}
    expected |= {("noniid", f"{s}-{b}") for s in ("iid", "noniid") for b in ("infonce", "nwj")}
    assert names == expected
    assert PROFILES["paper"].seeds == 20


@pytest.mark.parametrize("key", sorted(COLAB))
def test_paper_profile_mi_runs_match_the_colab(key):
    spec = paper_specs()[key]
    for field, value in {**MI_DEFAULTS, **COLAB[key]}.items():
        assert getattr(spec, field) == value, field


def test_paper_profile_adversarial_and_noniid_match_the_colab():
    specs = paper_specs()
    adversarial = specs[("adversarial", "realnvp-adversarial")]
    for field, value in ADVERSARIAL.items():
        assert getattr(adversarial, field) == value, field
    assert adversarial.eval_steps == list(range(0, 4001, 400))  # probed every 400 iterations
    for sampler in ("iid", "noniid"):
        for bound in ("infonce", "nwj"):
            spec = specs[("noniid", f"{sampler}-{bound}")]
            for field, value in {**NONIID, "sampler": sampler}.items():
                assert getattr(spec, field) == value, field
    base = get_task("paper-fig4c").base
    assert (base.sigma_z, base.sigma_eps) == (FIG4C["sigma_z"], FIG4C["sigma_eps"])


def test_paper_evaluation_schedule_is_every_1000_steps_from_0():
    spec = paper_specs()[("critic_impact", "mlp-bilinear-infonce")]
    assert spec.eval_steps == list(range(0, 20001, 1000))  # the Colab's 21 evaluations


def test_quick_profile_is_the_paper_with_fewer_steps_and_smaller_flows():
    quick = {(s.experiment, s.name): s for e in PAPER for s in e.specs("quick")}
    paper = paper_specs()
    assert quick.keys() == paper.keys()
    for key, spec in quick.items():
        assert spec.steps < paper[key].steps
        assert spec.batch_size == 128
    assert quick[("critic_impact", "mlp-concat-nwj")].encoder_kwargs == MLP_300
    assert quick[("invertible", "realnvp-bilinear-nwj")].encoder_kwargs["couplings"] == 10
    # The ConvNet keeps its second convolution's 128 channels: its 100-d code keeps its rank.
    convnet = quick[("encoder_impact", "convnet-bilinear-nwj-t2")].encoder_kwargs
    assert convnet == {"channels": 16, "channels2": 128}


def test_overrides_apply_and_unknown_settings_are_errors():
    specs = experiment_specs("noniid", "smoke", {"steps": 77, "lr": 0.5})
    assert all(s.steps == 77 and s.lr == 0.5 for s in specs)
    with pytest.raises(ValueError, match=r"no setting \['stepz'\]"):
        experiment_specs("noniid", "smoke", {"stepz": 1})
    with pytest.raises(ValueError, match="unknown experiment 'fig5'"):
        experiment_specs("fig5")
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        experiment_specs("noniid", "huge")
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        experiment_specs("critic_impact", "smoke", {"steps": 0})


def test_a_setting_reaches_only_the_chosen_runs():
    # A ConvNet's architecture given to the ConvNet runs: the MLP runs, not chosen, would
    # refuse it, and must not see it (nor must it change which runs are chosen).
    wide = {"encoder_kwargs": {"channels": 32}}
    specs = experiment_specs("encoder_impact", "quick", wide, runs="convnet-*-nwj-t4")
    assert [s.name for s in specs] == ["convnet-bilinear-nwj-t4"]
    assert specs[0].encoder_kwargs == {"channels": 32, "channels2": 128}
    chosen = experiment_runs(
        [EXPERIMENTS["encoder_impact"], EXPERIMENTS["noniid"]], "quick", wide, runs="convnet-*"
    )
    assert {s.encoder for s in chosen} == {"convnet"} and len(chosen) == 4
    with pytest.raises(ValueError, match="encoder 'mlp' got unknown arguments"):
        experiment_specs("encoder_impact", "quick", wide)


def test_every_paper_spec_round_trips_through_json():
    from mirl.runtime.kinds import spec_from_dict, spec_to_dict

    for spec in paper_specs().values():
        assert spec_from_dict(spec_to_dict(spec)) == spec
    with pytest.raises(ValueError, match=r"unknown fields \['colour'\]"):
        spec_from_dict({**spec_to_dict(spec), "colour": "red"})
