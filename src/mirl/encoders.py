"""Encoders g: the MLP and the ConvNet of the paper; the invertible RealNVP lives in ``flows``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl._shapes import check_input
from mirl.flows import RealNVP
from mirl.layers import dense


class MLP(nn.Module):
    """Dense layers of ``widths``, ReLU between them, none after the last.

    With ``shortcuts`` every layer is residual, ``x <- layer(x) + x``, which needs every
    width equal to ``in_dim`` (the paper's non-invertible encoder: 5 x 392, init std 1e-4).
    Kernels are glorot-uniform, or truncated normal with ``init_std``; biases zero.
    Maps ``[B, in_dim] -> [B, widths[-1]]``.

    References: Tschannen et al. (2020), Sections 3.1-3.3.
    """

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
            dense(a, b, init_std=init_std) for a, b in itertools.pairwise(dims)
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


class LayerNorm(nn.Module):
    """Normalize each sample over (C, H, W): ``(x - mean) / (std + eps) * scale_c + bias_c``.

    As in the paper's code, eps is added to the (population) standard deviation, not to the
    variance, and the scale and bias are per channel.
    """

    def __init__(self, channels: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor) -> Tensor:
        mean = x.mean(dim=(-3, -2, -1), keepdim=True)
        std = x.std(dim=(-3, -2, -1), keepdim=True, unbiased=False)
        return (x - mean) / (std + self.eps) * self.scale[:, None, None] + self.bias[:, None, None]


class ConvNet(nn.Module):
    """The paper's ConvNet for a half image: reshape to 1 x height x (in_dim / height), two
    5x5 stride-2 ReLU convolutions ("same" padding, ``channels`` then ``2 * channels``),
    layer norm over (C, H, W), global average pooling, and a dense layer to ``out_dim``.
    Maps ``[B, in_dim] -> [B, out_dim]``; the default is a 14 x 28 half MNIST image.

    References: Tschannen et al. (2020), Section 3.3.
    """

    def __init__(
        self,
        in_dim: int = 392,
        height: int = 14,
        channels: int = 64,
        kernel_size: int = 5,
        out_dim: int = 100,
    ):
        super().__init__()
        if in_dim % height:
            raise ValueError(
                f"ConvNet: in_dim={in_dim} is not a whole number of rows of height {height}"
            )
        self.in_dim, self.out_dim = in_dim, out_dim
        self.in_shape = (height, in_dim // height)
        self.conv1 = nn.Conv2d(1, channels, kernel_size, stride=2)
        self.conv2 = nn.Conv2d(channels, 2 * channels, kernel_size, stride=2)
        for conv in (self.conv1, self.conv2):
            nn.init.xavier_uniform_(conv.weight)
            nn.init.zeros_(conv.bias)
        h, w = self.in_shape
        self.pad1 = _same_padding(w, kernel_size, 2) + _same_padding(h, kernel_size, 2)
        h, w = -(-h // 2), -(-w // 2)
        self.pad2 = _same_padding(w, kernel_size, 2) + _same_padding(h, kernel_size, 2)
        self.norm = LayerNorm(2 * channels)
        self.head = dense(2 * channels, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_dim, "ConvNet")
        lead = x.shape[:-1]
        x = x.reshape(-1, 1, *self.in_shape)
        x = F.relu(self.conv1(F.pad(x, self.pad1)))
        x = F.relu(self.conv2(F.pad(x, self.pad2)))
        x = self.norm(x).mean(dim=(-2, -1))
        return self.head(x).reshape(*lead, self.out_dim)


ENCODERS = {"mlp": MLP, "convnet": ConvNet, "realnvp": RealNVP}
"""Every encoder by name: each maps ``[B, in_dim] -> [B, out_dim]``."""
