"""Codes of a whole data set under K stacked encoders, in chunks."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mirl.runtime.streams import NormalStream

ENCODE_CHUNK = 4096
"""Inputs encoded per call: bounds the activations of K seeds' encoders at once."""


@torch.no_grad()
def encode(
    encoder: nn.Module,
    x: Tensor,
    seeds: int,
    noise: NormalStream | None = None,
    noise_std: float = 0.0,
    chunk: int = ENCODE_CHUNK,
) -> Tensor:
    """Codes of ``x [N, d]`` under each of the K stacked encoders: ``[K, N, out]``.

    With ``noise`` (a stream of ``[K, chunk, d]`` standard normals), each seed sees its own
    noisy copy ``x + noise_std * n``; otherwise all seeds share ``x``.
    """
    codes = []
    for start in range(0, x.shape[0], chunk):
        xb = x[start : start + chunk].expand(seeds, -1, -1)
        if noise is not None:
            xb = xb + noise_std * noise.next()[:, : xb.shape[1]]
        codes.append(encoder(xb))
    return torch.cat(codes, dim=1)
