import pytest
import torch
from torch.nn import functional as F

from mirl.encoders import MLP, ConvNet, LayerNorm, build_encoder
from mirl.layers import Dense


def test_mlp_shapes_activation_and_shortcuts():
    torch.manual_seed(0)
    mlp = MLP(6, [5, 4])
    x = torch.randn(3, 6)
    expected = mlp.layers[1](F.relu(mlp.layers[0](x)))  # no activation after the last layer
    torch.testing.assert_close(mlp(x), expected)
    res = MLP(6, [6, 6], shortcuts=True)
    h = F.relu(res.layers[0](x)) + x
    torch.testing.assert_close(res(x), res.layers[1](h) + h)
    with pytest.raises(ValueError, match="shortcuts needs every width equal to in_dim=6"):
        MLP(6, [6, 5], shortcuts=True)
    with pytest.raises(ValueError, match=r"MLP expects inputs \[B, 6\]"):
        mlp(torch.zeros(3, 7))


def test_dense_initializations_follow_keras():
    torch.manual_seed(0)
    glorot = Dense(392, 300)
    limit = (6 / (392 + 300)) ** 0.5
    assert glorot.weight.abs().max() <= limit and glorot.weight.abs().max() > 0.99 * limit
    assert torch.all(glorot.bias == 0)
    trunc = Dense(392, 392, init_std=1e-4)
    assert trunc.weight.abs().max() <= 2e-4
    assert trunc.weight.std().item() == pytest.approx(1e-4 * 0.88, rel=0.05)  # std of N cut at 2 sd


def test_convnet_matches_the_tensorflow_architecture():
    torch.manual_seed(0)
    net = ConvNet()
    x = torch.rand(2, 392)
    # TF "same" padding with stride 2: 14x28 -> 7x14 -> 4x7.
    h = F.relu(net.conv1(F.pad(x.reshape(2, 1, 14, 28), net.pad1)))
    assert h.shape == (2, 64, 7, 14)
    h = F.relu(net.conv2(F.pad(h, net.pad2)))
    assert h.shape == (2, 128, 4, 7)
    assert net.pad1 == (1, 2, 1, 2)  # (left, right, top, bottom): the odd pixel after
    assert net(x).shape == (2, 100)
    with pytest.raises(ValueError, match="whole number of rows"):
        ConvNet(in_dim=100, height=14)


def test_a_convnet_with_a_narrow_first_convolution_keeps_the_rank_of_its_code():
    torch.manual_seed(0)
    narrow = ConvNet(channels=16, channels2=128)
    assert narrow.conv1.weight.shape[:2] == (16, 1) and narrow.conv2.weight.shape[:2] == (128, 16)
    x = torch.rand(300, 392)

    def rank(codes: torch.Tensor) -> int:  # of the centred codes (the head adds a bias)
        return int(torch.linalg.matrix_rank(codes - codes.mean(0), rtol=1e-4))

    assert rank(narrow(x)) == 100  # the 128 pooled features span the 100-d code
    # Pooled to fewer features than the code has, the code cannot fill it.
    assert rank(ConvNet(channels=16)(x)) <= 32


def test_layer_norm_adds_eps_to_the_population_std():
    norm = LayerNorm(3, eps=1e-6)
    with torch.no_grad():
        norm.scale.copy_(torch.tensor([1.0, 2.0, 3.0]))
        norm.bias.copy_(torch.tensor([0.0, 1.0, -1.0]))
    x = torch.randn(2, 3, 4, 5)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    std = ((x - mean) ** 2).mean(dim=(1, 2, 3), keepdim=True).sqrt()
    expected = (x - mean) / (std + 1e-6) * norm.scale[:, None, None] + norm.bias[:, None, None]
    torch.testing.assert_close(norm(x), expected)


def test_pooled_layer_norm_is_the_mean_of_the_normalized_maps_and_of_their_gradients():
    """``pooled`` skips forming the normalized maps: for one seed and for two stacked seeds
    (each normalized over its own channels), values and gradients are those of pooling
    ``forward``; a constant map (std 0) stays finite."""
    for seeds in (1, 2):
        norm = LayerNorm(3, eps=1e-6)
        with torch.no_grad():
            norm.scale.copy_(torch.tensor([1.0, 2.0, 3.0]))
            norm.bias.copy_(torch.tensor([0.0, 1.0, -1.0]))
        x = torch.randn(4, seeds * 3, 4, 5)
        x[0] = 0.5  # constant (and its mean exact): its std is 0
        x.requires_grad_(True)
        pooled = norm.pooled(x)
        (expected_grad,) = torch.autograd.grad(norm(x).mean(dim=(-2, -1)).pow(2).sum(), x)
        (grad,) = torch.autograd.grad(pooled.pow(2).sum(), x)
        torch.testing.assert_close(pooled, norm(x).mean(dim=(-2, -1)))
        torch.testing.assert_close(grad[1:], expected_grad[1:])
        assert torch.isfinite(grad).all()


def test_encoders_build_by_name_and_reject_unknown_arguments():
    assert build_encoder("mlp", 392, widths=[3]).out_dim == 3
    assert build_encoder("realnvp", 392, couplings=1, hidden=[4]).out_dim == 392
    with pytest.raises(
        ValueError, match="unknown encoder 'resnet'; valid names: convnet, mlp, realnvp"
    ):
        build_encoder("resnet", 392)
    with pytest.raises(ValueError, match=r"unknown arguments \['depth'\]"):
        build_encoder("convnet", 392, depth=3)
