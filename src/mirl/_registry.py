"""Name lookup for the plain-dict registries (``BOUNDS``, ``CRITICS``, ``ENCODERS``, ...).

One place turns a name and keyword arguments into an object, so every registry fails the
same way: an unknown name lists the valid ones, and an unknown keyword argument is an error
rather than something silently dropped.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any


class UnknownName(ValueError):
    """A name that is not in its registry (perhaps one a file not loaded here registers)."""


def lookup(registry: Mapping[str, Any], name: str, what: str) -> Any:
    """``registry[name]``, or an ``UnknownName`` error that names ``what`` and lists the
    valid names."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        valid = ", ".join(sorted(registry))
        raise UnknownName(f"unknown {what} {name!r}; valid names: {valid}") from None


def check_kwargs(fn: Callable, kwargs: Mapping[str, Any], what: str) -> None:
    """Raise ValueError if ``fn`` does not take every keyword in ``kwargs``."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        accepted = ", ".join(n for n in params if n != "self") or "none"
        raise ValueError(f"{what} got unknown arguments {unknown}; it accepts: {accepted}")


def build(registry: Mapping[str, Callable], name: str, what: str, **kwargs: Any) -> Any:
    """Call ``registry[name](**kwargs)`` after checking the name and the keywords."""
    factory = lookup(registry, name, what)
    check_kwargs(factory, kwargs, f"{what} {name!r}")
    return factory(**kwargs)


def bind(registry: Mapping[str, Callable], name: str, what: str, **kwargs: Any) -> Callable:
    """``registry[name]`` with ``kwargs`` bound, after checking the name and the keywords."""
    fn = lookup(registry, name, what)
    check_kwargs(fn, kwargs, f"{what} {name!r}")
    return functools.partial(fn, **kwargs) if kwargs else fn
