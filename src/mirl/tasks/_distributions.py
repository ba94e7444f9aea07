"""Base distributions of (X, Y) whose mutual information is known.

Each is a small frozen object with ``dim_x``, ``dim_y``, ``mutual_information`` (nats) and
``sample(n, generator) -> (x [n, dim_x], y [n, dim_y])``, drawn in float64 with the given
``torch.Generator`` on that generator's device. Parameters are validated on construction,
so an impossible distribution is refused before anything is sampled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from mirl._memory import check_memory


class Distribution(Protocol):
    """A joint law of ``(X, Y)`` with known MI: what a ``Task`` samples before its maps."""

    dim_x: int
    dim_y: int
    mutual_information: float

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``n`` iid pairs, float64 on ``generator.device``: ``x [n, dim_x], y [n, dim_y]``."""
        ...


def check_dim(value: int, name: str) -> int:
    """``value`` if it is an integer >= 1, else a ValueError that names ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


COVARIANCE_BYTES = 64
"""Peak bytes per entry of a task's ``d x d`` covariance while the task is built, as
measured: the float64 matrix, its Cholesky factor, the blocks copied for their
log-determinants, and the Python floats of the tuple a distribution keeps it as."""


def check_covariance_size(d: int, settings: str) -> None:
    """A ValueError, naming the ``settings`` that ask for it, if a ``d x d`` covariance would
    not fit in this machine's memory while the task is built (``COVARIANCE_BYTES`` per
    entry): refused at once rather than killed by the kernel, or a numpy traceback."""
    check_memory(COVARIANCE_BYTES * d * d, f"a task with {settings} (a {d} x {d} covariance)")


def check_correlation(value: float, name: str) -> float:
    """``value`` if it lies in the open interval (-1, 1), else a ValueError naming ``name``."""
    if not -1.0 < value < 1.0:  # also refuses NaN
        raise ValueError(f"{name} must lie in (-1, 1), got {value!r}")
    return float(value)


def draw_normals(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    return torch.randn(shape, generator=generator, device=generator.device, dtype=torch.float64)


def draw_uniforms(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    return torch.rand(shape, generator=generator, device=generator.device, dtype=torch.float64)


def split_xy(z: Tensor, dim_x: int) -> tuple[Tensor, Tensor]:
    return z[:, :dim_x], z[:, dim_x:]


@dataclass(frozen=True, eq=False)
class SplitNormal:
    """``(X, Y) ~ N(0, covariance)``, X the first ``dim_x`` coordinates, Y the rest.

    ``I(X; Y) = (log det S_xx + log det S_yy - log det S) / 2``. Sampled as ``L z`` with
    ``L L^T = covariance`` (Cholesky, float64) and ``z ~ N(0, I)``; for the covariance
    ``[[I, rho I], [rho I, I]]`` that is exactly ``y = rho x + sqrt(1 - rho^2) eps``.

    References: Cover and Thomas (2006), "Elements of Information Theory", eq. (8.56);
    Czyz et al. (2023), "Beyond Normal: On the Evaluation of Mutual Information Estimators".
    """

    covariance: tuple[tuple[float, ...], ...]
    dim_x: int
    dim_y: int = field(init=False)
    mutual_information: float = field(init=False)
    _cholesky: np.ndarray = field(init=False, repr=False)

    def __init__(self, covariance: Sequence[Sequence[float]] | np.ndarray, dim_x: int):
        cov = np.asarray(covariance, dtype=np.float64)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1] or cov.shape[0] < 2:
            raise ValueError(
                f"covariance must be a square [d, d] matrix with d >= 2, got {cov.shape}"
            )
        if not np.isfinite(cov).all() or not np.allclose(cov, cov.T, rtol=0.0, atol=1e-12):
            raise ValueError("covariance must be a finite symmetric matrix")
        dim_x = check_dim(dim_x, "dim_x")
        if dim_x >= cov.shape[0]:
            raise ValueError(f"dim_x must be below the covariance size {cov.shape[0]}, got {dim_x}")
        try:
            cholesky = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise ValueError("covariance must be positive definite") from None
        logdet = 2.0 * np.log(np.diag(cholesky)).sum()
        # Blocks of a positive-definite matrix are positive definite: slogdet signs are +1.
        mi = 0.5 * (
            np.linalg.slogdet(cov[:dim_x, :dim_x])[1]
            + np.linalg.slogdet(cov[dim_x:, dim_x:])[1]
            - logdet
        )
        set_ = object.__setattr__
        set_(self, "covariance", tuple(map(tuple, cov.tolist())))
        set_(self, "dim_x", dim_x)
        set_(self, "dim_y", cov.shape[0] - dim_x)
        set_(self, "mutual_information", float(mi))
        set_(self, "_cholesky", cholesky)

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``x [n, dim_x], y [n, dim_y]``, float64 on ``generator.device``."""
        factor = torch.as_tensor(self._cholesky, device=generator.device)
        z = draw_normals((n, self.dim_x + self.dim_y), generator) @ factor.T
        return split_xy(z, self.dim_x)


def _student_entropy(k: int, df: float) -> float:
    """Differential entropy of the standard k-variate Student-t with ``df`` degrees of freedom
    (identity dispersion), Arellano-Valle et al. (2013), eq. (7)."""
    half = 0.5 * (df + k)
    psi = torch.special.digamma(torch.tensor([half, 0.5 * df], dtype=torch.float64)).tolist()
    return (
        math.lgamma(0.5 * df)
        - math.lgamma(half)
        + 0.5 * k * math.log(df * math.pi)
        + half * (psi[0] - psi[1])
    )


