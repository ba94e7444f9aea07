"""K seeds of one module built as one stacked module, and the optimizer over it.

Each seed's module is built under its own initialization stream (``streams.seeded``), so
seed k's initial weights do not depend on which other seeds share the stack; the stack
(``mirl.seeds.stack``) then trains all K as one module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from mirl.runtime.streams import seeded
from mirl.seeds import stack


def build_seeds(
    build: Callable[[], nn.Module], seeds: Sequence[int], device, stacked: bool = True
) -> nn.Module:
    """``build()`` once per seed under that seed's init stream, stacked, on ``device``.

    ``stacked=False`` (one seed only) returns the seed's module as it is: the plain
    one-seed model, with the same initialization, that ``mirl bench`` times the stacked
    step against. Fed the stacked inputs ``[1, ...]``, it computes the same values.
    """
    modules = []
    for seed in seeds:
        with seeded(seed, "init"):
            modules.append(build())
    if not stacked:
        if len(modules) != 1:
            raise ValueError(f"an unstacked model holds one seed, not {len(modules)}")
        return modules[0].to(device)
    return stack(modules).to(device)


def adam(params: Sequence[Tensor], lr: float) -> torch.optim.Adam:
    """Adam over (stacked) parameters; elementwise, so over a stack it is K independent Adam
    runs. On CUDA it is the fused implementation, which updates every tensor in one kernel
    and can be captured in a CUDA graph (its step count lives on the device)."""
    params = list(params)
    on_cuda = bool(params) and params[0].is_cuda
    return torch.optim.Adam(params, lr=lr, fused=on_cuda, capturable=on_cuda)
