"""GPU check: a training step captured as a CUDA graph computes what the eager step does.

For each timed paper run (``mirl.bench.items``), two trainers of the same K seeds start
from the same initialization; one takes N eager steps, the other N steps through
``CapturedStep`` (3 eager, the capture, then replays). The script reports the largest
difference of their parameters and of the per-step training bounds or losses, relative to
the parameters' scale. Then every experiment's smoke profile is trained on the synthetic
stand-in with and without capture through ``mirl.results.train``, and the rows compared.

    python benchmarks/capture_check.py --out benchmarks/results/capture-check-cuda.json

Needs a CUDA device; MNIST cached (``mirl data fetch``).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch

from mirl.bench.items import item_specs, make_trainer
from mirl.data import ImageData
from mirl.experiments.paper import PAPER
from mirl.runtime.capture import CapturedStep
from mirl.runtime.devices import device_name
from mirl.runtime.training import train


def compare_steps(spec, data: ImageData, k: int, steps: int) -> dict:
    eager = make_trainer(spec, list(range(k)), data)
    captured = make_trainer(spec, list(range(k)), data)
    step = CapturedStep(captured.step, captured.streams)
    for _ in range(steps):
        eager.step()
        step()
    torch.cuda.synchronize()
    worst, scale = 0.0, 0.0
    for a, b in zip(eager.model.parameters(), captured.model.parameters(), strict=True):
        worst = max(worst, (a - b).abs().max().item())
        scale = max(scale, a.abs().max().item())
    first_bad = eager.watch.first_bad.tolist(), captured.watch.first_bad.tolist()
    return {
        "item": spec.run_id,
        "seeds": k,
        "steps": steps,
        "max_abs_parameter_difference": worst,
        "largest_parameter": scale,
        "divergence_watch_equal": first_bad[0] == first_bad[1],
    }


def compare_rows(data: ImageData) -> list[dict]:
    out = []
    for experiment in PAPER:
        for spec in experiment.specs("smoke")[:1]:
            runs = {
                capture: train(spec, [0, 1], device="cuda", data=data, capture=capture)
                for capture in (False, True)
            }
            worst = {}
            for a, b in zip(runs[False], runs[True], strict=True):
                for ra, rb in zip(a.rows, b.rows, strict=True):
                    for key, value in ra.items():
                        if key == "seconds" or not isinstance(value, float):
                            continue
                        other = rb[key]
                        if math.isnan(value) and math.isnan(other):
                            continue
                        worst[key] = max(worst.get(key, 0.0), abs(value - other))
            out.append({"run": spec.run_id, "max_abs_row_difference": worst})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--rows-only", action="store_true", help="only the smoke runs with and without capture"
    )
    args = parser.parse_args()
    data = ImageData.load("mnist", "cuda")
    start = time.perf_counter()
    steps = [
        compare_steps(spec, data, args.group_size, args.steps)
        for spec in ([] if args.rows_only else item_specs([e.name for e in PAPER]))
    ]
    for record in steps:
        print(json.dumps(record), flush=True)
    rows = compare_rows(ImageData.load("synthetic", "cuda"))
    for record in rows:
        print(json.dumps(record), flush=True)
    result = {
        "device_name": device_name("cuda"),
        "torch_version": torch.__version__,
        "steps": steps,
        "smoke_rows": rows,
        "seconds": time.perf_counter() - start,
    }
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=1)


if __name__ == "__main__":
    main()
