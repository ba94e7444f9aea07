"""The Colab's results in mirl's vocabulary: recognize each unpickled file and convert it.

The Colab's names map back through ``mirl.paper.names``: the estimator ``'$I_{NCE}$'`` (as
plotted) or ``'nce'`` (as in its loss dicts; ``'nce-2'`` targets t=2) is the bound whose
paper symbol is ``I_{NCE}``, i.e. ``infonce``; the critic ``'MLP'`` is the critic the paper
calls MLP, ``concat``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirl._files import sha256
from mirl.colab.schema import (
    NONIID_FIELDS,
    ColabImportError,
    ResultsAdversarial,
    ResultsConfig,
    ResultsSamplingIssues,
    typed_frame,
)
from mirl.colab.unpickling import load_pickle
from mirl.paper.names import (
    CRITIC_LABELS,
    ESTIMATOR_SYMBOLS,
    estimator_label,
    run_label,
    short_name,
)
from mirl.results.table import COLAB_COLUMNS
from mirl.runtime.jacobian import log_condition_numbers


@functools.cache
def _estimators() -> dict[str, str]:
    """The Colab's estimator names -> mirl's bounds: the paper's symbol (``$I_{NCE}$``, as
    it plots them) and its short name (``nce``, as in its loss dicts)."""
    names = {estimator_label(bound): bound for bound in ESTIMATOR_SYMBOLS}
    return names | {short_name(bound): bound for bound in ESTIMATOR_SYMBOLS}


@functools.cache
def _critics() -> dict[str, str]:
    """The Colab's critic names (the paper's labels, and mirl's own in its sweeps)."""
    return {label: critic for critic, label in CRITIC_LABELS.items()} | {
        critic: critic for critic in CRITIC_LABELS
    }


def _estimator(name: str) -> tuple[str, float]:
    """The Colab's estimator (``'$I_{NCE}$'``, ``'nwj'``, ``'nce-2'``) -> (bound, target),
    the target NaN for a loss that maximizes the bound."""
    base, _, target = name.partition("-")
    if base not in _estimators():
        raise ValueError(f"unknown estimator {name!r}; known: {', '.join(_estimators())}")
    return _estimators()[base], float(target) if target else math.nan


def _critic(name: str) -> str:
    if name not in _critics():
        raise ValueError(f"unknown critic {name!r}; known: {', '.join(_critics())}")
    return _critics()[name]


def convert_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The Colab's result frame with mirl's names for estimators and critics, the target of
    targeted losses in its own column, and mirl's labels. ``bound_value`` is kept as the
    Colab stored it: minus its testing loss (for a targeted loss, ``-|bound - target|``)."""
    missing = [c for c in COLAB_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"a DataFrame without the Colab's columns {missing}")
    estimators = [_estimator(name) for name in raw["Estimator"]]
    bounds = [bound for bound, _ in estimators]
    targets = [target for _, target in estimators]
    critics = [_critic(name) for name in raw["Critic"]]
    frame = pd.DataFrame(
        {
            "exp_name": raw["exp_name"].to_numpy(),
            "nets": raw["nets"].to_numpy(),
            "Critic": critics,
            "Estimator": bounds,
            "target": targets,
            "run": raw["run"].to_numpy(),
            "iteration": raw["iteration"].to_numpy(),
            "bound_value": raw["bound_value"].to_numpy(),
            "accuracy": raw["accuracy"].to_numpy(),
            "label": list(map(run_label, raw["nets"], critics, bounds, targets)),
        }
    )
    return typed_frame(frame)


def convert_condition_numbers(
    pairs: Sequence[tuple[Any, Sequence[Any]]],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``[(ResultsConfig, [Results per run])]`` -> per bound, for the bilinear critic: the
    evaluation steps ``[T]`` and the runs' log condition numbers side by side ``[T, n]``, as
    the Colab's ``aggregate_singular_values`` computes them."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for config, runs in pairs:
        if _critic(config.critic) != "bilinear" or not runs:
            continue
        bound, _ = _estimator(config.loss)
        if bound in out:
            raise ValueError(f"two bilinear configurations with the bound {bound}")
        per_run = [log_condition_numbers(np.stack(run.singular_values)) for run in runs]
        out[bound] = (np.asarray(runs[0].iterations, dtype=np.int64), np.concatenate(per_run, 1))
    return out


def convert_noniid(result: Any) -> tuple[dict[str, np.ndarray], float]:
    """``ResultsSamplingIssues`` -> the four bound traces by mirl name, and the true MI."""
    traces = {
        key: np.asarray(getattr(result, field), dtype=np.float64)
        for key, field in NONIID_FIELDS.items()
    }
    return traces, float(result.mi_true)


def convert_adversarial(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """``ResultsAdversarial`` -> (evaluation steps, probe accuracies)."""
    return (
        np.asarray(result.iters, dtype=np.int64),
        np.asarray(result.classification_accuracies, dtype=np.float64),
    )


def _is_config_pairs(obj: Any) -> bool:
    return (
        isinstance(obj, list)
        and bool(obj)
        and all(
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], ResultsConfig)
            and isinstance(item[1], list)
            for item in obj
        )
    )


CONTENTS: dict[str, tuple[str, Callable[[Any], bool], Callable[[Any], Any]]] = {
    "frame": ("the result frame", lambda obj: isinstance(obj, pd.DataFrame), convert_frame),
    "condition_numbers": (
        "Jacobian singular values",
        _is_config_pairs,
        convert_condition_numbers,
    ),
    "noniid": (
        "non-iid bound traces",
        lambda obj: isinstance(obj, ResultsSamplingIssues),
        convert_noniid,
    ),
    "adversarial": (
        "adversarial training",
        lambda obj: isinstance(obj, ResultsAdversarial),
        convert_adversarial,
    ),
}
"""What each of the Colab's files holds: a description, how to recognize it once unpickled,
and how to convert it."""


def read_colab_file(path: Path, trust: bool) -> tuple[str, Any, dict[str, Any]]:
    """Load, recognize and convert one of the Colab's files: (what it holds, converted,
    its manifest entry). Raises ``ColabImportError``."""
    payload = path.read_bytes()
    obj = load_pickle(payload, path.name, trust)
    content = next((key for key, (_, recognizes, _) in CONTENTS.items() if recognizes(obj)), None)
    if content is None:
        raise ColabImportError(
            f"{path.name}: a {type(obj).__name__}, not one of the Colab's results (a result "
            "frame, Jacobian singular values, non-iid bound traces or adversarial training)"
        )
    description, _, convert = CONTENTS[content]
    try:
        converted = convert(obj)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as err:
        raise ColabImportError(
            f"{path.name}: {description}, but not in the Colab's layout ({err})"
        ) from err
    entry = {
        "name": path.name,
        "sha256": sha256(payload),
        "bytes": len(payload),
        "content": content,
    }
    return content, converted, entry
