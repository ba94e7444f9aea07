"""``DIR/colab/``: where an import of the Colab's results is kept, and read back.

Three files: ``rows.csv`` (the tidy frame), ``arrays.npz`` (log condition numbers, non-iid
traces, the adversarial curve) and ``colab.json``, the manifest: the files imported with
their SHA-256, how they were loaded, what the import holds, and the checksums of the other
two. Reading it back verifies both (``mirl._files``) and checks the manifest's structure,
so a damaged or foreign folder is an error that names the file, not a crash.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mirl._files import atomic_write, npz_arrays, npz_bytes, read_verified, sha256
from mirl.colab.convert import CONTENTS, read_colab_file
from mirl.colab.schema import NONIID_FIELDS, ColabImportError, ColabResults, typed_frame

FOLDER = "colab"
FORMAT = 1
MANIFEST = "colab.json"
ROWS = "rows.csv"
ARRAYS = "arrays.npz"

_ADVERSARIAL_PARTS = ("adversarial_iterations", "adversarial_accuracy")
# The manifest's fields and their JSON types (bool is not accepted where a number is).
_FIELDS: dict[str, tuple[type, ...]] = {
    "format": (int,),
    "trusted": (bool,),
    "files": (list,),
    "condition_numbers": (list,),
    "noniid": (bool,),
    "mi_true": (int, float, type(None)),
    "adversarial": (bool,),
    "sha256": (dict,),
}


def import_colab(
    files: Sequence[str | os.PathLike], out: str | os.PathLike, trust: bool = False
) -> ColabResults:
    """Import the Colab's result pickles ``files`` (in any order, each recognized by its
    content) into ``out/colab/``, replacing a previous import there and nothing else.

    Without ``trust`` the files are loaded with a restricted unpickler that refuses
    anything but the numpy, pandas and Colab types they are made of; with it, with pandas'
    ordinary unpickler, which runs any code a file contains. Every file is read and
    converted before anything is written. Raises ``ColabImportError``.
    """
    if not files:
        raise ColabImportError("no files to import")
    converted: dict[str, Any] = {}
    entries = []
    for path in map(Path, files):
        content, value, entry = read_colab_file(path, trust)
        if content in converted:
            raise ColabImportError(f"{path.name}: a second file holding {CONTENTS[content][0]}")
        converted[content] = value
        entries.append(entry)
    noniid, mi_true = converted.get("noniid", (None, None))
    results = ColabResults(
        frame=converted.get("frame", typed_frame()),
        condition_numbers=converted.get("condition_numbers", {}),
        noniid=noniid,
        mi_true=mi_true,
        adversarial=converted.get("adversarial"),
        trusted=trust,
        sources=[entry["name"] for entry in entries],
    )
    _write(results, entries, Path(out) / FOLDER)
    return results


def _condition_keys(bound: str) -> tuple[str, str]:
    return f"cond_{bound}_iterations", f"cond_{bound}_log_condition"


def _arrays(results: ColabResults) -> dict[str, Any]:
    arrays = {}
    for bound, steps_and_values in results.condition_numbers.items():
        arrays |= dict(zip(_condition_keys(bound), steps_and_values, strict=True))
    for key, trace in (results.noniid or {}).items():
        arrays[f"noniid_{key}"] = trace
    if results.adversarial is not None:
        arrays |= dict(zip(_ADVERSARIAL_PARTS, results.adversarial, strict=True))
    return arrays


def _write(results: ColabResults, entries: list[dict[str, Any]], folder: Path) -> None:
    rows = results.frame.to_csv(index=False).encode()
    arrays = npz_bytes(_arrays(results))
    manifest = {
        "format": FORMAT,
        "loaded_with": "trusted: plain pickle" if results.trusted else "restricted unpickler",
        "trusted": results.trusted,
        "files": entries,
        "condition_numbers": sorted(results.condition_numbers),
        "noniid": results.noniid is not None,
        "mi_true": results.mi_true,
        "adversarial": results.adversarial is not None,
        "sha256": {ROWS: sha256(rows), ARRAYS: sha256(arrays)},
    }
    # The manifest last: it vouches for the others.
    files = {ROWS: rows, ARRAYS: arrays, MANIFEST: json.dumps(manifest, indent=2).encode()}
    _replace_dir(folder, files)


def _replace_dir(target: Path, files: dict[str, bytes]) -> None:
    """Make ``target`` a directory holding exactly ``files``: written in full beside it first,
    then swapped in by two renames, so that a failure leaves the old directory as it was (a
    crash between the renames leaves it beside, as ``.<target>.old-*``). The directory gets
    the permissions of a plain ``mkdir`` (the user's umask)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    staging = target.with_name(f".{target.name}.new-{tag}")
    old = target.with_name(f".{target.name}.old-{tag}")
    staging.mkdir()
    try:
        for name, payload in files.items():
            atomic_write(staging / name, payload)
        if target.exists():
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if old.exists():
                os.replace(old, target)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _has_type(value: Any, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))


