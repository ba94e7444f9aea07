"""Dense and convolutional layers initialized as the paper's Keras/TF1 models were, each
able to carry a leading seed axis (``mirl.seeds``).

Keras initializes a ``Dense`` kernel glorot-uniform and its bias with zeros; the paper's
invertible and non-invertible experiments override the kernel with a normal of small std
truncated at two standard deviations (``tf.initializers.truncated_normal``). PyTorch's own
``nn.Linear`` default (Kaiming-uniform with a fan-in bias) is neither.

Stacked, a dense layer's weight is ``[K, out, in]`` and its input ``[K, ..., in]``: one
batched matrix product (``baddbmm``) for all K seeds. A convolution's weight is
``[K, out, in, h, w]`` and its input is laid out ``[N, K * in, H, W]``: one grouped
convolution (``groups=K``) for all K seeds.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl.seeds import Stackable


def init_kernel_(weight: Tensor, init_std: float | None = None) -> None:
    """Glorot-uniform (fans from the weight's shape, as Keras computes them) or truncated normal."""
    if init_std is None:
        nn.init.xavier_uniform_(weight)
    else:
        nn.init.trunc_normal_(weight, mean=0.0, std=init_std, a=-2 * init_std, b=2 * init_std)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x W^T + b`` for one seed (``weight [out, in]``, ``x [..., in]``) or for K stacked seeds
    (``weight [K, out, in]``, ``bias [K, out]``, ``x [K, ..., in]``) -> ``[(K,) ..., out]``."""
    if weight.ndim == 2:
        return F.linear(x, weight, bias)
    k, out, width = weight.shape
    flat = x.reshape(k, -1, width)
    if bias is None:
        y = torch.bmm(flat, weight.transpose(1, 2))
    else:
        y = torch.baddbmm(bias.unsqueeze(1), flat, weight.transpose(1, 2))
    return y.reshape(*x.shape[:-1], out)


class Dense(Stackable):
    """A dense layer ``[..., in_dim] -> [..., out_dim]`` with a glorot-uniform kernel, or a
    truncated normal of std ``init_std`` (cut at +-2 std) when given, and a zero bias.

    The weight has ``nn.Linear``'s layout ``[out, in]`` and is drawn after the same draws
    ``nn.Linear`` makes, so a seed's initialization does not depend on which layer class
    holds it.
    """

    def __init__(self, in_dim: int, out_dim: int, bias: bool = True, init_std: float | None = None):
        super().__init__()
        if in_dim < 1 or out_dim < 1:
            raise ValueError(f"Dense needs positive dimensions, got {in_dim} -> {out_dim}")
        reference = nn.Linear(in_dim, out_dim, bias=bias)
        init_kernel_(reference.weight, init_std)
        self.weight = reference.weight
        self.bias = reference.bias
        if bias:
            nn.init.zeros_(self.bias)
        self.in_dim, self.out_dim = in_dim, out_dim

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)


class Conv2d(Stackable):
    """A strided convolution on inputs laid out ``[N, G * in_channels, H, W]``, ``G`` the
    number of stacked seeds (1 for one seed). Padding is left to the caller (TensorFlow's
    "same" is asymmetric).

    Its tensors are drawn as ``nn.Conv2d`` draws them; ``keras_init_`` then gives them Keras'
    glorot-uniform kernel and zero bias (the ConvNet does so once both its convolutions
    exist, in the order its seeds have always been drawn in).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1):
        super().__init__()
        reference = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride)
        self.weight, self.bias = reference.weight, reference.bias
        self.stride = stride

    def keras_init_(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        nn.init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        groups = self.weight.shape[0] if self.weight.ndim == 5 else 1
        weight = self.weight.reshape(-1, *self.weight.shape[-3:])
        return F.conv2d(x, weight, self.bias.reshape(-1), stride=self.stride, groups=groups)
