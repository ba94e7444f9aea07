"""Encoding a data set: the codes are each input's code, however the chunks are split into
encoder calls, and each seed's noise is its own draws, in order."""

import pytest
import torch

from mirl.encoders import MLP, ConvNet
from mirl.runtime import encode as encode_module
from mirl.runtime.encode import encode
from mirl.runtime.stacking import build_seeds
from mirl.runtime.streams import NormalStream


@pytest.mark.parametrize("per_call", [1, 3, 7, 1000])
def test_codes_do_not_depend_on_how_chunks_are_split_into_calls(monkeypatch, per_call):
    encoder = build_seeds(lambda: ConvNet(channels=2, out_dim=6), [0, 1], "cpu")
    x = torch.rand(23, 392)
    expected = torch.stack([encoder(x.expand(2, -1, -1)[:, i : i + 1])[:, 0] for i in range(23)], 1)
    monkeypatch.setattr(encode_module, "CPU_CALL_INPUTS", 2 * per_call)
    codes = encode(encoder, x, 2, chunk=10)
    assert codes.shape == (2, 23, 6)
    torch.testing.assert_close(codes, expected, rtol=1e-5, atol=1e-6)


def test_each_seed_sees_its_own_noise_draws_chunk_by_chunk(monkeypatch):
    monkeypatch.setattr(encode_module, "CPU_CALL_INPUTS", 4)  # calls of 2 inputs per seed
    encoder = build_seeds(lambda: MLP(5, widths=[4]), [3, 8], "cpu")
    x = torch.rand(9, 5)
    stream = NormalStream((4, 5), [3, 8], "cpu", "test-noise", chunk=1)
    codes = encode(encoder, x, 2, stream, noise_std=0.5, chunk=4)
    draws = NormalStream((4, 5), [3, 8], "cpu", "test-noise", chunk=1)
    noise = torch.cat([draws.next() for _ in range(3)], dim=1)[:, :9]  # chunks of 4, 4, 1
    torch.testing.assert_close(codes, encoder(x + 0.5 * noise))
