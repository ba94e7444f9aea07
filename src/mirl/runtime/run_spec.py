"""What every run specification shares: typed, validated fields, an id, a schedule.

A spec is a frozen dataclass of plain values (JSON round-trips it) whose ``__post_init__``
calls ``_validate``: every field has the type its annotation names (a ``bool`` is a bool,
not the string "False"), and so does every keyword argument of ``*_kwargs`` that the
network's or bound's signature annotates; networks are built once on the meta device
(``on_meta``) to check their arguments; the experiment name is safe as a directory name.
So a typo or an impossible setting fails before any training. The settings that several
kinds share are checked here, once, wherever a spec has them: ``lr``, ``batch_size`` (at
least 2 for a bound, which needs negatives), ``probe``, and the types of the keyword
arguments of the encoder, critic and bound it names. Each kind of spec lives with its
trainer (``mirl.paper.two_view``, ``mirl.paper.adversarial``, ``mirl.estimation``).
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
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor

from mirl._registry import bind
from mirl.bounds import BOUNDS
from mirl.critics import CRITICS
from mirl.encoders import ENCODERS
from mirl.objectives import maximize, target
from mirl.probe import PROBES

SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

MAX_STEPS = 10**8
"""The most training steps a run takes: 5,000 times the paper's 20,000, over a day at a
millisecond a step. More is a typo (``--steps 10**12``) that would train for years or fail
deep inside, where a run's per-step arrays are allocated."""

MAX_EVALS = 10**5
"""The most evaluations a run takes: each is a row of every record (the paper's runs have
21)."""


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


def positive_int(value: int, name: str) -> None:
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def at_most(value: int, limit: int, name: str) -> None:
    if value > limit:
        raise ValueError(f"{name} must be at most {limit:,}, got {value:,}")


def positive(value: float, name: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def choice(value: str, options: tuple[str, ...], name: str) -> None:
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(options)}")


def on_meta(build: Callable[[], Any]) -> Any:
    """Build a network on the meta device (no memory, no random draws) to check its
    arguments; a bad one raises ValueError there, before any training."""
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        try:
            return build()
        except (TypeError, RuntimeError) as err:
            raise ValueError(str(err)) from None


def saved_for_backward(module: torch.nn.Module, *shapes: Sequence[int]) -> int:
    """Bytes of the tensors that autograd keeps for the backward pass of one forward pass of
    ``module`` (built by ``on_meta``) on float inputs of ``shapes``, the parameters aside: a
    training step's activations. Measured on the meta device (no memory, no time), so that
    a batch or a width too large for the device is refused before anything trains."""
    saved: dict[int, Tensor] = {}

    def keep(tensor: Tensor) -> Tensor:
        saved[id(tensor)] = tensor  # holding it keeps its id from being reused
        return tensor

    parameters = {id(p) for p in module.parameters()}
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        inputs = [torch.empty(*shape) for shape in shapes]
        with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
            module(*inputs)
    return sum(t.nelement() * t.element_size() for i, t in saved.items() if i not in parameters)


KWARGS_FIELDS = {
    "encoder_kwargs": ("encoder", ENCODERS),
    "critic_kwargs": ("critic", CRITICS),
    "bound_kwargs": ("bound", BOUNDS),
}
"""The keyword-argument fields a spec may have: the field that names the network or bound
they are passed to, and its registry."""


class RunSpec:
    """What every kind of spec shares: validation, an id, a schedule."""

    kind: ClassVar[str]
    experiment: str
    steps: int
    evals: int

    def _validate(self) -> None:
        """Check the types of every field, then the settings kinds share (see the module
        docstring); a kind's ``__post_init__`` calls this first, then checks its own."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if typing.get_origin(_hints(type(self))[f.name]) is tuple:
                value = _tuples(value)  # JSON and the command line give lists
                object.__setattr__(self, f.name, value)
            if not _conforms(value, _hints(type(self))[f.name]):
                raise _type_error(f.name, value, _hints(type(self))[f.name])
        if not SAFE_NAME.fullmatch(self.experiment):
            raise ValueError(
                f"experiment must be a name of letters, digits, '_', '.' and '-' "
                f"(it names a directory), got {self.experiment!r}"
            )
        positive_int(self.steps, "steps")
        positive_int(self.evals, "evals")
        at_most(self.steps, MAX_STEPS, "steps")
        at_most(self.evals, MAX_EVALS, "evals")
        if self.evals > self.steps:
            raise ValueError(f"evals ({self.evals}) cannot exceed steps ({self.steps})")
        fields = set(field_names(self))
        for kwargs_field, (name_field, registry) in KWARGS_FIELDS.items():
            name = getattr(self, name_field, None)
            if kwargs_field in fields and name in registry:  # an unknown name fails where built
                _check_kwargs_types(registry[name], getattr(self, kwargs_field), kwargs_field)
        if "lr" in fields:
            positive(self.lr, "lr")
        if "batch_size" in fields:
            if isinstance(self, Objective) and self.batch_size < 2:
                raise ValueError("batch_size must be at least 2: the bounds need negatives")
            positive_int(self.batch_size, "batch_size")
        if "probe" in fields:
            choice(self.probe, PROBES, "probe")
        if isinstance(self, Objective):
            self.bound_function()  # unknown bounds and keywords fail here

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
        """Evaluations every ``steps // evals`` steps from step 0, and of the final model:
        steps 0, e, 2e, ... and ``steps``. (The Colab trains 21,000 steps and evaluates at 0,
        1,000, ..., 20,000, never the final model: mirl's paper profile trains 20,000 steps
        with 20 evaluations, which gives the same 21 evaluations of the same models.)"""
        return sorted({*range(0, self.steps, self.eval_every), self.steps})

    def labels(self) -> dict[str, Any]:
        """The descriptive columns of the run in the tidy table (the Colab's and mirl's)."""
        raise NotImplementedError


class Objective:
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


def field_names(spec: RunSpec) -> list[str]:
    """The settings of ``spec`` (its dataclass fields, without ``kind``)."""
    return [f.name for f in dataclasses.fields(spec)]


def replace(spec: RunSpec, **changes: Any) -> RunSpec:
    """A copy of ``spec`` with ``changes``; unknown fields are an error naming the valid ones."""
    names = field_names(spec)
    unknown = sorted(set(changes) - set(names))
    if unknown:
        raise ValueError(
            f"{type(spec).__name__} has no fields {unknown}; fields: {', '.join(names)}"
        )
    return dataclasses.replace(spec, **changes)
