import math

import numpy as np
import pytest
import torch

from mirl._registry import bind
from mirl.bounds import (
    BOUNDS,
    dv,
    infonce,
    interpolated,
    js,
    logmeanexp_offdiagonal,
    nwj,
    smile,
    tuba,
)

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


# --- Large scores: 1e3 to 1e8, against exact shifted float64 references ----------------------
#
# The same kinds and sizes at scales 1e3 to 1e8, where exp() of a score overflows even float64
# and the direct references above cannot be evaluated. The references below evaluate each
# definition in float64 after subtracting, from every group of scores that a log-sum-exp runs
# over, the largest of the group (for a leave-one-out mean, the largest that is left in), and
# take means with math.fsum: the maximum is never added back before a difference is taken, so
# every exponent is a difference of two exact inputs and nothing is rounded at the scale of the
# scores. Where both kinds of reference can be evaluated they agree to 1e-13 (tested below).

LARGE_SCALES = (1e3, 1e5, 1e7, 1e8)
LARGE = [
    (f"{kind}-B{b}-x{scale:g}", extreme_matrix(kind, b, scale))
    for b in EXTREME_SIZES
    for scale in LARGE_SCALES
    for kind in EXTREME_KINDS
]
LOG_FLOAT64_MAX = math.log(np.finfo(np.float64).max)


def _exact_mean(*parts: np.ndarray) -> float:
    """The mean over entries of ``sum(parts)``, summed exactly (math.fsum), rounded once."""
    terms = np.concatenate([np.ravel(p) for p in parts])
    return math.fsum(terms) / np.size(parts[0])


def _log_mean_exp_shifted(x: np.ndarray) -> tuple[float, float]:
    """``(m, r)`` with ``log mean exp(x) = m + r``: ``m = max x``, ``r`` in [-log n, 0]."""
    m = float(x.max())
    return m, math.log(math.fsum(np.exp(x - m).ravel()) / x.size)


def _offdiagonal(m: np.ndarray) -> np.ndarray:
    return m[~np.eye(len(m), dtype=bool)]


def _one_minus_exp(joint: float, log_marginal: tuple[float, float]) -> float:
    """``1 + joint - exp(m + r)``; -inf once the exponential is beyond float64."""
    m, r = log_marginal
    if m + r > LOG_FLOAT64_MAX:
        return -math.inf
    return math.fsum([1.0, joint, -math.exp(m + r)])


def shifted_infonce(s: np.ndarray) -> float:
    top = s.max(axis=1)
    log_sums = np.log(np.exp(s - top[:, None]).sum(axis=1))
    return math.log(len(s)) + _exact_mean(s.diagonal(), -top, -log_sums)


def shifted_tuba(s: np.ndarray, a: np.ndarray) -> float:
    joint = _exact_mean(s.diagonal(), -a)
    return _one_minus_exp(joint, _log_mean_exp_shifted(_offdiagonal(s - a[:, None])))


def shifted_dv(s: np.ndarray) -> float:
    m, r = _log_mean_exp_shifted(_offdiagonal(s))
    return math.fsum([_exact_mean(s.diagonal()), -m, -r])


def shifted_smile(s: np.ndarray, clip: float = 5.0) -> float:
    m, r = _log_mean_exp_shifted(_offdiagonal(np.clip(s, -clip, clip)))
    return math.fsum([_exact_mean(s.diagonal()), -m, -r])


def shifted_interpolated(s: np.ndarray, alpha: float, a: np.ndarray) -> float:
    b = len(s)
    # rows[i, j] is row i without column j; top[i, j] its maximum, so the baseline of the pair
    # (i, j) is top[i, j] + rest[i, j], with rest a log of a mean whose largest term is 1.
    rows = np.where(np.eye(b, dtype=bool)[None], -np.inf, s[:, None, :])
    top = rows.max(axis=-1)
    log_mean = np.log(np.exp(rows - top[..., None]).sum(axis=-1) / (b - 1))
    with np.errstate(divide="ignore"):  # log(0) = -inf at alpha = 0 or 1 is meant
        rest = np.logaddexp(math.log(alpha) + log_mean, np.log1p(-alpha) + a[:, None] - top)
    diagonal = np.broadcast_to(s.diagonal()[:, None], (b, b))
    joint = _exact_mean(_offdiagonal(diagonal), -_offdiagonal(top), -_offdiagonal(rest))
    exponents = (s - top.diagonal()[:, None]) - rest.diagonal()[:, None]
    return _one_minus_exp(joint, _log_mean_exp_shifted(_offdiagonal(exponents)))


