"""Shape checks shared by the encoders and critics, so bad input fails with a clear message."""

from __future__ import annotations

from torch import Tensor


def check_input(x: Tensor, dim: int, name: str) -> None:
    """Raise ValueError unless ``x`` is ``[..., dim]``."""
    if x.ndim < 1 or x.shape[-1] != dim:
        raise ValueError(f"{name} expects inputs [B, {dim}], got shape {tuple(x.shape)}")


def check_pair(u: Tensor, v: Tensor, dim_u: int | None, dim_v: int | None, name: str) -> None:
    """Raise ValueError unless ``u [B, dim_u]`` and ``v [B, dim_v]`` share their batch size."""
    if u.ndim != 2 or v.ndim != 2:
        raise ValueError(
            f"{name} expects u [B, du] and v [B, dv], got {tuple(u.shape)} and {tuple(v.shape)}"
        )
    if u.shape[0] != v.shape[0]:
        raise ValueError(
            f"{name}: u and v must have the same batch size, got {u.shape[0]} and {v.shape[0]}"
        )
    for x, d, which in ((u, dim_u, "u"), (v, dim_v, "v")):
        if d is not None and x.shape[1] != d:
            raise ValueError(f"{name} expects {which} of dimension {d}, got {x.shape[1]}")
