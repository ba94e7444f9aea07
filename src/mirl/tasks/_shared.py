"""The Gaussian pairs of Tschannen et al. (2020), Section 4: a shared component plus noise.

Each pair is ``(x, y) = z + eps`` with ``z ~ N(0, sigma_z)`` and ``eps ~ N(0, sigma_eps)``,
so its law is ``N(0, sigma_z + sigma_eps)``, of closed-form MI. The paper draws batches two
ways, which is what its Fig. 4c compares: ``iid``, every pair its own draw of that law;
``noniid``, one z shared by the whole batch plus iid eps. Every pair has the same marginal
law under both, but the pairs of a non-iid batch are dependent, and the negatives of a
bound are then no draws of p(x)p(y): the lower-bound guarantee is lost.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from mirl.tasks._distributions import SplitNormal

FIG4C_SIGMA_Z = ((1.0, -0.5), (-0.5, 1.0))
FIG4C_SIGMA_EPS = ((1.0, 0.9), (0.9, 1.0))
"""Tschannen et al. (2020), Section 4: the covariances of z and eps."""

SAMPLERS = ("iid", "noniid")
"""The paper's two ways of drawing a batch (see the module docstring)."""


def _covariance(value, name: str) -> np.ndarray:
    m = np.asarray(value, dtype=np.float64)
    ok = (
        m.shape == (2, 2)
        and np.isfinite(m).all()
        and m[0, 1] == m[1, 0]
        and m[0, 0] > 0
        and m[0, 0] * m[1, 1] - m[0, 1] ** 2 > 0
    )
    if not ok:
        raise ValueError(f"{name} must be a symmetric positive-definite 2x2 matrix, got {value}")
    return m


class SharedNormal(SplitNormal):
    """2-d pairs ``(x, y) = z + eps``: as a distribution, ``N(0, sigma_z + sigma_eps)``
    (x the first coordinate, y the second); ``batch_sampler`` draws the paper's batches.

    The MI is ``-log(1 - rho^2) / 2`` for the correlation rho of ``sigma_z + sigma_eps``.
    """

    def __init__(self, sigma_z=FIG4C_SIGMA_Z, sigma_eps=FIG4C_SIGMA_EPS):
        sz, se = _covariance(sigma_z, "sigma_z"), _covariance(sigma_eps, "sigma_eps")
        covariance = sz + se
        super().__init__(covariance, 1)
        rho_sq = covariance[0, 1] * covariance[1, 0] / (covariance[0, 0] * covariance[1, 1])
        object.__setattr__(self, "mutual_information", -0.5 * math.log(1.0 - rho_sq))
        object.__setattr__(self, "sigma_z", tuple(map(tuple, sz.tolist())))
        object.__setattr__(self, "sigma_eps", tuple(map(tuple, se.tolist())))

    def batch_sampler(self, sampler: str) -> BatchSampler:
        """The paper's ``sampler`` ("iid" or "noniid") for this distribution."""
        return BatchSampler(sampler, self.sigma_z, self.sigma_eps)


class BatchSampler:
    """Turns standard normals ``[..., B + 1, 2]`` into a batch of B pairs ``[..., B, 2]``.

    ``iid``: ``L n_i`` with ``L L^T = sigma_z + sigma_eps`` (the last draw unused);
    ``noniid``: ``L_z n_0 + L_eps n_i``, one shared z for the batch plus iid noise. The
    Cholesky factors are computed once, on the CPU in float64.
    """

    def __init__(self, sampler: str, sigma_z, sigma_eps):
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; valid: {', '.join(SAMPLERS)}")
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
