"""Invertible maps applied to X or to Y: they leave the mutual information unchanged.

``I(f(X); g(Y)) = I(X; Y)`` for injective (measurable) f and g, so a benchmark can make a
distribution harder to estimate while keeping its known MI. Each map acts on a batch
``t [n, d] -> [n, d_out]`` in float64 and knows its inverse (on its image), so that the
claim can be checked on samples.

References: Cover and Thomas (2006), "Elements of Information Theory", Section 2.8 (data
processing); Czyz et al. (2023), "Beyond Normal", Section 3 (the transforms below).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

# Safeguarded Newton stops once every step moves its root by less than this, relative to
# max(1, |root|). Newton converges quadratically, so the error left after such a step is of
# order its square: at float64 resolution. (Asking for the resolution itself would not stop:
# where the slope is small, rounding in f moves the last step by several units.)
_TOLERANCE = 1e-10
_MAX_STEPS = 100


class Map(Protocol):
    """An injective map on batches ``t [n, d] -> [n, d_out]`` with its inverse on the image."""

    name: str

    def dim_out(self, dim: int) -> int:
        """The output dimension for input dimension ``dim``; ValueError if it cannot act."""
        ...

    def __call__(self, t: Tensor) -> Tensor: ...

    def inverse(self, t: Tensor) -> Tensor: ...


def _solve_increasing(
    f: Callable[[Tensor], Tensor],
    slope: Callable[[Tensor], Tensor],
    target: Tensor,
    lo: Tensor,
    hi: Tensor,
) -> Tensor:
    """Elementwise root of ``f(s) = target`` for increasing f with ``f(lo) <= target <= f(hi)``.

    Newton steps, kept inside the bracket ``[lo, hi]`` that the signs of ``f - target``
    shrink: a step that would leave it is replaced by the bracket's midpoint. Near the root
    Newton converges quadratically (about 10 steps from a bracket a few units wide); far
    from it the bisection steps keep every element converging.
    """
    s = 0.5 * (lo + hi)
    for _ in range(_MAX_STEPS):
        residual = f(s) - target
        below = residual < 0
        lo = torch.where(below, s, lo)
        hi = torch.where(below, hi, s)
        newton = s - residual / slope(s)
        inside = (newton >= lo) & (newton <= hi)
        step = torch.where(inside, newton, 0.5 * (lo + hi)) - s
        s = s + step
        if bool((step.abs() <= _TOLERANCE * s.abs().clamp_min(1.0)).all()):
            break
    return s


@dataclass(frozen=True)
class Elementwise:
    """A strictly increasing function applied to every coordinate, with its inverse."""

    name: str
    forward: Callable[[Tensor], Tensor]
    backward: Callable[[Tensor], Tensor]

    def dim_out(self, dim: int) -> int:
        return dim

    def __call__(self, t: Tensor) -> Tensor:
        return self.forward(t)

    def inverse(self, t: Tensor) -> Tensor:
        return self.backward(t)


def _normal_cdf(t: Tensor) -> Tensor:
    """Phi(t) as ``erfc(-t / sqrt 2) / 2``: exact in relative terms far into the lower tail,
    where ``torch.special.ndtr`` (2.13, CPU) goes through ``1 + erf`` and loses it: 2e-6
    relative error at t = -7, 0 instead of 1e-19 at t = -9."""
    return 0.5 * torch.special.erfc(-t / math.sqrt(2.0))


def _signed_power(p: float) -> Callable[[Tensor], Tensor]:
    return lambda t: torch.sign(t) * t.abs() ** p


# Wiggly maps of bmi: the identity plus small sines. Their slopes stay within
# [1 - 0.4 - 0.34 - 0.099, ...] = [0.161, ...] and [1 - 0.16 - 0.221 - 0.086, ...] =
# [0.533, ...], so both increase strictly, and |f(t) - t| <= 0.63 (resp. 0.59) brackets the
# inverse.
def _wiggly_x(t: Tensor) -> Tensor:
    return t + 0.4 * torch.sin(t) + 0.2 * torch.sin(1.7 * t + 1.0) + 0.03 * torch.sin(3.3 * t - 2.5)


def _wiggly_x_slope(t: Tensor) -> Tensor:
    return (
        1.0
        + 0.4 * torch.cos(t)
        + 0.34 * torch.cos(1.7 * t + 1.0)
        + 0.099 * torch.cos(3.3 * t - 2.5)
    )


def _wiggly_y(t: Tensor) -> Tensor:
    return (
        t
        - 0.4 * torch.sin(0.4 * t)
        + 0.17 * torch.sin(1.3 * t + 3.5)
        + 0.02 * torch.sin(4.3 * t - 2.5)
    )


def _wiggly_y_slope(t: Tensor) -> Tensor:
    return (
        1.0
        - 0.16 * torch.cos(0.4 * t)
        + 0.221 * torch.cos(1.3 * t + 3.5)
        + 0.086 * torch.cos(4.3 * t - 2.5)
    )


def _inverse_near_identity(f, slope, radius: float) -> Callable[[Tensor], Tensor]:
    """The inverse of an increasing f with ``|f(t) - t| <= radius``."""
    return lambda s: _solve_increasing(f, slope, s, s - radius, s + radius)


HALF_CUBE = Elementwise("half_cube", _signed_power(1.5), _signed_power(2.0 / 3.0))
"""``t |t|^(1/2)``, the signed ``t^(3/2)`` of bmi."""

CUBE = Elementwise("cubic", lambda t: t**3, _signed_power(1.0 / 3.0))
"""``t^3``, the cubic transform of Song and Ermon (2020)."""

ASINH = Elementwise("asinh", torch.asinh, torch.sinh)
"""``asinh``: shortens the heavy tails of a Student-t."""

NORMAL_CDF = Elementwise("normal_cdf", _normal_cdf, torch.special.ndtri)
"""The standard normal CDF: standard normal marginals become uniform on (0, 1)."""

WIGGLY_X = Elementwise(
    "wiggly", _wiggly_x, _inverse_near_identity(_wiggly_x, _wiggly_x_slope, 0.63)
)
"""bmi's wiggly map for X: ``t + 0.4 sin t + 0.2 sin(1.7t + 1) + 0.03 sin(3.3t - 2.5)``."""

