"""mirl from Python: what the ``mirl`` command does, as functions a notebook calls.

```python
import mirl

frame = mirl.run("critic_impact", profile="quick", out="results/quick")  # the tidy table
figures = mirl.api.figures("results/quick")  # {stem: matplotlib Figure}
mirl.api.claims("results/quick")  # the paper's claims, checked on these results
```

- ``run`` trains an experiment's runs into a results directory and ``reproduce`` several
  (the paper's six by default), then writes the pixel baseline, the figures and
  ``report.html``; ``estimate`` trains estimators on tasks of known MI. Each resumes what
  the directory holds and returns the tidy table of its runs (``mirl.results.load``).
  Progress is a widget in Jupyter and a bar on a terminal; ``tensorboard=DIR`` writes every
  evaluation's scalars for TensorBoard as they come (``mirl.results.live``).
- ``figures`` draws the figures of a results directory (or of a tidy table) as matplotlib
  figures, ``claims`` checks the experiments' claims and returns them as a table, and
  ``report`` redraws the figures and rewrites ``report.html``.
- ``load`` (``mirl.results.load``) reads a results directory; ``import_colab``
  (``mirl.colab.import_colab``) adds the Colab's own results to one, which the figures then
  draw beside mirl's.

The ``mirl`` command is made of the same parts: it parses its options, turns them into
runs with ``mirl.selection`` as these functions do (``resolve_experiments``,
``experiment_runs``, ``estimate_runs``, ``seed_list``, ``resolve_device``, here too), writes
with ``write_outputs`` and reads with ``runs_frame``, and trains with the same
``mirl.results.Sweep``. What else it does is one function of the
layer that holds it: ``mirl list`` is ``mirl.experiments.EXPERIMENTS`` and ``PROFILES``,
``mirl tasks`` ``mirl.TASKS``, ``mirl data fetch`` ``mirl.data.mnist.fetch_mnist``, ``mirl
baseline`` ``mirl.paper.baseline.pixel_baseline``, ``mirl check`` ``mirl.experiments.checks``.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from mirl.colab import import_colab
from mirl.experiments import EXPERIMENTS
from mirl.figures import FigureData, read_results
from mirl.figures.inputs import paper_frame
from mirl.paper.baseline import ensure_baseline
from mirl.report import write_report
from mirl.report.figures import drawn_figures, ordered_experiments
from mirl.report.html import claims_of
from mirl.results import Sweep, load, writing
from mirl.results.execution import worker_data
from mirl.results.plan import SweepSummary, check_sizes
from mirl.runtime.run_spec import RunSpec
from mirl.runtime.sources import load_sources
from mirl.selection import (
    estimate_runs,
    experiment_runs,
    given_settings,
    resolve_device,
    resolve_experiments,
    seed_list,
)

__all__ = [
    "claims",
    "estimate",
    "estimate_runs",
    "experiment_runs",
    "figures",
    "import_colab",
    "load",
    "report",
    "reproduce",
    "resolve_device",
    "resolve_experiments",
    "run",
    "runs_frame",
    "seed_list",
    "write_outputs",
]

CHECKPOINT_EVERY = 5.0
"""Minutes between two checkpoints of a run's seed group, by default."""


def _train(
    specs: Sequence[RunSpec],
    seeds: list[int],
    out: str | os.PathLike,
    *,
    data: str,
    device: str | torch.device,
    jobs: int | str,
    group_size: int | None,
    backend: str,
    address: str | None,
    max_retries: int,
    capture: bool | None,
    checkpoint_every: float | None,
    tensorboard: str | os.PathLike | None,
    progress: bool,
    command: str,
    outputs: bool = False,
) -> pd.DataFrame:
    """Train ``specs`` x ``seeds`` into ``out`` as its one writer (``command`` names it in
    the lock), then, with ``outputs``, write the baseline, figures and report there
    (``write_outputs``); return the tidy table of those runs. Failed seeds are named in a
    warning."""
    where = resolve_device(device, local=backend in ("local", "processes"))
    check_sizes(specs, min(group_size or len(seeds), len(seeds)), where, data)
    minutes = checkpoint_every or None
    with writing(out, command):
        sweep = Sweep(specs, seeds, out, data=data, group_size=group_size)
        summary = sweep.run(
            where,
            backend=backend,
            jobs=jobs,
            max_retries=max_retries,
            address=address,
            capture=capture,
            checkpoint_every=None if minutes is None else 60 * minutes,
            quiet=not progress,
            tensorboard=tensorboard,
        )
        if outputs:
            write_outputs(out, data, where)
    _warn_failures(summary)
    return runs_frame(out, specs)


