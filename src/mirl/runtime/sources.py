"""One's own code, loaded into every process that trains.

A researcher's file (``path/to/my_experiment.py``) or module (``mylab.experiments``) adds
entries to mirl's registries when it is imported: critics, encoders, bounds, kinds of run,
experiments, backends. ``load_source`` imports it once per process and remembers it, so
that a sweep can hand the same list to its worker processes and Ray tasks, which load it
before they read a job (a job may name a critic, or be a spec class, that only the file
defines).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

LOADED: list[str] = []
"""The sources this process has loaded, in order: resolved file paths and module names."""

_MODULES: dict[str, ModuleType] = {}


class SourceError(ValueError):
    """A source that does not exist, or that raised while it was imported."""


def _module_name(path: Path) -> str:
    """A stable module name for a file: the same in every process that loads the file, so
    that its classes pickle by reference."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"mirl_source_{stem}_{digest}"


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__) if error.__traceback__ else []
    if isinstance(error, SyntaxError) and error.lineno:
        return f" (line {error.lineno})"
    return f" (line {frames[-1].lineno} of {Path(frames[-1].filename).name})" if frames else ""


def load_source(source: str) -> ModuleType:
    """Import ``source`` (a ``.py`` file, or a module name) once in this process and record
    it in ``LOADED``; what it registers is then known to mirl. Raises ``SourceError``."""
    is_file = source.endswith(".py") or "/" in source or "\\" in source
    key = str(Path(source).resolve()) if is_file else source
    if key in _MODULES:
        return _MODULES[key]
    try:
        if is_file:
            path = Path(key)
            if not path.is_file():
                raise SourceError(f"no such file {source!r}")
            name = _module_name(path)
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]
                raise
        else:
            module = importlib.import_module(source)
    except SourceError:
        raise
    except ModuleNotFoundError as err:
        if not is_file and err.name == source.split(".")[0]:
            raise SourceError(f"no module named {source!r}") from None
        raise SourceError(
            f"cannot load {source}: {type(err).__name__}: {err}{_where(err)}"
        ) from err
    except Exception as err:
        raise SourceError(
            f"cannot load {source}: {type(err).__name__}: {err}{_where(err)}"
        ) from err
    _MODULES[key] = module
    LOADED.append(key)
    return module


def load_sources(sources: list[str] | tuple[str, ...]) -> None:
    """``load_source`` each of ``sources``, in order (a worker, before it reads a job)."""
    for source in sources:
        load_source(source)
