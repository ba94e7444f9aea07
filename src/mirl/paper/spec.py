"""Run specifications: everything that determines what one seed of a run computes.

A spec is a frozen dataclass of plain values (JSON round-trips it), validated when it is
made: every field has the type its annotation names (a ``bool`` is a bool, not the
string "False"), and so does every keyword argument of ``*_kwargs`` that the network's or
bound's signature annotates; names are known to their registries, the networks it names are built
once on the meta device to check their arguments, and the experiment name is safe as a
directory name. So a typo or an impossible setting fails before any training. The seed
is not part of the spec: a run is trained for a list of seeds, all at once. Three kinds
cover the paper:

- ``TwoViewSpec``: maximize (or target) a bound between the two halves of MNIST digits
  (Sections 3.1-3.3: invertible, non-invertible, critic and encoder impact);
- ``AdversarialSpec``: an invertible encoder trained against a linear classifier (Fig. 1c);
- ``GaussianSpec``: a critic alone estimating the MI of Gaussian pairs, drawn iid or with
  a batch-shared component (Section 4).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import math
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import Tensor

from mirl._registry import bind
from mirl.bounds import BOUNDS
from mirl.critics import CRITICS, build_critic
from mirl.data.mnist import VIEW_DIM
from mirl.encoders import ENCODERS, build_encoder
from mirl.objectives import maximize, target
from mirl.paper.names import run_label

PROBES = ("sklearn", "torch")
SAMPLERS = ("iid", "noniid")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _type_error(name: str, value: Any, hint: Any) -> ValueError:
    return ValueError(f"{name} must be {_describe(hint)}, got {value!r}")


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if hint is type(None):
        return "None"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if hint in names:
        return names[hint]
    if origin in (list, collections.abc.Sequence):
        (item,) = typing.get_args(hint) or (Any,)
        plural = {bool: "booleans", int: "integers", float: "numbers", str: "strings"}
        return f"a list of {plural.get(item, 'values')}"
    return {dict: "a mapping of names to values", tuple: "a list"}.get(origin, str(hint))


def _conforms(value: Any, hint: Any) -> bool:
    """Whether ``value`` has the type ``hint`` names (the few kinds specs use)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    if origin is tuple:
        args = typing.get_args(hint)
        return (
            isinstance(value, tuple)
            and len(value) == len(args)
            and all(_conforms(v, h) for v, h in zip(value, args, strict=True))
        )
    if origin in (list, collections.abc.Sequence):
        (item,) = typing.get_args(hint) or (Any,)
        return isinstance(value, list | tuple) and all(_conforms(v, item) for v in value)
    if hint is Any:
        return True
    raise TypeError(f"no type check for {hint}")  # pragma: no cover - a new field type


def _check_kwargs_types(factory: Callable, kwargs: dict[str, Any], field_name: str) -> None:
    """Check each of ``kwargs`` against the type ``factory``'s signature annotates for it
    (JSON and ``--set`` give any type; ``shortcuts="False"`` would be true). Arguments
    annotated with a type these checks do not know (e.g. a tensor) are left to the factory."""
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        hints = typing.get_type_hints(target)
    except (NameError, TypeError):  # pragma: no cover - an annotation that cannot resolve
        return
    for key, value in kwargs.items():
        if key not in hints:
            continue
        try:
            ok = _conforms(value, hints[key])
        except TypeError:
            continue
        if not ok:
            raise ValueError(f"{field_name}: {key} must be {_describe(hints[key])}, got {value!r}")


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list | tuple) else value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _positive_int(value: int, name: str) -> None:
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _positive(value: float, name: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def _choice(value: str, options: tuple[str, ...], name: str) -> None:
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(options)}")


def _on_meta(build: Callable[[], Any]) -> Any:
    """Build a network on the meta device (no memory, no random draws) to check its
    arguments; a bad one raises ValueError there, before any training."""
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        try:
            return build()
        except (TypeError, RuntimeError) as err:
            raise ValueError(str(err)) from None