def _warn_failures(summary: SweepSummary) -> None:
    if summary.failed:
        lines = [f"{run} seed {seed}: {error}" for run, seed, error in summary.failed]
        warnings.warn(f"{len(lines)} seed(s) failed: " + "; ".join(lines), stacklevel=3)


def runs_frame(out: str | os.PathLike, specs: Sequence[RunSpec]) -> pd.DataFrame:
    """The tidy table of the runs ``specs`` in ``out``: ``mirl.results.load``'s of their
    experiments, without the rows of other runs."""
    experiments = list(dict.fromkeys(s.experiment for s in specs))
    frame = pd.concat([load(out, e) for e in experiments], ignore_index=True)
    wanted = frame["experiment"] + "/" + frame["name"]
    return frame[wanted.isin({s.run_id for s in specs})].reset_index(drop=True)


def write_outputs(out: str | os.PathLike, data: str, device: str | torch.device) -> Path:
    """What ``reproduce`` writes once its runs are trained: the pixel baseline of the data
    set ``data`` (``DIR/baseline.json``, computed once per data set), every figure
    (``DIR/figures/``) and ``DIR/report.html``, whose path it returns."""
    ensure_baseline(out, worker_data(data, str(resolve_device(device))))
    return write_report(out)


def run(
    experiment: str,
    *,
    profile: str = "quick",
    runs: str | None = None,
    seeds: int | Iterable[int] | None = None,
    steps: int | None = None,
    evals: int | None = None,
    lr: float | None = None,
    batch_size: int | None = None,
    probe: str | None = None,
    settings: Mapping[str, Any] | None = None,
    out: str | os.PathLike | None = None,
    data: str = "mnist",
    device: str | torch.device = "auto",
    jobs: int | str = "auto",
    group_size: int | None = None,
    backend: str = "local",
    address: str | None = None,
    max_retries: int = 2,
    capture: bool | None = None,
    checkpoint_every: float | None = CHECKPOINT_EVERY,
    tensorboard: str | os.PathLike | None = None,
    progress: bool = True,
    load: Sequence[str] = (),
) -> pd.DataFrame:
    """Train the runs of ``experiment`` into the results directory ``out`` and return their
    tidy table (``mirl.results.load``'s, one row per run, seed and evaluation); what ``out``
    already holds is kept, and only what is missing trains (``mirl run``).

    - ``experiment``: a registered name (``mirl.experiments.EXPERIMENTS``), or one's own
      ``path/to/file.py:NAME`` (loaded first);
    - ``profile``: ``"paper"``, ``"quick"`` or ``"smoke"``; ``runs``: only the runs whose
      name matches these comma-separated shell patterns;
    - ``seeds``: how many (or which) seeds, by default the profile's; ``steps``, ``evals``,
      ``lr``, ``batch_size``, ``probe`` (``"sklearn"`` or ``"torch"``) and ``settings`` (any
      other field of a run, by name) override the profile's settings;
    - ``out``: the results directory (default ``results/PROFILE``); ``data``: ``"mnist"``
      or ``"synthetic"`` (the small stand-in the tests use);
    - ``device`` (``"auto"``: CUDA where there is one), ``jobs`` (runs trained at once in
      worker processes; ``"auto"``: as many as the device allows), ``group_size`` (most
      seeds trained at once), ``backend`` (``"local"``, ``"processes"``, ``"ray"`` with
      ``address``), ``max_retries`` (of a task whose worker dies), ``capture`` (CUDA graphs;
      default on CUDA), ``checkpoint_every`` (minutes between checkpoints inside a run;
      None or 0: none);
    - ``tensorboard``: a directory to write every evaluation's scalars to, per run and seed,
      as training goes (``pip install "mirl[tensorboard]"``);
    - ``progress``: a progress bar (a widget in Jupyter); ``load``: one's own files or
      modules to import first (their critics, encoders, experiments, ...).

    A failed seed is stored as failed, left out of the table and named in a warning; a bad
    name or setting is a ValueError before anything trains.
    """
    load_sources(list(load))
    specs = experiment_runs(
        resolve_experiments([experiment]),
        profile,
        given_settings(
            settings, steps=steps, evals=evals, lr=lr, batch_size=batch_size, probe=probe
        ),
        runs,
    )
    return _train(
        specs,
        seed_list(seeds, profile),
        f"results/{profile}" if out is None else out,
        data=data,
        device=device,
        jobs=jobs,
        group_size=group_size,
        backend=backend,
        address=address,
        max_retries=max_retries,
        capture=capture,
        checkpoint_every=checkpoint_every,
        tensorboard=tensorboard,
        progress=progress,
        command=f"mirl.run({experiment!r}, profile={profile!r})",
    )


