"""mirl: mutual-information maximization for representation learning, in PyTorch.

The library, usable in any training loop, is what this package re-exports: MI lower
bounds as pure functions of a score matrix (``infonce``, ``nwj``, ...), the objectives that
turn a bound into a loss, critics and encoders as ``nn.Module``s, seed stacking
(``stack``/``unstack``: K seeds of a module trained as one), linear probes and ground-truth
tasks. The layers below it, each importing only from the ones above:

- ``mirl.data``: MNIST (fetched and verified), its two views, a synthetic stand-in;
- ``mirl.runtime``: run-spec validation, the kinds of run and ``train``, seeded streams,
  the one training loop and its seed groups, a critic trained alone on pairs, CUDA-graph
  capture, encoding and Jacobian spectra, devices and CPU threads, one's own files;
- ``mirl.paper``: the paper's kinds of run (two-view, adversarial), its names and pixel
  baseline; beside it ``mirl.estimation``: estimators trained on tasks of known MI;
- ``mirl.results``: the verified result store, the tidy table (``mirl.results.load``),
  sweeps that resume, and the backends that train them (here, worker processes, Ray);
- ``mirl.colab`` (the Colab's results) and ``mirl.figures`` (kinds of figure, claims);
- ``mirl.experiments``: experiments as declarations (the paper's six, one's own), profiles;
- ``mirl.report`` (figures, report.html), ``mirl.bench`` (``mirl bench``), and at the bottom
  ``mirl.api`` (the command's work as Python functions) and ``mirl.cli`` (the ``mirl``
  command).

``mirl.run``, ``mirl.reproduce`` and ``mirl.estimate`` are ``mirl.api``'s, imported on first
use: ``import mirl`` loads the library alone.
"""

import os as _os
import sys as _sys

if "torch" not in _sys.modules:  # see mirl.runtime.devices: OpenMP threads sleep, not spin
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from mirl.bounds import BOUNDS, dv, infonce, interpolated, js, nwj, smile, tuba
from mirl.critics import (
    CRITICS,
    Bilinear,
    Concat,
    InnerProduct,
    Separable,
    build_critic,
)
from mirl.encoders import ENCODERS, MLP, ConvNet, build_encoder
from mirl.flows import RealNVP
from mirl.layers import Conv2d, Dense
from mirl.objectives import OBJECTIVES, maximize, target
from mirl.probe import sklearn_probe, torch_probe
from mirl.seeds import Stackable, stack, unstack
from mirl.tasks import TASKS, get_task

__version__ = "0.2.0"

_API = ("run", "reproduce", "estimate")
"""``mirl.api``'s entry points, given as attributes of the package on first use."""


def __getattr__(name: str):
    if name in _API or name == "api":
        import mirl.api

        return mirl.api if name == "api" else getattr(mirl.api, name)
    raise AttributeError(f"module 'mirl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API, "api"})


__all__ = [
    "BOUNDS",
    "CRITICS",
    "ENCODERS",
    "MLP",
    "OBJECTIVES",
    "TASKS",
    "Bilinear",
    "Concat",
    "Conv2d",
    "ConvNet",
    "Dense",
    "InnerProduct",
    "RealNVP",
    "Separable",
    "Stackable",
    "build_critic",
    "build_encoder",
    "dv",
    "get_task",
    "infonce",
    "interpolated",
    "js",
    "maximize",
    "nwj",
    "sklearn_probe",
    "smile",
    "stack",
    "target",
    "torch_probe",
    "tuba",
    "unstack",
]
