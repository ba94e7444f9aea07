"""Checkpoints inside a run: a seed group's training state, taken and put back.

A trainer names the attributes that hold its state in ``checkpointed``: modules, optimizers,
random streams and their generators, the divergence watch, tensors, numbers, and objects
that name their own (an evaluation's streams). ``take(trainer)`` collects them;
``put_back(trainer, state)`` restores them into a trainer made anew from the same spec and
seeds, so that training goes on as if it had never stopped: the same numbers, bit for bit
on the CPU. What a trainer builds again from its spec (networks' shapes, a task's held-out
pairs, views of the data set) is not in it.

Where checkpoints are kept is the caller's (``Checkpoints``): ``mirl.results.checkpoints``
keeps them beside a sweep's records, verified like them. The loop
(``mirl.runtime.loop.train_seeds``) takes one before every evaluation and every
``Checkpoints.every`` seconds, and starts from the newest one there is.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

FORMAT = 1
"""The layout of a checkpoint's state (``take``), stored with it."""


class Checkpoints(Protocol):
    """Where a seed group's checkpoints are kept: ``every`` seconds between two (besides one
    before every evaluation); ``latest()`` the newest good one's state, or None; ``save``
    keeps a new one."""

    every: float

    def latest(self) -> dict[str, Any] | None: ...

    def save(self, state: dict[str, Any]) -> None: ...


def _take(value: Any) -> Any:
    if isinstance(value, (nn.Module, torch.optim.Optimizer)):
        return value.state_dict()
    if isinstance(value, torch.Generator):
        return value.get_state()
    if isinstance(value, Tensor):
        return value.detach()
    if isinstance(value, (list, tuple)):
        return [_take(v) for v in value]
    if hasattr(value, "checkpointed"):
        return take(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise TypeError(f"cannot checkpoint a {type(value).__name__}")


def take(owner: Any) -> dict[str, Any]:
    """The state of ``owner``'s ``checkpointed`` attributes (absent ones as None)."""
    return {name: _take(getattr(owner, name, None)) for name in owner.checkpointed}


def _put_back(current: Any, saved: Any) -> Any:
    """``current`` with ``saved`` loaded into it (in place where it can be, so that what
    holds it, an optimizer holding parameters, say, keeps holding it); returns the value."""
    if isinstance(current, (nn.Module, torch.optim.Optimizer)):
        current.load_state_dict(saved)
        return current
    if isinstance(current, torch.Generator):
        current.set_state(saved)
        return current
    if isinstance(current, Tensor) and isinstance(saved, Tensor):
        if current.shape == saved.shape and current.dtype == saved.dtype:
            return current.copy_(saved)
        return saved.to(current.device)
    if isinstance(current, list):
        return [_put_back(c, s) for c, s in zip(current, saved, strict=True)]
    if hasattr(current, "checkpointed"):
        put_back(current, saved)
        return current
    return saved


def put_back(owner: Any, state: dict[str, Any]) -> None:
    """Load ``state`` (from ``take``) into ``owner``, made anew like the one it was taken of."""
    for name in owner.checkpointed:
        if name not in state:
            raise ValueError(f"the checkpoint has no {name!r} for {type(owner).__name__}")
        setattr(owner, name, _put_back(getattr(owner, name, None), state[name]))


def tensors(values: dict[str, np.ndarray]) -> dict[str, Tensor]:
    """An evaluation's values as tensors (a checkpoint holds tensors, not numpy arrays)."""
    return {name: torch.from_numpy(np.asarray(value)) for name, value in values.items()}


def arrays(values: dict[str, Tensor]) -> dict[str, np.ndarray]:
    """The inverse of ``tensors``."""
    return {name: value.numpy() for name, value in values.items()}
