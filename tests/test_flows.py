import pytest
import torch
from torch.nn import functional as F

from mirl.flows import SCALE_EPS, Coupling, RealNVP


@pytest.mark.parametrize("shift_only", [True, False])
def test_realnvp_inverts_to_float_precision(shift_only):
    torch.manual_seed(0)
    flow = RealNVP(392, couplings=30, hidden=(64, 64), shift_only=shift_only, init_std=0.05)
    x = torch.rand(16, 392)
    y = flow(x)
    assert (y - x).abs().max() > 1e-2  # the flow is not the identity
    assert (flow.inverse(y) - x).abs().max() < 1e-5


def test_each_stage_permutes_then_couples():
    torch.manual_seed(0)
    flow = RealNVP(6, couplings=2, hidden=(4,), init_std=0.3)
    x = torch.randn(3, 6)
    y = x
    for perm, coupling in zip(flow.permutations, flow.couplings, strict=True):
        y = coupling(y[:, perm])
    torch.testing.assert_close(flow(x), y)


def test_affine_coupling_uses_a_softplus_scale():
    torch.manual_seed(0)
    coupling = Coupling(6, hidden=(5,), shift_only=False, init_std=0.5)
    x = torch.randn(4, 6)
    shift, raw = coupling.net(x[:, :3]).chunk(2, dim=-1)
    expected = torch.cat([x[:, :3], x[:, 3:] * (SCALE_EPS + F.softplus(raw)) + shift], dim=1)
    torch.testing.assert_close(coupling(x), expected)


def test_each_flow_draws_its_own_permutations_from_the_global_generator():
    torch.manual_seed(0)
    a = RealNVP(10, couplings=3, hidden=(4,))
    b = RealNVP(10, couplings=3, hidden=(4,))
    torch.manual_seed(0)
    c = RealNVP(10, couplings=3, hidden=(4,))
    assert not torch.equal(a.permutations, b.permutations)
    assert torch.equal(a.permutations, c.permutations)
    assert all(sorted(p.tolist()) == list(range(10)) for p in a.permutations)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="in_dim >= 2"):
        RealNVP(1)
    with pytest.raises(ValueError, match=r"RealNVP expects inputs \[B, 8\]"):
        RealNVP(8, couplings=1, hidden=(2,))(torch.zeros(2, 9))