def _manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path``, checked field by field; ``ColabImportError`` names what is
    wrong with it."""
    try:
        manifest = json.loads(path.read_bytes())
    except ValueError as err:
        raise ColabImportError(f"{path}: not JSON ({err})") from None
    if not isinstance(manifest, dict):
        raise ColabImportError(f"{path}: a JSON {type(manifest).__name__}, not a manifest")
    problems = [
        f"{key} is {type(manifest.get(key)).__name__}, not {'/'.join(t.__name__ for t in kinds)}"
        for key, kinds in _FIELDS.items()
        if not _has_type(manifest.get(key), kinds)
    ]
    if not problems:
        names = [
            entry.get("name") if isinstance(entry, dict) else entry for entry in manifest["files"]
        ]
        strings = {
            "sha256": [manifest["sha256"].get(ROWS), manifest["sha256"].get(ARRAYS)],
            "condition_numbers": manifest["condition_numbers"],
            "files": names,
        }
        problems += [
            f"{key} holds other values than strings"
            for key, values in strings.items()
            if not all(isinstance(value, str) for value in values)
        ]
        if manifest["format"] != FORMAT:
            problems.append(f"format {manifest['format']}, where this mirl reads {FORMAT}")
    if problems:
        raise ColabImportError(f"{path}: not an import manifest of mirl ({'; '.join(problems)})")
    return manifest


def load_colab(root: str | os.PathLike) -> ColabResults | None:
    """The results imported into ``root/colab/``, or None if there are none.

    Raises ``mirl._files.ChecksumError`` if a file there does not match its checksum, and
    ``ColabImportError`` if the folder is not in the layout ``import_colab`` writes.
    """
    folder = Path(root) / FOLDER
    if not folder.exists():
        return None
    manifest = _manifest(folder / MANIFEST)
    checksums = manifest["sha256"]
    rows = read_verified(folder / ROWS, checksums[ROWS])
    try:
        # The Python parser reads floats with float(), which inverts to_csv's repr exactly.
        frame = typed_frame(pd.read_csv(io.BytesIO(rows), engine="python"))
    except (KeyError, ValueError, TypeError) as err:
        raise ColabImportError(f"{folder / ROWS}: not the imported frame ({err})") from None
    payload = read_verified(folder / ARRAYS, checksums[ARRAYS])
    try:
        arrays = npz_arrays(payload)
    except (OSError, ValueError) as err:
        raise ColabImportError(f"{folder / ARRAYS}: not the imported arrays ({err})") from None
    keys = [key for bound in manifest["condition_numbers"] for key in _condition_keys(bound)]
    keys += [f"noniid_{key}" for key in NONIID_FIELDS] if manifest["noniid"] else []
    keys += list(_ADVERSARIAL_PARTS) if manifest["adversarial"] else []
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise ColabImportError(f"{folder / ARRAYS}: the manifest lists arrays it lacks: {missing}")
    return ColabResults(
        frame=frame,
        condition_numbers={
            bound: tuple(arrays[key] for key in _condition_keys(bound))
            for bound in manifest["condition_numbers"]
        },
        noniid={key: arrays[f"noniid_{key}"] for key in NONIID_FIELDS}
        if manifest["noniid"]
        else None,
        mi_true=manifest["mi_true"],
        adversarial=tuple(arrays[key] for key in _ADVERSARIAL_PARTS)
        if manifest["adversarial"]
        else None,
        trusted=manifest["trusted"],
        sources=[entry["name"] for entry in manifest["files"]],
    )
