"""A job's checkpoints in a results directory, kept as records are: whole and verified.

Layout under an output directory::

    checkpoints/<experiment>/<run>/seeds-<k1>_<k2>.../step-<n>.pt    the state (torch.save)
    checkpoints/<experiment>/<run>/seeds-<k1>_<k2>.../step-<n>.json  its SHA-256 and identity

The state is written to a temporary name and renamed, then the JSON that vouches for it;
the JSON names the run's spec, the seeds and the data set, so that a checkpoint is only
ever used by the job it was taken of. Reading checks all of it and loads the state with
``torch.load(weights_only=True)`` (tensors and plain values only). A checkpoint that is
damaged, or of other settings (the same run asked otherwise since), is set aside with a
warning naming it, and the one before it (or the start) is used: never read blindly,
never deleted unread. The newest two are kept while the job trains; once its records are
stored, its checkpoints are deleted (``discard``).
"""

from __future__ import annotations

import io
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

import torch

from mirl._files import ChecksumError, atomic_write, read_verified, sha256
from mirl.results.plan import Job
from mirl.runtime import checkpoint
from mirl.runtime.kinds import spec_to_dict

FOLDER = "checkpoints"
KEEP = 2
"""Checkpoints kept while a job trains: the newest, and the one before it in case the
newest is damaged."""


def job_folder(root: str | os.PathLike, job: Job) -> Path:
    """Where ``job``'s checkpoints are kept under the results directory ``root``."""
    seeds = "_".join(map(str, job.seeds))
    return Path(root) / FOLDER / job.spec.experiment / job.spec.name / f"seeds-{seeds}"


class CheckpointFiles:
    """The checkpoints of ``job`` under ``root``, one every ``every`` seconds (and one
    before every evaluation), loaded onto ``device`` (``mirl.runtime.checkpoint``)."""

    def __init__(self, root: str | os.PathLike, job: Job, every: float, device: str = "cpu"):
        self.folder, self.job, self.every, self.device = job_folder(root, job), job, every, device
        self.identity = {"spec": spec_to_dict(job.spec), "seeds": job.seeds, "data": job.data}
        self.resumed_from: int | None = None
        """The step the job resumed from, if it did."""

    def _stored(self) -> list[Path]:
        """The JSON of every checkpoint, newest first."""
        found = self.folder.glob("step-*.json") if self.folder.is_dir() else []
        return sorted(found, key=lambda p: _step(p), reverse=True)

    def latest(self) -> dict[str, Any] | None:
        """The newest good checkpoint's state; others tried before it are set aside."""
        for path in self._stored():
            try:
                state = self._read(path)
            except _Unusable as why:
                self._set_aside(path, why.kind)
                warnings.warn(f"set aside checkpoint {path}: {why}", stacklevel=2)
                continue
            self.resumed_from = state["step"]
            return state
        return None

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            manifest = json.loads(path.read_text())
            expected, identity = manifest["sha256"], manifest["identity"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise _Unusable("corrupt", f"unreadable ({type(err).__name__}: {err})") from None
        if identity != json.loads(json.dumps(self.identity)):
            raise _Unusable("stale", "it was taken of other settings, seeds or data")
        try:
            payload = read_verified(path.with_suffix(".pt"), expected)
            state = torch.load(io.BytesIO(payload), map_location=self.device, weights_only=True)
        except (OSError, ChecksumError) as err:
            raise _Unusable("corrupt", str(err)) from None
        except Exception as err:  # a checksum-valid file torch cannot read
            raise _Unusable("corrupt", f"not a checkpoint ({type(err).__name__})") from None
        if not isinstance(state, dict) or state.get("format") != checkpoint.FORMAT:
            raise _Unusable("corrupt", "not a checkpoint of this mirl's format")
        return state

    def save(self, state: dict[str, Any]) -> None:
        """Keep ``state`` (atomically: the state, then the JSON that vouches for it), and
        delete all but the newest ``KEEP`` checkpoints."""
        buffer = io.BytesIO()
        torch.save(state, buffer)
        payload = buffer.getvalue()
        stem = self.folder / f"step-{state['step']:09d}"
        atomic_write(stem.with_suffix(".pt"), payload)
        manifest = {
            "sha256": sha256(payload),
            "bytes": len(payload),
            "step": state["step"],
            "written": time.time(),
            "identity": self.identity,
        }
        atomic_write(stem.with_suffix(".json"), json.dumps(manifest).encode())
        for old in self._stored()[KEEP:]:
            old.unlink(missing_ok=True)  # the JSON first: no JSON vouches for a missing state
            old.with_suffix(".pt").unlink(missing_ok=True)

    def _set_aside(self, path: Path, why: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for p in (path, path.with_suffix(".pt")):
            if p.exists():
                os.replace(p, p.with_name(f"{p.name}.{why}-{stamp}"))


class _Unusable(Exception):
    def __init__(self, kind: str, why: str):
        super().__init__(why)
        self.kind = kind


def _step(path: Path) -> int:
    try:
        return int(path.stem.removeprefix("step-"))
    except ValueError:
        return -1


def discard(root: str | os.PathLike, job: Job) -> None:
    """Delete ``job``'s checkpoints (its records are stored); what was set aside stays."""
    folder = job_folder(root, job)
    if not folder.is_dir():
        return
    for path in folder.glob("step-*"):
        if path.suffix in (".pt", ".json"):
            path.unlink(missing_ok=True)
    for empty in (folder, folder.parent, folder.parent.parent, folder.parent.parent.parent):
        try:
            empty.rmdir()  # only if empty
        except OSError:
            break
