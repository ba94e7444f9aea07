"""The named tasks: Poole et al.'s staircase, bmi's benchmark, the paper's Fig. 4c Gaussian.

Families are factories (a base distribution and its parameters, validated) and transforms
(a task to a task with one more MI-preserving map), so a task is built by composition, e.g.
``spiral(elementwise(multinormal_sparse(3, 3), "normal_cdf"))``; names follow bmi's task
ids.
"""

from __future__ import annotations

import math

import numpy as np

from mirl._registry import lookup
from mirl.tasks._distributions import (
    AdditiveUniform,
    SplitNormal,
    SplitStudentT,
    check_correlation,
    check_covariance_size,
    check_dim,
)
from mirl.tasks._maps import (
    ASINH,
    CUBE,
    HALF_CUBE,
    NORMAL_CDF,
    WIGGLY_X,
    WIGGLY_Y,
    GaussianToMixture,
    Map,
    Spiral,
    SwissRoll,
)
from mirl.tasks._mixture import MixturePairs
from mirl.tasks._shared import FIG4C_SIGMA_EPS, FIG4C_SIGMA_Z, SharedNormal
from mirl.tasks._task import Task, transformed

STAIRCASE_DIM = 20
"""Dimension of x and of y on Poole et al.'s staircase."""

STAIRCASE_LEVELS: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0, 10.0)
"""The true MI (nats) of the staircase's successive levels, in order (Poole et al. 2019,
Fig. 2; Song and Ermon 2020, Fig. 1: 4,000 training steps per level)."""


def _number(value: float) -> str:
    """A parameter as bmi writes it in task ids: ``0.75``, ``2.0``."""
    return str(float(value))


