"""What several commands parse alike: the device, ``--set``, name lists, the data set, the
paths they write."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DEVICE_HELP = "auto, cpu, cuda or cuda:N"

MAX_SET_DEPTH = 16
"""How deep ``--set`` values may nest lists and objects. No setting takes more than three
levels (``task_kwargs={"sigma_z": [[1, 0], [0, 1]]}``); a value nested thousands deep would
end in a RecursionError wherever it is read, checked or stored."""


def device(name: str, *, local: bool = True):
    """The torch device ``name`` asks for (``mirl.selection.resolve_device``); with ``local``,
    one this machine has. A one-line error otherwise."""
    from mirl.selection import resolve_device

    try:
        return resolve_device(name, local=local, option="--device")
    except ValueError as err:
        raise SystemExit(f"mirl: {err}") from None


def parse_set(values: Sequence[str]) -> dict:
    """``--set key=value`` pairs; the value is read as JSON when it parses, else as a string.
    A key given twice, or a value nested deeper than ``MAX_SET_DEPTH``, is a one-line error."""
    out = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"mirl: --set expects FIELD=VALUE, got {item!r}")
        if key in out:
            raise SystemExit(f"mirl: --set {key} is given twice; give it once")
        too_deep = SystemExit(
            f"mirl: --set {key}: its value nests lists and objects more than {MAX_SET_DEPTH} "
            "deep; no setting takes that"
        )
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        except RecursionError:
            raise too_deep from None
        if _depth(value) > MAX_SET_DEPTH:
            raise too_deep
        if isinstance(value, float) and not math.isfinite(value):
            value = raw  # NaN and Infinity parse as JSON, but no setting takes them
        if key.endswith("_kwargs") and not isinstance(value, dict):
            raise SystemExit(
                f"mirl: --set {key} expects a JSON object, e.g. {key}='{{\"name\": 1}}', "
                f"got {raw!r}"
            )
        out[key] = value
    return out


def _depth(value: Any) -> int:
    """How deep ``value`` nests lists and objects (0 for a number or a string), counted level
    by level rather than recursively."""
    depth, level = 0, [value]
    while containers := [item for item in level if isinstance(item, dict | list)]:
        depth += 1
        level = [c for x in containers for c in (x.values() if isinstance(x, dict) else x)]
    return depth


def merge_settings(flags: Mapping[str, Any], set_values: Sequence[str]) -> dict:
    """The run settings that named flags give (``flags``: ``--steps 50`` as ``{"steps": 50}``,
    None where a flag is absent) and those of ``--set``. A setting given both ways is a
    one-line error: neither may silently win over the other."""
    given = {key: value for key, value in flags.items() if value is not None}
    settings = parse_set(set_values)
    both = sorted(set(given) & set(settings))
    if both:
        key = both[0]
        raise SystemExit(
            f"mirl: {key} is given twice, as --{key.replace('_', '-')} {given[key]} and as "
            f"--set {key}={json.dumps(settings[key])}; give it once"
        )
    return {**given, **settings}


def writable_path(value: str, option: str, *, report: bool = False) -> Path:
    """``value`` as a path that mirl writes to, checked before anything is written: each of
    its names fits the file system's limit (else Errno 36 deep inside), and, with ``report``
    (a directory whose ``report.html`` names it), it is UTF-8 text, as HTML must be. A
    one-line error otherwise."""
    path = Path(value)
    # os.path.exists, not Path.exists, which raises on a name too long
    existing = next(p for p in [path.absolute(), *path.absolute().parents] if os.path.exists(p))
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):  # pragma: no cover - a system that does not say
        name_max = 255
    for name in path.parts:
        size = len(os.fsencode(name))
        if size > name_max:
            raise SystemExit(
                f"mirl: {option} has a name of {size} bytes, {_shown(name)}; this file system "
                f"allows at most {name_max}"
            )
    if report:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise SystemExit(
                f"mirl: {option} {os.fsencode(value)!r} is not UTF-8 text, which report.html "
                "names its directory in; use a UTF-8 name"
            ) from None
    return path


def _shown(name: str, width: int = 40) -> str:
    """``name`` quoted, its middle elided past ``width`` characters."""
    return repr(name if len(name) <= width else f"{name[: width // 2]}...{name[-width // 2 :]}")


def add_data_option(p) -> None:
    """``--data``: the images a command trains or measures on."""
    from mirl.data.views import DATA_KINDS

    p.add_argument(
        "--data",
        default="mnist",
        choices=DATA_KINDS,
        help="real MNIST, or the small synthetic stand-in used by the tests (default: mnist)",
    )


def image_data(kind: str, device: str):
    """The data set on ``device``, loaded once per process (a run and the baseline share it)."""
    from mirl.results.execution import worker_data

    return worker_data(kind, device)


def data_errors() -> tuple[type[Exception], ...]:
    """The errors of fetching and reading data, which are the user's to fix."""
    from mirl.data.mnist import DataError

    return (DataError,)


def add_load_option(p) -> None:
    """``--load``: one's own files or modules, imported before the command runs."""
    p.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="FILE_OR_MODULE",
        help="import a file (path/to/file.py) or module first: the experiments, critics, "
        "encoders, bounds, kinds and backends it registers are then known (repeatable)",
    )


def load_sources(sources: Sequence[str]) -> None:
    """Import ``sources`` (``--load``); a one-line error naming the one that fails."""
    from mirl.runtime.sources import SourceError, load_source

    for source in sources:
        try:
            load_source(source)
        except SourceError as err:
            raise SystemExit(f"mirl: {err}") from None
