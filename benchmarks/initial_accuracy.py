"""Starting quality and step cost of the quick profile's shrunk encoders against the paper's.

A smaller model stands for the paper's only if it starts where the paper's starts: for
every experiment whose quick profile changes an encoder's architecture, the linear-probe
accuracy (the paper's saga protocol, real MNIST) at initialization, step 0, of the
encoder at the paper profile and at the quick profile, for the same seeds; and what the
shrinking buys: the seconds of one training step of those seeds, stacked, on one thread.

    python benchmarks/initial_accuracy.py --seeds 4 \
        --out benchmarks/results/initial-accuracy-cpu.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from mirl.bench.items import make_trainer
from mirl.bench.timing import time_block
from mirl.data import ImageData
from mirl.experiments import EXPERIMENTS


def step_zero_accuracy(spec, seeds: list[int], data: ImageData) -> np.ndarray:
    """The probe accuracy of ``spec``'s encoder for each seed, before any training step."""
    value = make_trainer(spec, seeds, data).evaluate(0, list(range(len(seeds))))["accuracy"]
    return np.asarray(value if isinstance(value, np.ndarray) else value.result())


def step_seconds(spec, seeds: list[int], data: ImageData, steps: int = 10) -> float:
    """Median seconds of one training step of ``spec``'s seeds, stacked, after warm-up."""
    trainer = make_trainer(spec, seeds, data)
    for _ in range(3):
        trainer.step()

    def block() -> None:
        for _ in range(steps):
            trainer.step()

    return time_block(block, data.device, repeats=3) / steps


def shrunk(experiment) -> dict[str, tuple]:
    """Per encoder the quick profile changes: one run of it at the paper and quick scales."""
    changed = experiment.scale("quick").encoders
    pairs = {}
    for paper, quick in zip(experiment.specs("paper"), experiment.specs("quick"), strict=True):
        encoder = getattr(paper, "encoder", None)
        if encoder in changed and encoder not in pairs:
            pairs[encoder] = (paper, quick)
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = ImageData.load("mnist", "cpu")
    seeds = list(range(args.seeds))
    records = []
    for experiment in EXPERIMENTS.values():
        for encoder, (paper, quick) in shrunk(experiment).items():
            for profile, spec in (("paper", paper), ("quick", quick)):
                accuracy = step_zero_accuracy(spec, seeds, data)
                record = {
                    "experiment": experiment.name,
                    "encoder": encoder,
                    "profile": profile,
                    "encoder_kwargs": spec.encoder_kwargs,
                    "run": spec.name,
                    "seeds": seeds,
                    "accuracy": accuracy.tolist(),
                    "mean": float(accuracy.mean()),
                    "step_seconds": step_seconds(spec, seeds, data),
                }
                records.append(record)
                print(json.dumps(record), flush=True)
    with open(args.out, "w") as handle:
        json.dump({"torch_version": torch.__version__, "records": records}, handle, indent=1)


if __name__ == "__main__":
    main()
