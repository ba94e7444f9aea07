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
