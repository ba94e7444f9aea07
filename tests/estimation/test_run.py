"""``mirl estimate`` and ``mirl tasks``: stored runs that load, resume and refuse mixing."""

import json

import pytest

from mirl.cli import main
from mirl.estimation import EstimateSpec
from mirl.results import load
from mirl.results.store import ResultStore

TINY = {"hidden": 8, "layers": 1}
SETTINGS = {"critic_kwargs": TINY, "steps": 20, "evals": 2, "heldout_size": 128}


def estimate(out, *extra: str, seeds: int = 2) -> int:
    args = ["estimate", "--task", "staircase-2,staircase", "--bound", "infonce,nwj"]
    args += ["--seeds", str(seeds), "--steps", "20", "--evals", "2", "--heldout-size", "128"]
    args += ["--set", f"critic_kwargs={json.dumps(TINY)}", "--device", "cpu", "--quiet"]
    return main([*args, "--out", str(out), *extra])


def test_estimate_stores_a_tidy_table_that_resumes(tmp_path, capsys):
    assert estimate(tmp_path) == 0
    out = capsys.readouterr().out
    assert "trained 8 seed runs" in out and "held-out estimate at the end of each level" in out
    frame = load(tmp_path)
    assert set(frame.name) == {
        f"{task}-concat-{bound}"
        for task in ("staircase-2", "staircase")
        for bound in ("infonce", "nwj")
    }
    assert {"task", "true_mi", "estimate", "train_bound", "bound", "critic"} <= set(frame)
    assert len(frame) == 4 * 2 * 2  # runs x seeds x evaluations
    # The staircase's 20 steps give each level 4; the evaluations after steps 10 and 20
    # are of the levels of steps 9 and 19: 6 and 10 nats.
    staircase = frame[frame.task == "staircase"]
    assert sorted(staircase.true_mi.unique()) == pytest.approx([6.0, 10.0])
    assert frame[frame.task == "staircase-2"].true_mi.to_numpy() == pytest.approx(2.0)

    store = ResultStore(tmp_path)
    first = store.path(EstimateSpec("staircase-2", "nwj", **SETTINGS), 0).read_bytes()
    assert estimate(tmp_path, seeds=3) == 0
    assert "trained 4 seed runs, skipped 8 already done" in capsys.readouterr().out
    assert store.path(EstimateSpec("staircase-2", "nwj", **SETTINGS), 0).read_bytes() == first
    assert len(load(tmp_path)) == 4 * 3 * 2

    # Other settings in the same directory are refused rather than mixed.
    with pytest.raises(SystemExit, match=r"other settings .*lr: stored 0\.0005, asked 0\.001"):
        estimate(tmp_path, "--lr", "1e-3")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--task", "nope", "--bound", "nwj"], "unknown task 'nope'; valid names: 1v1-additive"),
        (["--task", "staircase", "--bound", "nope"], "unknown bound 'nope'; valid names: dv"),
        (["--task", "staircase", "--bound", "nwj", "--critic", "x"], "unknown critic 'x'"),
        (
            [
                "--task",
                "bivariate-normal",
                "--bound",
                "nwj",
                "--set",
                'task_kwargs={"correlation": 1}',
            ],
            r"correlation must lie in \(-1, 1\), got 1",
        ),
        (
            ["--task", "staircase", "--bound", "nwj", "--set", "colour=red"],
            r"no setting \['colour'\]",
        ),
        (["--task", "staircase", "--bound", "nwj", "--set", "task=x"], r"no setting \['task'\]"),
    ],
)
def test_bad_requests_fail_in_one_line_before_training(tmp_path, args, message):
    with pytest.raises(SystemExit, match=message) as err:
        main(["estimate", *args, "--out", str(tmp_path / "out"), "--device", "cpu"])
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


def test_tasks_lists_every_task_with_dimensions_and_true_mi(capsys):
    assert main(["tasks"]) == 0
    out = capsys.readouterr().out
    assert "staircase-10                                         20    20   10.0000" in out
    assert "paper-fig4c" in out and "0.0204" in out
    assert "cubic-staircase: levels=(2.0, 4.0, 6.0, 8.0, 10.0), dim=20" in out
    assert "bivariate-normal: correlation=0.75" in out
