"""Evaluation of K seeds at once: codes of the whole data set, the linear probe, the Jacobian."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import torch
from torch import Tensor
from torch.func import jacrev, vmap

from mirl.data.views import ImageData
from mirl.probe import Accuracies, start_probe
from mirl.runtime.stacking import SeedStack
from mirl.runtime.streams import NormalStream

ENCODE_CHUNK = 4096


@torch.no_grad()
def encode(
    stack: SeedStack,
    x: Tensor,
    noise: NormalStream | None = None,
    noise_std: float = 0.0,
    chunk: int = ENCODE_CHUNK,
) -> Tensor:
    """Codes of ``x [N, d]`` under each of the K encoders: ``[K, N, out]``.

    With ``noise`` (a stream of ``[K, chunk, d]`` standard normals), each seed sees its own
    noisy copy ``x + noise_std * n``; otherwise all seeds share ``x``.
    """
    codes = []
    for start in range(0, x.shape[0], chunk):
        xb = x[start : start + chunk]
        if noise is None:
            codes.append(stack(xb, in_dims=(None,)))
        else:
            n = noise.next()[:, : xb.shape[0]]
            codes.append(stack(xb + noise_std * n, in_dims=(0,)))
    return torch.cat(codes, dim=1)


def probe_accuracy(
    probe: str,
    train_codes: Tensor,
    test_codes: Tensor,
    data: ImageData,
    seeds: Sequence[int],
    executor: Executor | None = None,
) -> Accuracies:
    """Linear-probe test accuracy ``[K]`` of K seeds' codes (``[K, N, d]``, ``[K, M, d]``),
    computed now or, for saga with an ``executor``, in the background."""
    return start_probe(probe, train_codes, data.train_y, test_codes, data.test_y, seeds, executor)


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