class _Spec:
    """What every kind of spec shares: validation, an id, a schedule."""

    kind: ClassVar[str]
    experiment: str
    steps: int
    evals: int

    def _validate(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if typing.get_origin(_hints(type(self))[f.name]) is tuple:
                value = _tuples(value)  # JSON and the command line give lists
                object.__setattr__(self, f.name, value)
            if not _conforms(value, _hints(type(self))[f.name]):
                raise _type_error(f.name, value, _hints(type(self))[f.name])
        if not _SAFE_NAME.fullmatch(self.experiment):
            raise ValueError(
                f"experiment must be a name of letters, digits, '_', '.' and '-' "
                f"(it names a directory), got {self.experiment!r}"
            )
        _positive_int(self.steps, "steps")
        _positive_int(self.evals, "evals")
        if self.evals > self.steps:
            raise ValueError(f"evals ({self.evals}) cannot exceed steps ({self.steps})")

    def _check_kwargs(self, registry: dict[str, Callable], name: str, field_name: str) -> None:
        """The types of ``field_name``'s arguments, where ``name`` is a known one (an
        unknown name is reported where the network or bound is built)."""
        if name in registry:
            _check_kwargs_types(registry[name], getattr(self, field_name), field_name)

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def run_id(self) -> str:
        """``experiment/name``: where the run is stored, and how messages name it."""
        return f"{self.experiment}/{self.name}"

    @property
    def eval_every(self) -> int:
        return self.steps // self.evals

    @property
    def eval_steps(self) -> list[int]:
        """Evaluations every ``steps // evals`` steps: at steps 0, e, 2e, ... below ``steps``
        (the Colab's schedule: 21,000 steps and 21 evaluations give steps 0 to 20,000)."""
        return list(range(0, self.steps, self.eval_every))

    def labels(self) -> dict[str, Any]:
        """The descriptive columns of the run in the tidy table (the Colab's and mirl's)."""
        raise NotImplementedError


class _Objective:
    """Specs that train towards a bound: its function, and the loss made of it."""

    bound: str
    bound_kwargs: dict[str, Any]

    def bound_function(self) -> Callable[[Tensor], Tensor]:
        """The bound as a function of the scores ``[..., B, B] -> [...]``."""
        return bind(BOUNDS, self.bound, "bound", **self.bound_kwargs)

    def loss_function(self) -> Callable[[Tensor], Tensor]:
        """``maximize``, or ``target`` with ``t = self.target`` where the spec has one."""
        t = getattr(self, "target", None)
        return maximize if t is None else functools.partial(target, t=t)

    def _check_bound(self) -> None:
        self.bound_function()  # unknown names and keywords fail here


@dataclass(frozen=True)
class TwoViewSpec(_Objective, _Spec):
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
        g1 = _on_meta(lambda: build_encoder(self.encoder, VIEW_DIM, **self.encoder_kwargs))
        _on_meta(lambda: build_critic(self.critic, g1.out_dim, g1.out_dim, **self.critic_kwargs))
        self._check_bound()
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number of nats or None, got {self.target}")
        _positive(self.lr, "lr")
        if self.batch_size < 2:
            raise ValueError("batch_size must be at least 2: the bounds need negatives")
        if not (math.isfinite(self.noise_std) and self.noise_std >= 0):
            raise ValueError(f"noise_std must be a number >= 0, got {self.noise_std}")
        _positive_int(self.jacobian_samples, "jacobian_samples")
        _choice(self.probe, PROBES, "probe")

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
class AdversarialSpec(_Spec):
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
        _on_meta(lambda: build_encoder(self.encoder, VIEW_DIM, **self.encoder_kwargs))
        _positive(self.lr, "lr")
        _positive(self.encoder_lr_factor, "encoder_lr_factor")
        _positive_int(self.batch_size, "batch_size")
        if self.warmup < 0:
            raise ValueError(f"warmup must be a non-negative integer, got {self.warmup!r}")
        _positive_int(self.classifier_steps, "classifier_steps")
        _choice(self.probe, PROBES, "probe")

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
class GaussianSpec(_Objective, _Spec):
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
        _choice(self.sampler, SAMPLERS, "sampler")
        self._check_kwargs(CRITICS, self.critic, "critic_kwargs")
        self._check_kwargs(BOUNDS, self.bound, "bound_kwargs")
        _on_meta(lambda: build_critic(self.critic, 1, 1, **self.critic_kwargs))
        self._check_bound()
        for name in ("sigma_z", "sigma_eps"):
            m = getattr(self, name)
            ok = m[0][1] == m[1][0] and m[0][0] > 0 and m[0][0] * m[1][1] - m[0][1] ** 2 > 0
            if not ok:
                raise ValueError(
                    f"{name} must be a symmetric positive-definite 2x2 matrix, got {m}"
                )
        _positive(self.lr, "lr")
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