def reproduce(
    experiments: str | Iterable[str] | None = None,
    *,
    profile: str = "quick",
    runs: str | None = None,
    seeds: int | Iterable[int] | None = None,
    steps: int | None = None,
    evals: int | None = None,
    lr: float | None = None,
    batch_size: int | None = None,
    probe: str | None = None,
    settings: Mapping[str, Any] | None = None,
    out: str | os.PathLike | None = None,
    data: str = "mnist",
    device: str | torch.device = "auto",
    jobs: int | str = "auto",
    group_size: int | None = None,
    backend: str = "local",
    address: str | None = None,
    max_retries: int = 2,
    capture: bool | None = None,
    checkpoint_every: float | None = CHECKPOINT_EVERY,
    tensorboard: str | os.PathLike | None = None,
    progress: bool = True,
    load: Sequence[str] = (),
) -> pd.DataFrame:
    """Train the experiments named (the paper's six by default; names or one's own
    ``FILE.py:NAME``) into ``out``, then write the pixel baseline, every figure and
    ``report.html`` there (``mirl reproduce``), and return the tidy table of their runs.
    The keywords are ``run``'s."""
    load_sources(list(load))
    overrides = given_settings(
        settings, steps=steps, evals=evals, lr=lr, batch_size=batch_size, probe=probe
    )
    specs = experiment_runs(resolve_experiments(experiments), profile, overrides, runs)
    return _train(
        specs,
        seed_list(seeds, profile),
        f"results/{profile}" if out is None else out,
        data=data,
        device=device,
        jobs=jobs,
        group_size=group_size,
        backend=backend,
        address=address,
        max_retries=max_retries,
        capture=capture,
        checkpoint_every=checkpoint_every,
        tensorboard=tensorboard,
        progress=progress,
        command=f"mirl.reproduce({experiments!r}, profile={profile!r})",
        outputs=True,
    )


