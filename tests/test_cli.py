import os
import re
import signal
import subprocess
import sys
import time

import pytest

from mirl.cli import main
from mirl.results import load
from mirl.results.store import ResultStore


def test_list_names_every_experiment_and_figure(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name, figure in [
        ("invertible", "Fig. 1a"),
        ("adversarial", "Fig. 1c"),
        ("non_invertible", "Fig. 2a"),
        ("critic_impact", "Fig. 3"),
        ("encoder_impact", "Fig. 4a"),
        ("noniid", "Fig. 4c"),
    ]:
        assert name in out and figure in out


def test_run_writes_tidy_rows(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                "encoder_impact",
                "--profile",
                "smoke",
                "--data",
                "synthetic",
                "--seeds",
                "1",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    frame = load(tmp_path, colab_columns=True)
    assert set(frame.name) == {
        f"{e}-bilinear-{b}-t{t}"
        for e in ("convnet", "mlp")
        for b in ("infonce", "nwj")
        for t in (2, 4)
    }
    assert frame.accuracy.between(0, 1).all()
    assert (frame.bound_value <= 0).all()  # the Colab's column: -|I - t|
    assert "results in" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "fig9"], "unknown experiment 'fig9'"),
        (["run", "noniid", "--set", "colour=red"], r"no setting \['colour'\]"),
        (["run", "noniid", "--set", "steps"], "--set expects FIELD=VALUE"),
        (["run", "noniid", "--steps", "-3"], "steps must be a positive integer"),
        (["run", "noniid", "--seeds", "0"], "--seeds must be at least 1"),
        (["run", "noniid", "--group-size", "0"], "group size must be at least 1"),
        (["reproduce", "--experiments", "invertible,fig9"], "unknown experiment 'fig9'"),
    ],
)
def test_bad_input_gets_a_clear_error(args, message, tmp_path):
    with pytest.raises(SystemExit, match=message):
        main([*args, "--out", str(tmp_path)] if args[0] != "list" else args)


def test_unknown_profile_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["run", "noniid", "--profile", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "plot"])
def test_report_and_plot_refuse_a_missing_dir_and_create_nothing(command, tmp_path):
    missing = tmp_path / "missing"
    with pytest.raises(
        SystemExit, match=r"^mirl: no results directory .*missing.* does not exist$"
    ):
        main([command, f"{missing}/"])
    assert not missing.exists()


@pytest.mark.parametrize("command", ["report", "plot"])
def test_report_and_plot_refuse_a_file_in_one_line(command, tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("a,b\n")
    with pytest.raises(
        SystemExit, match=r"^mirl: .*results\.csv' is a file, not a results directory$"
    ):
        main([command, str(path)])
    assert path.read_text() == "a,b\n"


def test_plot_of_an_empty_dir_says_it_drew_nothing(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"mirl: no figures drawn: {tmp_path} holds no finished results\n"


def test_a_missing_report_dir_is_one_line_on_stderr_and_a_nonzero_exit(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mirl.cli", "report", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("mirl: no results directory")
    assert not (tmp_path / "missing").exists()


RUN_SMOKE = ["run", "critic_impact", "--profile", "smoke", "--data", "synthetic", "--seeds", "1"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "experiment=../../escaped"], "experiment must be a name of letters"),
        (["--set", "jacobian=False"], "jacobian must be true or false, got 'False'"),
        (["--set", "jacobian=yes"], "jacobian must be true or false, got 'yes'"),
        (["--set", "encoder_kwargs=abc"], "--set encoder_kwargs expects a JSON object"),
        (["--set", "target=nan"], "target must be a number or None, got 'nan'"),
        (["--set", "lr=Infinity"], "lr must be a number, got 'Infinity'"),
        (["--set", 'encoder_kwargs={"widths": [0]}'], "positive dimensions"),
        (
            ["--set", 'encoder_kwargs={"shortcuts": "False"}'],
            "encoder_kwargs: shortcuts must be true or false, got 'False'",
        ),
        (
            ["--set", 'encoder_kwargs={"widths": [1.5]}'],
            r"encoder_kwargs: widths must be a list of integers, got \[1.5\]",
        ),
        (["--device", "banana"], r"unknown --device 'banana'; use auto, cpu, cuda or cuda:N"),
        (["--device", "meta"], "unknown --device 'meta'"),
        (["--batch-size", "500"], r"batch_size 500 is larger than the test set of synthetic \(400"),
        (["--batch-size", "5000"], "batch_size 5000 is larger than the train set"),
        (["--address", "auto"], "--address is a Ray cluster's address: add --backend ray"),
        (["--max-retries", "-1"], "--max-retries must be 0 or more"),
        (["--group-size", "0"], "group size must be at least 1"),
    ],
)
def test_user_mistakes_are_one_line_errors_before_any_training(extra, message, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as refusal:
        main([*RUN_SMOKE, *extra, "--out", str(out), "--quiet"])
    text = str(refusal.value.code)
    assert text.startswith("mirl: ") and "\n" not in text
    assert re.search(message, text), text
    assert not out.exists()  # nothing written, not even the folder
    assert not (tmp_path.parent / "escaped").exists()


@pytest.mark.parametrize(
    ("experiments", "message"),
    [
        ("", "--experiments is empty"),
        (",", "--experiments is empty"),
        ("noniid,,invertible", "has an empty name"),
        ("invertible,fig9", "unknown experiment 'fig9'"),
    ],
)
def test_reproduce_refuses_an_empty_or_odd_experiment_list(experiments, message, tmp_path):
    with pytest.raises(SystemExit, match=message):
        main(["reproduce", "--experiments", experiments, "--out", str(tmp_path / "o")])
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--device", "banana"], "unknown --device 'banana'"),
        (["--noise", "nan"], "--noise must be a number >= 0"),
        (["--noise", "-1"], "--noise must be a number >= 0"),
    ],
)
def test_baseline_mistakes_are_one_line_errors(args, message):
    with pytest.raises(SystemExit, match=f"^mirl: {message}"):
        main(["baseline", "--data", "synthetic", *args])


