"""What ``mirl import-colab`` prints."""

from __future__ import annotations

import pickle

from mirl.colab import cli_import_colab


def test_cli_prints_a_summary(colab_files, tmp_path, capsys):
    assert cli_import_colab(list(colab_files.values()), tmp_path) == 0
    out = capsys.readouterr().out
    assert "restricted unpickler" in out
    assert "result frame: 30 rows" in out
    assert "critic_impact: 12 rows" in out and "encoder_impact: 12 rows" in out
    assert "infonce: 3 evaluations x 8 samples" in out
    assert "non-iid bound traces: 50 steps each; true MI 0.1250" in out


def test_cli_reports_a_refusal(tmp_path, shell, capsys):
    evil = tmp_path / "mi_results.pkl"
    evil.write_bytes(pickle.dumps(shell("true")))
    assert cli_import_colab([evil], tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert err.startswith("mirl: mi_results.pkl: refused to unpickle") and "--trust" in err
