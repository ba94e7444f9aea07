"""GPU check: the batched torch probe against saga at paper scale, on the same codes.

K seeds' codes of all 60,000 training and 10,000 test images (noisy top-half pixels,
392-d, and random ReLU features of them, 100-d): the batched float64 L-BFGS probe on the
GPU for all K at once, against saga fitted once alone and K times on CPU threads; their
times and accuracies (``mirl.bench.evaluation.bench_probes``).

    python benchmarks/probes_check.py --seeds 20 --out benchmarks/results/probes-cuda.json
"""

from __future__ import annotations

import argparse
import json

import torch

from mirl.bench.evaluation import bench_probes
from mirl.data import ImageData
from mirl.runtime.devices import available_cores, device_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    data = ImageData.load("mnist", args.device)
    records = bench_probes(data, args.seeds, max(1, available_cores() - 1))
    for record in records:
        record.update(device_name=device_name(args.device), torch_version=torch.__version__)
        print({k: v for k, v in record.items() if not k.endswith("_accuracy")}, flush=True)
    with open(args.out, "w") as handle:
        json.dump(records, handle, indent=1)


if __name__ == "__main__":
    main()
