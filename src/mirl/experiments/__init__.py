"""Experiments: what a study runs, at which scales, and what its results must show.

An ``Experiment`` is one declaration: its runs (specs of any kind of run), the changes each
profile makes to them (``Scale``), its figures, the claims its results are checked
against, and the runs ``mirl bench`` times. ``EXPERIMENTS`` holds the paper's six, each
declared in its own file under ``mirl.experiments.paper`` exactly as one's own would be,
then those one's own files register (``register_experiment``). ``mirl run
path/to/file.py:NAME`` loads such a file (``mirl.runtime.sources``) and runs the
experiment with everything the paper's have: seeds as a batch, the verified store,
resume, ``--jobs``, Ray, figures, claims and the report.

The modules: ``profiles`` (``Profile``, ``Scale``, ``PROFILES``), ``experiment``
(``Experiment``, its registry, and the experiments a command line names), ``paper`` (the
six), ``checks`` (what ``mirl check`` asks of every registered thing).
"""

import mirl.experiments.paper  # noqa: F401  (registers the paper's six, first)
from mirl.experiments.experiment import (
    EXPERIMENTS,
    Experiment,
    architecture_key,
    experiment_specs,
    register_experiment,
    resolve_experiment,
    select_runs,
)
from mirl.experiments.profiles import PROFILES, Profile, Scale, apply_overrides

__all__ = [
    "EXPERIMENTS",
    "PROFILES",
    "Experiment",
    "Profile",
    "Scale",
    "apply_overrides",
    "architecture_key",
    "experiment_specs",
    "register_experiment",
    "resolve_experiment",
    "select_runs",
]