def test_a_missing_cuda_device_is_named(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(SystemExit, match=r"^mirl: --device cuda asked for, but torch sees no"):
        main([*RUN_SMOKE, "--device", "cuda:1", "--out", str(tmp_path)])


def cli(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "mirl.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        **kwargs,
    )


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_sweep_says_how_to_resume_in_one_line(tmp_path, signum, code):
    out = tmp_path / "out"
    args = [*RUN_SMOKE, "--seeds", "2", "--group-size", "1"]
    proc = cli(*args, "--out", str(out), "--device", "cpu", "--quiet")
    deadline = time.monotonic() + 120
    while not list(out.rglob("seed-*.json")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    stored = len(list(out.rglob("seed-*.json")))
    assert stderr == (
        f"mirl: interrupted: {stored} seed{'s' if stored != 1 else ''} stored; "
        "rerun the same command to resume\n"
    )
    assert stdout == "" and not (out / ".mirl.lock").exists()
    _, corrupt = ResultStore(out).scan()
    assert corrupt == [] and not list(out.rglob("*.tmp"))


def test_warnings_are_printed_without_python_file_and_line(tmp_path):
    pytest.importorskip("matplotlib")
    run = tmp_path / "runs" / "noniid" / "iid-nwj"
    run.mkdir(parents=True)
    (run / "seed-0.json").write_text("{not json")
    proc = cli("plot", str(tmp_path))
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert "mirl: warning: skipping corrupt record: " in stderr
    assert ".py:" not in stderr and "warnings.warn" not in stderr


def test_off_a_terminal_a_progress_line_comes_while_a_run_trains(tmp_path, monkeypatch, capsys):
    from mirl.results import progress

    monkeypatch.setattr(progress, "INTERVAL", 0.0)  # a line at every step
    args = ["run", "noniid", "--profile", "smoke", "--seeds", "1", "--steps", "4"]
    assert main([*args, "--set", "evals=2", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "steps/s" in line]
    assert lines, err
    pattern = r"run 1/4 noniid/\S+ seeds 0: step 1/4; sweep 1/16 steps"
    assert any(re.search(pattern, line) for line in lines), lines
    assert all("ETA" in line for line in lines)


# --- The bad inputs of issue 17: each one line, before anything is written ---------------


def refusal(args: list[str]) -> str:
    """The one-line message ``mirl ARGS`` exits with."""
    with pytest.raises(SystemExit) as refused:
        main(args)
    text = str(refused.value.code)
    assert text.startswith("mirl: ") and "\n" not in text, text
    return text


ESTIMATE = ["estimate", "--task", "bivariate-normal", "--bound", "infonce", "--seeds", "1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [*ESTIMATE, "--experiment", "noniid"],
            "experiment noniid is the name of a registered experiment",
        ),
        ([*RUN_SMOKE, "--set", "experiment=noniid"], "experiment=noniid is the name of a regist"),
        ([*RUN_SMOKE, "--steps", "50", "--set", "steps=100"], "steps is given twice, as --steps"),
        ([*ESTIMATE, "--batch-size", "8", "--set", "batch_size=16"], "batch_size is given twice"),
        ([*RUN_SMOKE, "--set", "lr=0.1", "--set", "lr=0.2"], "--set lr is given twice"),
        ([*RUN_SMOKE, "--set", "x=" + "[" * 100_000], "--set x: its value nests lists and obj"),
        ([*RUN_SMOKE, "--set", "lr=" + "[" * 17 + "]" * 17], "more than 16 deep"),
        ([*RUN_SMOKE, "--steps", str(10**12)], "steps must be at most 100,000,000"),
        ([*ESTIMATE, "--steps", "1000000", "--evals", "1000000"], "evals must be at most 100,000"),
    ],
)
def test_names_settings_and_values_that_cannot_work_are_refused(args, message, tmp_path):
    out = tmp_path / "out"
    assert message in refusal([*args, "--out", str(out)])
    assert not out.exists()


def test_a_run_may_keep_its_own_experiment_s_name():
    from argparse import Namespace

    from mirl.cli.paper import EXPERIMENT_OVERRIDES, _overrides

    args = Namespace(set=["experiment=noniid"], **dict.fromkeys(EXPERIMENT_OVERRIDES))
    assert _overrides(args, [Namespace(name="noniid")]) == {"experiment": "noniid"}


def test_report_and_plot_go_past_a_foreign_run_stored_under_a_paper_experiment(tmp_path):
    """Estimates stored under ``noniid`` (as ``mirl estimate --experiment noniid`` did, and the
    Python API still may) and under ``critic_impact``, beside real noniid runs: the report
    and the figures are made, and never crash on the whole directory."""
    pytest.importorskip("matplotlib")
    from mirl.estimation import EstimateSpec
    from mirl.results import Sweep, writing

    noniid = ["run", "noniid", "--profile", "smoke", "--data", "synthetic", "--seeds", "1"]
    assert main([*noniid, "--out", str(tmp_path), "--quiet"]) == 0
    tiny = {"steps": 4, "evals": 2, "heldout_size": 16, "batch_size": 8}
    foreign = [
        EstimateSpec(
            "bivariate-normal", "nwj", experiment=name, critic_kwargs={"hidden": 4}, **tiny
        )
        for name in ("noniid", "critic_impact")
    ]
    with writing(tmp_path, "test"):
        assert Sweep(foreign, [0], tmp_path).run("cpu", jobs=1, quiet=True).ok
    assert main(["report", str(tmp_path)]) == 0
    assert main(["plot", str(tmp_path)]) == 0
    assert (tmp_path / "report.html").exists()


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("MIRL_THREADS", "MIRL_THREADS must be a positive integer, got 'abc'"),
        ("MIRL_PROBE_WORKERS", "MIRL_PROBE_WORKERS must be an integer >= 0, got 'abc'"),
    ],
)
def test_a_bad_environment_variable_is_named_once_before_any_worker_starts(
    variable, message, tmp_path, monkeypatch
):
    monkeypatch.setenv(variable, "abc")
    out = tmp_path / "out"
    args = [*RUN_SMOKE, "--seeds", "2", "--group-size", "1", "--jobs", "2", "--out", str(out)]
    assert refusal(args) == f"mirl: the environment variable {message}"
    assert not out.exists()


