"""Backends: where a sweep's jobs train, behind one small interface.

A backend is a class made from the sweep's ``Options`` whose ``run(jobs, context, sink)``
trains every job and reports it to the ``Sink`` (``mirl.results.sink``): its steps as it
goes, where it can follow them, and its results when it is done. The sink stores them in
the sweep's own process, so that a backend never writes the store. Each backend trains a
job with the same worker body, ``mirl.results.execution.run_job``. ``BACKENDS`` holds
``local`` (one job after another in this process), ``processes`` (``--jobs`` worker
processes on this machine) and ``ray`` (a Ray cluster); one's own file can register
another (``register_backend``), for a scheduler of its own, say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mirl.results.execution import Context
from mirl.results.plan import Job
from mirl.results.sink import Sink


@dataclass(frozen=True)
class Options:
    """How a sweep asks its backend to run: ``jobs`` in flight at once (worker processes),
    ``max_retries`` of a job whose worker dies, ``address`` of a Ray cluster (None: a new
    local one, or ``RAY_ADDRESS``)."""

    jobs: int = 1
    max_retries: int = 2
    address: str | None = None


class Backend(Protocol):
    """Trains a sweep's jobs: ``Backend(options).run(jobs, context, sink)``."""

    def __init__(self, options: Options) -> None: ...

    def run(self, jobs: Sequence[Job], context: Context, sink: Sink) -> None:
        """Train every job of ``jobs``, reporting each to ``sink`` (see the module docstring)."""
        ...


BACKENDS: dict[str, type] = {}
"""Every backend by name."""


def register_backend(name: str, backend: type) -> type:
    """Add ``backend`` (a class with ``__init__(options)`` and ``run``) to ``BACKENDS``."""
    if not callable(getattr(backend, "run", None)):
        raise ValueError(f"backend {name!r} needs a method run(jobs, context, sink)")
    taken = BACKENDS.get(name)
    if taken is not None and taken is not backend:
        raise ValueError(f"a backend named {name!r} is already registered")
    BACKENDS[name] = backend
    return backend


from mirl.results.backends.local import Local  # noqa: E402
from mirl.results.backends.processes import WorkerProcesses  # noqa: E402
from mirl.results.backends.ray import Ray  # noqa: E402

register_backend("local", Local)
register_backend("processes", WorkerProcesses)
register_backend("ray", Ray)

__all__ = ["BACKENDS", "Backend", "Local", "Options", "Ray", "WorkerProcesses", "register_backend"]