# name -> the exact reference at any scale, on (S, a), for the cases of EXTREME_CASES
SHIFTED_REFERENCES = {
    "infonce": lambda s, a: shifted_infonce(s),
    "nwj": lambda s, a: shifted_tuba(s, a + 1.0),
    "tuba": shifted_tuba,
    "tuba-baseline": shifted_tuba,
    "dv": lambda s, a: shifted_dv(s),
    "js": shifted_tuba,
    "smile": lambda s, a: shifted_smile(s),
    **{
        f"interpolated-{alpha}": lambda s, a, alpha=alpha: shifted_interpolated(s, alpha, a)
        for alpha in (0.01, 0.5, 0.99, 1.0)
    },
    "interpolated-0.5-baseline": lambda s, a: shifted_interpolated(s, 0.5, a),
}


def test_every_extreme_case_has_a_shifted_reference():
    assert set(SHIFTED_REFERENCES) == set(EXTREME_CASES)


@pytest.mark.parametrize("name", sorted(EXTREME_CASES))
def test_shifted_references_agree_with_the_direct_ones(name):
    _, direct, make_baseline = EXTREME_CASES[name]
    for label, matrix in EXTREME:
        a = make_baseline(matrix)
        expected, got = direct(matrix, a), SHIFTED_REFERENCES[name](matrix, a)
        assert got == pytest.approx(expected, rel=1e-13, abs=1e-13), label


def _error(got: float, expected: float, dtype: torch.dtype, scale: float) -> float:
    """``|got - expected| / scale``; NaN is never right, and -inf is right exactly where the
    exact value is beyond the dtype's range."""
    if math.isnan(got):
        return math.inf
    if math.isinf(torch.tensor(expected, dtype=dtype).item()):
        return 0.0 if got == -math.inf and expected < 0 else math.inf
    return abs(got - expected) / scale


def large_errors(name: str, dtype: torch.dtype) -> list[tuple[float, str]]:
    """(error relative to max(1, max|S|), matrix) of ``name`` on every large matrix."""
    call = EXTREME_CASES[name][0]
    make_baseline = EXTREME_CASES[name][2]
    errors = []
    for label, matrix in LARGE:
        scores = torch.tensor(matrix, dtype=dtype)
        a = torch.tensor(make_baseline(matrix), dtype=dtype)
        exact_input = scores.double().numpy()
        expected = SHIFTED_REFERENCES[name](exact_input, a.double().numpy())
        got = call(scores, a).item()
        scale = max(1.0, float(np.abs(exact_input).max()))
        errors.append((_error(got, expected, dtype, scale), label))
    return errors


# The error allowed is relative to max(1, max|S|) alone, not also to |bound| as above: at these
# scales every exponential term e^S with S beyond 88 (float32) or 709 (float64) is infinite and
# the bound -inf, and the terms that stay finite are bounded (SMILE's clipped partition by e^5,
# I_alpha's marginal term by 1 / alpha), so what is left is sums of scores, rounded to eps * |S|.
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(EXTREME_CASES))
def test_bounds_match_exact_reference_at_large_scales(name, dtype):
    worst, label = max(large_errors(name, dtype))
    assert worst <= EXTREME_TOLERANCE[dtype], f"{name} off by {worst:.2e} (relative) on {label}"


def test_large_scales_reach_1e8_and_overflow_where_they_should():
    assert max(float(np.abs(m).max()) for _, m in LARGE) > 1e8
    # TUBA's e^S overflows there: the right answer, -inf, is what the tests above hold it to
    s = torch.tensor(LARGE[-1][1], dtype=torch.float32)
    assert tuba(s).item() == nwj(s).item() == js(s).item() == -math.inf


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("b", [2, 4, 6, 64])
@pytest.mark.parametrize("value", [1e7, 1e8])
def test_infonce_of_equal_large_scores_is_zero(value, b, dtype):
    # Every row uniform: the positive is no likelier than any negative, so I_NCE = log B - log B.
    # Computed as S_ii - logsumexp_j S_ij, it was 0.39 nats at 1e7 (B = 4) in float32, -3.8 at 1e8.
    scores = torch.full((b, b), value, dtype=dtype)
    assert infonce(scores).item() == pytest.approx(0.0, abs=1e-6)
    assert infonce(-scores).item() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("value", [-1e8, -1e7, 1e3, 1e7, 1e8])
def test_every_bound_on_equal_large_scores_has_its_closed_form(value, dtype):
    b = 64
    scores = torch.full((b, b), value, dtype=dtype)
    c = scores[0, 0].item()  # the score as the dtype holds it

    def interpolated_form(alpha: float) -> float:
        # baseline log(alpha e^c + 1 - alpha) = c + L: 1 + (c - baseline) - e^(c - baseline)
        if alpha == 1.0:
            return 0.0
        gap = float(np.logaddexp(math.log(alpha), math.log1p(-alpha) - c))
        return 1.0 - gap - math.exp(-gap)

    expected = {
        "infonce": 0.0,
        "dv": 0.0,
        "smile": c - 5.0 if c > 5 else c + 5.0,  # log mean e^clip(c) = +-5
        # 1 + c - e^c, overflowing to -inf for large c (nwj and js are tuba of c - 1 and c)
        "tuba": 1.0 + c if c < 0 else -math.inf,
        "nwj": c if c < 0 else -math.inf,
        "js": 1.0 + c if c < 0 else -math.inf,
    }
    for name, want in expected.items():
        got = BOUNDS[name](scores).item()
        assert got == pytest.approx(want, rel=EXTREME_TOLERANCE[dtype], abs=1e-6), name
    for alpha in (0.01, 0.5, 0.99, 1.0):
        got = interpolated(scores, alpha).item()
        want = interpolated_form(alpha)
        assert got == pytest.approx(want, rel=EXTREME_TOLERANCE[dtype], abs=1e-6), alpha