@pytest.mark.parametrize(
    ("task", "settings", "message"),
    [
        ("multinormal-dense", ['task_kwargs={"dim_x": 100000000, "dim_y": 2}'], "dim_x=100000000"),
        ("staircase", ['task_kwargs={"dim": 10000000}'], r"dim=10000000 \(a 20000000 x 20000000"),
        ("bivariate-normal", ["batch_size=100000", "heldout_size=100000"], "for batch_size and"),
        ("bivariate-normal", ["heldout_size=1000000000"], "for heldout_size: the held-out pairs"),
        ("bivariate-normal", ['critic_kwargs={"hidden": 10000000}'], "for critic_kwargs: the cr"),
    ],
)
def test_estimates_too_large_for_memory_are_refused_naming_the_setting(
    task, settings, message, tmp_path
):
    args = ["estimate", "--task", task, "--bound", "infonce", "--seeds", "8"]
    out = tmp_path / "out"
    text = refusal([*args, *(a for s in settings for a in ("--set", s)), "--out", str(out)])
    assert re.search(message, text), text
    assert re.search(
        r"needs about [\d,.]+ GB of memory.*; this machine has [\d,.]+ GB availa", text
    )
    assert not out.exists()


def test_the_memory_a_group_needs_is_checked_against_what_the_machine_has(monkeypatch):
    """``--steps 99999999`` is a valid setting, whose training bound of every step takes
    3.2 GB for 8 seeds: refused on a machine with 1 GB, by name."""
    import mirl._memory

    monkeypatch.setattr(mirl._memory, "available_memory", lambda device="cpu": 10**9)
    text = refusal([*ESTIMATE, "--seeds", "8", "--steps", "99999999"])
    assert text.endswith(
        "8 seeds at once, needs about 3.5 GB of memory (3.2 GB for steps: every step's training "
        "bound); this machine has 1.0 GB available"
    )


