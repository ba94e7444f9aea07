"""Evaluation of K seeds at once: codes of the whole data set, the linear probe, the Jacobian."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import torch
from torch import Tensor

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
