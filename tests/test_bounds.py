import math

import numpy as np
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


# --- Extreme score matrices against an exact float64 reference -------------------------------
#
# 72 matrices: B in (4, 64, 128) x six scales from 0.1 to 50 x four kinds. "leading" sets every
# positive 18 to 22 nats above the largest negative of its row, where a leave-one-out mean
# computed as "row total minus the excluded term" loses every digit. The references below
# evaluate each definition directly in float64 (plain exp and sums of positive terms, no
# log-sum-exp tricks, nothing subtracted): every exponent stays below 710, so nothing
# overflows, and their own error (~1e-15 relative) is far below the tolerances.

EXTREME_SIZES = (4, 64, 128)
EXTREME_SCALES = (0.1, 1.0, 3.0, 10.0, 25.0, 50.0)
EXTREME_KINDS = ("gaussian", "structured", "diagonal", "leading")


def extreme_matrix(kind: str, b: int, scale: float) -> np.ndarray:
    rng = np.random.default_rng([EXTREME_KINDS.index(kind), b, int(scale * 10)])
    noise = rng.standard_normal((b, b))
    if kind == "gaussian":
        return scale * noise
    if kind == "structured":  # a bilinear critic on correlated 8-d embeddings
        u = rng.standard_normal((b, 8))
        v = 0.9 * u + 0.45 * rng.standard_normal((b, 8))
        return scale * (u @ v.T) / math.sqrt(8)
    if kind == "diagonal":
        return scale * (noise + 4.0 * np.eye(b))
    s = scale * noise
    largest_negative = np.where(np.eye(b, dtype=bool), -np.inf, s).max(axis=1)
    s[np.arange(b), np.arange(b)] = largest_negative + np.linspace(18.0, 22.0, b)
    return s


EXTREME = [
    (f"{kind}-B{b}-x{scale}", extreme_matrix(kind, b, scale))
    for b in EXTREME_SIZES
    for scale in EXTREME_SCALES
    for kind in EXTREME_KINDS
]


def _offdiagonal_mean(m: np.ndarray) -> float:
    b = len(m)
    return float(m[~np.eye(b, dtype=bool)].sum() / (b * (b - 1)))


def reference_tuba(s: np.ndarray, a: np.ndarray) -> float:
    return 1.0 + float(np.mean(s.diagonal() - a)) - _offdiagonal_mean(np.exp(s - a[:, None]))


def reference_infonce(s: np.ndarray) -> float:
    b = len(s)
    return math.log(b) + float(np.mean(s.diagonal() - np.log(np.exp(s).sum(axis=1))))


def reference_dv(s: np.ndarray) -> float:
    return float(np.mean(s.diagonal())) - math.log(_offdiagonal_mean(np.exp(s)))


def reference_interpolated(s: np.ndarray, alpha: float, a: np.ndarray) -> float:
    b = len(s)
    # m[i, j] = mean_{k != j} exp(S_ik): a matrix product with the 0/1 mask sums exactly the
    # remaining positive terms, so nothing cancels.
    m = np.exp(s) @ (1.0 - np.eye(b)) / (b - 1)
    baseline = np.log(alpha * m + (1.0 - alpha) * np.exp(a)[:, None])
    joint = _offdiagonal_mean(s.diagonal()[:, None] - baseline)
    marginal = _offdiagonal_mean(np.exp(s - baseline.diagonal()[:, None]))
    return 1.0 + joint - marginal


def _zeros(s: np.ndarray) -> np.ndarray:
    return np.zeros(len(s))


def _ramp(s: np.ndarray) -> np.ndarray:
    return np.linspace(-2.0, 3.0, len(s))