WIGGLY_Y = Elementwise(
    "wiggly", _wiggly_y, _inverse_near_identity(_wiggly_y, _wiggly_y_slope, 0.59)
)
"""bmi's wiggly map for Y: ``t - 0.4 sin 0.4t + 0.17 sin(1.3t + 3.5) + 0.02 sin(4.3t - 2.5)``."""


@dataclass(frozen=True)
class GaussianToMixture:
    """Coordinatewise ``F^{-1}(Phi(t))``: a standard normal becomes a 1-d Gaussian mixture
    with CDF ``F = sum_k w_k Phi((s - m_k) / s_k)`` (a Gaussian copula keeps the MI).

    ``F^{-1}`` is found by safeguarded Newton steps between the components' own quantiles.
    Tails are handled without cancellation: for ``t > 0`` the survival functions are matched,
    ``1 - F(s) = Phi(-t)``, instead of ``F(s) = 1 - Phi(-t)``.

    References: Czyz et al. (2023), "Beyond Normal", Section 3 (bimodal variables).
    """

    name: str
    weights: tuple[float, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]

    def __post_init__(self) -> None:
        k = len(self.weights)
        if k < 1 or len(self.means) != k or len(self.stds) != k:
            raise ValueError("weights, means and stds must have the same length >= 1")
        if min(self.weights) <= 0 or abs(sum(self.weights) - 1.0) > 1e-12:
            raise ValueError(f"weights must be positive and sum to 1, got {self.weights}")
        if min(self.stds) <= 0 or not all(map(math.isfinite, (*self.means, *self.stds))):
            raise ValueError(f"stds must be positive and means finite, got {self.stds}")

    def dim_out(self, dim: int) -> int:
        return dim

    def _tail(self, s: Tensor, sign: Tensor) -> Tensor:
        """``F(s)`` where sign = 1, ``1 - F(s)`` where sign = -1, each without cancellation."""
        return sum(
            w * _normal_cdf(sign * (s - m) / sd)
            for w, m, sd in zip(self.weights, self.means, self.stds, strict=True)
        )

    def _density(self, s: Tensor) -> Tensor:
        return sum(
            w * torch.exp(-0.5 * ((s - m) / sd) ** 2) / (sd * math.sqrt(2.0 * math.pi))
            for w, m, sd in zip(self.weights, self.means, self.stds, strict=True)
        )

    def __call__(self, t: Tensor) -> Tensor:
        sign = torch.where(t > 0, -1.0, 1.0).to(t.dtype)
        p = _normal_cdf(-t.abs())  # the tail probability on t's side, <= 1/2
        z = torch.special.ndtri(p)
        # F(q) <= p <= F(q') between the smallest and largest component quantiles.
        quantiles = torch.stack(
            [m + sign * sd * z for m, sd in zip(self.means, self.stds, strict=True)]
        )
        lo, hi = quantiles.amin(0), quantiles.amax(0)
        # F increases, 1 - F decreases: solve sign * tail(s) = sign * p, increasing in s with
        # slope the mixture density either way.
        return _solve_increasing(
            lambda s: sign * self._tail(s, sign), self._density, sign * p, lo, hi
        )

    def inverse(self, s: Tensor) -> Tensor:
        lower = self._tail(s, torch.ones_like(s))
        upper = self._tail(s, -torch.ones_like(s))
        return torch.where(lower <= 0.5, torch.special.ndtri(lower), -torch.special.ndtri(upper))


