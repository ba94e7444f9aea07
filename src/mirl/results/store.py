"""The result store: one verified file per finished (run, seed).

Layout under an output directory::

    runs/<experiment>/<run>/seed-<k>.json   spec, status, rows, timings, versions, checksum
    runs/<experiment>/<run>/seed-<k>.npz    arrays (Jacobian singular values, traces), if any

Every file is written to a temporary name, flushed and renamed, so a killed sweep leaves
either a whole record or none; the JSON (written last) carries the SHA-256 of its own
content and of the arrays beside it. Before new arrays replace old ones, the old JSON is
removed, so that no JSON ever vouches for arrays it did not write: a writer killed in
between leaves a seed that is missing, and redone. (Writers of one directory take turns:
``mirl.results.lock``.)

A record is read only if it matches its checksum and its format
(``mirl.results.record_format``), if its spec is a valid run spec of its experiment and
name, and if it lies where its run and seed say; anything else is reported as corrupt and
never read as data; resuming a sweep moves it aside and redoes that seed.
``mirl.results.table`` turns the records into one tidy table.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import mirl.estimation
import mirl.paper  # noqa: F401 (registers the two-view and adversarial kinds)
from mirl._files import ChecksumError, atomic_write, npz_arrays, npz_bytes, read_verified, sha256
from mirl._registry import UnknownName
from mirl.results.record_format import FORMAT, RecordFormatError, check
from mirl.runtime.kinds import kind_of, spec_from_dict, spec_to_dict
from mirl.runtime.outcome import SeedResult
from mirl.runtime.run_spec import RunSpec


class CorruptRecord(ValueError):
    """A stored record failed to parse or to match its checksum."""


FOREIGN = "its spec names what this process has not loaded"
"""How a record made with one's own code (``--load``) reads where that code is not loaded:
whole and valid, but not readable here (never set aside as corrupt by a report)."""


def skipped(problem: str) -> str:
    """The warning for a record that is not read: corrupt, or made with code not loaded."""
    return f"skipping {'record' if FOREIGN in problem else 'corrupt record'}: {problem}"


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
    data: dict[str, str] | None = None
    """The data set the run trained on (``ImageData.identity``); None: none, or not recorded."""

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


@functools.lru_cache(maxsize=1024)
def _spec_problem(spec_json: str, experiment: str, name: str) -> str | None:
    """Why a stored spec is not a valid spec of run ``experiment/name`` (None if it is)."""
    try:
        spec = spec_from_dict(json.loads(spec_json))
    except UnknownName as err:
        return f"{FOREIGN} ({err})"
    except (ValueError, TypeError) as err:
        return f"its spec is not a valid run spec ({err})"
    if (spec.experiment, spec.name) != (experiment, name):
        return f"its spec is that of run {spec.run_id}, not {experiment}/{name}"
    return None


def normalized_spec(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored spec with the fields it lacks at their defaults (records of older mirls have
    fewer fields: a field added later had its default's value then)."""
    try:
        return spec_to_dict(spec_from_dict(stored))
    except (ValueError, TypeError):
        return stored


def data_label(data: dict[str, str] | None) -> str:
    """``mnist (sha256 0a1b2c3d4e5f...)`` for a data identity."""
    if data is None:
        return "no data set"
    return f"{data.get('name')} (sha256 {str(data.get('sha256'))[:12]}...)"


@dataclass
class Conflict:
    """A run that already holds seeds made otherwise than asked."""

    run_id: str
    folder: Path
    differences: list[str]
    failed_only: bool
    records: list[Record]

    def describe(self) -> str:
        return f"{self.run_id} ({'; '.join(self.differences)})"


