"""RealNVP coupling flows, the invertible encoders of the paper's Section 3.1.

One coupling keeps the first half of its input and transforms the second half with a
shift and a scale computed from the first half (Dinh et al., 2017). The paper changes one
thing: the scale is ``1e-7 + softplus(raw)`` instead of ``exp(raw)``, which is numerically
stabler and still invertible (its log-determinant is no longer simple, which these
experiments never need). The shift-only (additive, NICE-style) variant drops the scale.

Between couplings the coordinates are shuffled by fixed random permutations. Following
TFP's ``Chain`` order in the paper's code, each stage applies its permutation first and
its coupling second.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from mirl._shapes import check_input
from mirl.layers import Dense
from mirl.seeds import Stackable

SCALE_EPS = 1e-7


class Coupling(Stackable):
    """``y = [x_a, x_b * s(x_a) + t(x_a)]``, ``x_a = x[..., :dim // 2]``; shift-only: ``s = 1``."""

    def __init__(self, dim: int, hidden: Sequence[int], shift_only: bool, init_std: float | None):
        super().__init__()
        self.num_masked = dim // 2
        out = dim - self.num_masked
        self.shift_only = shift_only
        widths = [self.num_masked, *hidden]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            layers += [Dense(a, b, init_std=init_std), nn.ReLU()]
        layers.append(Dense(widths[-1], out if shift_only else 2 * out, init_std=init_std))
        self.net = nn.Sequential(*layers)

    def _shift_scale(self, x_a: Tensor) -> tuple[Tensor, Tensor | None]:
        out = self.net(x_a)
        if self.shift_only:
            return out, None
        shift, raw_scale = out.chunk(2, dim=-1)
        return shift, SCALE_EPS + F.softplus(raw_scale)

    def forward(self, x: Tensor) -> Tensor:
        x_a, x_b = x[..., : self.num_masked], x[..., self.num_masked :]
        shift, scale = self._shift_scale(x_a)
        y_b = x_b + shift if scale is None else x_b * scale + shift
        return torch.cat([x_a, y_b], dim=-1)

    def inverse(self, y: Tensor) -> Tensor:
        y_a, y_b = y[..., : self.num_masked], y[..., self.num_masked :]
        shift, scale = self._shift_scale(y_a)
        x_b = y_b - shift if scale is None else (y_b - shift) / scale
        return torch.cat([y_a, x_b], dim=-1)


class RealNVP(Stackable):
    """A chain of ``couplings`` stages, each a random permutation followed by a coupling.

    Args:
        in_dim: input and output dimension (392 for a half MNIST image).
        couplings: number of coupling layers (the paper: 30).
        hidden: widths of each coupling's ReLU MLP (the paper: 512, 512).
        shift_only: additive couplings (the invertible experiment) instead of affine ones
            with softplus scale (the adversarial experiment).
        init_std: std of the truncated-normal kernel initialization (the paper: 1e-4), or
            None for glorot-uniform.

    The permutations are drawn from torch's global generator at construction, so every
    seed of a run draws its own. Maps ``[B, in_dim] -> [B, in_dim]`` (stacked: ``[K, B,
    in_dim]``, each seed with its own permutations); ``inverse`` undoes it.

    References: Dinh, Sohl-Dickstein and Bengio (2017), "Density estimation using Real NVP";
    Tschannen et al. (2020), Section 3.1.
    """

    example_kwargs: ClassVar[dict[str, Any]] = {"couplings": 2, "hidden": [8], "init_std": 0.01}

    def __init__(
        self,
        in_dim: int,
        couplings: int = 30,
        hidden: Sequence[int] = (512, 512),
        shift_only: bool = False,
        init_std: float | None = 1e-4,
    ):
        super().__init__()
        if in_dim < 2:
            raise ValueError(f"RealNVP needs in_dim >= 2, got {in_dim}")
        if couplings < 1:
            raise ValueError(f"RealNVP needs at least one coupling, got {couplings}")
        self.in_dim = self.out_dim = in_dim
        perms = torch.stack([torch.randperm(in_dim) for _ in range(couplings)])
        self.register_buffer("permutations", perms)
        self.register_buffer("inverse_permutations", torch.argsort(perms, dim=-1))
        self.couplings = nn.ModuleList(
            Coupling(in_dim, hidden, shift_only, init_std) for _ in range(couplings)
        )

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, self.in_dim, "RealNVP")
        for i, coupling in enumerate(self.couplings):
            x = coupling(_permute(x, self.permutations[..., i, :]))
        return x

    def inverse(self, y: Tensor) -> Tensor:
        check_input(y, self.in_dim, "RealNVP")
        for i in reversed(range(len(self.couplings))):
            y = _permute(self.couplings[i].inverse(y), self.inverse_permutations[..., i, :])
        return y


def _permute(x: Tensor, perm: Tensor) -> Tensor:
    """``x[..., perm]`` for one seed (``perm [d]``), or per seed for K stacked seeds
    (``perm [K, d]``, ``x [K, ..., d]``)."""
    if perm.ndim == 1:
        return x[..., perm]
    index = perm.reshape(perm.shape[0], *([1] * (x.ndim - 2)), perm.shape[1])
    return torch.gather(x, -1, index.expand(x.shape))
