"""The two-view model of the paper: encoders g1, g2 and a critic, from views to scores."""

from __future__ import annotations

import functools
from collections.abc import Callable

from torch import Tensor, nn

from mirl._registry import bind, build
from mirl.bounds import BOUNDS
from mirl.critics import CRITICS
from mirl.data.mnist import VIEW_DIM
from mirl.encoders import ENCODERS
from mirl.objectives import maximize, target


class TwoViewModel(nn.Module):
    """``(x1 [B, d1], x2 [B, d2]) -> S [B, B]`` with ``S[i, j] = critic(g1(x1_i), g2(x2_j))``."""

    def __init__(self, g1: nn.Module, g2: nn.Module, critic: nn.Module):
        super().__init__()
        self.g1, self.g2, self.critic = g1, g2, critic

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return self.critic(self.g1(x1), self.g2(x2))


def build_encoder(name: str, in_dim: int = VIEW_DIM, **kwargs) -> nn.Module:
    """``ENCODERS[name](in_dim, **kwargs)``, with unknown names and arguments reported."""
    return build(ENCODERS, name, "encoder", in_dim=in_dim, **kwargs)


def build_critic(name: str, dim_u: int, dim_v: int, **kwargs) -> nn.Module:
    """``CRITICS[name](dim_u, dim_v, **kwargs)``, with unknown names and arguments reported."""
    return build(CRITICS, name, "critic", dim_u=dim_u, dim_v=dim_v, **kwargs)


def build_two_view_model(spec) -> TwoViewModel:
    """The model of an ``MISpec``: two encoders of the same architecture and a critic."""
    g1 = build_encoder(spec.encoder, **spec.encoder_kwargs)
    g2 = build_encoder(spec.encoder, **spec.encoder_kwargs)
    critic = build_critic(spec.critic, g1.out_dim, g2.out_dim, **spec.critic_kwargs)
    return TwoViewModel(g1, g2, critic)


def bound_fn(spec) -> Callable[[Tensor], Tensor]:
    """The spec's bound as a function of the scores ``[..., B, B] -> [...]``."""
    return bind(BOUNDS, spec.bound, "bound", **spec.bound_kwargs)


def loss_fn(spec) -> Callable[[Tensor], Tensor]:
    """The spec's objective: ``maximize``, or ``target`` with ``t = spec.target``."""
    if getattr(spec, "target", None) is None:
        return maximize
    return functools.partial(target, t=spec.target)