@dataclass(frozen=True)
class Spiral:
    """``t -> R(speed ||t||^2) t``: a rotation in the coordinate plane ``plane = (i, j)`` by an
    angle growing with the squared norm. Rotations keep the norm, so the inverse rotates back
    by the same angle, read off the image.

    References: Czyz et al. (2023), "Beyond Normal", Section 3 (spiral diffeomorphism
    ``x -> exp(speed ||x||^2 A) x`` with A a canonical generator of so(d)).
    """

    speed: float
    plane: tuple[int, int] = (0, 1)
    name: str = "spiral"

    def __post_init__(self) -> None:
        i, j = self.plane
        if not 0 <= i < j:
            raise ValueError(f"plane must be two coordinates 0 <= i < j, got {self.plane}")
        if not math.isfinite(self.speed):
            raise ValueError(f"speed must be finite, got {self.speed}")

    def dim_out(self, dim: int) -> int:
        if dim <= self.plane[1]:
            raise ValueError(
                f"a spiral in the plane {self.plane} needs dimension > {self.plane[1]}"
            )
        return dim

    def _rotate(self, t: Tensor, direction: float) -> Tensor:
        i, j = self.plane
        angle = direction * self.speed * (t**2).sum(dim=-1)
        cos, sin = torch.cos(angle), torch.sin(angle)
        out = t.clone()
        out[:, i] = cos * t[:, i] - sin * t[:, j]
        out[:, j] = sin * t[:, i] + cos * t[:, j]
        return out

    def __call__(self, t: Tensor) -> Tensor:
        return self._rotate(t, 1.0)

    def inverse(self, t: Tensor) -> Tensor:
        return self._rotate(t, -1.0)


@dataclass(frozen=True)
class SwissRoll:
    """``u in (0, 1) [n, 1] -> [n, 2]``: ``tau (cos tau, sin tau) / 21`` with
    ``tau = 1.5 pi (1 + 2u)``, an embedding of the unit interval as a spiral in the plane.
    The radius ``tau / 21`` increases with u, which gives the inverse.

    References: Czyz et al. (2023), "Beyond Normal", Section 3 (Swiss roll embedding).
    """

    name: str = "swissroll_x"

    def dim_out(self, dim: int) -> int:
        if dim != 1:
            raise ValueError(f"the Swiss roll embeds a 1-d variable, got dimension {dim}")
        return 2

    def __call__(self, t: Tensor) -> Tensor:
        tau = 1.5 * math.pi * (1.0 + 2.0 * t)
        return torch.cat([tau * torch.cos(tau), tau * torch.sin(tau)], dim=-1) / 21.0

    def inverse(self, t: Tensor) -> Tensor:
        tau = 21.0 * torch.linalg.vector_norm(t, dim=-1, keepdim=True)
        return (tau / (1.5 * math.pi) - 1.0) / 2.0
