"""The format of a stored record, checked on every read, and the upgrade of older ones.

A record is the JSON object that ``ResultStore.write`` stores for one (run, seed). Its
``format`` says which version of this module wrote it. Reading checks every field's type,
so a record with a valid checksum but a missing, added or odd field is reported as corrupt
(and set aside on resume) instead of breaking whatever reads it; a record of an older
format is upgraded on read; one of a newer format (written by a later mirl) is refused
with a message naming both versions. (Whether the spec is a valid run spec, and whether the
record sits where its run and seed say, is checked by ``ResultStore.read``.)

Format history:

- 1 (mirl 0.1): two-view runs had the kind ``"mi"``, and their rows' ``bound_value`` was
  the negated loss on the test images (``-test_loss``); Gaussian runs' rows had none (the
  table copied ``train_bound``).
- 2: the kind is ``"two_view"``; ``bound_value`` is the Colab's "testing" value, on fresh
  training batches (``-colab_loss``). Upgrading a format-1 record renames the kind and drops
  its ``bound_value`` (the same number stays in ``test_loss``), since the Colab's value was
  not recorded then.
- 3: ``data``, the data set a run trained on (``{"name", "sha256"}``, the ``identity`` of
  ``mirl.data.ImageData``), or None for runs that train on no data set. It is part of a
  run's identity: a sweep refuses to add seeds trained on other data. Records of formats 1
  and 2 did not say; they are upgraded with ``data: None``.
- 4: rows in mirl's vocabulary: ``step`` (was ``iteration``), and no ``bound_value`` (the
  Colab's column is made where the tidy table is built, from the values it was a copy
  of); the kind ``"gaussian"`` (the paper's Fig. 4c) is the ``"estimate"`` kind with the
  task ``paper-fig4c`` and the paper's ``sampler``, and no held-out pairs. (A Gaussian run
  with bound keywords was named without them; its upgraded spec's name has them, so such
  a record no longer matches its folder and is reported, and set aside on a resume.)
"""

from __future__ import annotations

import math
from typing import Any

FORMAT = 4

_FIELDS: dict[str, tuple[type, ...]] = {
    "format": (int,),
    "experiment": (str,),
    "name": (str,),
    "seed": (int,),
    "spec": (dict,),
    "status": (str,),
    "error": (str, type(None)),
    "rows": (list,),
    "seconds": (int, float),
    "meta": (dict,),
    "arrays_sha256": (str, type(None)),
    "data": (dict, type(None)),
}
_SINCE = {"data": 3}
"""Fields that a record of an older format lacks (and gets on upgrade)."""

_META: dict[str, tuple[type, ...]] = {
    "written": (int, float),
    "seed_group": (list,),
    "mirl_version": (str, type(None)),
    "torch_version": (str, type(None)),
    "python_version": (str, type(None)),
    "device": (str, type(None)),
    "device_name": (str, type(None)),
    "host": (str, type(None)),
    "backend": (str, type(None)),
    "sources": (list,),
    "resumed_from_step": (int,),
    "train_seconds": (int, float),
    "evaluation_seconds": (int, float),
    "probe_seconds": (int, float),
}
"""The provenance keys readers use, and their types (other keys are kept as they are)."""


class RecordFormatError(ValueError):
    """A record does not have the format it claims, or has a format this mirl cannot read."""


