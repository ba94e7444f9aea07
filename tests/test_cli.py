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
