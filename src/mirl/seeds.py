"""Seeds as a batch dimension: K copies of a module trained as one.

The paper averages 20 seeds of models whose matrices are tiny (batch 128), so one seed
leaves a GPU mostly idle. ``stack`` turns K modules of one architecture, each initialized
by its own seed, into one module of the same class whose parameters and buffers carry a
leading seed axis ``[K, ...]``. Its layers then run one batched kernel for all K seeds
(a batched matrix product per dense layer, a grouped convolution per convolution), with
inputs and outputs ``[K, ..., d]``: row k of the input goes through seed k's weights only.

The seeds stay independent: gradients of a sum of per-seed losses do not mix, and Adam is
elementwise, so one optimizer over the stacked parameters is K separate Adam runs.
``unstack(module, k)`` takes seed k back out as an ordinary module of the same class.

A module can be stacked when every submodule that owns tensors is ``Stackable``: it reads
from its own tensors' shapes whether it holds one seed or K. mirl's layers, encoders and
critics are; ``torch.nn.Linear`` is not (use ``mirl.layers.Dense``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn


class Stackable(nn.Module):
    """A module whose forward accepts its parameters with or without a leading seed axis.

    With one seed, inputs are ``[..., d]`` as usual; stacked (parameters ``[K, ...]``), inputs
    and outputs carry the seed axis first, ``[K, ..., d]``.
    """


def _owners(module: nn.Module) -> list[tuple[str, nn.Module]]:
    return [
        (name, sub)
        for name, sub in module.named_modules()
        if any(True for _ in sub.parameters(recurse=False))
        or any(True for _ in sub.buffers(recurse=False))
    ]


def _check_stackable(module: nn.Module) -> None:
    for name, sub in _owners(module):
        if not isinstance(sub, Stackable):
            where = f" ({name})" if name else ""
            raise TypeError(
                f"cannot stack {type(sub).__name__}{where}: only mirl's Stackable layers "
                "carry a seed axis (use mirl.layers.Dense instead of torch.nn.Linear)"
            )


def _set(module: nn.Module, name: str, tensor: torch.Tensor, parameter: bool) -> None:
    owner_name, _, attr = name.rpartition(".")
    owner = module.get_submodule(owner_name)
    if parameter:
        setattr(owner, attr, nn.Parameter(tensor, requires_grad=tensor.requires_grad))
    else:
        owner.register_buffer(attr, tensor)


def stack(modules: Sequence[nn.Module]) -> nn.Module:
    """One module of the same class whose tensors are the modules' tensors stacked ``[K, ...]``.

    The modules must share their class and tensor shapes (one architecture, K
    initializations). The stacked module's parameters are new leaf tensors.
    """
    modules = list(modules)
    if not modules:
        raise ValueError("stack needs at least one module")
    first = modules[0]
    _check_stackable(first)
    shapes = {n: t.shape for n, t in first.state_dict().items()}
    for m in modules[1:]:
        if type(m) is not type(first) or {n: t.shape for n, t in m.state_dict().items()} != shapes:
            raise ValueError("stack needs modules of one architecture (same class and shapes)")
    stacked = copy.deepcopy(first)
    with torch.no_grad():
        for name, p in first.named_parameters():
            values = torch.stack([m.get_parameter(name).detach() for m in modules])
            _set(stacked, name, values.requires_grad_(p.requires_grad), parameter=True)
        for name, _ in first.named_buffers():
            _set(stacked, name, torch.stack([m.get_buffer(name) for m in modules]), False)
    return stacked


def unstack(module: nn.Module, k: int) -> nn.Module:
    """Seed ``k`` of a stacked module, as a standalone module of the same class."""
    single = copy.deepcopy(module)
    with torch.no_grad():
        for name, p in module.named_parameters():
            _set(single, name, p[k].detach().clone().requires_grad_(p.requires_grad), True)
        for name, b in module.named_buffers():
            _set(single, name, b[k].clone(), parameter=False)
    return single
