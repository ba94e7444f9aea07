"""The Jacobian of an encoder at its inputs, its singular values, and condition numbers.

The paper's Fig. 2c follows how ill-conditioned the non-invertible encoder becomes while
the bound grows: per sample, ``log(sigma_max / sigma_min)`` of the encoder's Jacobian.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor
from torch.func import jacrev, vmap

from mirl.runtime.stacking import SeedStack


@torch.no_grad()
def jacobian_singular_values(stack: SeedStack, x: Tensor) -> Tensor:
    """Singular values of the per-sample Jacobian of each seed's encoder at its inputs.

    ``x [K, n, d]`` (seed k's n inputs) -> ``[K, n, min(out, d)]``, descending, float64.
    Jacobians come from reverse mode, vmapped over samples and seeds; the SVD runs in
    float64 so that log-condition numbers near 10 are still resolved.
    """

    def one_seed(params: dict, buffers: dict, xs: Tensor) -> Tensor:
        def single(xi: Tensor) -> Tensor:
            return stack.call_one(params, buffers, xi[None])[0]

        return vmap(jacrev(single))(xs)

    jac = vmap(one_seed)(stack.params, stack.buffers, x)
    return torch.linalg.svdvals(jac.double())


def log_condition_numbers(singular_values: np.ndarray) -> np.ndarray:
    """``log(sigma_max / sigma_min)`` over the last axis: ``[..., d] -> [...]``, in float64.

    A zero singular value gives an infinite condition number, not an error.
    """
    s = np.asarray(singular_values, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(s.max(axis=-1)) - np.log(s.min(axis=-1))
