"""Files that are whole and verified: atomic replacement, SHA-256 checks, numpy archives.

Every file mirl stores (the MNIST cache, result records, the Colab import) is written with
``atomic_write``, so a reader sees the old file or the new one, never a mix, and is read
back through ``read_verified`` against the checksum recorded for it, so a truncated or
altered file is named as such instead of being used.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np


class ChecksumError(ValueError):
    """A file does not match the checksum recorded for it (truncated or altered)."""


def sha256(payload: bytes) -> str:
    """The hex SHA-256 of ``payload``."""
    return hashlib.sha256(payload).hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(target: str | os.PathLike, payload: bytes) -> None:
    """Write ``payload`` to ``target`` via a flushed temporary file in the same directory and
    a rename; the file gets the permissions a plain ``open(..., "w")`` would give it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_verified(path: str | os.PathLike, expected_sha256: str) -> bytes:
    """The bytes of ``path``, or ``ChecksumError`` if they do not hash to ``expected_sha256``."""
    payload = Path(path).read_bytes()
    if sha256(payload) != expected_sha256:
        raise ChecksumError(f"{path} does not match its checksum (truncated or altered)")
    return payload


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """A numpy ``.npz`` archive of ``arrays``, as bytes (uncompressed)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npz_arrays(payload: bytes) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive's bytes; object arrays (pickles) are refused."""
    with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}
