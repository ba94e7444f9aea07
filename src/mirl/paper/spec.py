"""Run specifications of the paper: everything that determines what one seed of a run
computes. Each is a ``mirl.runtime.run_spec.RunSpec``: validated when made, so a typo or
an impossible setting fails before any training; names are known to their registries and
the networks it names are built once on the meta device to check their arguments. The
seed is not part of the spec: a run is trained for a list of seeds, all at once. Three
kinds cover the paper:

- ``TwoViewSpec``: maximize (or target) a bound between the two halves of MNIST digits
  (Sections 3.1-3.3: invertible, non-invertible, critic and encoder impact);
- ``AdversarialSpec``: an invertible encoder trained against a linear classifier (Fig. 1c);
- ``GaussianSpec``: a critic alone estimating the MI of Gaussian pairs, drawn iid or with
  a batch-shared component (Section 4).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mirl.bounds import BOUNDS
from mirl.critics import CRITICS, build_critic
from mirl.data.mnist import VIEW_DIM
from mirl.encoders import ENCODERS, build_encoder
from mirl.paper.names import run_label
from mirl.runtime.run_spec import Objective, RunSpec, choice, on_meta, positive, positive_int

PROBES = ("sklearn", "torch")
SAMPLERS = ("iid", "noniid")


@dataclass(frozen=True)
class TwoViewSpec(Objective, RunSpec):
    """Train two encoders and a critic to maximize a bound (or to hold it at ``target``)
    between the top and bottom halves of MNIST digits, with Adam.

    Evaluates every ``steps // evals`` steps, from step 0: the linear-probe accuracy of
    g1's codes, the bound on fresh training batches as the Colab computed its "testing"
    value, the bound and loss on the test set, the mean training bound since the previous
    evaluation, and (with ``jacobian``) the singular values of g1's Jacobian.
    """

    kind: ClassVar[str] = "two_view"
    experiment: str
    encoder: str
    critic: str
    bound: str
    encoder_kwargs: dict[str, Any] = field(default_factory=dict)
    critic_kwargs: dict[str, Any] = field(default_factory=dict)
    bound_kwargs: dict[str, Any] = field(default_factory=dict)
    target: float | None = None
    lr: float = 1e-4
    batch_size: int = 128
    steps: int = 21000
    evals: int = 21
    noise_std: float = 0.0
    jacobian: bool = False
    jacobian_samples: int = 128
    probe: str = "sklearn"

    def __post_init__(self) -> None:
        self._validate()
        self._check_kwargs(ENCODERS, self.encoder, "encoder_kwargs")
        self._check_kwargs(CRITICS, self.critic, "critic_kwargs")
        self._check_kwargs(BOUNDS, self.bound, "bound_kwargs")
        g1 = on_meta(lambda: build_encoder(self.encoder, VIEW_DIM, **self.encoder_kwargs))
        on_meta(lambda: build_critic(self.critic, g1.out_dim, g1.out_dim, **self.critic_kwargs))
        self._check_bound()
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number of nats or None, got {self.target}")
        positive(self.lr, "lr")
        if self.batch_size < 2:
            raise ValueError("batch_size must be at least 2: the bounds need negatives")
        if not (math.isfinite(self.noise_std) and self.noise_std >= 0):
            raise ValueError(f"noise_std must be a number >= 0, got {self.noise_std}")
        positive_int(self.jacobian_samples, "jacobian_samples")
        choice(self.probe, PROBES, "probe")

    @property
    def name(self) -> str:
        suffix = "" if self.target is None else f"-t{self.target:g}"
        return f"{self.encoder}-{self.critic}-{self.bound}{suffix}"

    def labels(self) -> dict[str, Any]:
        t = math.nan if self.target is None else self.target
        return {
            "nets": self.encoder,
            "Critic": self.critic,
            "Estimator": self.bound,
            "target": t,
            "label": run_label(self.encoder, self.critic, self.bound, t),
        }


@dataclass(frozen=True)
class AdversarialSpec(RunSpec):
    """An invertible encoder trained to make a linear classifier's predictions uniform.

    The classifier (lr ``lr``) first trains alone for ``warmup`` steps; then each of the
    ``steps`` iterations takes ``classifier_steps`` classifier steps and one encoder step
    (lr ``lr * encoder_lr_factor``) on the cross-entropy to uniform labels. The linear
    probe runs every ``steps // evals`` iterations, from iteration 0.
    """

    kind: ClassVar[str] = "adversarial"
    experiment: str
    encoder: str = "realnvp"
    encoder_kwargs: dict[str, Any] = field(default_factory=dict)
    lr: float = 1e-3
    encoder_lr_factor: float = 0.01
    batch_size: int = 128
    warmup: int = 1000
    steps: int = 4001
    evals: int = 10
    classifier_steps: int = 10
    probe: str = "sklearn"

    def __post_init__(self) -> None:
        self._validate()
        self._check_kwargs(ENCODERS, self.encoder, "encoder_kwargs")
        on_meta(lambda: build_encoder(self.encoder, VIEW_DIM, **self.encoder_kwargs))
        positive(self.lr, "lr")
        positive(self.encoder_lr_factor, "encoder_lr_factor")
        positive_int(self.batch_size, "batch_size")
        if self.warmup < 0:
            raise ValueError(f"warmup must be a non-negative integer, got {self.warmup!r}")
        positive_int(self.classifier_steps, "classifier_steps")
        choice(self.probe, PROBES, "probe")

    @property
    def name(self) -> str:
        return f"{self.encoder}-adversarial"

    def labels(self) -> dict[str, Any]:
        return {
            "nets": self.encoder,
            "Critic": None,
            "Estimator": None,
            "target": math.nan,
            "label": f"{self.encoder}, adversarial",
        }


@dataclass(frozen=True)
class GaussianSpec(Objective, RunSpec):
    """A critic alone, trained to maximize a bound on 2-d Gaussian pairs ``(x, y)``.

    ``iid``: each pair drawn from ``N(0, sigma_z + sigma_eps)``. ``noniid``: per batch one
    shared ``z ~ N(0, sigma_z)``, plus iid ``eps_i ~ N(0, sigma_eps)``; every pair has the
    same marginal law as in the iid case, but the pairs of a batch are dependent. Records
    the training-batch bound at every step (the curve of Fig. 4c) and, at each of the
    ``evals`` evaluations, its mean since the previous one.
    """

    kind: ClassVar[str] = "gaussian"
    experiment: str
    bound: str
    sampler: str = "noniid"
    critic: str = "concat"
    critic_kwargs: dict[str, Any] = field(default_factory=lambda: {"hidden": 10, "layers": 5})
    bound_kwargs: dict[str, Any] = field(default_factory=dict)
    sigma_z: tuple[tuple[float, float], tuple[float, float]] = ((1.0, -0.5), (-0.5, 1.0))
    sigma_eps: tuple[tuple[float, float], tuple[float, float]] = ((1.0, 0.9), (0.9, 1.0))
    lr: float = 1e-4
    batch_size: int = 128
    steps: int = 20000
    evals: int = 20

    def __post_init__(self) -> None:
        self._validate()
        choice(self.sampler, SAMPLERS, "sampler")
        self._check_kwargs(CRITICS, self.critic, "critic_kwargs")
        self._check_kwargs(BOUNDS, self.bound, "bound_kwargs")
        on_meta(lambda: build_critic(self.critic, 1, 1, **self.critic_kwargs))
        self._check_bound()
        for name in ("sigma_z", "sigma_eps"):
            m = getattr(self, name)
            ok = m[0][1] == m[1][0] and m[0][0] > 0 and m[0][0] * m[1][1] - m[0][1] ** 2 > 0
            if not ok:
                raise ValueError(
                    f"{name} must be a symmetric positive-definite 2x2 matrix, got {m}"
                )
        positive(self.lr, "lr")
        if self.batch_size < 2:
            raise ValueError("batch_size must be at least 2: the bounds need negatives")

    @property
    def name(self) -> str:
        return f"{self.sampler}-{self.bound}"

    @property
    def eval_steps(self) -> list[int]:
        """Records after steps e, 2e, ..., each the mean estimate of the e steps before it."""
        return list(range(self.eval_every, self.steps + 1, self.eval_every))

    def labels(self) -> dict[str, Any]:
        return {
            "nets": None,
            "Critic": self.critic,
            "Estimator": self.bound,
            "target": math.nan,
            "sampler": self.sampler,
            "label": f"{self.sampler}, {self.bound}",
        }


Spec = TwoViewSpec | AdversarialSpec | GaussianSpec


def field_names(spec: Spec) -> list[str]:
    """The settings of ``spec`` (its dataclass fields, without ``kind``)."""
    return [f.name for f in dataclasses.fields(spec)]


def replace(spec: Spec, **changes: Any) -> Spec:
    """A copy of ``spec`` with ``changes``; unknown fields are an error naming the valid ones."""
    names = field_names(spec)
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise ValueError(
            f"{type(spec).__name__} has no fields {unknown}; fields: {', '.join(names)}"
        )
    return dataclasses.replace(spec, **changes)
