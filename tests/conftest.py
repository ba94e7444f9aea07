"""Shared fixtures. Tests marked ``slow`` (real training to ground truth, the real MNIST
download) run only with ``--slow``; the README's test command passes it."""

from __future__ import annotations

import json
import os
from pathlib import Path

# Before torch starts OpenMP: its threads sleep rather than spin while they wait, so the
# suite does not crawl on a machine with other work on it (see mirl.runtime.devices).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest
import torch

from mirl.data import ImageData, synthetic_mnist


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _two_threads():
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def data() -> ImageData:
    """The synthetic MNIST stand-in on the CPU (no download)."""
    return ImageData.from_mnist(synthetic_mnist())


SMOKE_BASELINE = 0.8351


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory) -> Path:
    """The paper's experiments trained at smoke scale on the synthetic digits, plus a
    baseline: a results directory the figure and report tests read."""
    from mirl.cli import main
    from mirl.experiments.paper import PAPER

    out = tmp_path_factory.mktemp("smoke")
    for experiment in PAPER:
        args = ["run", experiment.name, "--profile", "smoke", "--data", "synthetic"]
        assert main([*args, "--out", str(out), "--quiet"]) == 0
    baseline = {"accuracy": SMOKE_BASELINE, "data": "synthetic"}
    (out / "baseline.json").write_text(json.dumps(baseline))
    return out
