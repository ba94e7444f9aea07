"""Critics f: map two batches of codes ``u [B, du], v [B, dv]`` to scores ``S [B, B]``
with ``S[i, j] = f(u_i, v_j)``; the diagonal scores the positive pairs.

Leading dimensions pass through: ``u [..., B, du], v [..., B, dv] -> S [..., B, B]``.
Stacked (``mirl.seeds.stack``), the first leading dimension is the seed axis ``K``.

``CRITICS`` maps a name to a class built as ``CRITICS[name](dim_u, dim_v, **kwargs)``; one's
own critic is one more entry, a ``mirl.Stackable`` made of stackable layers
(``mirl.layers.Dense``). ``mirl check`` builds each with its defaults, or its class
attribute ``example_kwargs`` where it has one, and checks that entry ``[i, j]`` is the
critic on the pair ``(u_i, v_j)`` and that a stacked seed trains as that seed alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl._registry import build
from mirl._shapes import check_pair
from mirl.encoders import MLP
from mirl.layers import Dense, init_kernel_, linear
from mirl.seeds import Stackable


class InnerProduct(Stackable):
    """``f(u, v) = u . v``; needs ``du == dv``; no parameters. The dimensions are optional and
    only checked, so that every critic can be built as ``CRITICS[name](dim_u, dim_v)``.

    References: Tschannen et al. (2020), Section 3.2.
    """

    def __init__(self, dim_u: int | None = None, dim_v: int | None = None):
        super().__init__()
        if dim_u is not None and dim_v is not None and dim_u != dim_v:
            raise ValueError(f"InnerProduct needs du == dv, got {dim_u} and {dim_v}")
        self.dim_u, self.dim_v = dim_u, dim_v

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        check_pair(u, v, self.dim_u, self.dim_v, "InnerProduct")
        if u.shape[-1] != v.shape[-1]:
            raise ValueError(f"InnerProduct needs du == dv, got {u.shape[-1]} and {v.shape[-1]}")
        return u @ v.transpose(-1, -2)


class Bilinear(Stackable):
    """``f(u, v) = u^T W v`` with ``W [du, dv]`` (glorot-uniform, no bias).

    References: Oord et al. (2018); Tschannen et al. (2020), Section 3.2.
    """

    def __init__(self, dim_u: int, dim_v: int):
        super().__init__()
        self.dim_u, self.dim_v = dim_u, dim_v
        # As in the paper's code, a bias-free dense layer maps v to u's space.
        self.project_v = Dense(dim_v, dim_u, bias=False)

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        check_pair(u, v, self.dim_u, self.dim_v, "Bilinear")
        return u @ self.project_v(v).transpose(-1, -2)


class Concat(Stackable):
    """``f(u, v) = MLP([u, v])``: ``layers`` ReLU layers of width ``hidden``, then a scalar.

    The first layer on a concatenated pair is ``W_u u + W_v v + b``, so it is computed once
    per row and per column and broadcast to the B x B grid: the B^2 concatenated pairs are
    never built. The kernel is one ``[hidden, du + dv]`` matrix, initialized glorot-uniform
    on that joint fan-in, as a dense layer on the concatenation would be.

    References: Poole et al. (2019); Tschannen et al. (2020), Section 3.2 ("MLP critic").
    """

    example_kwargs: ClassVar[dict[str, Any]] = {"hidden": 8, "layers": 2}

    def __init__(self, dim_u: int, dim_v: int, hidden: int = 200, layers: int = 1):
        super().__init__()
        if layers < 1:
            raise ValueError(f"Concat needs at least one hidden layer, got layers={layers}")
        self.dim_u, self.dim_v = dim_u, dim_v
        self.weight = nn.Parameter(torch.empty(hidden, dim_u + dim_v))
        self.bias = nn.Parameter(torch.zeros(hidden))
        init_kernel_(self.weight)
        self.rest = MLP(hidden, [hidden] * (layers - 1) + [1])

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        check_pair(u, v, self.dim_u, self.dim_v, "Concat")
        w_u, w_v = self.weight[..., : self.dim_u], self.weight[..., self.dim_u :]
        hidden = linear(u, w_u).unsqueeze(-2) + linear(v, w_v, self.bias).unsqueeze(-3)
        return self.rest(F.relu(hidden)).squeeze(-1)


class Separable(Stackable):
    """``f(u, v) = phi(u) . psi(v)`` with two ReLU MLPs of ``layers`` hidden layers of width
    ``hidden`` and an output of width ``out``.

    References: Poole et al. (2019); Tschannen et al. (2020), Section 3.2.
    """

    example_kwargs: ClassVar[dict[str, Any]] = {"hidden": 8, "out": 4, "layers": 2}

    def __init__(self, dim_u: int, dim_v: int, hidden: int = 100, out: int = 100, layers: int = 1):
        super().__init__()
        self.dim_u, self.dim_v = dim_u, dim_v
        widths: Sequence[int] = [hidden] * layers + [out]
        self.phi = MLP(dim_u, widths)
        self.psi = MLP(dim_v, widths)

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        check_pair(u, v, self.dim_u, self.dim_v, "Separable")
        return self.phi(u) @ self.psi(v).transpose(-1, -2)


CRITICS = {
    "innerprod": InnerProduct,
    "bilinear": Bilinear,
    "concat": Concat,
    "separable": Separable,
}
"""Every critic by name: each maps ``(u [B, du], v [B, dv]) -> S [B, B]``."""


def build_critic(name: str, dim_u: int, dim_v: int, **kwargs: Any) -> nn.Module:
    """``CRITICS[name](dim_u, dim_v, **kwargs)``; an unknown name or argument is a ValueError
    that lists the valid ones."""
    return build(CRITICS, name, "critic", dim_u=dim_u, dim_v=dim_v, **kwargs)