def estimate(
    task: str | Sequence[str],
    bound: str | Sequence[str],
    critic: str | Sequence[str] = "concat",
    *,
    experiment: str = "estimate",
    seeds: int | Iterable[int] = 8,
    steps: int | None = None,
    evals: int | None = None,
    lr: float | None = None,
    batch_size: int | None = None,
    settings: Mapping[str, Any] | None = None,
    out: str | os.PathLike = "results/estimate",
    device: str | torch.device = "auto",
    jobs: int | str = "auto",
    group_size: int | None = None,
    backend: str = "local",
    address: str | None = None,
    max_retries: int = 2,
    capture: bool | None = None,
    checkpoint_every: float | None = CHECKPOINT_EVERY,
    tensorboard: str | os.PathLike | None = None,
    progress: bool = True,
    load: Sequence[str] = (),
) -> pd.DataFrame:
    """Train an estimator per ``task`` x ``bound`` x ``critic`` (lists, or comma-separated
    names; ``mirl.TASKS``, ``mirl.BOUNDS``, ``mirl.CRITICS``) on pairs whose MI is known,
    into ``out`` under ``experiment`` (``mirl estimate``), with Poole et al.'s protocol
    unless ``steps``, ``evals``, ``lr``, ``batch_size`` or ``settings`` (any other field of
    ``mirl.estimation.EstimateSpec``, e.g. ``{"task_kwargs": {"correlation": 0.9}}``) say
    otherwise. Returns the tidy table of these runs: ``estimate`` (on held-out pairs) and
    ``true_mi`` per seed and evaluation; ``mirl.estimation.summarize`` turns it into bias
    and sd. The other keywords are ``run``'s."""
    load_sources(list(load))
    named = {"steps": steps, "evals": evals, "lr": lr, "batch_size": batch_size}
    specs = estimate_runs(task, bound, critic, experiment, given_settings(settings, **named))
    return _train(
        specs,
        seed_list(seeds),
        out,
        data="mnist",  # never loaded: estimation runs draw their own pairs
        device=device,
        jobs=jobs,
        group_size=group_size,
        backend=backend,
        address=address,
        max_retries=max_retries,
        capture=capture,
        checkpoint_every=checkpoint_every,
        tensorboard=tensorboard,
        progress=progress,
        command=f"mirl.estimate({task!r}, {bound!r}, {critic!r})",
    )


def _figure_data(results: str | os.PathLike | pd.DataFrame | FigureData) -> FigureData:
    """What figures and claims read, from a results directory, a tidy table (its figures
    that need no stored arrays) or a ``FigureData``."""
    if isinstance(results, FigureData):
        return results
    if isinstance(results, pd.DataFrame):
        return FigureData(frame=results, records=[], paper=paper_frame(None))
    return read_results(results)


def figures(
    results: str | os.PathLike | pd.DataFrame | FigureData, experiment: str | None = None
) -> dict[str, Any]:
    """The figures of ``results`` as matplotlib figures, by stem (``fig3_infonce``, ...),
    each experiment's in the order it declares them: those its runs hold values for, drawn
    as the report draws them (``mirl.report``), with the pixel baseline and the Colab's
    own curves where a results directory holds them. ``results`` is a results directory,
    or a tidy table (``run``'s; figures drawn from stored arrays, such as the Jacobian
    spectra, need the directory). ``experiment``: one experiment's alone."""
    data = _figure_data(results)
    names = data.frame["experiment"].dropna().unique() if experiment is None else [experiment]
    return dict(drawn_figures(data, names))


def claims(
    results: str | os.PathLike | pd.DataFrame | FigureData, experiment: str | None = None
) -> pd.DataFrame:
    """The claims of each experiment of ``results`` (a results directory, a tidy table)
    checked on its numbers, as the report lists them: one row per claim with
    ``experiment, figure, claim, shown`` and ``evidence`` (means over seeds at the last
    evaluation; ``a -> b``: from the first). ``experiment``: one experiment's alone."""
    data = _figure_data(results)
    rows = []
    names = ordered_experiments(data.frame["experiment"].dropna().unique())
    for name in names if experiment is None else [experiment]:
        declared = EXPERIMENTS.get(name)
        if declared is None or declared.claims is None:
            continue
        for check in claims_of(name, declared.claims, data.of(name)):
            rows.append({"experiment": name, **dataclasses.asdict(check)})
    columns = ["experiment", "figure", "claim", "shown", "evidence"]
    return pd.DataFrame(rows, columns=columns)


def report(out: str | os.PathLike, load: Sequence[str] = ()) -> Path:
    """Redraw every figure of the results directory ``out`` and rewrite its ``report.html``
    (``mirl report``); returns the page's path. ``load``: one's own files whose
    experiments' figures and claims the report needs."""
    load_sources(list(load))
    return write_report(out)
