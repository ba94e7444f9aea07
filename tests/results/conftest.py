"""Helpers for tests that alter stored records."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mirl._files import sha256
from mirl.results.store import _canonical


def reseal_record(path: Path, change: Callable[[dict], object]) -> None:
    """Apply ``change`` to the record stored at ``path`` and store it again with a valid
    checksum: what a careless edit (or another program) could leave behind."""
    record = json.loads(path.read_bytes())["record"]
    change(record)
    path.write_bytes(_canonical({"sha256": sha256(_canonical(record)), "record": record}))


@pytest.fixture
def reseal():
    return reseal_record
