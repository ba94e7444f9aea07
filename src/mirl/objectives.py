"""Objectives: the one place where a bound (higher is better) becomes a loss to minimize."""

from __future__ import annotations

from torch import Tensor


def maximize(bound: Tensor) -> Tensor:
    """The loss ``-bound``: maximize the MI estimate."""
    return -bound


def target(bound: Tensor, t: float) -> Tensor:
    """The loss ``|bound - t|``: drive the MI estimate to the value ``t`` (in nats).

    References: Tschannen et al. (2020), Section 3.3: with the estimate pinned at t, what
    differs between encoders is not the MI they reach.
    """
    return (bound - t).abs()


OBJECTIVES = {"maximize": maximize, "target": target}
"""Every objective by name: each maps a bound ``[...]`` (and its keywords) to a loss ``[...]``."""