# --- Huge offsets on the bounds that do not see them ---------------------------------------------
#
# InfoNCE is unchanged by adding c_i to row i of the scores, TUBA and I_alpha by adding c_i to
# row i and to its log-baseline a_i, DV by adding one c to every score. So a bound on S + c must
# be as accurate as on S, relative to the scale of S, not of c: a computation that adds back a
# maximum of size c before subtracting (S_ii - logsumexp_j S_ij) rounds at eps * |c| and fails.
# The matrices are the extreme ones at B <= 64 offset by +-1e3 to +-1e8 (row i by (-1)^i c, or
# everything by c). The reference sees the offset scores as the dtype rounded them, less the
# offset, which float64 subtracts exactly: the shifted bound's exact value.

OFFSETS = (1e3, -1e5, 1e7, -1e8)

# name -> (mirl call on (scores, log_baseline), exact reference on (S, a), baseline maker,
# whether the offset is per row (with the baseline) or one for the whole matrix)
OFFSET_CASES = {
    "infonce": (lambda t, a: infonce(t), lambda s, a: shifted_infonce(s), _zeros, "rows"),
    "dv": (lambda t, a: dv(t), lambda s, a: shifted_dv(s), _zeros, "all"),
    "tuba-baseline": (tuba, shifted_tuba, _ramp, "rows"),
    **{
        f"interpolated-{alpha}-baseline": (
            lambda t, a, alpha=alpha: interpolated(t, alpha, a),
            lambda s, a, alpha=alpha: shifted_interpolated(s, alpha, a),
            _ramp,
            "rows",
        )
        for alpha in (0.01, 0.5, 0.99, 1.0)
    },
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(OFFSET_CASES))
def test_shift_invariant_bounds_are_exact_under_huge_offsets(name, dtype):
    call, reference, make_baseline, per = OFFSET_CASES[name]
    worst, where = 0.0, None
    for label, matrix in EXTREME:
        if len(matrix) > 64:
            continue
        for offset in OFFSETS:
            b = len(matrix)
            rows = offset * (-1.0) ** np.arange(b) if per == "rows" else np.full(b, offset)
            scores = torch.tensor(matrix + rows[:, None], dtype=dtype)
            a = make_baseline(matrix) + (rows if per == "rows" else 0.0)
            a_t = torch.tensor(a, dtype=dtype)
            s_exact = scores.double().numpy() - rows[:, None]  # exact: Sterbenz
            a_exact = a_t.double().numpy() - (rows if per == "rows" else 0.0)
            expected = reference(s_exact, a_exact)
            got = call(scores, a_t).item()
            scale = max(1.0, abs(expected)) * max(1.0, float(np.abs(s_exact).max()))
            error = _error(got, expected, dtype, scale)
            if error > worst:
                worst, where = error, f"{label} offset {offset:g}: {got} vs {expected}"
    assert worst <= EXTREME_TOLERANCE[dtype], f"{name} off by {worst:.2e} (relative) on {where}"


def test_smile_and_js_return_their_bound_to_the_last_bit():
    # Their value is one bound and their gradient another objective's; the value came back
    # as objective + (value - objective), rounded at the scale of both: up to 16 off at 1e8.
    for label, matrix in EXTREME + LARGE:
        for dtype in (torch.float32, torch.float64):
            s = torch.tensor(matrix, dtype=dtype)
            clipped_dv = s.diagonal().mean() - logmeanexp_offdiagonal(s.clamp(-5.0, 5.0))
            assert smile(s).item() == clipped_dv.item(), f"smile {dtype} {label}"
            assert js(s).item() == nwj(s + 1.0).item(), f"js {dtype} {label}"


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_gradients_are_finite_at_large_scales(name):
    for label, matrix in LARGE:
        for dtype in (torch.float32, torch.float64):
            scores = torch.tensor(matrix, dtype=dtype, requires_grad=True)
            value = BOUNDS[name](scores)
            assert not torch.isnan(value), f"{name} {dtype} {label}"
            if not torch.isfinite(value):  # TUBA/NWJ overflow: -inf, no gradient to check
                continue
            value.backward()
            assert torch.isfinite(scores.grad).all(), f"{name} {dtype} {label}"
