"""Live metrics: every evaluation's scalars written for TensorBoard as training produces them.

A sweep run with ``tensorboard=DIR`` (``mirl run ... --tensorboard DIR``) hands each job a
``LiveMetrics`` as the training loop's ``on_evaluation`` callback (``mirl.runtime.loop``):
the values of an evaluation are written, per seed, as soon as they are ready, to an event
directory of their own, ``DIR/<experiment>/<run>/seed-<k>/``, which ``tensorboard --logdir
DIR`` shows as one run each. Written are the values with one number per seed (the probe
accuracy, the Colab's bound and the bound on the test images, their losses, an estimate,
...) under their column names in the tidy table, and, from the Jacobian's singular values,
percentiles of its log condition number over the evaluated inputs (Fig. 2c's bands and
median). A value that is not finite is left out (TensorBoard would draw it as a spike).

The writers are torch's own (``torch.utils.tensorboard.SummaryWriter``), which needs the
``tensorboard`` package: ``pip install "mirl[tensorboard]"``. They write wherever the job
trains (a worker process, a Ray task: the directory must be one that machine sees). A run
resumed from a checkpoint writes the evaluations after it; one trained again from its
start writes its steps again, and TensorBoard shows the later points.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mirl.runtime.jacobian import log_condition_numbers

INSTALL_HINT = 'live metrics need the tensorboard package: pip install "mirl[tensorboard]"'

CONDITION_PERCENTILES = (0, 20, 40, 50, 60, 80, 100)
"""Percentiles of the Jacobian's log condition number written per evaluation: the edges of
Fig. 2c's five bands (0 and 100 are the minimum and maximum) and the median."""


def _condition_percentiles(spectra: np.ndarray) -> dict[str, np.ndarray]:
    """``[A, n, d]`` singular values -> per percentile, ``[A]`` over the ``n`` inputs."""
    logs = log_condition_numbers(spectra)  # [A, n]
    return {
        f"log_condition_number/p{q}": np.percentile(logs, q, axis=-1) for q in CONDITION_PERCENTILES
    }


SUMMARIES: dict[str, Callable[[np.ndarray], dict[str, np.ndarray]]] = {
    "singular_values": _condition_percentiles,
}
"""Values with more than one number per seed, and the scalars per seed written for them;
other such values are not written."""


def scalars(values: Mapping[str, Any], seeds: int) -> dict[str, np.ndarray]:
    """The scalars of an evaluation of ``seeds`` seeds: per tag, ``[seeds]`` floats.

    ``values`` is what the loop hands ``on_evaluation``: per name, one value per seed.
    Values with one number per seed keep their name; those ``SUMMARIES`` names become their
    summaries' tags; others (and anything not numeric) are left out.
    """
    out = {}
    for name, value in values.items():
        array = np.asarray(value)
        if array.dtype.kind not in "biuf" or array.shape[:1] != (seeds,):
            continue
        if array.ndim == 1:
            out[name] = array.astype(np.float64)
        elif name in SUMMARIES:
            out.update(SUMMARIES[name](array))
    return out


def summary_writer_class() -> type:
    """``torch.utils.tensorboard.SummaryWriter``; an ImportError saying what to install when
    the ``tensorboard`` package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return SummaryWriter


class LiveMetrics:
    """The ``on_evaluation`` callback of one run: writes each evaluation's scalars to
    ``root/<experiment>/<run>/seed-<k>/`` (see the module docstring).

    A seed's writer is opened at its first evaluation and flushed after every one, so that
    TensorBoard shows it at once; ``close()`` closes them all.
    """

    def __init__(self, root: str | os.PathLike, run_id: str):
        self.directory = Path(root, *run_id.split("/"))
        self._writer_class = summary_writer_class()
        self._writers: dict[int, Any] = {}

    def seed_directory(self, seed: int) -> Path:
        """Where the events of ``seed`` are written."""
        return self.directory / f"seed-{seed}"

    def __call__(self, step: int, seeds: Sequence[int], values: Mapping[str, Any]) -> None:
        """Write the evaluation before ``step`` of ``seeds`` (``values``: per name, one
        value per seed of ``seeds``)."""
        tags = scalars(values, len(seeds))
        for k, seed in enumerate(seeds):
            writer = self._writers.get(seed)
            if writer is None:
                writer = self._writers[seed] = self._writer_class(str(self.seed_directory(seed)))
            for tag, per_seed in tags.items():
                if np.isfinite(per_seed[k]):
                    writer.add_scalar(tag, float(per_seed[k]), step)
            writer.flush()

    def close(self) -> None:
        """Close every writer (their events are on disk)."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
