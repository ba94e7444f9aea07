"""The kinds of run: each is a spec class and the trainer that runs it, registered once.

A kind is what one seed of a run computes, in general terms (two encoders and a critic on
two views of images; an encoder against a classifier; a critic alone on pairs of known
MI). Its spec (a ``mirl.runtime.run_spec.RunSpec``) says what determines a run; its
trainer (``mirl.runtime.loop.Trainer``) trains K seeds of it at once. The store, the sweep
and the tidy table look a spec's kind up here by the spec's ``kind`` name rather than
switching on classes, so a new kind is one module that defines both and calls
``register_kind`` (the built-in ones: ``mirl.paper.two_view``, ``mirl.paper.adversarial``,
``mirl.estimation``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mirl._memory import GB, check_memory
from mirl._registry import lookup
from mirl.runtime.run_spec import RunSpec

Draw = tuple[str, int, str]
"""``(setting, n, split)``: a run draws ``n`` distinct examples of ``split`` ("train" or
"test") at once, ``n`` being the value of ``setting``."""


@dataclass(frozen=True)
class Kind:
    """A kind of run: its spec class, its trainer, and what it needs of the image data.

    ``draws``: for kinds that train on images, what a run draws from the data set at once
    (see ``Draw``), so that a setting too large for the data is refused before any
    training; None for kinds that train on no image data. ``example``: a tiny spec of the
    kind, which ``mirl check`` trains to check that a seed trained in a group equals the
    seed trained alone. ``memory(spec, seeds)``: the bytes a group of ``seeds`` seeds holds
    while it trains, by what holds them (each named with the setting that sizes it), so
    that ``check_group_memory`` refuses a run too large for the device before it starts;
    None: not estimated.
    """

    spec: type[RunSpec]
    trainer: type
    example: Callable[[], RunSpec]
    draws: Callable[[Any], list[Draw]] | None = None
    memory: Callable[[Any, int], dict[str, int]] | None = None

    @property
    def name(self) -> str:
        return self.spec.kind

    @property
    def uses_images(self) -> bool:
        return self.draws is not None


KINDS: dict[str, Kind] = {}
"""The kinds of run by name (the ``kind`` of a spec and of a stored record)."""


def register_kind(kind: Kind) -> Kind:
    """Add ``kind`` to ``KINDS`` under its spec's ``kind`` name; a name taken by another
    spec class is an error."""
    name = getattr(kind.spec, "kind", None)
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind.spec.__name__} needs a class attribute kind: a non-empty name")
    if not (isinstance(kind.spec, type) and issubclass(kind.spec, RunSpec)):
        raise ValueError(f"the spec of kind {name!r} must be a RunSpec dataclass")
    taken = KINDS.get(name)
    if taken is not None and taken.spec is not kind.spec:
        raise ValueError(f"the kind {name!r} is taken by {taken.spec.__qualname__}")
    KINDS[name] = kind
    return kind


def kind_of(spec: Any) -> Kind:
    """The kind of ``spec``; a ValueError for anything that is not a registered run spec."""
    return lookup(KINDS, getattr(spec, "kind", None), "run kind")


def group_memory(spec: RunSpec, seeds: int) -> dict[str, int]:
    """The bytes a group of ``seeds`` seeds of ``spec`` holds while it trains, by what holds
    them (its kind's ``memory``); empty for a kind that does not estimate it."""
    memory = kind_of(spec).memory
    return {} if memory is None else memory(spec, seeds)


def check_group_memory(specs: Sequence[RunSpec], seeds: int, device: Any) -> None:
    """A ValueError for the first of ``specs`` whose group of ``seeds`` seeds would not fit
    in the memory of ``device`` (its kind's ``memory``), naming the run and the setting that
    needs the most: refused before anything trains, not failed deep inside training."""
    for spec in specs:
        need = group_memory(spec, seeds)
        if not need:
            continue
        setting, most = max(need.items(), key=lambda item: item[1])
        what = f"{spec.run_id}, {seeds} seeds at once,"
        check_memory(sum(need.values()), what, device, f"{most / GB:,.1f} GB for {setting}")


def spec_to_dict(spec: RunSpec) -> dict[str, Any]:
    """A JSON-ready dict of the spec, with its kind."""
    return json.loads(json.dumps({"kind": spec.kind, **dataclasses.asdict(spec)}))


def spec_from_dict(data: dict[str, Any]) -> RunSpec:
    """Rebuild a spec from ``spec_to_dict``'s output (validating it again)."""
    data = dict(data)
    cls = lookup(KINDS, data.pop("kind", None), "run kind").spec
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{cls.__name__} got unknown fields {unknown}")
    return cls(**data)