# name -> (mirl call on (scores, log_baseline), exact reference on (S, a), baseline maker)
EXTREME_CASES = {
    "infonce": (lambda t, a: infonce(t), lambda s, a: reference_infonce(s), _zeros),
    "nwj": (lambda t, a: nwj(t), lambda s, a: reference_tuba(s, a + 1.0), _zeros),
    "tuba": (lambda t, a: tuba(t), reference_tuba, _zeros),
    "tuba-baseline": (tuba, reference_tuba, _ramp),
    "dv": (lambda t, a: dv(t), lambda s, a: reference_dv(s), _zeros),
    "js": (lambda t, a: js(t), reference_tuba, _zeros),  # the value is nwj(S + 1) = tuba(S)
    "smile": (
        lambda t, a: smile(t, clip=5.0),
        lambda s, a: (
            reference_dv(s)
            + math.log(_offdiagonal_mean(np.exp(s)))
            - math.log(_offdiagonal_mean(np.exp(np.clip(s, -5.0, 5.0))))
        ),
        _zeros,
    ),
    **{
        f"interpolated-{alpha}": (
            lambda t, a, alpha=alpha: interpolated(t, alpha),
            lambda s, a, alpha=alpha: reference_interpolated(s, alpha, a),
            _zeros,
        )
        for alpha in (0.01, 0.5, 0.99, 1.0)
    },
    "interpolated-0.5-baseline": (
        lambda t, a: interpolated(t, 0.5, a),
        lambda s, a: reference_interpolated(s, 0.5, a),
        _ramp,
    ),
}

# The error allowed, relative to max(1, |bound|) * max(1, max|S|): rounding a score to the dtype
# moves it by eps * |S|, which exp() turns into a relative error of its term, so no bound can be
# asked to be closer than that. The limits are about 16 eps: 2e-6 in float32, 4e-15 in float64.
EXTREME_TOLERANCE = {torch.float32: 2e-6, torch.float64: 4e-15}


def extreme_errors(name: str, dtype: torch.dtype) -> list[tuple[float, str]]:
    """(relative error, matrix) of ``name`` on every extreme matrix in ``dtype``."""
    call, reference, make_baseline = EXTREME_CASES[name]
    errors = []
    for label, matrix in EXTREME:
        scores = torch.tensor(matrix, dtype=dtype)
        exact_input = scores.double().numpy()  # the reference sees the rounded scores
        a = make_baseline(matrix)
        expected = reference(exact_input, torch.tensor(a, dtype=dtype).double().numpy())
        got = call(scores, torch.tensor(a, dtype=dtype)).item()
        if math.isinf(torch.tensor(expected, dtype=dtype).item()):
            # Beyond the dtype's range (TUBA's e^{150} in float32): -inf is the right answer.
            error = 0.0 if got == -math.inf and expected < 0 else math.inf
        else:
            scale = max(1.0, abs(expected)) * max(1.0, float(np.abs(exact_input).max()))
            error = abs(got - expected) / scale
        errors.append((error, label))
    return errors


def test_every_bound_has_an_extreme_case():
    assert {name.split("-")[0] for name in EXTREME_CASES} == set(BOUNDS)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(EXTREME_CASES))
def test_bounds_match_exact_reference_on_extreme_matrices(name, dtype):
    worst, label = max(extreme_errors(name, dtype))
    assert worst <= EXTREME_TOLERANCE[dtype], f"{name} off by {worst:.2e} (relative) on {label}"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("lead", [18.0, 20.0, 40.0, 200.0])
@pytest.mark.parametrize("alpha", [0.5, 1.0])
def test_interpolated_when_the_positive_dominates_its_row(alpha, lead, dtype):
    # The regression of issue 11: at B = 128 in float32 the leave-one-out mean at a dominant
    # positive rounded to log(0), 0.26 nats off at a lead of 18, -1e30 at alpha = 1.
    b = 128
    s = torch.randn(b, b, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    s.diagonal().copy_(s.masked_fill(torch.eye(b, dtype=torch.bool), -math.inf).amax(1) + lead)
    s = s.to(dtype)
    expected = reference_interpolated(s.double().numpy(), alpha, np.zeros(b))
    assert interpolated(s, alpha).item() == pytest.approx(
        expected, abs=1e-5 if dtype == torch.float32 else 1e-12
    )


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_gradients_are_finite_on_extreme_matrices(name):
    for label, matrix in EXTREME:
        for dtype in (torch.float32, torch.float64):
            scores = torch.tensor(matrix, dtype=dtype, requires_grad=True)
            value = BOUNDS[name](scores)
            if not torch.isfinite(value):  # TUBA/NWJ overflow in float32: no gradient to check
                continue
            value.backward()
            assert torch.isfinite(scores.grad).all(), f"{name} {dtype} {label}"
