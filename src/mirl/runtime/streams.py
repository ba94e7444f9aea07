"""Per-seed randomness that does not depend on which other seeds share the batch.

Every seed owns named random streams (initialization, minibatch order, noise, ...), each a
generator seeded from ``(seed, purpose)``. A group of K seeds draws exactly what each
seed would draw alone, so seed k trained in a group reproduces seed k trained by itself.

A stream hands out one item per ``next()``: the minibatch indices ``[K, B]`` of a step,
or its noise ``[K, *shape]``. Items are made on the host side in blocks (an epoch of
permutations, a chunk of normal draws) into a device buffer that holds two blocks, and
read at a read position that lives on the device, so that a training step that draws from
a stream can be captured once as a CUDA graph and replayed: the replay reads the next
item by itself. Only between steps does the host refill the buffer (``reserve``).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence

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


class Stream:
    """Items ``[*item_shape]`` read in order from blocks ``[L, *item_shape]`` that ``block()``
    makes on demand.

    The device buffer holds two consecutive blocks; ``reserve(n)`` (host side) makes sure
    the next n items are in it, shifting a block out when needed; ``next()`` reads the item
    at the device-side position and advances it, so it works the same inside a captured
    CUDA graph, where the host does not run. ``drawn`` counts the items read.
    """

    checkpointed = ("_buffer", "_position", "_host_position", "drawn", "_gens")
    """What a checkpoint holds of a stream: where it is, and its generators' states."""

    def __init__(self, block: Callable[[], Tensor], block_len: int, device: torch.device | str):
        self._block, self.block_len = block, block_len
        self.device = torch.device(device)
        self._buffer: Tensor | None = None
        self._position = torch.zeros(1, dtype=torch.long, device=self.device)
        self._host_position = 0  # mirrors _position without reading the device
        self.drawn = 0

    def reserve(self, n: int) -> None:
        """Make the next ``n`` items readable without host work (at most one block)."""
        if n > self.block_len:
            raise ValueError(f"a step reads {n} items from a stream of blocks of {self.block_len}")
        if self._buffer is None:
            self._buffer = torch.cat([self._block(), self._block()])
        elif self._host_position + n > 2 * self.block_len:
            length = self.block_len
            self._buffer[:length] = self._buffer[length:]
            self._buffer[length:] = self._block()
            self._position -= length
            self._host_position -= length

    def next(self) -> Tensor:
        """The next item, read on the device."""
        self.reserve(1)
        item = self._buffer.index_select(0, self._position)[0]
        self._position += 1
        self._host_position += 1
        self.drawn += 1
        return item

    def rewind(self, n: int) -> None:
        """Undo the host-side count of ``n`` reads that a graph capture recorded but did not
        run (a capture records ``next()`` without executing it)."""
        self._host_position -= n
        self.drawn -= n

    def advance(self, n: int) -> None:
        """Count ``n`` reads that a replayed graph made on the device."""
        self._host_position += n
        self.drawn += n


MIN_BLOCK = 64
"""The fewest batches a ``BatchStream`` makes at once."""


class BatchStream(Stream):
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
        self.n, self.batch_size = n, batch_size
        self._gens = generators(seeds, purpose)
        self.per_epoch = n // batch_size
        # Blocks of whole epochs, at least MIN_BLOCK batches: a step may read several.
        self.epochs_per_block = -(-MIN_BLOCK // self.per_epoch)
        super().__init__(self._epochs, self.per_epoch * self.epochs_per_block, device)

    def _epochs(self) -> Tensor:
        """The next epochs of batches, ``[block_len, K, B]``."""
        used = self.per_epoch * self.batch_size
        k = len(self._gens)
        epochs = [
            torch.stack([torch.randperm(self.n, generator=g)[:used] for g in self._gens])
            .reshape(k, self.per_epoch, self.batch_size)
            .transpose(0, 1)
            for _ in range(self.epochs_per_block)
        ]
        return torch.cat(epochs).to(self.device, non_blocking=True)


class NormalStream(Stream):
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
        self.shape = tuple(shape)
        self._gens = generators(seeds, purpose, device)
        super().__init__(self._chunk, chunk, device)

    def _chunk(self) -> Tensor:
        """``chunk`` steps of draws, ``[chunk, K, *shape]``."""
        draws = [
            torch.randn((self.block_len, *self.shape), generator=g, device=self.device)
            for g in self._gens
        ]
        return torch.stack(draws, dim=1)
