"""The wall time of the whole paper profile on a device, projected from ``mirl bench``'s
measured steps and evaluations."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import torch

from mirl.bench.items import item_specs
from mirl.data.mnist import VIEW_DIM
from mirl.encoders import build_encoder
from mirl.experiments import PROFILES, architecture_key
from mirl.experiments.paper import PAPER
from mirl.runtime.run_spec import RunSpec

PROBE_WIDTHS = (100, VIEW_DIM)

PROJECTED_FIELDS: dict[str, dict[str, type]] = {
    "train_step": {"item": str, "mode": str, "seeds": int, "ms_per_step": float, "device": str},
    "evaluation": {"item": str, "seeds": int, "seconds": float},
    "probe": {"item": str, "saga_seconds_per_seed": float, "saga_workers": int},
}
"""What the projection reads of each kind of record (it reads no other kinds): a count is an
integer >= 1, a time a finite number >= 0."""


def read_records(path: str | os.PathLike) -> list[dict]:
    """The records that ``mirl bench --out`` wrote to ``path``, checked for what the
    projection reads of them (``PROJECTED_FIELDS``, and at least one timed step). A
    ValueError says what is wrong in words (an OSError if the file cannot be read)."""
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError("it is not a JSON file (not UTF-8 text)") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"it is not JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError("it is not a list of records, as mirl bench --out writes them")
    for i, record in enumerate(records):
        kind = record.get("kind")
        if not isinstance(kind, str):
            raise ValueError(f"record {i} has no kind")
        for name, wanted in PROJECTED_FIELDS.get(kind, {}).items():
            if not _valid(record.get(name), wanted):
                raise ValueError(
                    f"record {i} ({kind}) has no valid {name!r}: got {record.get(name)!r}"
                )
    if not any(r["kind"] == "train_step" for r in records):
        raise ValueError("it holds no timed training steps (kind train_step): nothing to project")
    return records


def _valid(value: object, wanted: type) -> bool:
    if wanted is str:
        return isinstance(value, str) and bool(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if wanted is int:
        return isinstance(value, int) and value >= 1
    return math.isfinite(value) and value >= 0


def probe_width(spec: RunSpec) -> int:
    """The benchmarked code width (100 or 392) closest to the width of the spec's codes."""
    with torch.device("meta"):
        width = build_encoder(spec.encoder, VIEW_DIM, **spec.encoder_kwargs).out_dim
    return min(PROBE_WIDTHS, key=lambda w: abs(w - width))


def _step_modes(records: list[dict], k: int) -> list[str]:
    """The modes to project: the captured steps (and with TF32) where they were timed,
    else the stacked ones."""
    modes = {r["mode"] for r in records if r["kind"] == "train_step" and r["seeds"] == k}
    captured = [m for m in ("captured", "captured-tf32") if m in modes]
    return captured or ["stacked"]


def project_paper_profile(
    records: list[dict], k: int, probe_seconds: dict[str, float]
) -> list[dict]:
    """The paper profile's wall time at group size ``k``, for each step mode timed (see
    ``_step_modes``): every run's seeds in groups of k, its steps at the measured time per
    step of the same architecture, its evaluations (batched torch probe included)
    likewise, one run after another; the adversarial warm-up counts as ``warmup /
    classifier_steps`` iterations. ``per_experiment_seconds`` splits the total.

    With saga (``probe_seconds`` per fit by code width, and ``workers`` threads), the fits
    run on CPU threads beside the training: that projection is the larger of the device
    time and the CPU time of all fits spread over the threads."""
    return [
        projection
        for mode in _step_modes(records, k)
        for projection in _project(records, k, mode, probe_seconds)
    ]


def _project(records: list[dict], k: int, mode: str, probe_seconds: dict[str, float]) -> list[dict]:
    steps = {
        r["item"]: r["ms_per_step"] / 1000
        for r in records
        if r["kind"] == "train_step" and r["mode"] == mode and r["seeds"] == k
    }
    evals = {
        r["item"]: r["seconds"] for r in records if r["kind"] == "evaluation" and r["seeds"] == k
    }
    names = [e.name for e in PAPER]
    items = {architecture_key(s): s.run_id for s in item_specs(names)}
    seeds = PROFILES["paper"].seeds
    groups = -(-seeds // k)
    per_experiment, fits = dict.fromkeys(names, 0.0), dict.fromkeys(PROBE_WIDTHS, 0)
    for experiment in PAPER:
        for spec in experiment.specs("paper"):
            item = items[architecture_key(spec)]
            if item not in steps:
                continue
            warmup = getattr(spec, "warmup", 0) / getattr(spec, "classifier_steps", 1)
            per_experiment[experiment.name] += groups * (spec.steps + warmup) * steps[item]
            if hasattr(spec, "probe"):
                n_evals = len(spec.eval_steps)
                per_experiment[experiment.name] += groups * n_evals * evals.get(item, 0.0)
                fits[probe_width(spec)] += seeds * n_evals
    device_seconds = sum(per_experiment.values())
    common = {
        "item": "paper_profile",
        "kind": "projection",
        "seeds": k,
        "step_mode": mode,
        "device": records[0]["device"],
        "per_experiment_seconds": per_experiment,
    }
    projections = [{**common, "probe": "torch", "seconds": device_seconds}]
    if probe_seconds:
        saga_cpu = sum(n * probe_seconds.get(f"dim{w}", 0.0) for w, n in fits.items())
        workers = probe_seconds.get("workers", 1)
        projections.append(
            {
                **common,
                "probe": "sklearn",
                "seconds": max(device_seconds, saga_cpu / workers),
                "saga_fits": sum(fits.values()),
                "saga_cpu_seconds": saga_cpu,
                "saga_workers": workers,
            }
        )
    return projections


def probe_seconds(records: list[dict]) -> dict[str, float]:
    """Saga's seconds per fit by code width (``dim100``, ``dim392``) and its thread count,
    from the probe records (empty if there are none)."""
    probes = [r for r in records if r["kind"] == "probe"]
    seconds = {r["item"].rpartition("/")[2]: r["saga_seconds_per_seed"] for r in probes}
    if probes:
        seconds["workers"] = probes[0]["saga_workers"]
    return seconds


def largest_group(records: list[dict]) -> int:
    """The largest group size K timed in ``records``."""
    return max(r["seeds"] for r in records if r["kind"] == "train_step")
