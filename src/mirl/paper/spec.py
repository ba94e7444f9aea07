"""Run specifications: everything that determines what one seed of a run computes.

A spec is a frozen dataclass of plain values (JSON round-trips it), validated when it is
made, so a typo in a name fails before any training. The seed is not part of the spec: a
run is trained for a list of seeds, all at once. Three kinds cover the paper:

- ``MISpec``: maximize (or target) a bound between the two halves of MNIST digits
  (Sections 3.1-3.3: invertible, non-invertible, critic and encoder impact);
- ``AdversarialSpec``: an invertible encoder trained against a linear classifier (Fig. 1c);
- ``GaussianSpec``: a critic alone estimating the MI of Gaussian pairs, drawn iid or with
  a batch-shared component (Section 4).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mirl._registry import check_kwargs, lookup
from mirl.bounds import BOUNDS
from mirl.critics import CRITICS
from mirl.encoders import ENCODERS

PROBES = ("sklearn", "torch")
SAMPLERS = ("iid", "noniid")


def _positive_int(value: int, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _positive(value: float, name: str) -> None:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def _choice(value: str, options: tuple[str, ...], name: str) -> None:
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(options)}")


def _check_schedule(steps: int, evals: int) -> None:
    _positive_int(steps, "steps")
    _positive_int(evals, "evals")
    if evals > steps:
        raise ValueError(f"evals ({evals}) cannot exceed steps ({steps})")


def _check_bound(name: str, kwargs: dict) -> None:
    check_kwargs(lookup(BOUNDS, name, "bound"), {"scores": None, **kwargs}, f"bound {name!r}")


def _check_critic(name: str, kwargs: dict) -> None:
    critic = lookup(CRITICS, name, "critic")
    check_kwargs(critic, {"dim_u": 1, "dim_v": 1, **kwargs}, f"critic {name!r}")


class _Schedule:
    """Evaluations every ``steps // evals`` steps: at steps 0, e, 2e, ... below ``steps``
    (the Colab's schedule: 21,000 steps and 21 evaluations give steps 0 to 20,000)."""

    steps: int
    evals: int

    @property
    def eval_every(self) -> int:
        return self.steps // self.evals

    @property
    def eval_steps(self) -> list[int]:
        return list(range(0, self.steps, self.eval_every))


@dataclass(frozen=True)
class MISpec(_Schedule):
    """Train two encoders and a critic to maximize a bound (or to hold it at ``target``)
    between the top and bottom halves of MNIST digits, with Adam.

    Evaluates every ``steps // evals`` steps, from step 0: the linear-probe accuracy of
    g1's codes, the bound and loss on the test set, the mean training bound since the
    previous evaluation, and (with ``jacobian``) the singular values of g1's Jacobian.
    """

    kind: ClassVar[str] = "mi"
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
        encoder = lookup(ENCODERS, self.encoder, "encoder")
        check_kwargs(encoder, {"in_dim": 1, **self.encoder_kwargs}, f"encoder {self.encoder!r}")
        _check_critic(self.critic, self.critic_kwargs)
        _check_bound(self.bound, self.bound_kwargs)
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number of nats or None, got {self.target}")
        _positive(self.lr, "lr")
        _positive_int(self.batch_size, "batch_size")
        if self.batch_size < 2:
            raise ValueError("batch_size must be at least 2: the bounds need negatives")
        _check_schedule(self.steps, self.evals)
        if not self.noise_std >= 0:
            raise ValueError(f"noise_std must be >= 0, got {self.noise_std}")
        _positive_int(self.jacobian_samples, "jacobian_samples")
        _choice(self.probe, PROBES, "probe")

    @property
    def name(self) -> str:
        suffix = "" if self.target is None else f"-t{self.target:g}"
        return f"{self.encoder}-{self.critic}-{self.bound}{suffix}"


@dataclass(frozen=True)
class AdversarialSpec(_Schedule):
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
        encoder = lookup(ENCODERS, self.encoder, "encoder")
        check_kwargs(encoder, {"in_dim": 1, **self.encoder_kwargs}, f"encoder {self.encoder!r}")
        _positive(self.lr, "lr")
        _positive(self.encoder_lr_factor, "encoder_lr_factor")
        _positive_int(self.batch_size, "batch_size")
        if not isinstance(self.warmup, int) or self.warmup < 0:
            raise ValueError(f"warmup must be a non-negative integer, got {self.warmup!r}")
        _check_schedule(self.steps, self.evals)
        _positive_int(self.classifier_steps, "classifier_steps")
        _choice(self.probe, PROBES, "probe")

    @property
    def name(self) -> str:
        return f"{self.encoder}-adversarial"


@dataclass(frozen=True)
class GaussianSpec(_Schedule):
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
        _choice(self.sampler, SAMPLERS, "sampler")
        _check_critic(self.critic, self.critic_kwargs)
        _check_bound(self.bound, self.bound_kwargs)
        for name in ("sigma_z", "sigma_eps"):
            m = getattr(self, name)
            ok = (
                len(m) == 2
                and all(len(r) == 2 for r in m)
                and m[0][1] == m[1][0]
                and m[0][0] > 0
                and m[0][0] * m[1][1] - m[0][1] ** 2 > 0
            )
            if not ok:
                raise ValueError(
                    f"{name} must be a symmetric positive-definite 2x2 matrix, got {m}"
                )
        _positive(self.lr, "lr")
        _positive_int(self.batch_size, "batch_size")
        _check_schedule(self.steps, self.evals)

    @property
    def name(self) -> str:
        return f"{self.sampler}-{self.bound}"

    @property
    def eval_steps(self) -> list[int]:
        """Records at steps e, 2e, ..., each the mean estimate of the e steps before it."""
        return list(range(self.eval_every, self.steps + 1, self.eval_every))


Spec = MISpec | AdversarialSpec | GaussianSpec
SPEC_KINDS: dict[str, type] = {cls.kind: cls for cls in (MISpec, AdversarialSpec, GaussianSpec)}


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """A JSON-ready dict of the spec, with its kind."""
    return json.loads(json.dumps({"kind": spec.kind, **dataclasses.asdict(spec)}))


def spec_from_dict(data: dict[str, Any]) -> Spec:
    """Rebuild a spec from ``spec_to_dict``'s output (validating it again)."""
    data = dict(data)
    cls = lookup(SPEC_KINDS, data.pop("kind", None), "spec kind")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} got unknown fields {unknown}")
    for key in ("sigma_z", "sigma_eps"):
        if key in data:
            data[key] = tuple(tuple(row) for row in data[key])
    return cls(**data)


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
