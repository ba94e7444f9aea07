"""Gaussian pairs whose mutual information is known in closed form.

For jointly Gaussian scalars with correlation rho, ``I(X; Y) = -log(1 - rho^2) / 2``; for d
independent such pairs the MI adds up. The paper's Section 4 sampler draws, per batch, one
shared ``z ~ N(0, sigma_z)`` and adds iid ``eps_i ~ N(0, sigma_eps)``: every pair then has
the law ``N(0, sigma_z + sigma_eps)``, but pairs of a batch are no longer independent.
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


class GaussianPairs:
    """Turns standard normals ``[..., B + 1, 2]`` into B pairs ``[..., B, 2]``.

    ``iid``: ``L_xy n_i`` with ``L_xy L_xy^T = sigma_z + sigma_eps`` (the last draw unused).
    ``noniid``: ``L_z n_0 + L_eps n_i``: one shared z for the batch plus iid noise.
    The Cholesky factors are computed once, on the CPU in float64.
    """

    def __init__(self, sampler: str, sigma_z, sigma_eps):
        if sampler not in ("iid", "noniid"):
            raise ValueError(f"unknown sampler {sampler!r}; valid: iid, noniid")
        self.sampler = sampler
        sz = torch.as_tensor(sigma_z, dtype=torch.float64)
        se = torch.as_tensor(sigma_eps, dtype=torch.float64)
        if sampler == "iid":
            self.factors = (torch.linalg.cholesky(sz + se).T,)
        else:
            self.factors = (torch.linalg.cholesky(sz).T, torch.linalg.cholesky(se).T)
        self._cache: dict = {}

    def _on(self, like: Tensor) -> tuple[Tensor, ...]:
        key = (like.device, like.dtype)
        if key not in self._cache:
            self._cache[key] = tuple(f.to(like.device, like.dtype) for f in self.factors)
        return self._cache[key]

    def __call__(self, normals: Tensor) -> Tensor:
        factors = self._on(normals)
        if self.sampler == "iid":
            return normals[..., :-1, :] @ factors[0]
        shared_z = normals[..., -1:, :] @ factors[0]
        return shared_z + normals[..., :-1, :] @ factors[1]
