import math

import pytest
import torch

from mirl._registry import bind
from mirl.bounds import BOUNDS, dv, infonce, interpolated, js, nwj, smile, tuba

B = 6


def naive_infonce(s):
    b = len(s)
    total = 0.0
    for i in range(b):
        total += s[i][i] - math.log(sum(math.exp(s[i][j]) for j in range(b)))
    return math.log(b) + total / b


def naive_tuba(s, a=None):
    b = len(s)
    a = a or [0.0] * b
    joint = sum(s[i][i] - a[i] for i in range(b)) / b
    marg = sum(math.exp(s[i][j] - a[i]) for i in range(b) for j in range(b) if i != j) / (
        b * (b - 1)
    )
    return 1 + joint - marg


def naive_interpolated(s, alpha, a):
    """Poole et al. (2019) I_alpha with leave-one-out multi-sample baselines, by loops."""
    b = len(s)

    def baseline(i, j):  # row i, leaving column j out of the multi-sample mean
        m = sum(math.exp(s[i][k]) for k in range(b) if k != j) / (b - 1)
        return math.log(alpha * m + (1 - alpha) * math.exp(a[i]))

    joint = sum(s[i][i] - baseline(i, j) for i in range(b) for j in range(b) if i != j)
    marg = sum(math.exp(s[i][j] - baseline(i, i)) for i in range(b) for j in range(b) if i != j)
    return 1 + joint / (b * (b - 1)) - marg / (b * (b - 1))


@pytest.fixture
def scores():
    return torch.randn(B, B, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2


@pytest.mark.parametrize("c", [0.0, 1.5, 7.0])
def test_closed_forms_on_scaled_identity(c):
    s = c * torch.eye(B, dtype=torch.float64)
    assert infonce(s).item() == pytest.approx(math.log(B) + c - math.log(math.exp(c) + B - 1))
    assert tuba(s).item() == pytest.approx(c)  # off-diagonal e^0 = 1 cancels the +1
    assert nwj(s).item() == pytest.approx(c - math.exp(-1))
    assert dv(s).item() == pytest.approx(c)


def test_infonce_and_tuba_match_naive_loops(scores):
    s = scores.tolist()
    assert infonce(scores).item() == pytest.approx(naive_infonce(s), abs=1e-10)
    assert tuba(scores).item() == pytest.approx(naive_tuba(s), abs=1e-10)
    a = torch.linspace(-1, 1, B, dtype=torch.float64)
    assert tuba(scores, a).item() == pytest.approx(naive_tuba(s, a.tolist()), abs=1e-10)


def test_nwj_is_tuba_of_shifted_scores(scores):
    assert nwj(scores).item() == pytest.approx(tuba(scores - 1).item(), abs=1e-12)
    e = torch.full((B,), 1.0, dtype=torch.float64)  # the constant baseline a = 1, i.e. e
    assert nwj(scores).item() == pytest.approx(tuba(scores, e).item(), abs=1e-12)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_invariant_under_joint_permutation(name, scores):
    perm = torch.randperm(B, generator=torch.Generator().manual_seed(1))
    bound = BOUNDS[name]
    assert bound(scores[perm][:, perm]).item() == pytest.approx(bound(scores).item(), abs=1e-10)


def test_infonce_is_capped_by_log_batch_size():
    for c in (10.0, 100.0, 1000.0):
        value = infonce(c * torch.eye(B, dtype=torch.float64)).item()
        assert value <= math.log(B) + 1e-12
    assert infonce(1000.0 * torch.eye(B)).item() == pytest.approx(math.log(B), abs=1e-5)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_leading_dimensions_pass_through(name):
    s = torch.randn(3, 2, B, B, dtype=torch.float64)
    out = BOUNDS[name](s)
    assert out.shape == (3, 2)
    assert out[1, 0].item() == pytest.approx(BOUNDS[name](s[1, 0]).item(), abs=1e-12)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_numerically_stable_for_large_scores(name):
    s = 500.0 * torch.eye(B) + torch.randn(B, B)
    assert torch.isfinite(BOUNDS[name](s)).all()


@pytest.mark.parametrize(
    "bad", [torch.zeros(3, 4), torch.zeros(5), torch.zeros(1, 1), [[0.0, 1.0]]]
)
@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_bad_scores_are_rejected(name, bad):
    with pytest.raises(ValueError, match="scores"):
        BOUNDS[name](bad)


def test_interpolated_matches_naive_loops_and_tuba_at_alpha_zero(scores):
    a = torch.linspace(-0.5, 0.5, B, dtype=torch.float64)
    for alpha in (0.0, 0.3, 0.9, 1.0):
        expected = naive_interpolated(scores.tolist(), alpha, a.tolist())
        assert interpolated(scores, alpha, a).item() == pytest.approx(expected, abs=1e-10)
    assert interpolated(scores, 0.0, a).item() == pytest.approx(tuba(scores, a).item(), abs=1e-12)
    with pytest.raises(ValueError, match="alpha"):
        interpolated(scores, 1.5)


def test_js_has_nwj_value_and_js_gradient(scores):
    s = scores.clone().requires_grad_(True)
    value = js(s)
    assert value.item() == pytest.approx(nwj(scores + 1).item(), abs=1e-12)
    value.backward()
    # d/dS of E_p[-softplus(-S_ii)] - E_q[softplus(S_ij)]
    eye = torch.eye(B, dtype=torch.bool)
    expected = torch.where(eye, torch.sigmoid(-scores) / B, -torch.sigmoid(scores) / (B * (B - 1)))
    torch.testing.assert_close(s.grad, expected)


def test_smile_clips_only_the_partition_term(scores):
    big = scores.clone()
    big[0, 1] = 50.0  # a negative pair far beyond the clip
    expected = big.diagonal().mean() - torch.log(
        torch.exp(big.clamp(-5, 5)).masked_select(~torch.eye(B, dtype=torch.bool)).mean()
    )
    assert smile(big, clip=5.0).item() == pytest.approx(expected.item(), abs=1e-10)
    assert smile(scores, clip=None).item() == pytest.approx(dv(scores).item(), abs=1e-12)


def test_registry_binds_keywords_and_rejects_unknown_ones(scores):
    assert bind(BOUNDS, "smile", "bound", clip=None)(scores).item() == pytest.approx(
        dv(scores).item()
    )
    with pytest.raises(ValueError, match=r"unknown arguments.*'temperature'"):
        bind(BOUNDS, "infonce", "bound", temperature=0.1)
    with pytest.raises(ValueError, match="unknown bound 'nce'; valid names: dv, infonce"):
        bind(BOUNDS, "nce", "bound")
