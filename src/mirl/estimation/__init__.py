"""MI estimators checked against ground truth: ``mirl estimate`` and its Python entry point.

A critic alone is trained to maximize a bound (``mirl.bounds``) on pairs of a task with
known MI (``mirl.tasks``), K seeds at once, and evaluated on held-out pairs at regular
steps. ``EstimateSpec`` says what to run (Poole et al.'s protocol by default, and their
staircase ``task="staircase"``); ``estimate`` trains one and returns its rows;
``summarize`` turns rows into each estimator's bias and sd per task and level. It is the
``estimate`` kind of run (``mirl.runtime.kinds``): ``mirl.runtime.train`` and the result
store (``mirl estimate``) run it like every other kind. The paper's Fig. 4c runs are of
this kind too (the task ``paper-fig4c`` with the paper's ``sampler``).
"""

from mirl.estimation.run import estimate
from mirl.estimation.spec import (
    FAMILIES,
    POOLE_CRITICS,
    EstimateSpec,
    Levels,
    cubic_staircase_levels,
    resolve_task,
    staircase_levels,
)
from mirl.estimation.summary import summarize
from mirl.estimation.trainer import (
    HELDOUT,
    TRAIN,
    EstimateTrainer,
    PairStream,
    group_memory,
    seed_pairs,
)

__all__ = [
    "FAMILIES",
    "HELDOUT",
    "POOLE_CRITICS",
    "TRAIN",
    "EstimateSpec",
    "EstimateTrainer",
    "Levels",
    "PairStream",
    "cubic_staircase_levels",
    "estimate",
    "group_memory",
    "resolve_task",
    "seed_pairs",
    "staircase_levels",
    "summarize",
]
