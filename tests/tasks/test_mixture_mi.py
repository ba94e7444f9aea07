"""The MI of the mixture tasks (``MixturePairs``) over their whole range, each value against
an independent computation.

It was a trapezoid rule on a grid scaled to the marginals, which a correlation near +-1
outran: the narrow ridge such a component makes was sampled a few times or not at all
(separation 2: 0.011 nats off at correlation 0.997, 0.99 at 0.999, 14 at 0.9999). Now each
value is checked against scipy's adaptive quadrature in each component's principal axes,
against Monte Carlo on the task's own samples, in limits with closed forms, and under maps
that leave the MI unchanged but change every step of its computation.
"""

import functools
import itertools
import math

import numpy as np
import pytest
import torch
from scipy import integrate

from mirl.tasks import MixturePairs, bimodal_mixture

SEPARATIONS = (0.5, 2.0, 5.0)
CORRELATIONS = (0.0, *(s * r for r in (0.5, 0.9, 0.98, 0.997, 0.999, 0.9999) for s in (1, -1)))
GRID = [(a, r) for a in SEPARATIONS for r in CORRELATIONS]
# The quadrature takes seconds a case: these run by default, the other 36 with --slow.
QUICK = {(2.0, 0.999), (2.0, -0.9999), (0.5, 0.997)}


def _log_mixture_1d(t: float, log_w: np.ndarray, means: np.ndarray, stds: np.ndarray) -> float:
    terms = log_w - 0.5 * ((t - means) / stds) ** 2 - np.log(stds)
    return float(np.logaddexp.reduce(terms)) - 0.5 * math.log(2 * math.pi)


def _expectation_under_component(base: MixturePairs, k: int, tol: float) -> float:
    """``E[log p(x, y) / (p(x) p(y))]`` under component k of a two-component mixture, by nested
    ``scipy.integrate.quad`` over ``(x, y) = mu_k + A v``, ``v ~ N(0, I)``, with A component k's
    principal axes rotated so that v1 runs along the other component's narrow axis. A
    near-singular other component is then a stripe across v1 (of width ``sqrt(narrow[0])``),
    and ``points`` at its centre and at a few of its widths make quad resolve it. (Marginals
    with components much narrower than component k would cross v2 obliquely, unresolved:
    for those, ``mi_in_the_plane`` below.)"""
    w, mu, cov = (np.asarray(a) for a in (base.weights, base.means, base.covariances))
    log_w = np.log(w)
    std_x, std_y = np.sqrt(cov[:, 0, 0]), np.sqrt(cov[:, 1, 1])
    j = 1 - k
    variances, axes = np.linalg.eigh(cov[k])
    whiten = np.linalg.inv(axes * np.sqrt(variances))
    narrow, rotation = np.linalg.eigh(whiten @ cov[j] @ whiten.T)  # component j in v, diagonal
    centre = rotation.T @ whiten @ (mu[j] - mu[k])
    to_plane = (axes * np.sqrt(variances)) @ rotation
    log_det_k = float(np.log(variances).sum())
    log_det_j = log_det_k + float(np.log(narrow).sum())
    reach = 12.0

    def integrand(v2: float, v1: float) -> float:
        x, y = mu[k] + to_plane @ (v1, v2)
        own = log_w[k] - 0.5 * (v1 * v1 + v2 * v2) - 0.5 * log_det_k
        d1, d2 = v1 - centre[0], v2 - centre[1]
        other = log_w[j] - 0.5 * (d1 * d1 / narrow[0] + d2 * d2 / narrow[1]) - 0.5 * log_det_j
        log_joint = float(np.logaddexp(own, other)) - math.log(2 * math.pi)
        log_x = _log_mixture_1d(x, log_w, mu[:, 0], std_x)
        log_y = _log_mixture_1d(y, log_w, mu[:, 1], std_y)
        return math.exp(-0.5 * (v1 * v1 + v2 * v2)) / (2 * math.pi) * (log_joint - log_x - log_y)

    def points(axis: int) -> list[float] | None:
        steps = np.array([0, 1, 2, 3, 4, 6, 8, 12, -1, -2, -3, -4, -6, -8, -12])
        near = centre[axis] + math.sqrt(narrow[axis]) * steps
        return sorted(float(p) for p in near if -reach < p < reach) or None

    def inner(v1: float) -> float:
        return integrate.quad(
            integrand,
            -reach,
            reach,
            args=(v1,),
            points=points(1),
            epsabs=tol,
            epsrel=tol,
            limit=200,
        )[0]

    outer = integrate.quad(
        inner, -reach, reach, points=points(0), epsabs=tol, epsrel=tol, limit=200
    )
    return outer[0]


def mi_in_principal_axes(base: MixturePairs, tol: float = 1e-10) -> float:
    """The MI of a two-component mixture: ``sum_k w_k E_k[log p(x, y) / (p(x) p(y))]``."""
    assert len(base.weights) == 2
    return sum(w * _expectation_under_component(base, k, tol) for k, w in enumerate(base.weights))


