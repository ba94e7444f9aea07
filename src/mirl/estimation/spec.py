"""What an estimation run is: a task schedule, a bound, a critic and Poole et al.'s protocol.

An ``EstimateSpec`` names its task in one of two ways:

- a fixed task of ``mirl.tasks.TASKS`` (``staircase-4``, ``multinormal-dense-5-5-0.5``, ...),
  which takes no ``task_kwargs``;
- a family of ``FAMILIES`` with its parameters in ``task_kwargs``, e.g. ``bivariate-normal``
  with ``{"correlation": 0.9}``. The families ``staircase`` and ``cubic-staircase`` are
  schedules: their MI steps through ``levels`` (default 2, 4, 6, 8, 10 nats), an equal
  share of the training steps each, as in Poole et al. (2019), Fig. 2.

The paper's Section 4 (Fig. 4c) is an estimation run too: the task ``paper-fig4c`` with
``sampler="noniid"`` (one z shared by each batch) or ``"iid"``, evaluated on its training
batches (``heldout_size=None``), as the paper plots it.

Impossible parameters (a correlation outside (-1, 1), a dimension of 0, an unknown keyword)
fail when the spec is made, before anything trains.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mirl._registry import check_kwargs, lookup
from mirl.critics import build_critic
from mirl.runtime.run_spec import SAFE_NAME, Objective, RunSpec, choice, on_meta, positive_int
from mirl.tasks import (
    SAMPLERS,
    STAIRCASE_DIM,
    STAIRCASE_LEVELS,
    TASKS,
    SharedNormal,
    Task,
    additive_noise,
    bimodal,
    bimodal_mixture,
    bivariate_normal,
    cubic,
    multinormal_dense,
    multinormal_sparse,
    paper_fig4c,
    staircase,
    student_dense,
    student_identity,
)

POOLE_CRITICS: dict[str, dict[str, Any]] = {
    "concat": {"hidden": 256, "layers": 2},
    "separable": {"hidden": 256, "layers": 2, "out": 32},
}
"""Poole et al. (2019)'s critic sizes: two hidden layers of 256 (ReLU), a 32-d embedding for
the separable critic. A spec's ``critic_kwargs`` override them key by key."""


@dataclass(frozen=True)
class Levels:
    """The tasks a run trains on, in order, an equal share of the steps each.

    ``name`` is what the tidy table's ``task`` column shows: a fixed task's name, or the
    family's (``staircase``) with its parameters where they differ from the defaults.
    """

    name: str
    tasks: tuple[Task, ...]

    def __post_init__(self) -> None:
        if not self.tasks:
            raise ValueError(f"task {self.name!r} has no levels")
        dims = {(t.dim_x, t.dim_y) for t in self.tasks}
        if len(dims) > 1:
            raise ValueError(f"the levels of {self.name!r} must share dimensions, got {dims}")
        if not SAFE_NAME.fullmatch(self.name):
            raise ValueError(f"task name {self.name!r} cannot name a run directory")

    @property
    def dim_x(self) -> int:
        return self.tasks[0].dim_x

    @property
    def dim_y(self) -> int:
        return self.tasks[0].dim_y


def _staircase_name(family: str, levels: Sequence[float], dim: int) -> str:
    if tuple(map(float, levels)) == STAIRCASE_LEVELS and dim == STAIRCASE_DIM:
        return family
    suffix = "" if dim == STAIRCASE_DIM else f"-{dim}d"
    return f"{family}-{'-'.join(f'{mi:g}' for mi in levels)}{suffix}"


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or not levels:
        raise ValueError(f"levels must be a non-empty list of MI values (nats), got {levels!r}")
    return tuple(levels)


def staircase_levels(
    levels: Sequence[float] = STAIRCASE_LEVELS, dim: int = STAIRCASE_DIM
) -> Levels:
    """Poole et al.'s staircase: 20-d correlated Gaussians whose MI steps through ``levels``.

    References: Poole et al. (2019), "On Variational Bounds of Mutual Information", Fig. 2.
    """
    levels = _check_levels(levels)
    return Levels(
        _staircase_name("staircase", levels, dim), tuple(staircase(mi, dim) for mi in levels)
    )