def _standard_gamma(shape: float, n: int, generator: torch.Generator) -> Tensor:
    """``n`` draws of Gamma(shape, 1), float64, by Marsaglia and Tsang (2000).

    (``torch.distributions.Gamma`` cannot take a generator.) For shape < 1, draw
    Gamma(shape + 1) and multiply by ``U^(1/shape)``, their boosting identity.
    """
    a = shape + 1.0 if shape < 1.0 else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    out = torch.empty(n, dtype=torch.float64, device=generator.device)
    todo = torch.arange(n, device=generator.device)
    while todo.numel():  # each round accepts over 95% of what is left
        z = draw_normals((todo.numel(),), generator)
        u = draw_uniforms((todo.numel(),), generator)
        v = (1.0 + c * z) ** 3
        log_v = torch.log(v.clamp_min(torch.finfo(torch.float64).tiny))
        accept = (v > 0) & (torch.log(u) < 0.5 * z**2 + d - d * v + d * log_v)
        out[todo[accept]] = d * v[accept]
        todo = todo[~accept]
    if shape < 1.0:
        out = out * draw_uniforms((n,), generator) ** (1.0 / shape)
    return out


@dataclass(frozen=True, eq=False)
class SplitStudentT:
    """Multivariate Student-t ``(X, Y) = Z / sqrt(G / df)``, ``Z ~ N(0, dispersion)``,
    ``G ~ chi^2(df)``: one scale shared by X and Y, so they are dependent even when the
    dispersion is the identity. ``normal`` is the ``SplitNormal`` with covariance
    ``dispersion``.

    ``I(X; Y) = I_normal(dispersion) + h(dim_x) + h(dim_y) - h(dim_x + dim_y)``, the MI of
    the Gaussian with covariance ``dispersion`` plus a correction that depends only on the
    dimensions and ``df``, with ``h(k)`` the entropy of a standard k-variate t:
    ``log G(df/2) - log G((df+k)/2) + k/2 log(df pi) + (df+k)/2 [psi((df+k)/2) - psi(df/2)]``
    (G the gamma function, psi the digamma; the ``log(df pi)`` terms cancel in the MI).

    References: Arellano-Valle, Contreras-Reyes and Genton (2013), "Shannon Entropy and
    Mutual Information for Multivariate Skew-Elliptical Distributions", Scand. J. Stat. 40,
    eq. (7) and p. 47 (its final MI formula has a slip; the entropies are right, as noted
    in bmi's ``SplitStudentT``); Czyz et al. (2023), "Beyond Normal", Section 3.
    """

    normal: SplitNormal
    df: float
    dim_x: int = field(init=False)
    dim_y: int = field(init=False)
    mutual_information: float = field(init=False)

    def __init__(self, dispersion: Sequence[Sequence[float]] | np.ndarray, dim_x: int, df: float):
        if not df > 0 or math.isinf(df):  # also refuses NaN
            raise ValueError(f"df (degrees of freedom) must be positive and finite, got {df!r}")
        normal = SplitNormal(dispersion, dim_x)
        correction = (
            _student_entropy(normal.dim_x, df)
            + _student_entropy(normal.dim_y, df)
            - _student_entropy(normal.dim_x + normal.dim_y, df)
        )
        set_ = object.__setattr__
        set_(self, "normal", normal)
        set_(self, "df", float(df))
        set_(self, "dim_x", normal.dim_x)
        set_(self, "dim_y", normal.dim_y)
        set_(self, "mutual_information", normal.mutual_information + correction)

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``x [n, dim_x], y [n, dim_y]``, float64 on ``generator.device``."""
        x, y = self.normal.sample(n, generator)
        chi2 = 2.0 * _standard_gamma(0.5 * self.df, n, generator)
        scale = torch.sqrt(self.df / chi2).unsqueeze(-1)
        return x * scale, y * scale


@dataclass(frozen=True)
class AdditiveUniform:
    """``X ~ U(0, 1)``, ``Y = X + N`` with ``N ~ U(-epsilon, epsilon)`` independent of X.

    ``I(X; Y) = h(Y) - log(2 epsilon)``: the density of Y is a trapezoid whose entropy gives
    ``epsilon - log(2 epsilon)`` for ``epsilon <= 1/2`` and ``1 / (4 epsilon)`` above.

    References: Czyz et al. (2023), "Beyond Normal", Appendix (additive noise).
    """

    epsilon: float
    dim_x: int = field(default=1, init=False)
    dim_y: int = field(default=1, init=False)
    mutual_information: float = field(init=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.epsilon < math.inf:
            raise ValueError(f"epsilon must be positive and finite, got {self.epsilon!r}")
        e = self.epsilon
        mi = e - math.log(2.0 * e) if e <= 0.5 else 0.25 / e
        object.__setattr__(self, "mutual_information", mi)

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``x [n, 1], y [n, 1]``, float64 on ``generator.device``."""
        x = draw_uniforms((n, 1), generator)
        noise = self.epsilon * (2.0 * draw_uniforms((n, 1), generator) - 1.0)
        return x, x + noise
