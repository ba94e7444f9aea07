"""Every task has the MI it claims: each closed form (or numerical value) against an
independent computation, most of them on the task's own samples.

- Normal tasks: the Gaussian plug-in (sample covariance -> MI), with its exact small-sample
  bias removed, on a large sample.
- Gaussian-copula tasks (coordinatewise increasing maps of a normal): the same plug-in on
  rank normal scores, which those maps leave exactly unchanged.
- Low-dimensional tasks: the MI integral by ``scipy.integrate``.
- Student-t and mixtures: the Monte Carlo mean of ``log p(x, y) - log p(x) - log p(y)``,
  with densities from ``scipy.stats``, over the task's samples.
"""

import functools
import itertools
import math

import numpy as np
import pytest
import torch
from scipy import integrate, special, stats

from mirl.data.gaussian import gaussian_mi
from mirl.tasks import (
    FIG4C_SIGMA_EPS,
    FIG4C_SIGMA_Z,
    TASKS,
    Elementwise,
    GaussianToMixture,
    MixturePairs,
    SharedNormal,
    SplitNormal,
    SplitStudentT,
    Task,
    student_identity,
)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def sample(task: Task, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    x, y = task.sample(n, generator(seed))
    return x.double().numpy(), y.double().numpy()


def plugin_mi(x: np.ndarray, y: np.ndarray) -> float:
    """The Gaussian MI of the sample covariance, made unbiased for Gaussian data:
    ``(n - 1) S_hat`` is Wishart with n - 1 degrees of freedom, so
    ``E log det S_hat = log det S + sum_{i<k} psi((n - 1 - i) / 2) + k log(2 / (n - 1))``."""
    n, dx = x.shape
    cov = np.cov(np.concatenate([x, y], axis=1), rowvar=False)

    def logdet(m: np.ndarray) -> float:
        k = m.shape[0]
        bias = special.digamma((n - 1 - np.arange(k)) / 2).sum() + k * math.log(2 / (n - 1))
        return np.linalg.slogdet(m)[1] - bias

    return 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))


def normal_scores(a: np.ndarray) -> np.ndarray:
    """Each column replaced by the normal quantiles of its ranks."""
    return special.ndtri(stats.rankdata(a, axis=0) / (len(a) + 1))


def is_coordinatewise(task: Task) -> bool:
    return all(isinstance(m, Elementwise | GaussianToMixture) for m in task.maps_x + task.maps_y)


def names(predicate, large: bool) -> list[str]:
    """Task names selected by ``predicate``; ``large`` picks those with dim_x + dim_y > 20."""
    return sorted(n for n, t in TASKS.items() if predicate(t) and (t.dim_x + t.dim_y > 20) == large)


def plain_normal(t: Task) -> bool:
    return isinstance(t.base, SplitNormal) and not t.maps_x and not t.maps_y


def normal_copula(t: Task) -> bool:
    return isinstance(t.base, SplitNormal) and (t.maps_x or t.maps_y) and is_coordinatewise(t)