def _is(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and (not isinstance(value, bool) or bool in types)


def check(record: Any) -> dict[str, Any]:
    """``record`` upgraded to the current format, or ``RecordFormatError`` naming what is off."""
    if not isinstance(record, dict):
        raise RecordFormatError(f"a record is a JSON object, not {type(record).__name__}")
    version = record.get("format")
    if not _is(version, (int,)):
        raise RecordFormatError(f"no format version (format: {version!r:.60})")
    if version > FORMAT:
        raise RecordFormatError(
            f"format {version} was written by a newer mirl; this one reads formats 1-{FORMAT}"
        )
    if version < 1:
        raise RecordFormatError(f"unknown format {version}")
    fields = {k: t for k, t in _FIELDS.items() if _SINCE.get(k, 1) <= version}
    for key, types in fields.items():
        if key not in record:
            raise RecordFormatError(f"the field {key!r} is missing")
        if not _is(record[key], types):
            raise RecordFormatError(f"the field {key!r} has the wrong type ({record[key]!r:.60})")
    added = sorted(set(record) - set(fields))
    if added:
        raise RecordFormatError(f"unknown fields {added} for format {version}")
    if record["status"] not in ("ok", "failed"):
        raise RecordFormatError(f"unknown status {record['status']!r:.60}")
    if record["seed"] < 0:
        raise RecordFormatError(f"negative seed {record['seed']}")
    if not math.isfinite(record["seconds"]):
        raise RecordFormatError(f"the field 'seconds' is not finite ({record['seconds']})")
    if not isinstance(record["spec"].get("kind"), str):
        raise RecordFormatError("its spec has no kind")
    _check_rows(record["rows"], "step" if version >= 4 else "iteration")
    _check_meta(record["meta"])
    if record.get("data") is not None:
        _check_data(record["data"])
    if version == 1:
        record = _upgrade_from_1(record)
    if version <= 2:
        record = {**record, "format": 3, "data": None}
    if version <= 3:
        record = _upgrade_from_3(record)
    return record


def _check_rows(rows: list[Any], step: str) -> None:
    """Every row an object of numbers with an integer ``step`` (``iteration`` before 4)."""
    for row in rows:
        if not isinstance(row, dict) or not _is(row.get(step), (int,)):
            raise RecordFormatError(f"a row is not an object with an integer {step}")
        for key, value in row.items():
            if value is not None and not _is(value, (int, float)):
                raise RecordFormatError(
                    f"the value of {key!r} at {step} {row[step]} is not a number ({value!r:.60})"
                )


def _check_meta(meta: dict[str, Any]) -> None:
    for key, types in _META.items():
        if key in meta and not _is(meta[key], types):
            raise RecordFormatError(f"meta[{key!r}] has the wrong type ({meta[key]!r:.60})")
    group = meta.get("seed_group", [])
    if not all(_is(s, (int,)) for s in group):
        raise RecordFormatError(f"meta['seed_group'] is not a list of seeds ({group!r:.60})")


def _check_data(data: dict[str, Any]) -> None:
    keys_ok = "name" in data and set(data) <= {"name", "sha256"}
    if not keys_ok or not all(isinstance(v, str) for v in data.values()):
        raise RecordFormatError(f"the field 'data' is not {{name, sha256}} ({data!r:.80})")


def _upgrade_from_1(record: dict[str, Any]) -> dict[str, Any]:
    spec = dict(record["spec"])
    rows = record["rows"]
    if spec["kind"] == "mi":
        spec["kind"] = "two_view"
        rows = [{k: v for k, v in row.items() if k != "bound_value"} for row in rows]
    elif spec["kind"] == "gaussian":  # the table used to fill in bound_value
        rows = [{**row, "bound_value": row.get("train_bound")} for row in rows]
    return {**record, "format": 2, "spec": spec, "rows": rows}


GAUSSIAN_DEFAULTS = {
    "sampler": "noniid",
    "critic": "concat",
    "critic_kwargs": {"hidden": 10, "layers": 5},
    "bound_kwargs": {},
    "sigma_z": [[1.0, -0.5], [-0.5, 1.0]],
    "sigma_eps": [[1.0, 0.9], [0.9, 1.0]],
    "lr": 1e-4,
    "batch_size": 128,
    "steps": 20000,
    "evals": 20,
}
"""The fields of the retired ``gaussian`` spec and their defaults (a stored spec may lack
those it had at their defaults)."""


def _gaussian_to_estimate(spec: dict[str, Any]) -> dict[str, Any]:
    """A ``gaussian`` spec (format 3 and before) as the ``estimate`` spec it now is."""
    old = {**GAUSSIAN_DEFAULTS, **spec}
    sigmas = {"sigma_z": old["sigma_z"], "sigma_eps": old["sigma_eps"]}
    paper = all(_as_lists(sigmas[k]) == GAUSSIAN_DEFAULTS[k] for k in ("sigma_z", "sigma_eps"))
    return {
        "kind": "estimate",
        "task": "paper-fig4c",
        "task_kwargs": {} if paper else {k: _as_lists(v) for k, v in sigmas.items()},
        "bound": old.get("bound"),
        "critic": old["critic"],
        "experiment": old.get("experiment"),
        "bound_kwargs": old["bound_kwargs"],
        "critic_kwargs": old["critic_kwargs"],
        "lr": old["lr"],
        "batch_size": old["batch_size"],
        "steps": old["steps"],
        "evals": old["evals"],
        "heldout_size": None,
        "train_size": None,
        "sampler": old["sampler"],
    }


def _as_lists(value: Any) -> Any:
    return [_as_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def _upgrade_from_3(record: dict[str, Any]) -> dict[str, Any]:
    spec = record["spec"]
    if spec["kind"] == "gaussian":
        spec = _gaussian_to_estimate(spec)
    rows = [
        {("step" if k == "iteration" else k): v for k, v in row.items() if k != "bound_value"}
        for row in record["rows"]
    ]
    return {**record, "format": FORMAT, "spec": spec, "rows": rows}