def log_densities(base: MixturePairs, x: np.ndarray, y: np.ndarray):
    """log p(x, y), log p(x), log p(y) of a 2-d Gaussian mixture, written out."""
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


@pytest.mark.parametrize(
    ("separation", "correlation"),
    [pytest.param(a, r, marks=() if (a, r) in QUICK else pytest.mark.slow) for a, r in GRID],
)
def test_mixture_mi_matches_quadrature_in_principal_axes(separation, correlation):
    base = bimodal_mixture(separation, correlation).base
    assert base.mutual_information == pytest.approx(mi_in_principal_axes(base), abs=1e-9)


@pytest.mark.parametrize(("separation", "correlation"), GRID)
def test_mixture_matches_monte_carlo_on_its_samples_at_every_correlation(separation, correlation):
    task = bimodal_mixture(separation, correlation)
    x, y = task.sample(100_000, torch.Generator().manual_seed(11))
    log_joint, log_x, log_y = log_densities(
        task.base, x[:, 0].double().numpy(), y[:, 0].double().numpy()
    )
    log_ratio = log_joint - log_x - log_y
    mean, se = log_ratio.mean(), log_ratio.std() / math.sqrt(len(log_ratio))
    # 100,000 samples: standard errors of 6e-8 (separation 5, correlation 0) to 0.003 nats.
    # + 1e-3 for what no sample shows: where the components overlap only in their far tails
    # (separation 5), the overlap's share of the MI (2e-6 there) comes from rare events.
    assert abs(mean - task.true_mi) < 5 * se + 1e-3, (mean, se, task.true_mi)


def gaussian_mi(rho: float) -> float:
    return -0.5 * math.log((1 - rho) * (1 + rho))


def covariance(std_x: float, std_y: float, rho: float):
    c = rho * std_x * std_y
    return ((std_x**2, c), (c, std_y**2))


@pytest.mark.parametrize("rho", [0.0, 0.5, -0.9, 0.9999, 1 - 2**-40])
def test_mixture_limits_with_closed_forms(rho):
    one = MixturePairs((1.0,), ((3.0, -1.0),), (covariance(2.0, 0.5, rho),))
    assert one.mutual_information == pytest.approx(gaussian_mi(rho), abs=1e-12)
    # Two copies of one normal: every overlap integral must give back exactly H(w).
    same = MixturePairs((0.3, 0.7), ((3.0, -1.0),) * 2, (covariance(2.0, 0.5, rho),) * 2)
    assert same.mutual_information == pytest.approx(gaussian_mi(rho), abs=1e-9)
    # Far apart in x and in y: either reveals the component, which has its own MI.
    entropy = -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
    apart = MixturePairs(
        (0.3, 0.7), ((0.0, 0.0), (1e3, -1e3)), (covariance(2, 3, rho), covariance(1, 1, -0.5))
    )
    expected = entropy + 0.3 * gaussian_mi(rho) + 0.7 * gaussian_mi(-0.5)
    assert apart.mutual_information == pytest.approx(expected, abs=1e-9)
    # One law of X for all, and Y independent of X within each: X and Y are independent.
    independent = MixturePairs(
        (0.2, 0.3, 0.5),
        ((0.0, -2.0), (0.0, 0.5), (0.0, 1.0)),
        (covariance(1.5, 0.3, 0.0), covariance(1.5, 1.0, 0.0), covariance(1.5, 2.0, 0.0)),
    )
    assert independent.mutual_information == pytest.approx(0.0, abs=1e-10)


ASYMMETRIC = {
    # two ridges of unequal widths crossing away from both centres
    "crossing": ((0.35, 0.65), ((-1.0, 0.5), (1.5, 2.0)), (2.0, 0.7, 0.9999), (0.5, 1.5, -0.99)),
    # a narrow component inside a wide one
    "nested": ((0.8, 0.2), ((0.0, 0.0), (0.3, -0.2)), (3.0, 2.0, 0.3), (0.01, 0.02, 0.999)),
    # two ridges crossing inside a wide third component, whose overlap log(1 + R_j + R_l)
    # changes where they cross: 6e-8 nats off while only crossings with it were resolved
    "ridges-in-a-third": (
        (0.26, 0.16, 0.58),
        ((0.49, -0.015), (0.0, -0.004), (0.3, 0.003)),
        (2.1, 1.26, 0.998),
        (9.46, 1.32, 0.255),
        (0.289, 5.13, -0.9999999),
    ),
    "three": (
        (0.2, 0.5, 0.3),
        ((0.0, 0.0), (1.0, 1.0), (-1.0, 2.0)),
        (1.0, 1.0, 0.997),
        (0.5, 2.0, -0.9),
        (2.0, 0.2, 0.0),
    ),
}


def mixture(name: str) -> MixturePairs:
    weights, means, *components = ASYMMETRIC[name]
    return MixturePairs(weights, means, tuple(covariance(*c) for c in components))