def cubic_staircase_levels(
    levels: Sequence[float] = STAIRCASE_LEVELS, dim: int = STAIRCASE_DIM
) -> Levels:
    """The staircase with ``y -> y^3`` (the MI is unchanged, the critic's job is harder).

    References: Song and Ermon (2020), "Understanding the Limitations of Variational Mutual
    Information Estimators", Fig. 1.
    """
    levels = _check_levels(levels)
    tasks = tuple(cubic(staircase(mi, dim)) for mi in levels)
    return Levels(_staircase_name("cubic-staircase", levels, dim), tasks)


def _single(factory: Callable[..., Task]) -> Callable[..., Levels]:
    """A task factory as a one-level family (same signature, so keywords are checked)."""

    @functools.wraps(factory)
    def family(*args: Any, **kwargs: Any) -> Levels:
        task = factory(*args, **kwargs)
        return Levels(task.name, (task,))

    return family


FAMILIES: dict[str, Callable[..., Levels]] = {
    "staircase": staircase_levels,
    "cubic-staircase": cubic_staircase_levels,
    "bivariate-normal": _single(bivariate_normal),
    "multinormal-dense": _single(multinormal_dense),
    "multinormal-sparse": _single(multinormal_sparse),
    "student-identity": _single(student_identity),
    "student-dense": _single(student_dense),
    "additive-noise": _single(additive_noise),
    "bimodal": _single(bimodal),
    "mixture": _single(bimodal_mixture),
    "paper-fig4c": _single(paper_fig4c),
}
"""Task families by name, each taking its parameters as keywords (``task_kwargs``)."""


def resolve_task(name: str, kwargs: dict[str, Any] | None = None) -> Levels:
    """The levels of the task ``name``: a fixed task of ``TASKS`` (no keywords), or a family of
    ``FAMILIES`` built with ``kwargs``. Unknown names, unknown keywords and impossible
    parameters raise ValueError."""
    kwargs = kwargs or {}
    if name in FAMILIES:
        family = FAMILIES[name]
        check_kwargs(family, kwargs, f"task family {name!r}")
        try:
            return family(**kwargs)
        except TypeError as err:  # a missing parameter
            raise ValueError(f"task family {name!r}: {err}") from None
    task = lookup({**TASKS, **FAMILIES}, name, "task")
    if kwargs:
        raise ValueError(
            f"task {name!r} is fixed and takes no task_kwargs; the families that do: "
            f"{', '.join(FAMILIES)}"
        )
    return Levels(task.name, (task,))


def _setting_words(kwargs: dict[str, Any]) -> list[str]:
    """A bound's keywords as words, ``["alpha0.5", "clip5"]``, for its run name and label."""
    return [f"{k}{v:g}" if isinstance(v, float) else f"{k}{v}" for k, v in sorted(kwargs.items())]


