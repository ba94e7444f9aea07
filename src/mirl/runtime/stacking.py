"""Seeds as a batch dimension: K independent copies of one module, trained as one.

The paper averages 20 seeds of models whose matrices are tiny (batch 128), so one seed
leaves a GPU mostly idle. ``SeedStack`` stacks the parameters and buffers of K modules of
the same architecture along a new leading axis (``torch.func.stack_module_state``) and
runs them with ``vmap(functional_call)``: every layer becomes one batched kernel for all K
seeds. The seeds stay independent: each copy keeps its own initialization (and buffers,
such as RealNVP's permutations), gradients of a sum of per-seed losses do not mix, and
Adam is elementwise, so one optimizer over the stacked parameters is K separate Adam runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state, vmap

from mirl.runtime.streams import seeded


class SeedStack:
    """K modules of one architecture, their parameters stacked on a leading seed axis.

    ``stack(*args)`` calls the module once per seed in a single vmapped call; an argument
    whose ``in_dims`` entry is 0 is split along its leading seed axis ``[K, ...]``, one that
    is ``None`` is shared by every seed.
    """

    def __init__(self, modules: Sequence[nn.Module]):
        if not modules:
            raise ValueError("SeedStack needs at least one module")
        self.params, self.buffers = stack_module_state(list(modules))
        # A parameter-free skeleton: functional_call swaps the stacked tensors in per seed.
        self.base = copy.deepcopy(modules[0]).to("meta")

    @classmethod
    def _view(cls, base: nn.Module, params: dict, buffers: dict) -> SeedStack:
        stack = cls.__new__(cls)
        stack.base, stack.params, stack.buffers = base, params, buffers
        return stack

    def parameters(self) -> list[Tensor]:
        """The stacked parameters (leaf tensors, ``[K, ...]``), e.g. for one optimizer."""
        return list(self.params.values())

    def submodule(self, name: str) -> SeedStack:
        """A stack of the submodule ``name`` that shares (not copies) these tensors."""
        prefix = name + "."

        def pick(tensors: dict) -> dict:
            return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

        return SeedStack._view(self.base.get_submodule(name), pick(self.params), pick(self.buffers))

    def __call__(self, *args: Any, in_dims: Sequence[int | None] | None = None) -> Any:
        in_dims = tuple(in_dims) if in_dims is not None else (0,) * len(args)
        if len(in_dims) != len(args):
            raise ValueError(f"in_dims has {len(in_dims)} entries for {len(args)} arguments")
        return vmap(self.call_one, in_dims=(0, 0, *in_dims))(self.params, self.buffers, *args)

    def call_one(self, params: dict, buffers: dict, *args: Any) -> Any:
        """The module of one seed as a pure function of its (unstacked) tensors, for torch.func."""
        return functional_call(self.base, (params, buffers), args)

    def unstack(self, k: int) -> nn.Module:
        """A standalone copy of seed k's module (on the stack's device)."""
        module = copy.deepcopy(self.base)
        state = {name: t[k].detach().clone() for name, t in {**self.params, **self.buffers}.items()}
        module.to_empty(device=next(iter(state.values())).device)
        module.load_state_dict(state)
        return module


def build_stack(build: Callable[[], nn.Module], seeds: Sequence[int], device) -> SeedStack:
    """K models from ``build()``, each built under its own seed's init stream, on ``device``."""
    models = []
    for seed in seeds:
        with seeded(seed, "init"):
            models.append(build().to(device))
    return SeedStack(models)


def adam(params: Sequence[Tensor], lr: float) -> torch.optim.Adam:
    """Adam over (stacked) parameters; elementwise, so over a stack it is K independent Adam
    runs. On CUDA the fused implementation updates every tensor in one kernel."""
    params = list(params)
    return torch.optim.Adam(params, lr=lr, fused=bool(params) and params[0].is_cuda)
