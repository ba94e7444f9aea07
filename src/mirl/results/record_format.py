"""The format of a stored record, checked on every read, and the upgrade of older ones.

A record is the JSON object that ``ResultStore.write`` stores for one (run, seed). Its
``format`` says which version of this module wrote it. Reading checks every field's type,
so a record with a valid checksum but a missing or odd field is reported as corrupt (and
set aside on resume) instead of breaking whatever reads it; a record of an older format is
upgraded on read; one of a newer format (written by a later mirl) is refused with a
message naming both versions.

Format history:

- 1 (mirl 0.1): two-view runs had the kind ``"mi"``, and their rows' ``bound_value`` was
  the negated loss on the test images (``-test_loss``); Gaussian runs' rows had none (the
  table copied ``train_bound``).
- 2: the kind is ``"two_view"``; ``bound_value`` is the Colab's "testing" value, on fresh
  training batches (``-colab_loss``). Upgrading a format-1 record renames the kind and drops
  its ``bound_value`` (the same number stays in ``test_loss``), since the Colab's value was
  not recorded then.
"""

from __future__ import annotations

from typing import Any

FORMAT = 2

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
}


class RecordFormatError(ValueError):
    """A record does not have the format it claims, or has a format this mirl cannot read."""


def check(record: Any) -> dict[str, Any]:
    """``record`` upgraded to the current format, or ``RecordFormatError`` naming what is off."""
    if not isinstance(record, dict):
        raise RecordFormatError(f"a record is a JSON object, not {type(record).__name__}")
    version = record.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordFormatError(f"no format version (format: {version!r})")
    if version > FORMAT:
        raise RecordFormatError(
            f"format {version} was written by a newer mirl; this one reads formats 1-{FORMAT}"
        )
    if version < 1:
        raise RecordFormatError(f"unknown format {version}")
    for key, types in _FIELDS.items():
        if key not in record:
            raise RecordFormatError(f"the field {key!r} is missing")
        value = record[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise RecordFormatError(f"the field {key!r} has the wrong type ({value!r:.60})")
    if record["status"] not in ("ok", "failed"):
        raise RecordFormatError(f"unknown status {record['status']!r}")
    if not isinstance(record["spec"].get("kind"), str):
        raise RecordFormatError("its spec has no kind")
    for row in record["rows"]:
        if not isinstance(row, dict) or not isinstance(row.get("iteration"), int):
            raise RecordFormatError("a row is not an object with an integer iteration")
    if version == 1:
        record = _upgrade_from_1(record)
    return record


def _upgrade_from_1(record: dict[str, Any]) -> dict[str, Any]:
    spec = dict(record["spec"])
    rows = record["rows"]
    if spec["kind"] == "mi":
        spec["kind"] = "two_view"
        rows = [{k: v for k, v in row.items() if k != "bound_value"} for row in rows]
    elif spec["kind"] == "gaussian":  # the table used to fill in bound_value
        rows = [{**row, "bound_value": row.get("train_bound")} for row in rows]
    return {**record, "format": FORMAT, "spec": spec, "rows": rows}