@dataclass(frozen=True)
class EstimateSpec(Objective, RunSpec):
    """A critic alone, trained to maximize a bound on pairs of a task with known MI.

    Defaults follow Poole et al. (2019): batch 64, Adam with learning rate 5e-4, critics of
    two hidden layers of 256 (and a 32-d embedding for the separable critic). Each step
    draws fresh pairs from the task (``train_size=None``, Poole's protocol) or a batch of a
    training set of ``train_size`` pairs drawn once per seed and level (bmi's protocol).
    Every ``steps // evals`` steps the bound is evaluated on ``heldout_size`` held-out
    pairs of the current level, drawn once per seed and level and never trained on, in
    batches of ``batch_size`` (the estimator as trained: InfoNCE stays below log B); with
    ``heldout_size=None`` there is no held-out evaluation, and the estimate is the mean
    training bound since the previous evaluation (``train_bound``, recorded either way).

    A staircase (``task="staircase"``) gives each of its levels ``steps / len(levels)``
    steps; its evaluations are of the level being trained. ``sampler`` draws the batches of
    the paper's Section 4 instead of fresh iid pairs: ``"iid"`` or ``"noniid"`` (one z
    shared by the batch), for a task whose base is a ``mirl.tasks.SharedNormal``
    (``paper-fig4c``).
    """

    kind: ClassVar[str] = "estimate"
    task: str
    bound: str
    critic: str = "concat"
    experiment: str = "estimate"
    task_kwargs: dict[str, Any] = field(default_factory=dict)
    bound_kwargs: dict[str, Any] = field(default_factory=dict)
    critic_kwargs: dict[str, Any] = field(default_factory=dict)
    lr: float = 5e-4
    batch_size: int = 64
    steps: int = 20000
    evals: int = 20
    heldout_size: int | None = 4096
    train_size: int | None = None
    sampler: str | None = None

    def __post_init__(self) -> None:
        kwargs = {**POOLE_CRITICS.get(self.critic, {}), **self.critic_kwargs}
        object.__setattr__(self, "critic_kwargs", kwargs)
        self._validate()
        levels = self.levels
        if self.steps % len(levels.tasks):
            raise ValueError(
                f"steps ({self.steps}) must split evenly over the {len(levels.tasks)} levels "
                f"of {levels.name!r}"
            )
        on_meta(lambda: build_critic(self.critic, levels.dim_x, levels.dim_y, **kwargs))
        if self.heldout_size is not None:
            positive_int(self.heldout_size, "heldout_size")
            if self.heldout_size % self.batch_size:
                raise ValueError(
                    f"heldout_size ({self.heldout_size}) must be a multiple of batch_size "
                    f"({self.batch_size}): it is evaluated in batches"
                )
        if self.train_size is not None and self.train_size < self.batch_size:
            raise ValueError(
                f"train_size must be None (fresh pairs every step) or at least batch_size "
                f"({self.batch_size}), got {self.train_size}"
            )
        if self.sampler is not None:
            choice(self.sampler, SAMPLERS, "sampler")
            if not all(isinstance(t.base, SharedNormal) for t in levels.tasks):
                raise ValueError(
                    f"sampler {self.sampler!r} draws batches of a shared component plus noise: "
                    f"it needs a task such as paper-fig4c, not {levels.name!r}"
                )
            if self.train_size is not None:
                raise ValueError("sampler draws fresh batches: it takes no train_size")
        if not SAFE_NAME.fullmatch(self.name):
            raise ValueError(f"bound_kwargs {self.bound_kwargs} cannot name a run directory")

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the settings only (some tasks' maps are closures): the levels are
        resolved again on first use."""
        return {k: v for k, v in self.__dict__.items() if k != "levels"}

    @functools.cached_property
    def levels(self) -> Levels:
        """The task's levels (one for a fixed task), resolved once."""
        return resolve_task(self.task, self.task_kwargs)

    @property
    def steps_per_level(self) -> int:
        return self.steps // len(self.levels.tasks)

    def level(self, step: int) -> int:
        """The level that training step ``step`` (0-based) draws from; the last one after."""
        return min(step // self.steps_per_level, len(self.levels.tasks) - 1)

    @property
    def name(self) -> str:
        """``task-critic-bound[-settings]``; runs of the paper's samplers, as the Colab named
        them, ``sampler-bound[-settings]``."""
        settings = _setting_words(self.bound_kwargs)
        if self.sampler is not None:
            return "-".join([self.sampler, self.bound, *settings])
        return "-".join([self.levels.name, self.critic, self.bound, *settings])

    @property
    def eval_steps(self) -> list[int]:
        """Evaluations after steps e, 2e, ... and after the last step, of the level the last
        of them trained on."""
        return sorted({*range(self.eval_every, self.steps + 1, self.eval_every), self.steps})

    def labels(self) -> dict[str, Any]:
        setting = ", ".join(_setting_words(self.bound_kwargs))
        task = self.levels.name
        # Runs of the paper's samplers keep the Colab's labels ("noniid, infonce").
        what = f"{task}, {self.critic}" if self.sampler is None else self.sampler
        return {
            "encoder": None,
            "critic": self.critic,
            "bound": self.bound,
            "target": math.nan,
            "task": task,
            "sampler": self.sampler,
            "bound_setting": setting,
            "label": f"{what}, {self.bound}" + (f" ({setting})" if setting else ""),
        }