def _df(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(float(value))


def _check_finite(value: float, name: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _dense(dim_x: int, dim_y: int, off_diag: float) -> np.ndarray:
    """``(1 - off_diag) I + off_diag 11^T``, positive definite iff -1/(d-1) < off_diag < 1."""
    d = check_dim(dim_x, "dim_x") + check_dim(dim_y, "dim_y")
    check_covariance_size(d, f"dim_x={dim_x}, dim_y={dim_y}")
    if not -1.0 / (d - 1) < off_diag < 1.0:
        raise ValueError(
            f"off_diag must lie in ({-1.0 / (d - 1):.6g}, 1) for a positive-definite "
            f"{d}x{d} matrix, got {off_diag!r}"
        )
    return (1.0 - off_diag) * np.eye(d) + off_diag


# --- Poole et al. (2019) staircase -------------------------------------------------------


def staircase_rho(mi: float, dim: int = STAIRCASE_DIM) -> float:
    """The correlation rho with ``-dim/2 log(1 - rho^2) = mi``: ``sqrt(1 - exp(-2 mi / dim))``.

    References: Poole et al. (2019), "On Variational Bounds of Mutual Information", Sec. 4.
    """
    check_dim(dim, "dim")
    if not 0.0 <= mi < math.inf:
        raise ValueError(f"mi must be finite and >= 0, got {mi!r}")
    return math.sqrt(-math.expm1(-2.0 * mi / dim))


def staircase(mi: float, dim: int = STAIRCASE_DIM) -> Task:
    """One level of the staircase: ``x ~ N(0, I_dim)``, ``y = rho x + sqrt(1 - rho^2) eps``
    with ``rho = staircase_rho(mi, dim)``, so that ``I(x; y) = -dim/2 log(1 - rho^2) = mi``.

    References: Poole et al. (2019), "On Variational Bounds of Mutual Information", Sec. 4.
    """
    rho = staircase_rho(mi, dim)
    check_covariance_size(2 * dim, f"dim={dim}")
    eye = np.eye(dim)
    base = SplitNormal(np.block([[eye, rho * eye], [rho * eye, eye]]), dim)
    suffix = "" if dim == STAIRCASE_DIM else f"-{dim}d"
    return Task(
        name=f"staircase-{mi:g}{suffix}",
        description=f"Poole et al. staircase: {dim}-d Gaussian pairs, rho = {rho:.6f}",
        base=base,
    )


def cubic(task: Task) -> Task:
    """``y -> y^3`` (x unchanged), the staircase's cubic variant.

    References: Song and Ermon (2020), "Understanding the Limitations of Variational Mutual
    Information Estimators", Sec. 6.
    """
    return transformed(task, "cubic", "y -> y^3", map_y=CUBE)


# --- bmi: Czyz et al. (2023), "Beyond Normal" ------------------------------------------


def bivariate_normal(correlation: float = 0.75) -> Task:
    """Two standard normal scalars with the given correlation; MI ``-log(1 - rho^2) / 2``.

    References: Czyz et al. (2023), "Beyond Normal", Section 3.
    """
    r = check_correlation(correlation, "correlation")
    return Task(
        name=f"1v1-normal-{_number(r)}",
        description=f"bivariate normal, correlation {r:g}",
        base=SplitNormal([[1.0, r], [r, 1.0]], 1),
    )


def multinormal_dense(dim_x: int, dim_y: int, off_diag: float = 0.5) -> Task:
    """``N(0, S)`` with unit variances and every correlation equal to ``off_diag``.

    References: Czyz et al. (2023), "Beyond Normal", Section 3 (dense interactions).
    """
    cov = _dense(dim_x, dim_y, off_diag)
    return Task(
        name=f"multinormal-dense-{dim_x}-{dim_y}-{_number(off_diag)}",
        description=f"{dim_x}x{dim_y} normal, all correlations {off_diag:g}",
        base=SplitNormal(cov, dim_x),
    )


def multinormal_sparse(
    dim_x: int, dim_y: int, n_interacting: int = 2, strength: float = 2.0
) -> Task:
    """``N(0, S)`` where only ``(X_i, Y_i)``, ``i < n_interacting``, are correlated, each
    with ``strength^2 / (1 + strength^2)`` (bmi's latent-variable model: ``X_i = E_i + s Z_i``,
    ``Y_i = F_i + s Z_i``), every other pair independent.

    References: Czyz et al. (2023), "Beyond Normal", Section 3 (sparse interactions).
    """
    d = check_dim(dim_x, "dim_x") + check_dim(dim_y, "dim_y")
    check_covariance_size(d, f"dim_x={dim_x}, dim_y={dim_y}")
    if isinstance(n_interacting, bool) or not 0 <= n_interacting <= min(dim_x, dim_y):
        raise ValueError(
            f"n_interacting must be an integer in [0, min(dim_x, dim_y)], got {n_interacting!r}"
        )
    s2 = _check_finite(strength, "strength") ** 2
    rho = s2 / (1.0 + s2)
    cov = np.eye(d)
    for i in range(n_interacting):
        cov[i, dim_x + i] = cov[dim_x + i, i] = rho
    return Task(
        name=f"multinormal-sparse-{dim_x}-{dim_y}-{n_interacting}-{_number(strength)}",
        description=f"{dim_x}x{dim_y} normal, {n_interacting} pairs at correlation {rho:g}",
        base=SplitNormal(cov, dim_x),
    )


def student_identity(dim_x: int, dim_y: int, df: float) -> Task:
    """Multivariate Student-t with identity dispersion: X and Y uncorrelated yet dependent
    through their shared scale; the MI is the Student-t correction alone.

    References: Czyz et al. (2023), "Beyond Normal", Section 3; Arellano-Valle et al. (2013).
    """
    d = check_dim(dim_x, "dim_x") + check_dim(dim_y, "dim_y")
    check_covariance_size(d, f"dim_x={dim_x}, dim_y={dim_y}")
    return Task(
        name=f"student-identity-{dim_x}-{dim_y}-{_df(df)}",
        description=f"{dim_x}x{dim_y} Student-t, identity dispersion, df {df:g}",
        base=SplitStudentT(np.eye(d), dim_x, df),
    )


def student_dense(dim_x: int, dim_y: int, df: float, off_diag: float = 0.5) -> Task:
    """Multivariate Student-t whose dispersion has every off-diagonal entry ``off_diag``.

    References: Czyz et al. (2023), "Beyond Normal", Section 3; Arellano-Valle et al. (2013).
    """
    return Task(
        name=f"student-dense-{dim_x}-{dim_y}-{_df(df)}-{_number(off_diag)}",
        description=f"{dim_x}x{dim_y} Student-t, dispersion correlations {off_diag:g}, df {df:g}",
        base=SplitStudentT(_dense(dim_x, dim_y, off_diag), dim_x, df),
    )


def additive_noise(epsilon: float) -> Task:
    """``X ~ U(0, 1)``, ``Y = X + U(-epsilon, epsilon)``.

    References: Czyz et al. (2023), "Beyond Normal", Section 3 (additive noise).
    """
    return Task(
        name=f"1v1-additive-{_number(epsilon)}",
        description=f"X ~ U(0, 1), Y = X + U(-{epsilon:g}, {epsilon:g})",
        base=AdditiveUniform(epsilon),
    )


def bimodal(correlation: float = 0.75) -> Task:
    """A bivariate normal whose marginals are mapped, through their CDFs, onto bimodal
    mixtures: X to ``0.3 N(0, 1) + 0.7 N(5, 1)``, Y to ``0.5 N(-1, 1) + 0.5 N(3, 1)``. The
    copula is Gaussian, so the MI is the bivariate normal's, in closed form.

    References: Czyz et al. (2023), "Beyond Normal", Section 3 (bimodal variables).
    """
    gaussian = bivariate_normal(correlation)
    to_x = GaussianToMixture("bimodal", (0.3, 0.7), (0.0, 5.0), (1.0, 1.0))
    to_y = GaussianToMixture("bimodal", (0.5, 0.5), (-1.0, 3.0), (1.0, 1.0))
    return Task(
        name=f"1v1-bimodal-{_number(correlation)}",
        description=f"bimodal marginals on a Gaussian copula, correlation {correlation:g}",
        base=gaussian.base,
        maps_x=(to_x,),
        maps_y=(to_y,),
    )


def bimodal_mixture(separation: float = 2.0, correlation: float = 0.5) -> Task:
    """A genuinely bimodal joint: ``(X, Y)`` is ``N((-a, -a), C+)`` or ``N((a, a), C-)`` with
    probability 1/2 each, ``a = separation``, ``C+-`` unit variances and correlation
    ``+-correlation``. Its MI has no closed form: it is integrated numerically (see
    ``MixturePairs``).

    References: Czyz et al. (2023), "Beyond Normal" (mixtures as non-Gaussian benchmarks).
    """
    a = _check_finite(separation, "separation")
    r = check_correlation(correlation, "correlation")
    return Task(
        name=f"1v1-mixture-{_number(a)}-{_number(r)}",
        description=f"two bivariate normals at +-({a:g}, {a:g}), correlations +-{r:g}",
        base=MixturePairs(
            weights=(0.5, 0.5),
            means=((-a, -a), (a, a)),
            covariances=(((1.0, r), (r, 1.0)), ((1.0, -r), (-r, 1.0))),
        ),
    )


ELEMENTWISE: dict[str, tuple[str, Map, Map]] = {
    # name: (description, map of x, map of y)
    "half_cube": ("half-cube", HALF_CUBE, HALF_CUBE),  # t |t|^(1/2): longer tails
    "asinh": ("asinh", ASINH, ASINH),  # shorter tails
    "wiggly": ("wiggly maps", WIGGLY_X, WIGGLY_Y),  # identity plus small sines
    "normal_cdf": ("normal CDF", NORMAL_CDF, NORMAL_CDF),  # normal marginals become uniform
}
"""bmi's MI-preserving maps applied to every coordinate of x and of y, by task-id prefix.

References: Czyz et al. (2023), "Beyond Normal", Section 3."""


def elementwise(task: Task, name: str) -> Task:
    """``task`` with the maps ``ELEMENTWISE[name]`` on every coordinate of x and of y."""
    description, map_x, map_y = lookup(ELEMENTWISE, name, "elementwise transform")
    return transformed(task, name, description, map_x, map_y)


def spiral(task: Task, speed: float = 1.0) -> Task:
    """bmi's spiral: x rotated in its plane (0, 1) by ``speed / dim_x * ||x||^2``, y in its
    plane (1, 2) by ``speed / dim_y * ||y||^2``. Needs ``dim_x >= 2`` and ``dim_y >= 3``.

    References: Czyz et al. (2023), "Beyond Normal", Section 3.
    """
    if task.dim_x < 2 or task.dim_y < 3:
        raise ValueError(
            f"spiral needs dim_x >= 2 and dim_y >= 3; {task.name} has {task.dim_x}, {task.dim_y}"
        )
    speed = _check_finite(speed, "speed")
    map_x = Spiral(speed / task.dim_x, (0, 1))
    map_y = Spiral(speed / task.dim_y, (1, 2))
    return transformed(task, "spiral", "spiral", map_x, map_y)


def swissroll(task: Task) -> Task:
    """x in (0, 1) embedded in the plane as a Swiss roll (x becomes 2-d); use it on
    uniform marginals, e.g. ``swissroll(elementwise(bivariate_normal(), "normal_cdf"))``.

    References: Czyz et al. (2023), "Beyond Normal", Section 3.
    """
    if task.dim_x != 1:
        raise ValueError(f"swissroll needs dim_x = 1; {task.name} has {task.dim_x}")
    return transformed(task, "swissroll_x", "Swiss roll of x", map_x=SwissRoll())


# --- Tschannen et al. (2020), Fig. 4c ------------------------------------------------------


def paper_fig4c(sigma_z=FIG4C_SIGMA_Z, sigma_eps=FIG4C_SIGMA_EPS) -> Task:
    """The 2-d Gaussian pairs ``z + eps`` of the paper's Section 4, ``z ~ N(0, sigma_z)``,
    ``eps ~ N(0, sigma_eps)``: by default covariance ``[[2, 0.4], [0.4, 2]]``, correlation
    0.2, MI ``-log(1 - 0.04) / 2 = 0.0204`` nats. Its base (``SharedNormal``) also draws
    the paper's non-iid batches, one z shared by a batch (``mirl estimate --set
    sampler=noniid``, the runs of Fig. 4c).

    References: Tschannen et al. (2020), "On Mutual Information Maximization for
    Representation Learning", Section 4, Fig. 4c.
    """
    base = SharedNormal(sigma_z, sigma_eps)
    cov = np.asarray(base.covariance)
    default = (base.sigma_z, base.sigma_eps) == (FIG4C_SIGMA_Z, FIG4C_SIGMA_EPS)
    return Task(
        name="paper-fig4c" if default else f"paper-fig4c-{base.mutual_information:.4g}",
        description=f"Tschannen et al. Fig. 4c Gaussian pairs z + eps, covariance {cov.tolist()}",
        base=base,
    )


def _catalogue() -> dict[str, Task]:
    normal = bivariate_normal(0.75)
    uniform = elementwise(normal, "normal_cdf")
    sparse = {d: multinormal_sparse(d, d) for d in (2, 3, 5, 25)}
    tasks = [
        *(staircase(mi) for mi in STAIRCASE_LEVELS),
        *(cubic(staircase(mi)) for mi in STAIRCASE_LEVELS),
        paper_fig4c(),
        # bmi's one-dimensional tasks
        normal,
        uniform,
        additive_noise(0.1),
        additive_noise(0.75),
        bimodal(0.75),
        elementwise(normal, "wiggly"),
        elementwise(normal, "half_cube"),
        student_identity(1, 1, 1),
        elementwise(student_identity(1, 1, 1), "asinh"),
        bimodal_mixture(2.0, 0.5),
        swissroll(uniform),
        # multivariate normal, dense and sparse
        *(multinormal_dense(d, d) for d in (2, 3, 5, 25, 50)),
        *sparse.values(),
        # Student-t
        *(student_identity(d, d, df) for d, df in ((2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3))),
        student_dense(3, 3, 5),
        # MI-preserving transforms of them
        *(elementwise(sparse[d], "normal_cdf") for d in (3, 5, 25)),
        *(elementwise(sparse[d], "half_cube") for d in (3, 5, 25)),
        *(spiral(sparse[d]) for d in (3, 5, 25)),
        *(spiral(elementwise(sparse[d], "normal_cdf")) for d in (3, 5, 25)),
        *(elementwise(student_identity(d, d, df), "asinh") for d, df in ((2, 1), (3, 2), (5, 2))),
    ]
    catalogue = {task.name: task for task in tasks}
    assert len(catalogue) == len(tasks), "task names must be unique"
    return catalogue


TASKS: dict[str, Task] = _catalogue()
"""Every named task, by name: Poole et al.'s staircase (``staircase-2`` ... ``staircase-10``
and ``cubic-staircase-*``), bmi's benchmark (names as bmi's ids), and ``paper-fig4c``."""


def get_task(name: str) -> Task:
    """``TASKS[name]``, or a ValueError that lists the valid names."""
    return lookup(TASKS, name, "task")