class ResultStore:
    """The records of one output directory."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, spec: RunSpec, seed: int) -> Path:
        return self.root / "runs" / spec.experiment / spec.name / f"seed-{seed}.json"

    def write(
        self,
        spec: RunSpec,
        result: SeedResult,
        meta: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
    ) -> Path:
        """Store one seed's result: the old record (if any) goes first, then the arrays,
        then the record that vouches for them. ``data`` is the identity of the data set the
        run trained on (``ImageData.identity``), None for runs that use none."""
        path = self.path(spec, result.seed)
        arrays_sha256 = None
        path.unlink(missing_ok=True)  # no JSON may vouch for arrays that it did not write
        path.with_suffix(".npz").unlink(missing_ok=True)
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
            "meta": {
                "written": time.time(),
                **{f"{part}_seconds": t for part, t in asdict(result.timings).items()},
                **(meta or {}),
            },
            "arrays_sha256": arrays_sha256,
            "data": data,
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
        problem = _spec_problem(
            json.dumps(record["spec"], sort_keys=True), record["experiment"], record["name"]
        ) or self._misplaced(path, record)
        if problem:
            sources = record["meta"].get("sources") or []
            if sources and FOREIGN in problem:
                problem += f"; it was made with {', '.join(sources)}: pass --load for it"
            raise CorruptRecord(f"{path}: {problem}")
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
            data=record["data"],
        )

    def _misplaced(self, path: Path, record: dict[str, Any]) -> str | None:
        """Why a record does not belong where it lies (None if it does)."""
        where = (path.parent.parent.name, path.parent.name, path.name)
        says = (record["experiment"], record["name"], f"seed-{record['seed']}.json")
        if where != says:
            return (
                f"it is the record of {says[0]}/{says[1]} seed {record['seed']}, "
                f"stored as {'/'.join(where)}"
            )
        return None

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

    def existing(self, spec: RunSpec) -> Iterator[Record]:
        """Readable records of ``spec``'s run (whatever their settings)."""
        run_dir = self.path(spec, 0).parent
        for path in sorted(run_dir.glob("seed-*.json")) if run_dir.is_dir() else []:
            try:
                yield self.read(path)
            except (CorruptRecord, OSError):
                continue

    def conflict(self, spec: RunSpec, data: dict[str, str] | None = None) -> Conflict | None:
        """How the seeds stored for ``spec``'s run differ from ``spec`` trained on ``data``
        (None if none differs). A record that did not record its data (an older mirl's), or
        a ``data`` of None, matches any data set."""
        wanted = spec_to_dict(spec)
        differences: dict[str, str] = {}
        records = []
        for record in self.existing(spec):
            stored = normalized_spec(record.spec)
            diff = [k for k in sorted(set(wanted) | set(stored)) if wanted.get(k) != stored.get(k)]
            for k in diff:
                differences.setdefault(
                    k, f"{k}: stored {stored.get(k, '(none)')!r}, asked {wanted.get(k, '(none)')!r}"
                )
            other_data = (
                kind_of(spec).uses_images
                and None not in (data, record.data)
                and record.data != data
            )
            if other_data:
                differences.setdefault(
                    "data",
                    f"data: stored {data_label(record.data)}, asked {data_label(data)}",
                )
            if diff or other_data:
                records.append(record)
        if not records:
            return None
        return Conflict(
            spec.run_id,
            self.path(spec, 0).parent,
            list(differences.values()),
            failed_only=all(r.status == "failed" for r in self.existing(spec)),
            records=records,
        )

    def check_same_settings(
        self, specs: RunSpec | Sequence[RunSpec], data: dict[str, str] | None = None
    ) -> list[Conflict]:
        """Refuse to mix settings or data: raise ValueError, naming every run that already
        holds finished seeds made with another spec or on other data and what differs.
        Runs whose stored seeds all failed do not bind: their conflicts are returned, for
        the caller to set their records aside (``set_aside_records``)."""
        specs = [specs] if not isinstance(specs, Sequence) else specs
        conflicts = [c for c in (self.conflict(s, data) for s in specs) if c is not None]
        binding = [c for c in conflicts if not c.failed_only]
        if binding:
            groups: dict[tuple[str, ...], list[Conflict]] = {}
            for c in binding:
                groups.setdefault(tuple(c.differences), []).append(c)
            what = "; ".join(
                f"({'; '.join(diff)}): {', '.join(c.run_id for c in runs)}"
                for diff, runs in groups.items()
            )
            if len(binding) == 1:
                where = f"delete {binding[0].folder} to redo it"
            else:
                where = f"delete their folders under {self.root / 'runs'} to redo them"
            raise ValueError(
                f"{self.root} already holds {'a run' if len(binding) == 1 else 'runs'} made "
                f"with other settings {what}; use another --out directory, or {where}"
            )
        return conflicts

    def set_aside_records(self, records: Sequence[Record], why: str) -> list[Path]:
        """Move records (and their arrays) aside under ``<name>.<why>-<time>``; nothing is
        deleted."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = []
        for record in records:
            for p in (record.path, record.path.with_suffix(".npz")):
                if p.exists():
                    target = p.with_name(f"{p.name}.{why}-{stamp}")
                    os.replace(p, target)
                    if p == record.path:
                        moved.append(target)
        return moved

    def status(self, spec: RunSpec, seed: int) -> str:
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

    def set_aside(self, spec: RunSpec, seed: int) -> Path | None:
        """Move a corrupt record (and its arrays) aside so that redoing the seed loses nothing."""
        path = self.path(spec, seed)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        moved = None
        for p in (path, path.with_suffix(".npz")):
            if p.exists():
                target = p.with_name(f"{p.name}.corrupt-{stamp}")
                os.replace(p, target)
                moved = moved or target  # the record's name, where there was one
        return moved
