"""What several commands parse alike: the device, ``--set``, name lists, the data set."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

DEVICE_HELP = "auto, cpu, cuda or cuda:N"


def device(name: str, *, local: bool = True):
    """The torch device ``name`` asks for (``mirl.api.resolve_device``); with ``local``,
    one this machine has. A one-line error otherwise."""
    from mirl.api import resolve_device

    try:
        return resolve_device(name, local=local, option="--device")
    except ValueError as err:
        raise SystemExit(f"mirl: {err}") from None


def parse_set(values: Sequence[str]) -> dict:
    """``--set key=value`` pairs; the value is read as JSON when it parses, else as a string."""
    out = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"mirl: --set expects FIELD=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if isinstance(value, float) and not math.isfinite(value):
            value = raw  # NaN and Infinity parse as JSON, but no setting takes them
        if key.endswith("_kwargs") and not isinstance(value, dict):
            raise SystemExit(
                f"mirl: --set {key} expects a JSON object, e.g. {key}='{{\"name\": 1}}', "
                f"got {raw!r}"
            )
        out[key] = value
    return out


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
