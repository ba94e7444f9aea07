"""Stacked modules: seed k of a stack computes what seed k's own module computes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mirl.critics import Bilinear, Concat, InnerProduct, Separable
from mirl.encoders import MLP, ConvNet
from mirl.flows import RealNVP
from mirl.layers import Dense
from mirl.seeds import stack, unstack

K, B = 3, 5

ENCODERS = {
    "mlp": lambda: MLP(392, [16, 8]),
    "mlp-shortcuts": lambda: MLP(392, [392, 392], shortcuts=True, init_std=0.05),
    "convnet": lambda: ConvNet(channels=4, out_dim=6),
    "realnvp-affine": lambda: RealNVP(392, couplings=3, hidden=[16], init_std=0.05),
    "realnvp-shift": lambda: RealNVP(392, couplings=2, hidden=[8, 8], shift_only=True),
}
CRITICS = {
    "innerprod": lambda: InnerProduct(6, 6),
    "bilinear": lambda: Bilinear(6, 6),
    "concat": lambda: Concat(6, 6, hidden=8, layers=2),
    "separable": lambda: Separable(6, 6, hidden=8, out=4, layers=2),
}


def seeds_of(factory) -> list[nn.Module]:
    modules = []
    for k in range(K):
        torch.manual_seed(k)
        modules.append(factory())
    return modules


@pytest.mark.parametrize("name", ENCODERS)
def test_a_stacked_encoder_is_each_seed_alone(name):
    modules = seeds_of(ENCODERS[name])
    stacked = stack(modules)
    x = torch.rand(K, B, 392)
    out = stacked(x)
    for k, module in enumerate(modules):
        torch.testing.assert_close(out[k], module(x[k]), atol=1e-5, rtol=1e-5)
    # Extra leading dimensions pass through, after the seed axis.
    many = stacked(x.reshape(K, 1, B, 392).expand(K, 2, B, 392))
    torch.testing.assert_close(many[:, 1], out, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", ENCODERS)
def test_an_empty_batch_gives_empty_codes_alone_and_stacked(name):
    modules = seeds_of(ENCODERS[name])
    out_dim = modules[0](torch.rand(1, 392)).shape[-1]
    assert modules[0](torch.rand(0, 392)).shape == (0, out_dim)
    assert stack(modules)(torch.rand(K, 0, 392)).shape == (K, 0, out_dim)
    assert stack(modules)(torch.rand(K, 2, 0, 392)).shape == (K, 2, 0, out_dim)


@pytest.mark.parametrize("name", ["realnvp-affine", "realnvp-shift"])
def test_a_stacked_flow_inverts_each_seed(name):
    stacked = stack(seeds_of(ENCODERS[name]))
    x = torch.rand(K, B, 392)
    torch.testing.assert_close(stacked.inverse(stacked(x)), x, atol=1e-4, rtol=0)


@pytest.mark.parametrize("name", CRITICS)
def test_a_stacked_critic_is_each_seed_alone(name):
    modules = seeds_of(CRITICS[name])
    stacked = stack(modules)
    u, v = torch.randn(K, B, 6), torch.randn(K, B, 6)
    scores = stacked(u, v)
    assert scores.shape == (K, B, B)
    for k, module in enumerate(modules):
        torch.testing.assert_close(scores[k], module(u[k], v[k]), atol=1e-5, rtol=1e-5)


def test_unstack_returns_each_seed_as_an_ordinary_module():
    modules = seeds_of(ENCODERS["realnvp-affine"])
    stacked = stack(modules)
    for k, module in enumerate(modules):
        alone = unstack(stacked, k)
        assert type(alone) is RealNVP
        for (name, a), (_, b) in zip(
            alone.state_dict().items(), module.state_dict().items(), strict=True
        ):
            assert torch.equal(a, b), name
        x = torch.rand(B, 392)
        torch.testing.assert_close(alone(x), module(x))


def test_gradients_of_one_seed_touch_only_its_own_parameters():
    stacked = stack(seeds_of(ENCODERS["mlp"]))
    out = stacked(torch.rand(K, B, 392))
    out[1].sum().backward()
    for p in stacked.parameters():
        assert p.grad[0].abs().max() == 0 and p.grad[2].abs().max() == 0
        assert p.grad[1].abs().max() > 0


def test_only_stackable_layers_and_one_architecture_stack():
    with pytest.raises(TypeError, match=r"cannot stack Linear .*mirl.layers.Dense"):
        stack([nn.Sequential(nn.Linear(3, 2)), nn.Sequential(nn.Linear(3, 2))])
    with pytest.raises(ValueError, match="one architecture"):
        stack([Dense(3, 2), Dense(3, 4)])
    with pytest.raises(ValueError, match="at least one"):
        stack([])
