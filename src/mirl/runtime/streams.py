"""Per-seed randomness that does not depend on which other seeds share the batch.

Every seed owns named random streams (initialization, minibatch order, noise, ...), each a
generator seeded from ``(seed, purpose)``. A group of K seeds draws exactly what each
seed would draw alone, so seed k trained in a group reproduces seed k trained by itself.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor


def derive_seed(seed: int, purpose: str) -> int:
    """A 63-bit seed for the stream ``purpose`` of ``seed``, stable across runs and versions."""
    digest = hashlib.sha256(f"mirl:{seed}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


@contextlib.contextmanager
def seeded(seed: int, purpose: str = "init") -> Iterator[None]:
    """Run a block (e.g. building a model) on torch's global CPU generator seeded for
    ``(seed, purpose)``, restoring the global state afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, purpose))
        yield


def generators(seeds: Sequence[int], purpose: str, device: torch.device | str = "cpu") -> list:
    """One ``torch.Generator`` per seed on ``device``, seeded for ``(seed, purpose)``."""
    return [torch.Generator(device=device).manual_seed(derive_seed(s, purpose)) for s in seeds]


class BatchStream:
    """Minibatch indices ``[K, B]``: each seed walks its own random permutation of the N
    examples, epoch after epoch, dropping the last incomplete batch of each epoch."""

    def __init__(
        self,
        n: int,
        batch_size: int,
        seeds: Sequence[int],
        device: torch.device | str,
        purpose: str = "batches",
    ):
        if not 0 < batch_size <= n:
            raise ValueError(f"batch size must lie in [1, {n}], got {batch_size}")
        self.n, self.batch_size, self.device = n, batch_size, torch.device(device)
        self.gens = generators(seeds, purpose)
        self.per_epoch = n // batch_size
        self.position = self.per_epoch
        self.order: Tensor | None = None

    def next(self) -> Tensor:
        if self.position == self.per_epoch:
            perms = [torch.randperm(self.n, generator=g) for g in self.gens]
            self.order = torch.stack(perms).to(self.device, non_blocking=True)
            self.position = 0
        b, p = self.batch_size, self.position
        self.position += 1
        return self.order[:, p * b : (p + 1) * b]


class NormalStream:
    """Standard normal draws ``[K, *shape]`` per call, each seed from its own generator.

    To keep the number of kernel launches per step independent of K, each seed draws
    ``chunk`` steps' worth at once; the chunking is the same for any K.
    """

    def __init__(
        self,
        shape: Sequence[int],
        seeds: Sequence[int],
        device: torch.device | str,
        purpose: str,
        chunk: int = 32,
    ):
        self.shape, self.chunk, self.device = tuple(shape), chunk, torch.device(device)
        self.gens = generators(seeds, purpose, self.device)
        self.position = chunk
        self.buffer: Tensor | None = None

    def next(self) -> Tensor:
        if self.position == self.chunk:
            draws = [
                torch.randn((self.chunk, *self.shape), generator=g, device=self.device)
                for g in self.gens
            ]
            self.buffer = torch.stack(draws, dim=1)
            self.position = 0
        self.position += 1
        return self.buffer[self.position - 1]
