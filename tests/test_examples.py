"""The example of ``examples/``, run as a researcher runs their own experiment: one file
outside the package, loaded by ``mirl run FILE:NAME``, with the paper's machinery. Every
command runs in a new process, so this one's registries stay mirl's alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[1] / "examples" / "own_critic_and_encoder.py"
MIRL = [sys.executable, "-m", "mirl.cli"]


def mirl(*args: str) -> subprocess.CompletedProcess:
    """The ``mirl`` command in a new process (nothing loaded beforehand)."""
    return subprocess.run([*MIRL, *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """The example's experiment at the smoke profile, in two worker processes (which load
    the file themselves), then run again: resumed, nothing trained twice."""
    out = tmp_path_factory.mktemp("own")
    args = ["run", f"{EXAMPLE}:own_critic_encoder", "--profile", "smoke", "--data", "synthetic"]
    first = mirl(*args, "--jobs", "2", "--quiet", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert "trained 8 seed runs" in first.stdout
    again = mirl(*args, "--quiet", "--out", str(out))
    assert "trained 0 seed runs, skipped 8 already done" in again.stdout, again.stderr
    return out


def test_one_s_own_experiment_trains_with_one_s_own_critic_and_encoder(trained):
    records = [json.loads(p.read_text())["record"] for p in trained.rglob("seed-*.json")]
    assert {r["name"] for r in records} == {
        f"{e}-{c}-infonce" for e in ("mlp", "rows") for c in ("bilinear", "cosine")
    }
    assert all(r["status"] == "ok" and r["meta"]["sources"] == [str(EXAMPLE)] for r in records)
    rows = [row for r in records for row in r["rows"]]
    assert all(
        0 <= row["accuracy"] <= 1 and row["colab_bound"] == row["colab_bound"] for row in rows
    )


def test_its_report_has_its_figures_and_claims(trained):
    result = mirl("report", str(trained), "--load", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    page = (trained / "report.html").read_text(encoding="utf-8")
    assert "own_critic_encoder_accuracy" in page and "own_critic_encoder_bound" in page
    assert "the cosine critic gives better features than the bilinear one" in page
    assert sorted(p.name for p in (trained / "figures").glob("*.png")) == [
        "own_critic_encoder_accuracy.png",
        "own_critic_encoder_bound.png",
    ]


def test_without_its_file_a_report_says_which_file_to_load(trained, tmp_path):
    result = mirl("plot", str(trained))
    assert result.returncode == 0
    assert "unknown encoder 'rows'" in result.stderr and "pass --load" in result.stderr
    assert str(EXAMPLE) in result.stderr
    assert list(trained.rglob("*.corrupt-*")) == []  # read as foreign, never set aside


def test_mirl_check_walks_the_entries_it_registers():
    result = mirl("check", str(EXAMPLE))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[:3] == [
        "critic 'cosine': ok",
        "encoder 'rows': ok",
        "experiment 'own_critic_encoder': ok",
    ]
    assert "3 of 3 entries provide what mirl needs" in result.stdout


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nowhere.py:x", "no such file 'nowhere.py'"),
        (f"{EXAMPLE}:nothing", "unknown experiment 'nothing'"),
        ("no_such_module:x", "no module named 'no_such_module'"),
    ],
)
def test_a_wrong_reference_to_one_s_own_experiment_is_one_line(ref, message):
    result = mirl("run", ref, "--profile", "smoke", "--data", "synthetic", "--out", "/nonexistent")
    assert result.returncode == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