def test_two_view_runs_too_large_for_memory_are_refused_before_anything_is_written(tmp_path):
    # 3e6 x 392 weights per encoder and its gradient and Adam's moments: 75 GB for 2 seeds.
    out = tmp_path / "out"
    run = ["run", "critic_impact", "--runs", "mlp-bilinear-nwj", "--data", "synthetic"]
    text = refusal([*run, "--set", 'encoder_kwargs={"widths": [3000000, 100]}', "--out", str(out)])
    assert text.startswith("mirl: critic_impact/mlp-bilinear-nwj, 2 seeds at once, needs about")
    assert "GB for encoder_kwargs and critic_kwargs: the networks and Adam's state" in text
    assert "this machine has" in text and not out.exists()


def test_a_task_whose_covariance_does_not_fit_is_refused_before_it_is_built(monkeypatch):
    import mirl._memory
    from mirl.tasks import multinormal_dense

    monkeypatch.setattr(mirl._memory, "available_memory", lambda device="cpu": 10**9)
    with pytest.raises(ValueError, match=r"dim_x=20000, dim_y=2 \(a 20002 x 20002 covariance\) "):
        multinormal_dense(20000, 2)  # 25.6 GB: the kernel killed it


@pytest.mark.parametrize("command", ["run", "estimate", "reproduce", "report", "plot", "bench"])
def test_an_over_long_output_name_is_one_line_before_anything_is_written(command, tmp_path):
    long = tmp_path / ("a" * 300) / "out"
    args = {
        "run": [*RUN_SMOKE, "--out", str(long)],
        "estimate": [*ESTIMATE, "--out", str(long)],
        "reproduce": ["reproduce", "--profile", "smoke", "--data", "synthetic", "--out", str(long)],
        "report": ["report", str(long)],
        "plot": ["plot", str(long)],
        "bench": ["bench", "--busy", "--out", str(long)],
    }[command]
    text = refusal(args)
    assert re.search(
        r"has a name of 300 bytes, 'a+\.\.\.a+'; this file system allows at most", text
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["reproduce", "report"])
def test_a_report_directory_whose_name_is_not_utf8_is_one_line(command, tmp_path):
    odd = os.path.join(os.fsdecode(tmp_path), os.fsdecode(b"results-\xff"))
    args = ["reproduce", "--profile", "smoke", "--data", "synthetic", "--out", odd]
    text = refusal(args if command == "reproduce" else ["report", odd])
    assert text.endswith(
        "results-\\xff' is not UTF-8 text, which report.html names its directory in; "
        "use a UTF-8 name"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_estimate_whose_seeds_all_failed_says_so_without_a_traceback(tmp_path, capsys):
    args = [*ESTIMATE, "--bound", "nwj", "--lr", "1e9", "--steps", "200", "--evals", "2"]
    assert main([*args, "--set", "heldout_size=64", "--out", str(tmp_path), "--quiet"]) == 1
    assert "trained 0 seed runs, skipped 0 already done, 1 failed" in capsys.readouterr().out
