"""Gaussian pairs whose mutual information is known in closed form.

For jointly Gaussian scalars with correlation rho, ``I(X; Y) = -log(1 - rho^2) / 2``; for d
independent such pairs the MI adds up. (The paper's Section 4 pairs, and its non-iid
batches, are the task ``paper-fig4c``: ``mirl.tasks.SharedNormal``.)
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def gaussian_mi(sigma) -> float:
    """MI in nats of a bivariate Gaussian with covariance ``sigma [2, 2]``."""
    s = np.asarray(sigma, dtype=np.float64)
    rho_sq = s[0, 1] * s[1, 0] / (s[0, 0] * s[1, 1])
    return -0.5 * math.log(1.0 - rho_sq)


def correlated_gaussian_mi(rho: float, dim: int) -> float:
    """MI in nats of ``dim`` independent pairs of scalars with correlation ``rho``."""
    return -0.5 * dim * math.log(1.0 - rho**2)


def correlated_gaussian(
    rho: float, dim: int, n: int, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """``n`` samples of ``x, y [n, dim]`` with ``corr(x_k, y_k) = rho`` and all else independent."""
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must lie in (-1, 1), got {rho}")
    x = torch.randn(n, dim, generator=generator)
    noise = torch.randn(n, dim, generator=generator)
    return x, rho * x + math.sqrt(1.0 - rho**2) * noise
