"""Shape checks shared by the encoders and critics, so bad input fails with a clear message."""

from __future__ import annotations

from torch import Tensor


def check_input(x: Tensor, dim: int, name: str) -> None:
    """Raise ValueError unless ``x`` is ``[..., dim]``."""
    if x.ndim < 1 or x.shape[-1] != dim:
        raise ValueError(f"{name} expects inputs [B, {dim}], got shape {tuple(x.shape)}")


def check_pair(u: Tensor, v: Tensor, dim_u: int | None, dim_v: int | None, name: str) -> None:
    """Raise ValueError unless ``u [..., B, dim_u]`` and ``v [..., B, dim_v]`` share their
    leading dimensions and batch size."""
    if u.ndim < 2 or u.ndim != v.ndim:
        raise ValueError(
            f"{name} expects u [B, du] and v [B, dv], got {tuple(u.shape)} and {tuple(v.shape)}"
        )
    if u.shape[:-1] != v.shape[:-1]:
        raise ValueError(
            f"{name}: u and v must have the same batch size, got {u.shape[-2]} and {v.shape[-2]}"
            if u.shape[:-2] == v.shape[:-2]
            else f"{name}: u and v must share their leading dimensions, got "
            f"{tuple(u.shape)} and {tuple(v.shape)}"
        )
    for x, d, which in ((u, dim_u, "u"), (v, dim_v, "v")):
        if d is not None and x.shape[-1] != d:
            raise ValueError(f"{name} expects {which} of dimension {d}, got {x.shape[-1]}")
