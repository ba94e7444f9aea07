"""Streams: each seed's draws, in order, whatever the group and however they are read."""

import pytest
import torch

from mirl.runtime.streams import BatchStream, NormalStream, derive_seed


def naive_batches(seed: int, n: int, b: int, count: int) -> list[torch.Tensor]:
    """One seed's batches as the definition says: its own permutation per epoch, in order."""
    g = torch.Generator().manual_seed(derive_seed(seed, "batches"))
    out = []
    while len(out) < count:
        perm = torch.randperm(n, generator=g)
        out += [perm[i * b : (i + 1) * b] for i in range(n // b)]
    return out[:count]


def test_batches_follow_each_seeds_permutations_across_epochs():
    stream = BatchStream(10, 3, [4, 7], "cpu")  # 3 batches per epoch, the last 1 dropped
    items = [stream.next() for _ in range(8)]  # crosses two epoch boundaries
    for k, seed in enumerate([4, 7]):
        expected = naive_batches(seed, 10, 3, 8)
        assert all(torch.equal(item[k], e) for item, e in zip(items, expected, strict=True))


def test_a_seed_draws_the_same_alone_and_in_a_group():
    group = BatchStream(20, 4, [1, 2, 3], "cpu")
    alone = BatchStream(20, 4, [2], "cpu")
    for _ in range(12):
        assert torch.equal(group.next()[1], alone.next()[0])
    group_noise = NormalStream((2, 3), [1, 2, 3], "cpu", "noise", chunk=4)
    alone_noise = NormalStream((2, 3), [2], "cpu", "noise", chunk=4)
    for _ in range(9):
        assert torch.equal(group_noise.next()[1], alone_noise.next()[0])


def test_reserving_ahead_changes_nothing_that_is_read():
    # What a captured step relies on: the host reserves a step's draws, then the reads run.
    read = NormalStream((3,), [0, 1], "cpu", "noise", chunk=5)
    reserved = NormalStream((3,), [0, 1], "cpu", "noise", chunk=5)
    for _ in range(6):
        reserved.reserve(3)
        for _ in range(3):
            assert torch.equal(reserved.next(), read.next())
    assert reserved.drawn == read.drawn == 18


def test_rewind_and_advance_keep_the_host_count_in_step():
    stream = BatchStream(12, 2, [0], "cpu")
    stream.reserve(2)
    first = [stream.next(), stream.next()]
    stream.rewind(2)  # as after a capture, which records the reads without running them
    assert stream.drawn == 0
    stream.advance(2)  # as after a replay, which ran them on the device
    assert stream.drawn == 2
    assert not torch.equal(stream.next(), first[0])


def test_a_step_cannot_read_more_than_a_block():
    with pytest.raises(ValueError, match="reads 7 items from a stream of blocks of 5"):
        NormalStream((1,), [0], "cpu", "x", chunk=5).reserve(7)
