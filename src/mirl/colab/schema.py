"""The two shapes of the paper's results: as the Colab pickled them, and as mirl keeps them.

The Colab defined its result types as namedtuples in ``__main__``; the classes here stand in
for them when its pickles are loaded. ``ColabResults`` is what an import holds, in mirl's
vocabulary.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mirl.results.table import COLAB_COLUMNS

COLUMNS = [*COLAB_COLUMNS[:4], "target", *COLAB_COLUMNS[4:]]
"""The imported frame's columns: the Colab's, with the target of a targeted loss added."""
_DTYPES = {
    "exp_name": str,
    "nets": str,
    "Critic": str,
    "Estimator": str,
    "target": "float64",
    "run": "int64",
    "iteration": "int64",
    "bound_value": "float64",
    "accuracy": "float64",
    "label": str,
}

NONIID_FIELDS = {
    "infonce_noniid": "nce_estimates_noniid",
    "infonce_iid": "nce_estimates_iid",
    "nwj_noniid": "nwj_estimates_noniid",
    "nwj_iid": "nwj_estimates_iid",
}
"""The four bound traces of Fig. 4c: mirl's key -> the Colab's field."""

# The Colab's namedtuples, which its pickles name as __main__.<class>.
ResultsConfig = collections.namedtuple("ResultsConfig", ["nets", "critic", "loss"])
Results = collections.namedtuple(
    "Results",
    [
        "iterations",
        "training_losses",
        "testing_losses",
        "classification_accuracies",
        "singular_values",
    ],
)
ResultsAdversarial = collections.namedtuple(
    "ResultsAdversarial", ["losses_e", "losses_c", "classification_accuracies", "iters"]
)
ResultsSamplingIssues = collections.namedtuple(
    "ResultsSamplingIssues", ["mi_true", *NONIID_FIELDS.values()]
)
COLAB_CLASSES = {
    cls.__name__: cls for cls in (ResultsConfig, Results, ResultsAdversarial, ResultsSamplingIssues)
}


class ColabImportError(ValueError):
    """The Colab's results could not be imported or read back: a file was refused, damaged,
    or not one of the Colab's results, or an import folder is not in mirl's layout."""


@dataclass
class ColabResults:
    """The Colab's precomputed results in mirl's vocabulary.

    ``frame``: one row per (experiment, run, evaluation), columns ``COLUMNS``.
    ``condition_numbers``: per bound (``infonce``, ``nwj``; bilinear critic only), the
    evaluation steps ``[T]`` and the log condition numbers of g1's Jacobian ``[T, n]``
    (``log s_max - log s_min`` per sample, the runs' samples side by side).
    ``noniid``: the four bound traces of Fig. 4c (``infonce_noniid``, ``infonce_iid``,
    ``nwj_noniid``, ``nwj_iid``), one value per step; ``mi_true`` their true MI (nats).
    ``adversarial``: the evaluation steps and probe accuracies of Fig. 1c.
    ``trusted``: loaded with plain pickle (True) or the restricted unpickler (False).
    ``sources``: the names of the files imported.
    """

    frame: pd.DataFrame
    condition_numbers: dict[str, tuple[np.ndarray, np.ndarray]]
    noniid: dict[str, np.ndarray] | None
    mi_true: float | None
    adversarial: tuple[np.ndarray, np.ndarray] | None
    trusted: bool
    sources: list[str]


def typed_frame(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """``frame`` reduced to ``COLUMNS`` with their types (an empty frame for None); a
    ``KeyError`` names missing columns, a ``ValueError`` a value of the wrong type."""
    if frame is None:
        frame = pd.DataFrame(columns=COLUMNS)
    return frame[COLUMNS].astype(_DTYPES).reset_index(drop=True)
