"""The Jacobian of an encoder at its inputs, its singular values, and condition numbers.

The paper's Fig. 2c follows how ill-conditioned the non-invertible encoder becomes while
the bound grows: per sample, ``log(sigma_max / sigma_min)`` of the encoder's Jacobian.

The singular values are the square roots of the eigenvalues of the Gram matrix ``J^T J``,
computed in float64 on the Jacobians' device: a symmetric eigensolver is several times
cheaper than an SVD (on an H200, 3.6 ms against 19.9 ms a matrix; on 15 CPU threads
beside the training, 20.6 ms: ``benchmarks/results/bench-cuda-h200.json``), and squaring
loses nothing that matters here. In float64 the eigenvalues carry an absolute
error of about ``1e-16 * sigma_max^2``, so ``sigma_min`` keeps a relative accuracy of about
``1e-16 * cond^2``: better than ``1e-8`` up to ``log cond = 9`` (the paper reaches about 8).
``tests/runtime/test_jacobian.py`` checks this against ``svdvals`` on ill-conditioned
Jacobians.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

ACTIVATION_BUDGET = 2**25
"""Elements of one layer's activations per Jacobian chunk (128 MiB in float32)."""


def jacobians(encoder: nn.Module, x: Tensor) -> Tensor:
    """The Jacobian of the encoder at each input: ``x [K, n, d] -> [K, n, out, d]`` for K
    stacked seeds (or ``[n, d] -> [n, out, d]`` for one).

    Every output row depends on its own input row only. So each input row is repeated
    ``out`` times, copy j's output j is summed, and one backward pass of that sum gives
    every Jacobian row of every sample: plain batched matrix products, in chunks of samples.
    """
    out_dim, d = encoder.out_dim, x.shape[-1]
    n = x.shape[-2]
    per_sample = x[..., 0, 0].numel() * out_dim * max(d, out_dim)
    chunk = max(1, ACTIVATION_BUDGET // per_sample)
    parts = []
    for start in range(0, n, chunk):
        rows = x[..., start : start + chunk, :].detach()
        copies = rows.unsqueeze(-2).expand(*rows.shape[:-1], out_dim, d).clone()
        copies.requires_grad_(True)
        outputs = encoder(copies)  # [..., chunk, out (copies), out]
        (grad,) = torch.autograd.grad(outputs.diagonal(dim1=-2, dim2=-1).sum(), copies)
        parts.append(grad)
    return torch.cat(parts, dim=-3)


def singular_values(jac: Tensor) -> np.ndarray:
    """Singular values of each ``[out, d]`` matrix of ``jac [..., out, d]``, descending,
    float64 (from the eigenvalues of ``J^T J``; see the module docstring)."""
    j = jac.double()
    gram = j.transpose(-1, -2) @ j if j.shape[-2] >= j.shape[-1] else j @ j.transpose(-1, -2)
    eigenvalues = torch.linalg.eigvalsh(gram).clamp_min(0.0)
    return eigenvalues.sqrt().flip(-1).cpu().numpy()


def log_condition_numbers(spectra: np.ndarray) -> np.ndarray:
    """``log(sigma_max / sigma_min)`` over the last axis: ``[..., d] -> [...]``, in float64.

    A zero singular value gives an infinite condition number, not an error.
    """
    s = np.asarray(spectra, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(s.max(axis=-1)) - np.log(s.min(axis=-1))
