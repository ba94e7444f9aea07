"""The result store: one verified file per finished (run, seed).

Layout under an output directory::

    runs/<experiment>/<run>/seed-<k>.json   spec, status, rows, timings, versions, checksum
    runs/<experiment>/<run>/seed-<k>.npz    arrays (Jacobian singular values, traces), if any

Every file is written to a temporary name, flushed and renamed, so a killed sweep leaves
either a whole record or none; the JSON (written last) carries the SHA-256 of its own
content and of the arrays beside it. A record that fails its checksum or does not parse
is reported as corrupt and never read as data; resuming a sweep moves it aside and redoes
that seed. ``mirl.results.table`` turns the records into one tidy table.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mirl._files import ChecksumError, atomic_write, npz_arrays, npz_bytes, read_verified, sha256
from mirl.paper.spec import Spec
from mirl.results.kinds import spec_to_dict
from mirl.results.record_format import FORMAT, RecordFormatError, check
from mirl.runtime.outcome import SeedResult


class CorruptRecord(ValueError):
    """A stored record failed to parse or to match its checksum."""


@dataclass
class Record:
    """One stored (run, seed): what made it, and what it produced or why it failed."""

    path: Path
    experiment: str
    name: str
    seed: int
    spec: dict[str, Any]
    status: str  # "ok" or "failed"
    rows: list[dict[str, Any]]
    error: str | None
    meta: dict[str, Any]
    arrays_sha256: str | None

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays stored beside the record, verified against its checksum."""
        if self.arrays_sha256 is None:
            return {}
        try:
            blob = read_verified(self.path.with_suffix(".npz"), self.arrays_sha256)
        except ChecksumError:
            raise CorruptRecord(
                f"{self.path.with_suffix('.npz')} does not match its record's checksum"
            ) from None
        return npz_arrays(blob)


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=True).encode()


class ResultStore:
    """The records of one output directory."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, spec: Spec, seed: int) -> Path:
        return self.root / "runs" / spec.experiment / spec.name / f"seed-{seed}.json"

    def write(self, spec: Spec, result: SeedResult, meta: dict[str, Any] | None = None) -> Path:
        """Store one seed's result (arrays first, then the record that vouches for them)."""
        path = self.path(spec, result.seed)
        arrays_sha256 = None
        if result.ok and result.arrays:
            blob = npz_bytes(result.arrays)
            arrays_sha256 = sha256(blob)
            atomic_write(path.with_suffix(".npz"), blob)
        record = {
            "format": FORMAT,
            "experiment": spec.experiment,
            "name": spec.name,
            "seed": result.seed,
            "spec": spec_to_dict(spec),
            "status": "ok" if result.ok else "failed",
            "error": result.error,
            "rows": result.rows,
            "seconds": result.seconds,
            "meta": {"written": time.time(), **(meta or {})},
            "arrays_sha256": arrays_sha256,
        }
        digest = sha256(_canonical(record))
        atomic_write(path, _canonical({"sha256": digest, "record": record}))
        return path

    def read(self, path: Path) -> Record:
        """Parse and verify one record; raise ``CorruptRecord`` if it is damaged."""
        try:
            wrapper = json.loads(path.read_bytes())
            record = wrapper["record"]
            ok = sha256(_canonical(record)) == wrapper["sha256"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise CorruptRecord(f"{path} is unreadable ({type(err).__name__}: {err})") from None
        if not ok:
            raise CorruptRecord(
                f"{path} does not match its checksum (altered or partially written)"
            )
        try:
            record = check(record)
        except RecordFormatError as err:
            raise CorruptRecord(f"{path}: {err}") from None
        return Record(
            path=path,
            experiment=record["experiment"],
            name=record["name"],
            seed=record["seed"],
            spec=record["spec"],
            status=record["status"],
            rows=record["rows"],
            error=record["error"],
            meta={**record["meta"], "seconds": record["seconds"]},
            arrays_sha256=record["arrays_sha256"],
        )

    def scan(self, experiment: str | None = None) -> tuple[list[Record], list[tuple[Path, str]]]:
        """All readable records (optionally of one experiment) and ``(path, problem)`` for the
        corrupt ones, in a stable order."""
        base = self.root / "runs" / experiment if experiment else self.root / "runs"
        records, corrupt = [], []
        for path in sorted(base.rglob("seed-*.json")) if base.exists() else []:
            try:
                record = self.read(path)
                if record.arrays_sha256 is not None:
                    record.arrays()
                records.append(record)
            except (CorruptRecord, OSError) as err:
                corrupt.append((path, str(err)))
        return records, corrupt

    def existing(self, spec: Spec) -> Iterator[Record]:
        """Readable records of ``spec``'s run (whatever their settings)."""
        run_dir = self.path(spec, 0).parent
        for path in sorted(run_dir.glob("seed-*.json")) if run_dir.exists() else []:
            try:
                yield self.read(path)
            except CorruptRecord:
                continue

    def check_same_settings(self, spec: Spec) -> None:
        """Refuse to mix settings: raise ValueError if the run already holds seeds made with
        another spec, naming the settings that differ."""
        wanted = spec_to_dict(spec)
        for record in self.existing(spec):
            if record.spec != wanted:
                diff = sorted(
                    k for k in set(wanted) | set(record.spec) if wanted.get(k) != record.spec.get(k)
                )
                detail = "; ".join(
                    f"{k}: stored {record.spec.get(k)!r}, asked {wanted.get(k)!r}" for k in diff
                )
                raise ValueError(
                    f"{self.root} already holds run {spec.run_id} with other "
                    f"settings ({detail}); use another --out directory, or delete "
                    f"{record.path.parent} to redo it"
                )

    def status(self, spec: Spec, seed: int) -> str:
        """``"ok"``, ``"failed"``, ``"corrupt"`` or ``"missing"`` for one (run, seed)."""
        path = self.path(spec, seed)
        if not path.exists():
            return "missing"
        try:
            record = self.read(path)
            record.arrays()
        except (CorruptRecord, OSError):
            return "corrupt"
        return record.status

    def set_aside(self, spec: Spec, seed: int) -> Path | None:
        """Move a corrupt record (and its arrays) aside so that redoing the seed loses nothing."""
        path = self.path(spec, seed)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = None
        for p in (path, path.with_suffix(".npz")):
            if p.exists():
                moved = p.with_name(f"{p.name}.corrupt-{stamp}")
                os.replace(p, moved)
        return moved
