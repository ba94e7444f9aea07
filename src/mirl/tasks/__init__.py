"""Ground-truth tasks: pairs ``(X, Y)`` with known mutual information, to test estimators on.

``TASKS`` maps a name to a ``Task``: ``task.sample(n, generator)`` draws ``x [n, dim_x]`` and
``y [n, dim_y]`` (float32, on the generator's device) and ``task.true_mi`` is their MI in
nats. ``get_task(name)`` looks one up and lists the valid names when it is unknown.

- Poole et al. (2019)'s staircase, ``staircase-2`` ... ``staircase-10`` (20-d Gaussians),
  and Song and Ermon (2020)'s cubic variant ``cubic-staircase-*``; ``STAIRCASE_LEVELS`` and
  ``staircase_rho`` let an estimation run step through the levels.
- bmi's benchmark (Czyz et al. 2023, "Beyond Normal"), with bmi's task ids: normal, Student-t,
  additive-noise, bimodal and mixture tasks, and their MI-preserving transforms (half-cube,
  asinh, wiggly, spiral, normal CDF, Swiss roll).
- ``paper-fig4c``: the Gaussian pairs of Tschannen et al. (2020), Fig. 4c (0.0204 nats),
  whose base ``SharedNormal`` also draws the paper's non-iid batches (``SAMPLERS``).

New tasks compose a factory with transforms, e.g.
``spiral(elementwise(multinormal_sparse(4, 4), "normal_cdf"))``; every factory validates its
parameters (ValueError) before anything is sampled.
"""

from mirl.tasks._catalogue import (
    ELEMENTWISE,
    STAIRCASE_DIM,
    STAIRCASE_LEVELS,
    TASKS,
    additive_noise,
    bimodal,
    bimodal_mixture,
    bivariate_normal,
    cubic,
    elementwise,
    get_task,
    multinormal_dense,
    multinormal_sparse,
    paper_fig4c,
    spiral,
    staircase,
    staircase_rho,
    student_dense,
    student_identity,
    swissroll,
)
from mirl.tasks._distributions import (
    AdditiveUniform,
    Distribution,
    SplitNormal,
    SplitStudentT,
)
from mirl.tasks._maps import (
    Elementwise,
    GaussianToMixture,
    Map,
    Spiral,
    SwissRoll,
)
from mirl.tasks._mixture import MixturePairs
from mirl.tasks._shared import (
    FIG4C_SIGMA_EPS,
    FIG4C_SIGMA_Z,
    SAMPLERS,
    BatchSampler,
    SharedNormal,
)
from mirl.tasks._task import Task, transformed

__all__ = [
    "ELEMENTWISE",
    "FIG4C_SIGMA_EPS",
    "FIG4C_SIGMA_Z",
    "SAMPLERS",
    "STAIRCASE_DIM",
    "STAIRCASE_LEVELS",
    "TASKS",
    "AdditiveUniform",
    "BatchSampler",
    "Distribution",
    "Elementwise",
    "GaussianToMixture",
    "Map",
    "MixturePairs",
    "SharedNormal",
    "Spiral",
    "SplitNormal",
    "SplitStudentT",
    "SwissRoll",
    "Task",
    "additive_noise",
    "bimodal",
    "bimodal_mixture",
    "bivariate_normal",
    "cubic",
    "elementwise",
    "get_task",
    "multinormal_dense",
    "multinormal_sparse",
    "paper_fig4c",
    "spiral",
    "staircase",
    "staircase_rho",
    "student_dense",
    "student_identity",
    "swissroll",
    "transformed",
]
