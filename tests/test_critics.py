import pytest
import torch

from mirl.critics import CRITICS, Bilinear, Concat, InnerProduct, Separable, build_critic

DU, DV, B = 5, 7, 4


def pair(du=DU, dv=DV, b=B):
    g = torch.Generator().manual_seed(0)
    return torch.randn(b, du, generator=g), torch.randn(b, dv, generator=g)


@pytest.mark.parametrize(
    "critic", [Bilinear(DU, DV), Concat(DU, DV, hidden=8, layers=2), Separable(DU, DV, 6, 3, 2)]
)
def test_entry_ij_is_the_critic_on_pair_ij(critic):
    u, v = pair()
    scores = critic(u, v)
    assert scores.shape == (B, B)
    for i in range(B):
        for j in range(B):
            single = critic(u[i : i + 1], v[j : j + 1])
            assert scores[i, j].item() == pytest.approx(single.item(), abs=1e-5)


def test_closed_forms_of_the_parametric_free_and_bilinear_critics():
    u, v = pair(dv=DU)
    torch.testing.assert_close(InnerProduct()(u, v), u @ v.T)
    critic = Bilinear(DU, DU)
    w = critic.project_v.weight  # [du, dv]
    torch.testing.assert_close(critic(u, v), torch.einsum("id,de,je->ij", u, w, v))


def test_concat_equals_the_tiled_computation_of_the_paper():
    critic = Concat(DU, DV, hidden=16, layers=3)
    u, v = pair()
    # The Colab tiles every (u_i, v_j) pair, runs the MLP on B*B concatenations, reshapes.
    u_tiled = u[None, :].expand(B, B, DU)  # [j, i] -> u_i
    v_tiled = v[:, None].expand(B, B, DV)  # [j, i] -> v_j
    pairs = torch.cat([u_tiled, v_tiled], dim=2).reshape(B * B, DU + DV)
    hidden = torch.relu(pairs @ critic.weight.T + critic.bias)
    tiled = critic.rest(hidden).reshape(B, B).T
    torch.testing.assert_close(critic(u, v), tiled)


def test_concat_initializes_its_first_layer_on_the_joint_fan_in():
    torch.manual_seed(0)
    critic = Concat(300, 100, hidden=200)
    limit = (6 / (400 + 200)) ** 0.5
    assert critic.weight.abs().max() <= limit
    assert critic.weight.abs().max() > 0.95 * limit


def test_every_critic_builds_by_name_with_both_dimensions():
    u, v = pair(dv=DU)
    for name in CRITICS:
        assert build_critic(name, DU, DU)(u, v).shape == (B, B)


@pytest.mark.parametrize(
    ("critic", "u", "v", "match"),
    [
        (Bilinear(DU, DV), torch.zeros(B, DU + 1), torch.zeros(B, DV), "u of dimension 5"),
        (Bilinear(DU, DV), torch.zeros(B, DU), torch.zeros(B + 1, DV), "same batch size"),
        (Concat(DU, DV), torch.zeros(DU), torch.zeros(B, DV), r"u \[B, du\]"),
        (InnerProduct(), torch.zeros(B, 3), torch.zeros(B, 4), "du == dv"),
    ],
)
def test_bad_shapes_are_rejected(critic, u, v, match):
    with pytest.raises(ValueError, match=match):
        critic(u, v)


def test_unknown_critic_and_arguments_are_errors():
    with pytest.raises(
        ValueError,
        match="unknown critic 'mlp'; valid names: bilinear, concat, innerprod, separable",
    ):
        build_critic("mlp", 3, 3)
    with pytest.raises(ValueError, match=r"unknown arguments \['width'\]"):
        build_critic("concat", 3, 3, width=10)
    with pytest.raises(ValueError, match="du == dv"):
        build_critic("innerprod", 3, 4)
