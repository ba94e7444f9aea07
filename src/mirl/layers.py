"""Dense layers initialized the way the paper's Keras/TF1 models were.

Keras initializes a ``Dense`` kernel glorot-uniform and its bias with zeros; the paper's
invertible and non-invertible experiments override the kernel with a normal of small std
truncated at two standard deviations (``tf.initializers.truncated_normal``). PyTorch's own
``nn.Linear`` default (Kaiming-uniform with a fan-in bias) is neither, so every dense layer
in mirl is made here.
"""

from __future__ import annotations

from torch import nn


def dense(in_dim: int, out_dim: int, bias: bool = True, init_std: float | None = None) -> nn.Linear:
    """``nn.Linear(in_dim, out_dim)`` with a glorot-uniform kernel, or a truncated normal of
    std ``init_std`` (cut at +-2 std) when given, and a zero bias."""
    layer = nn.Linear(in_dim, out_dim, bias=bias)
    init_kernel_(layer.weight, init_std)
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


def init_kernel_(weight: nn.Parameter, init_std: float | None = None) -> None:
    """Glorot-uniform (fans from the weight's shape, as Keras computes them) or truncated normal."""
    if init_std is None:
        nn.init.xavier_uniform_(weight)
    else:
        nn.init.trunc_normal_(weight, mean=0.0, std=init_std, a=-2 * init_std, b=2 * init_std)
