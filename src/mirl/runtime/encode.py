"""Evaluation of K seeds at once: codes of the whole data set, the linear probe, the Jacobian."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import torch
from torch import Tensor
from torch.func import jacrev, vmap

from mirl.data.views import ImageData, split_views
from mirl.probe import Accuracies, start_probe
from mirl.runtime.stacking import SeedStack
from mirl.runtime.streams import NormalStream, derive_seed

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


def pixel_baseline(
    data: ImageData, noise_std: float = 0.05, probe: str = "sklearn", seed: int = 0
) -> float:
    """The probe on the raw top-half pixels, with Gaussian noise of ``noise_std`` added to
    train and test images: the reference the paper's encoders are compared with (~0.835)."""
    generator = torch.Generator(device=data.device).manual_seed(derive_seed(seed, "baseline"))
    train_top, test_top = split_views(data.train_x)[0], split_views(data.test_x)[0]

    def noisy(x: Tensor) -> Tensor:
        return x + noise_std * torch.randn(x.shape, generator=generator, device=x.device)

    accuracy = probe_accuracy(probe, noisy(train_top)[None], noisy(test_top)[None], data, [seed])
    return float(accuracy.result()[0])
