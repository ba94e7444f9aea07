"""Floating-point operations of a training step: counted on a real step, or estimated from
the networks' forward pass on the meta device (no memory, no time) to order work."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def counted_flops(fn: Callable[[], object]) -> int:
    """The FLOPs of the matrix products and convolutions ``fn()`` runs (forward and, if it
    runs one, backward), as ``torch.utils.flop_counter`` counts them."""
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return int(counter.get_total_flops())


def forward_flops(build: Callable[[], nn.Module], *shapes: Sequence[int]) -> int:
    """The FLOPs of one forward pass of ``build()`` on float inputs of ``shapes``, counted on
    the meta device."""
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        module = build()
        inputs = [torch.empty(*shape) for shape in shapes]
        return counted_flops(lambda: module(*inputs))
