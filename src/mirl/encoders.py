"""Encoders g: the MLP and the ConvNet of the paper; the invertible RealNVP lives in ``flows``.

Every encoder maps ``[B, in_dim] -> [B, out_dim]``; stacked (``mirl.seeds.stack``), it maps
``[K, B, in_dim] -> [K, B, out_dim]``, seed k's inputs through seed k's weights.

``ENCODERS`` maps a name to a class built as ``ENCODERS[name](in_dim, **kwargs)``, with an
``out_dim`` attribute; one's own encoder is one more entry. Its class attribute
``example_kwargs`` gives a small instance for ``mirl check`` (a stacked seed must train as
that seed alone).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl._registry import build
from mirl._shapes import check_input
from mirl.flows import RealNVP
from mirl.layers import Conv2d, Dense
from mirl.seeds import Stackable


class MLP(Stackable):
    """Dense layers of ``widths``, ReLU between them, none after the last.

    With ``shortcuts`` every layer is residual, ``x <- layer(x) + x``, which needs every
    width equal to ``in_dim`` (the paper's non-invertible encoder: 5 x 392, init std 1e-4).
    Kernels are glorot-uniform, or truncated normal with ``init_std``; biases zero.
    Maps ``[B, in_dim] -> [B, widths[-1]]``.

    References: Tschannen et al. (2020), Sections 3.1-3.3.
    """

    example_kwargs: ClassVar[dict[str, Any]] = {"widths": [16, 8]}

    def __init__(
        self,
        in_dim: int,
        widths: Sequence[int],
        shortcuts: bool = False,
        init_std: float | None = None,
    ):
        super().__init__()
        widths = list(widths)
        if not widths:
            raise ValueError("MLP needs at least one layer width")
        if shortcuts and any(w != in_dim for w in widths):
            raise ValueError(
                f"MLP with shortcuts needs every width equal to in_dim={in_dim}, got {widths}"
            )
        self.in_dim, self.out_dim, self.shortcuts = in_dim, widths[-1], shortcuts
        dims = [in_dim, *widths]
        self.layers = nn.ModuleList(
            Dense(a, b, init_std=init_std) for a, b in itertools.pairwise(dims)
        )

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_dim, "MLP")
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            y = layer(x)
            if i < last:
                y = F.relu(y)
            x = y + x if self.shortcuts else y
        return x


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding: output ceil(size / stride), the odd pixel padded after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class LayerNorm(Stackable):
    """Normalize each sample over (C, H, W): ``(x - mean) / (std + eps) * scale_c + bias_c``.

    As in the paper's code, eps is added to the (population) standard deviation, not to the
    variance, and the scale and bias are per channel. Inputs are ``[N, G * C, H, W]`` with
    ``G`` stacked seeds (1 for one seed), each seed's C channels normalized on their own.
    """

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        channels = self.scale.shape[-1]
        grouped = x.reshape(x.shape[0], -1, channels, *x.shape[-2:])  # [N, G, C, H, W]
        mean = grouped.mean(dim=(-3, -2, -1), keepdim=True)
        std = grouped.std(dim=(-3, -2, -1), keepdim=True, unbiased=False)
        scale = self.scale.reshape(-1, channels, 1, 1)
        bias = self.bias.reshape(-1, channels, 1, 1)
        return ((grouped - mean) / (std + self.eps) * scale + bias).reshape(x.shape)

    def pooled(self, x: Tensor) -> Tensor:
        """``forward(x).mean(dim=(-2, -1))``, ``[N, G * C]``, without forming ``forward(x)``.

        The scale and bias are per channel, so the pooled normalization is that of each
        channel's mean. The standard deviation is computed in two passes, as in ``forward``,
        but as one norm. On the CPU, normalizing the maps and then pooling them took two
        fifths of the quick ConvNet's forward pass (``torch.std`` alone a fifth); this takes
        a thirteenth of that time.
        """
        channels, pixels = self.scale.shape[-1], x.shape[-2] * x.shape[-1]
        grouped = x.reshape(x.shape[0], x.shape[1] // channels, channels, pixels)  # [N,G,C,HW]
        channel_means = grouped.mean(dim=-1)
        mean = channel_means.mean(dim=-1, keepdim=True)
        deviations = grouped - mean.unsqueeze(-1)
        std = torch.linalg.vector_norm(deviations, dim=(-2, -1)) / (channels * pixels) ** 0.5
        scale, bias = self.scale.reshape(-1, channels), self.bias.reshape(-1, channels)
        normalized = (channel_means - mean) / (std.unsqueeze(-1) + self.eps) * scale + bias
        return normalized.reshape(x.shape[:2])


class ConvNet(Stackable):
    """The paper's ConvNet for a half image: reshape to 1 x height x (in_dim / height), two
    5x5 stride-2 ReLU convolutions ("same" padding, ``channels`` then ``channels2``, by
    default ``2 * channels``), layer norm over (C, H, W), global average pooling, and a
    dense layer to ``out_dim``. Maps ``[B, in_dim] -> [B, out_dim]``; the default is a
    14 x 28 half MNIST image. The code's rank is at most ``channels2`` (the pooled features),
    so a smaller model that keeps the paper's code keeps ``channels2 >= out_dim``.

    References: Tschannen et al. (2020), Section 3.3.
    """

    example_kwargs: ClassVar[dict[str, Any]] = {"channels": 2, "out_dim": 6}

    def __init__(
        self,
        in_dim: int = 392,
        height: int = 14,
        channels: int = 64,
        kernel_size: int = 5,
        out_dim: int = 100,
        channels2: int | None = None,
    ):
        super().__init__()
        if in_dim % height:
            raise ValueError(
                f"ConvNet: in_dim={in_dim} is not a whole number of rows of height {height}"
            )
        self.in_dim, self.out_dim = in_dim, out_dim
        self.in_shape = (height, in_dim // height)
        channels2 = 2 * channels if channels2 is None else channels2
        self.conv1 = Conv2d(1, channels, kernel_size, stride=2)
        self.conv2 = Conv2d(channels, channels2, kernel_size, stride=2)
        for conv in (self.conv1, self.conv2):
            conv.keras_init_()
        h, w = self.in_shape
        self.pad1 = _same_padding(w, kernel_size, 2) + _same_padding(h, kernel_size, 2)
        h, w = -(-h // 2), -(-w // 2)
        self.pad2 = _same_padding(w, kernel_size, 2) + _same_padding(h, kernel_size, 2)
        self.norm = LayerNorm(channels2)
        self.head = Dense(channels2, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_dim, "ConvNet")
        stacked = self.conv1.weight.ndim == 5
        seeds = self.conv1.weight.shape[0] if stacked else 1
        lead = x.shape[1:-1] if stacked else x.shape[:-1]
        n = lead.numel()
        # The seeds become the channels of one image: [N, K * 1, H, W], N the samples.
        images = x.reshape(seeds, n, *self.in_shape).transpose(0, 1)
        h = F.relu(self.conv1(F.pad(images, self.pad1)))
        h = F.relu(self.conv2(F.pad(h, self.pad2)))
        pooled = self.norm.pooled(h)  # [N, K * C]: layer norm, then average pooling
        features = pooled.reshape(n, seeds, self.head.in_dim).transpose(0, 1)  # [K, N, C]
        if not stacked:
            features = features[0]
        return self.head(features).reshape(*((seeds,) if stacked else ()), *lead, self.out_dim)


ENCODERS = {"mlp": MLP, "convnet": ConvNet, "realnvp": RealNVP}
"""Every encoder by name: each maps ``[B, in_dim] -> [B, out_dim]``."""


def build_encoder(name: str, in_dim: int, **kwargs: Any) -> nn.Module:
    """``ENCODERS[name](in_dim, **kwargs)``; an unknown name or argument is a ValueError that
    lists the valid ones."""
    return build(ENCODERS, name, "encoder", in_dim=in_dim, **kwargs)
