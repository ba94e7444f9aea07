"""The pixel baseline: the linear probe on the noisy top-half pixels themselves.

The paper compares every encoder with it (about 0.835 on MNIST). ``DIR/baseline.json`` holds
it for a results directory; this module is the one place that computes, writes and reads
that file, which records the data set it was computed on, so that results on other data
never show it.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from mirl._files import atomic_write
from mirl.data.views import ImageData, split_views
from mirl.probe import start_probe
from mirl.runtime.streams import derive_seed

BASELINE_FILE = "baseline.json"
NOISE_STD = 0.05
"""The noise of the paper's noisy views (Sections 3.2-3.3)."""


def pixel_baseline(
    data: ImageData, noise_std: float = NOISE_STD, probe: str = "sklearn", seed: int = 0
) -> float:
    """The probe on the raw top-half pixels, with Gaussian noise of ``noise_std`` added to
    train and test images: the reference the paper's encoders are compared with (~0.835)."""
    generator = torch.Generator(device=data.device).manual_seed(derive_seed(seed, "baseline"))
    train_top, test_top = split_views(data.train_x)[0], split_views(data.test_x)[0]

    def noisy(x: Tensor) -> Tensor:
        return x + noise_std * torch.randn(x.shape, generator=generator, device=x.device)

    accuracy = start_probe(
        probe, noisy(train_top)[None], data.train_y, noisy(test_top)[None], data.test_y, [seed]
    )
    return float(accuracy.result()[0])


def read_baseline(root: str | os.PathLike) -> dict[str, Any] | None:
    """``DIR/baseline.json``: ``{"accuracy", "noise_std", "probe", "data"}``, or None if it
    is absent or unreadable (with a warning naming the problem)."""
    path = Path(root) / BASELINE_FILE
    if not path.exists():
        return None
    try:
        baseline = json.loads(path.read_text())
        baseline["accuracy"] = float(baseline["accuracy"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        warnings.warn(f"ignoring unreadable {path}: {err}", stacklevel=2)
        return None
    return baseline


def ensure_baseline(root: str | os.PathLike, data: ImageData) -> dict[str, Any]:
    """The baseline of ``data`` for ``DIR``: read from ``DIR/baseline.json`` if that file was
    computed on the same data with the paper's setting, else computed (saga) and written."""
    stored = read_baseline(root)
    wanted = {"noise_std": NOISE_STD, "probe": "sklearn", "data": data.identity}
    if stored is not None and all(stored.get(k) == v for k, v in wanted.items()):
        return stored
    baseline = {"accuracy": pixel_baseline(data, NOISE_STD, "sklearn"), **wanted}
    atomic_write(Path(root) / BASELINE_FILE, json.dumps(baseline, indent=1).encode())
    return baseline
