"""The checks of a kind's runs, and what every check shares (``mirl.experiments.checks``).

A kind's example spec round-trips through JSON; a seed trained in a group gives the rows it
gives trained alone; and a run stopped after its middle step and resumed from the
checkpoint taken before it gives the rows and arrays of the run never stopped, to the last
bit (on the CPU, in one process).
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import torch

from mirl.data.views import ImageData
from mirl.runtime.kinds import KINDS, spec_from_dict, spec_to_dict
from mirl.runtime.training import train

SEEDS = (3, 5, 8)
"""The seeds of a stacked check; the middle one is also trained alone."""


def problem(what: str, error: BaseException) -> str:
    return f"{what}: {type(error).__name__}: {error}"


def check_kind(name: str, data: ImageData) -> list[str]:
    """What the kind ``name`` lacks: its example round-trips through JSON, and a seed
    trained in a group gives the rows it gives alone. ``data``: the images it may need."""
    kind = KINDS[name]
    try:
        spec = kind.example()
    except Exception as error:
        return [problem("its example spec cannot be made", error)]
    problems = []
    try:
        if spec_from_dict(spec_to_dict(spec)) != spec:
            problems.append("its spec does not round-trip through JSON")
    except (ValueError, TypeError) as error:
        problems.append(problem("its spec does not round-trip through JSON", error))
    if not callable(getattr(kind.trainer, "step_cost", None)):
        problems.append("its trainer has no step_cost(spec)")
    images = data if kind.uses_images else None
    try:
        group = train(spec, list(SEEDS), data=images)
        alone = train(spec, [SEEDS[1]], data=images)
    except Exception as error:
        return [*problems, problem("its example does not train", error)]
    if not all(r.ok for r in group + alone):
        return [*problems, f"its example fails: {[r.error for r in group + alone if not r.ok]}"]
    if not _same_rows(group[1].rows, alone[0].rows):
        problems.append("a seed trained in a group gives other rows than trained alone")
    return problems + _check_resume(spec, images)


class _Stop(Exception):
    """Stops a training loop, as a killed process would."""


class _MemoryCheckpoints:
    """Checkpoints kept as bytes in memory, one after every step (``every`` 0)."""

    every = 0.0

    def __init__(self):
        self.saved: list[bytes] = []

    def latest(self) -> dict[str, Any] | None:
        if not self.saved:
            return None
        return torch.load(io.BytesIO(self.saved[-1]), weights_only=True)

    def save(self, state: dict[str, Any]) -> None:
        buffer = io.BytesIO()
        torch.save(state, buffer)
        self.saved.append(buffer.getvalue())


def _check_resume(spec: Any, images: ImageData | None) -> list[str]:
    """Stopped after the middle step and resumed from the checkpoint taken before it, a run
    ends as the run never stopped, to the last bit (on the CPU, in one process)."""
    seeds = list(SEEDS[:2])
    whole = train(spec, seeds, data=images)
    checkpoints = _MemoryCheckpoints()
    middle = spec.steps // 2 + 1

    def stop(n: int) -> None:
        if n == middle:
            raise _Stop

    try:
        train(spec, seeds, data=images, on_step=stop, checkpoints=checkpoints)
    except _Stop:
        pass
    except Exception as error:
        return [problem("it cannot take a checkpoint", error)]
    if not checkpoints.saved:
        return ["it took no checkpoint before it was stopped"]
    try:
        resumed = train(spec, seeds, data=images, checkpoints=checkpoints)
    except Exception as error:
        return [problem("it cannot resume from its checkpoint", error)]
    for a, b in zip(whole, resumed, strict=True):
        same_rows = len(a.rows) == len(b.rows) and all(
            _identical(x, y) for x, y in zip(a.rows, b.rows, strict=True)
        )
        same_arrays = a.arrays.keys() == b.arrays.keys() and all(
            np.array_equal(a.arrays[k], b.arrays[k], equal_nan=True) for k in a.arrays
        )
        if not (same_rows and same_arrays):
            return ["resumed from a checkpoint, it ends otherwise than never stopped"]
    return []


def _identical(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a if k != "seconds"
    )


def _same_rows(a: list[dict], b: list[dict]) -> bool:
    if len(a) != len(b) or not a:
        return False
    for ra, rb in zip(a, b, strict=True):
        for key in set(ra) | set(rb):
            if key == "seconds":
                continue
            va, vb = ra.get(key, math.nan), rb.get(key, math.nan)
            if not (math.isnan(va) and math.isnan(vb)) and not math.isclose(va, vb, abs_tol=1e-4):
                return False
    return True
