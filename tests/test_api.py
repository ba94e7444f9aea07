"""The Python API (``mirl.api``, ``mirl.run``): the command's work from a notebook, at smoke
scale on the synthetic digits, and live metrics read back with TensorBoard's reader."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

import mirl
from mirl import api
from mirl.cli import main
from mirl.experiments import EXPERIMENTS
from mirl.results import load

SMOKE = {"profile": "smoke", "data": "synthetic", "jobs": 1, "progress": False}


@pytest.fixture(scope="module")
def critic_impact(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """critic_impact's six runs at smoke scale, one seed, through ``mirl.run``."""
    out = tmp_path_factory.mktemp("api")
    return out, mirl.run("critic_impact", seeds=1, out=out, **SMOKE)


def test_run_returns_the_tidy_table_of_its_runs_and_resumes(critic_impact):
    out, frame = critic_impact
    pd.testing.assert_frame_equal(frame, load(out, "critic_impact"))
    assert set(frame.name) == {
        f"mlp-{c}-{b}" for c in ("bilinear", "concat", "separable") for b in ("infonce", "nwj")
    }
    assert frame.accuracy.between(0, 1).all()
    again = mirl.run("critic_impact", seeds=1, out=out, runs="*-nwj", **SMOKE)
    assert set(again.name) == {f"mlp-{c}-nwj" for c in ("bilinear", "concat", "separable")}
    nwj = frame[frame.name.str.endswith("-nwj")].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, nwj)  # the stored rows: nothing trained again


def test_figures_are_matplotlib_figures_of_a_directory_or_a_table(critic_impact):
    out, frame = critic_impact
    stems = [f.stem for f in EXPERIMENTS["critic_impact"].figures]
    drawn = api.figures(out)
    assert list(drawn) == stems
    assert all(isinstance(f, Figure) and f.axes[0].lines for f in drawn.values())
    assert list(api.figures(frame)) == stems
    assert api.figures(out, experiment="noniid") == {}


def test_claims_are_a_table_with_the_numbers_that_decide_them(critic_impact):
    out, frame = critic_impact
    claims = api.claims(out)
    assert list(claims.columns) == ["experiment", "figure", "claim", "shown", "evidence"]
    assert len(claims) == 3 and set(claims.figure) == {"Fig. 3"}
    assert claims.evidence.str.contains("Bilinear").all()
    pd.testing.assert_frame_equal(api.claims(frame), claims)


def test_reproduce_writes_the_baseline_figures_and_report(tmp_path):
    frame = mirl.reproduce(["adversarial"], seeds=1, out=tmp_path, steps=4, **SMOKE)
    assert set(frame.experiment) == {"adversarial"} and frame.step.max() <= 4
    assert (tmp_path / "baseline.json").exists() and (tmp_path / "report.html").exists()
    assert list((tmp_path / "figures").glob("*.png"))


def test_estimate_trains_estimators_on_known_mi(tmp_path):
    settings = {"critic_kwargs": {"hidden": 8, "layers": 1}, "heldout_size": 128}
    frame = mirl.estimate(
        "staircase-2",
        "infonce,nwj",
        seeds=2,
        steps=20,
        evals=2,
        settings=settings,
        out=tmp_path,
        device="cpu",
        progress=False,
    )
    assert set(frame.name) == {"staircase-2-concat-infonce", "staircase-2-concat-nwj"}
    assert frame.true_mi.to_numpy() == pytest.approx(2.0) and frame.estimate.notna().all()
    assert len(frame) == 2 * 2 * 2  # runs x seeds x evaluations


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda out: mirl.run("fig9", out=out, **SMOKE), "unknown experiment 'fig9'"),
        (lambda out: mirl.run("noniid", out=out, device="banana", **SMOKE), "unknown device"),
        (lambda out: mirl.run("noniid", out=out, runs="x*", **SMOKE), "no run of noniid"),
        (lambda out: mirl.run("noniid", out=out, seeds=0, **SMOKE), "seeds must be at least 1"),
        (lambda out: mirl.run("noniid", out=out, settings={"colour": 1}, **SMOKE), "no setting"),
        (
            lambda out: mirl.run("noniid", out=out, lr=0.1, settings={"lr": 0.2}, **SMOKE),
            r"lr is given twice, as lr=0.1 and in settings as 0.2",
        ),
        (lambda out: mirl.estimate("staircase", "nwj", out=out, experiment="noniid"), "Fig. 4c"),
    ],
)
def test_mistakes_are_value_errors_before_anything_is_written(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def event_scalars(directory: Path) -> dict[str, list[int]]:
    """tag -> the steps written, from the event files in ``directory``."""
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    events = accumulator.EventAccumulator(str(directory))
    events.Reload()
    return {tag: [e.step for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_tensorboard_gets_every_evaluation_of_every_run_and_seed(tmp_path):
    logs = tmp_path / "tb"
    frame = mirl.run(
        "non_invertible", seeds=2, out=tmp_path / "out", tensorboard=logs, runs="*-nwj", **SMOKE
    )
    (name,) = set(frame.name)
    assert sorted(p.name for p in (logs / "non_invertible" / name).iterdir()) == [
        "seed-0",
        "seed-1",
    ]
    tags = event_scalars(logs / "non_invertible" / name / "seed-1")
    steps = sorted(frame[frame.seed == 1].step)
    for column in ("accuracy", "colab_bound", "test_bound"):
        assert tags[column] == steps
    assert tags["log_condition_number/p50"] == steps


@pytest.mark.slow
def test_the_command_line_writes_them_from_worker_processes(tmp_path):
    logs = tmp_path / "tb"
    args = ["run", "noniid", "--profile", "smoke", "--data", "synthetic", "--seeds", "1"]
    assert main([*args, "--jobs", "2", "--tensorboard", str(logs), "--out", str(tmp_path)]) == 0
    frame = load(tmp_path)
    for name in set(frame.name):
        tags = event_scalars(logs / "noniid" / name / "seed-0")
        assert tags["train_bound"] == sorted(frame[frame.name == name].step)
