import os
import subprocess
import sys

import pytest

from mirl.cli import main
from mirl.results import load


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
    frame = load(tmp_path)
    assert set(frame.name) == {
        f"{e}-bilinear-{b}-t{t}"
        for e in ("convnet", "mlp")
        for b in ("infonce", "nwj")
        for t in (2, 4)
    }
    assert frame.accuracy.between(0, 1).all()
    assert (frame.bound_value <= 0).all()  # -|I - t|
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
        (["reproduce", "--experiments", "invertible,fig9"], r"unknown experiments \['fig9'\]"),
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