def mi_in_the_plane(base: MixturePairs, tol: float = 1e-10) -> float:
    """The MI of any mixture as its definition, ``int p(x) int p(y|x) log(p(x, y) / (p(x) p(y)))
    dy dx``, by nested ``scipy.integrate.quad`` in the plane, with ``points`` at every
    component of the marginals and of the conditional at x (for the inner integral), and
    about every x where two conditional means cross (for the outer one). (In principal axes,
    as above, the marginals' narrow components would cross the inner integral obliquely.)"""
    w, mu, cov = (np.asarray(a) for a in (base.weights, base.means, base.covariances))
    log_w = np.log(w)
    std_x, std_y = np.sqrt(cov[:, 0, 0]), np.sqrt(cov[:, 1, 1])
    slope = cov[:, 0, 1] / cov[:, 0, 0]
    std_cond = np.sqrt(cov[:, 1, 1] - cov[:, 0, 1] * slope)
    steps = np.array([0, 1, 2, 3, 4, 6, 8, 12, -1, -2, -3, -4, -6, -8, -12])

    def span(centres: np.ndarray, widths: np.ndarray) -> tuple[float, float, list[float]]:
        near = (centres[:, None] + widths[:, None] * steps).ravel()
        low, high = float(near.min()), float(near.max())
        return low, high, sorted(float(p) for p in near if low < p < high)

    def inner(x: float) -> float:
        log_px = (
            log_w - 0.5 * ((x - mu[:, 0]) / std_x) ** 2 - np.log(std_x * math.sqrt(2 * math.pi))
        )
        means = mu[:, 1] + slope * (x - mu[:, 0])
        log_x = float(np.logaddexp.reduce(log_px))

        def integrand(y: float) -> float:
            terms = log_px - 0.5 * ((y - means) / std_cond) ** 2 - np.log(std_cond)
            log_joint = float(np.logaddexp.reduce(terms)) - 0.5 * math.log(2 * math.pi)
            log_y = _log_mixture_1d(y, log_w, mu[:, 1], std_y)
            return math.exp(log_joint) * (log_joint - log_x - log_y)

        low, high, points = span(
            np.concatenate([means, mu[:, 1]]), np.concatenate([std_cond, std_y])
        )
        return integrate.quad(
            integrand, low, high, points=points, epsabs=tol, epsrel=tol, limit=500
        )[0]

    centres, widths = [mu[:, 0]], [std_x]
    for i, j in itertools.combinations(range(len(w)), 2):
        if slope[i] != slope[j]:
            cross = (mu[j, 1] - slope[j] * mu[j, 0] - mu[i, 1] + slope[i] * mu[i, 0]) / (
                slope[i] - slope[j]
            )
            centres.append(np.array([cross, cross]))
            widths.append(np.array([std_cond[i], std_cond[j]]) / abs(slope[i] - slope[j]))
    _, _, points = span(np.concatenate(centres), np.concatenate(widths))
    low, high = float((mu[:, 0] - 12 * std_x).min()), float((mu[:, 0] + 12 * std_x).max())
    points = [p for p in points if low < p < high]
    return integrate.quad(inner, low, high, points=points, epsabs=tol, epsrel=tol, limit=1000)[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ASYMMETRIC))
def test_asymmetric_mixtures_match_quadrature_in_the_plane(name):
    base = mixture(name)
    assert base.mutual_information == pytest.approx(mi_in_the_plane(base), abs=1e-9)


@pytest.mark.parametrize("name", sorted(ASYMMETRIC))
def test_mixture_mi_is_unchanged_by_swapping_and_rescaling_x_and_y(name):
    base = mixture(name)
    # (Y, X): the integral conditions the other way round
    swapped = MixturePairs(
        base.weights,
        tuple((my, mx) for mx, my in base.means),
        tuple(((syy, sxy), (sxy, sxx)) for (sxx, sxy), (_, syy) in base.covariances),
    )
    assert swapped.mutual_information == pytest.approx(base.mutual_information, abs=1e-9)
    # (1e3 X + 7, -1e-3 Y - 2): other scales, and every correlation of the other sign
    a, c = 1e3, -1e-3
    mapped = MixturePairs(
        base.weights,
        tuple((a * mx + 7.0, c * my - 2.0) for mx, my in base.means),
        tuple(
            ((a * a * sxx, a * c * sxy), (a * c * sxy, c * c * syy))
            for (sxx, sxy), (_, syy) in base.covariances
        ),
    )
    assert mapped.mutual_information == pytest.approx(base.mutual_information, abs=1e-9)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: bimodal_mixture(1e200, 0.5), r"means must lie in \[-1e100, 1e100\]"),
        (
            lambda: MixturePairs((1.0,), ((0.0, 0.0),), (covariance(1e-60, 1.0, 0.5),)),
            r"covariances must have variances in \[1e-100, 1e100\]",
        ),
        (
            lambda: MixturePairs((1.0,), ((0.0, 0.0),), (((1.0, 1.0), (1.0, 1.0)),)),
            "covariances must be positive definite",
        ),
    ],
    ids=["means", "variances", "singular"],
)
def test_mixtures_beyond_the_range_it_integrates_are_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()