def monte_carlo_mi(log_ratio: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of ``log p(x, y) / (p(x) p(y))`` over samples."""
    return float(log_ratio.mean()), float(log_ratio.std() / math.sqrt(len(log_ratio)))


# --- Gaussian tasks --------------------------------------------------------------------------

# On 100,000 samples the plug-in's sd, measured over 6 seeds, is 0.001-0.004 nats on the
# small tasks and grows with the MI on the staircase (0.007 at 2 nats, 0.014 at 10): the
# tolerance, 0.02 + 0.005 * MI, is 5 sd or more everywhere.
PLUGIN_N = 100_000


def plugin_tolerance(task: Task) -> float:
    return 0.02 + 0.005 * task.true_mi


def _check_plugin(name: str) -> None:
    task = TASKS[name]
    estimate = plugin_mi(*sample(task, PLUGIN_N))
    assert estimate == pytest.approx(task.true_mi, abs=plugin_tolerance(task))


@pytest.mark.parametrize("name", names(plain_normal, large=False))
def test_normal_tasks_match_the_plugin_estimate(name):
    _check_plugin(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", names(plain_normal, large=True))
def test_large_normal_tasks_match_the_plugin_estimate(name):
    _check_plugin(name)


def _check_copula(name: str) -> None:
    task = TASKS[name]
    x, y = sample(task, PLUGIN_N)
    estimate = plugin_mi(normal_scores(x), normal_scores(y))
    assert estimate == pytest.approx(task.true_mi, abs=plugin_tolerance(task))


@pytest.mark.parametrize("name", names(normal_copula, large=False))
def test_gaussian_copula_tasks_match_the_rank_plugin_estimate(name):
    _check_copula(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", names(normal_copula, large=True))
def test_large_gaussian_copula_tasks_match_the_rank_plugin_estimate(name):
    _check_copula(name)


def push(task: Task, x: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The task's maps applied to a base sample, in float64."""
    for m in task.maps_x:
        x = m(x)
    for m in task.maps_y:
        y = m(y)
    return x.numpy(), y.numpy()


@pytest.mark.parametrize("name", sorted(n for n, t in TASKS.items() if t.maps_x or t.maps_y))
def test_rank_estimate_is_unchanged_by_coordinatewise_maps(name):
    task = TASKS[name]
    if not is_coordinatewise(task):
        pytest.skip("not coordinatewise (spiral, Swiss roll): see the invertibility tests")
    base_x, base_y = task.base.sample(4_000, generator(5))
    before = plugin_mi(normal_scores(base_x.numpy()), normal_scores(base_y.numpy()))
    # increasing maps keep every rank: the estimate is the same to the last bits
    mapped = push(task, base_x, base_y)
    assert plugin_mi(*map(normal_scores, mapped)) == pytest.approx(before, abs=1e-12)
    # the task's float32 samples: rounding may tie a few neighbours, nothing more
    x, y = sample(task, 4_000, seed=5)
    assert plugin_mi(normal_scores(x), normal_scores(y)) == pytest.approx(before, abs=1e-6)


def test_fig4c_is_the_papers_gaussian():
    task = TASKS["paper-fig4c"]
    # the paper's Section 4: each pair is z + eps (the runs of Fig. 4c sample the same base)
    sigma = np.add(FIG4C_SIGMA_Z, FIG4C_SIGMA_EPS)
    np.testing.assert_array_equal(task.base.covariance, sigma)
    assert (task.base.sigma_z, task.base.sigma_eps) == (FIG4C_SIGMA_Z, FIG4C_SIGMA_EPS)
    np.testing.assert_array_equal(sigma, [[2.0, 0.4], [0.4, 2.0]])
    assert task.true_mi == pytest.approx(gaussian_mi(sigma), abs=1e-15)
    assert task.true_mi == pytest.approx(-0.5 * math.log(1 - 0.2**2), abs=1e-15)
    assert round(task.true_mi, 4) == 0.0204


def test_noniid_sampler_shares_z_within_a_batch():
    sz, se = ((1.0, -0.5), (-0.5, 1.0)), ((1.0, 0.9), (0.9, 1.0))
    normals = torch.randn(
        20000, 9, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    for sampler in ("iid", "noniid"):
        pairs = SharedNormal(sz, se).batch_sampler(sampler)(normals)
        cov = torch.cov(pairs[:, 0].T)  # the law of one pair: N(0, sz + se) either way
        torch.testing.assert_close(
            cov, torch.tensor([[2.0, 0.4], [0.4, 2.0]], dtype=torch.float64), atol=0.06, rtol=0
        )
    noniid = SharedNormal(sz, se).batch_sampler("noniid")(normals)
    between = torch.cov(torch.stack([noniid[:, 0, 0], noniid[:, 1, 0]]))[0, 1]
    assert between.item() == pytest.approx(
        1.0, abs=0.05
    )  # two x's of a batch share z: cov = sz[0,0]
    iid = SharedNormal(sz, se).batch_sampler("iid")(normals)
    assert torch.cov(torch.stack([iid[:, 0, 0], iid[:, 1, 0]]))[0, 1].abs() < 0.05
    with pytest.raises(ValueError, match="unknown sampler"):
        SharedNormal(sz, se).batch_sampler("markov")


def test_split_normal_mi_is_the_sum_over_independent_pairs():
    # block-diagonal covariance: pairs (x_i, y_i) with correlations r_i, everything else 0
    r = np.array([0.1, -0.5, 0.9])
    cov = np.eye(6)
    cov[np.arange(3), 3 + np.arange(3)] = cov[3 + np.arange(3), np.arange(3)] = r
    expected = sum(gaussian_mi([[1.0, ri], [ri, 1.0]]) for ri in r)
    assert SplitNormal(cov, 3).mutual_information == pytest.approx(expected, abs=1e-14)


# --- Student-t -------------------------------------------------------------------------------


def _student_mi_by_quadrature(df: float) -> float:
    """The MI of the 1v1 standard Student-t, integrated over |x|, |y| <= 1e12 with
    x = sinh(u), y = sinh(v) (the Cauchy tails beyond hold less than 1e-10 nats)."""
    log_c2 = special.gammaln((df + 2) / 2) - special.gammaln(df / 2) - math.log(df * math.pi)
    log_c1 = special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * math.log(df * math.pi)

    def integrand(v: float, u: float) -> float:
        x, y = math.sinh(u), math.sinh(v)
        log_joint = log_c2 - (df + 2) / 2 * math.log1p((x * x + y * y) / df)
        log_x = log_c1 - (df + 1) / 2 * math.log1p(x * x / df)
        log_y = log_c1 - (df + 1) / 2 * math.log1p(y * y / df)
        jacobian = math.cosh(u) * math.cosh(v)
        return math.exp(log_joint) * (log_joint - log_x - log_y) * jacobian

    edge = math.asinh(1e12)
    return integrate.dblquad(integrand, -edge, edge, -edge, edge, epsabs=1e-11, epsrel=1e-11)[0]


@pytest.mark.parametrize("df", [1, 2, 5])
def test_student_1v1_closed_form_matches_quadrature(df):
    assert student_identity(1, 1, df).true_mi == pytest.approx(
        _student_mi_by_quadrature(df), abs=1e-9
    )


@pytest.mark.parametrize(
    "name",
    sorted(n for n, t in TASKS.items() if isinstance(t.base, SplitStudentT) and not t.maps_x),
)
def test_student_tasks_match_monte_carlo_with_their_densities(name):
    task = TASKS[name]
    base = task.base
    x, y = sample(task, 40_000, seed=7)
    dispersion = np.asarray(base.normal.covariance)
    dx = task.dim_x

    def log_t(points: np.ndarray, shape: np.ndarray) -> np.ndarray:
        return stats.multivariate_t(shape=shape, df=base.df).logpdf(points)

    log_ratio = (
        log_t(np.concatenate([x, y], axis=1), dispersion)
        - log_t(x, dispersion[:dx, :dx])
        - log_t(y, dispersion[dx:, dx:])
    ).reshape(-1)
    mean, se = monte_carlo_mi(log_ratio)
    assert abs(mean - task.true_mi) < 5 * se + 1e-3, (mean, se, task.true_mi)
    # the sampler: each coordinate of x is a Student-t with df degrees of freedom
    ks = stats.kstest(x[:, 0] / math.sqrt(dispersion[0, 0]), stats.t(base.df).cdf)
    assert ks.statistic < 0.01


# --- Additive noise -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["1v1-additive-0.1", "1v1-additive-0.75"])
def test_additive_noise_matches_quadrature_and_its_samples(name):
    task = TASKS[name]
    e = task.base.epsilon

    def density_y(y: float) -> float:  # U(0, 1) convolved with U(-e, e)
        overlap = min(1.0, y + e) - max(0.0, y - e)
        return max(overlap, 0.0) / (2 * e)

    def neg_p_log_p(y: float) -> float:
        p = density_y(y)
        return -p * math.log(p) if p > 0 else 0.0

    kinks = sorted({-e, e, 1 - e, 1 + e, min(e, 1 - e), max(e, 1 - e)})
    entropy_y = sum(
        integrate.quad(neg_p_log_p, a, b, epsabs=1e-13)[0] for a, b in itertools.pairwise(kinks)
    )
    assert task.true_mi == pytest.approx(entropy_y - math.log(2 * e), abs=1e-10)

    x, y = sample(task, 100_000, seed=2)
    assert x.min() >= 0 and x.max() <= 1 and np.abs(y - x).max() <= e * (1 + 1e-6)
    log_ratio = -math.log(2 * e) - np.log([density_y(v) for v in y[:, 0]])
    mean, se = monte_carlo_mi(log_ratio)
    assert abs(mean - task.true_mi) < 5 * se + 1e-3


# --- Bimodal and mixture tasks -----------------------------------------------------------------


def _mixture_cdf(weights, means):
    return lambda s: sum(w * special.ndtr(s - m) for w, m in zip(weights, means, strict=True))


def test_bimodal_marginals_are_the_stated_mixtures():
    x, y = sample(TASKS["1v1-bimodal-0.75"], 50_000, seed=3)
    assert stats.kstest(x[:, 0], _mixture_cdf((0.3, 0.7), (0.0, 5.0))).statistic < 0.01
    assert stats.kstest(y[:, 0], _mixture_cdf((0.5, 0.5), (-1.0, 3.0))).statistic < 0.01


@pytest.mark.slow
def test_bimodal_mi_matches_quadrature_of_its_density():
    # density of (X, Y) = c(F(x), G(y)) f(x) g(y) with c the Gaussian copula density, so the
    # MI is the integral of that density times log c(F(x), G(y))
    rho = 0.75
    cdf_x, cdf_y = _mixture_cdf((0.3, 0.7), (0.0, 5.0)), _mixture_cdf((0.5, 0.5), (-1.0, 3.0))

    def pdf(weights, means):
        return lambda s: sum(
            w * math.exp(-0.5 * (s - m) ** 2) / math.sqrt(2 * math.pi)
            for w, m in zip(weights, means, strict=True)
        )

    pdf_x, pdf_y = pdf((0.3, 0.7), (0.0, 5.0)), pdf((0.5, 0.5), (-1.0, 3.0))

    def integrand(y: float, x: float) -> float:
        a, b = special.ndtri(cdf_x(x)), special.ndtri(cdf_y(y))
        log_c = -0.5 * math.log(1 - rho**2) - (rho**2 * (a * a + b * b) - 2 * rho * a * b) / (
            2 * (1 - rho**2)
        )
        return math.exp(log_c) * pdf_x(x) * pdf_y(y) * log_c

    value = integrate.dblquad(integrand, -7, 12, -8, 10, epsabs=1e-9, epsrel=1e-9)[0]
    assert TASKS["1v1-bimodal-0.75"].true_mi == pytest.approx(value, abs=1e-6)


def _mixture_log_densities(base: MixturePairs, x, y):
    """log p(x, y), log p(x), log p(y) of a 2-d Gaussian mixture, written out (scalars or
    arrays)."""
    joint, marg_x, marg_y = [], [], []
    for w, (mx, my), ((sxx, sxy), (_, syy)) in zip(
        base.weights, base.means, base.covariances, strict=True
    ):
        det = sxx * syy - sxy**2
        dx, dy = x - mx, y - my
        quad = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det
        joint.append(math.log(w) - 0.5 * quad - math.log(2 * math.pi) - 0.5 * math.log(det))
        marg_x.append(math.log(w) - 0.5 * dx * dx / sxx - 0.5 * math.log(2 * math.pi * sxx))
        marg_y.append(math.log(w) - 0.5 * dy * dy / syy - 0.5 * math.log(2 * math.pi * syy))
    return tuple(functools.reduce(np.logaddexp, t) for t in (joint, marg_x, marg_y))


def test_mixture_matches_monte_carlo_on_its_samples():
    task = TASKS["1v1-mixture-2.0-0.5"]
    x, y = sample(task, 100_000, seed=4)
    log_joint, log_x, log_y = _mixture_log_densities(task.base, x[:, 0], y[:, 0])
    mean, se = monte_carlo_mi(log_joint - log_x - log_y)
    assert abs(mean - task.true_mi) < 5 * se + 1e-3


@pytest.mark.slow
def test_mixture_mi_matches_scipy_quadrature():
    task = TASKS["1v1-mixture-2.0-0.5"]

    def integrand(y: float, x: float) -> float:
        log_joint, log_x, log_y = _mixture_log_densities(task.base, x, y)
        return math.exp(log_joint) * (log_joint - log_x - log_y)

    value = integrate.dblquad(integrand, -14, 14, -14, 14, epsabs=1e-10, epsrel=1e-10)[0]
    assert task.true_mi == pytest.approx(value, abs=1e-8)
