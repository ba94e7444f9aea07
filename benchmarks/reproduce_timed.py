"""Time ``mirl reproduce`` end to end and write the record the benchmarks keep.

Runs ``mirl reproduce`` with the given arguments (in a subprocess, as a user would), then
reads what it stored and writes one JSON record: the command, its wall time (summed over
commands when a reproduction is continued across several, see ``--previous``), each
experiment's span (first task started to last task stored, from the records), the device,
and the end values of every run (mean and sd over its seeds at its last evaluation).

    python benchmarks/reproduce_timed.py --out benchmarks/results/reproduce-paper-cuda.json \\
        -- --profile paper --device cuda --out results/paper --quiet
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

from mirl.report.summary import final_results
from mirl.results import load
from mirl.results.store import ResultStore
from mirl.runtime.devices import device_name


def spans(root: Path) -> dict[str, float]:
    """Per experiment, seconds from its first task's start to its last record's writing."""
    records, _ = ResultStore(root).scan()
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for r in records:
        written = float(r.meta.get("written", 0.0))
        started = written - float(r.meta.get("seconds") or 0.0)
        first[r.experiment] = min(first.get(r.experiment, started), started)
        last[r.experiment] = max(last.get(r.experiment, written), written)
    return {name: last[name] - first[name] for name in first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the JSON record to write")
    parser.add_argument(
        "--previous", help="a record of earlier commands of the same reproduction, to add to"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds after which mirl reproduce is stopped (SIGTERM: finished seeds stay "
        "stored and a later command resumes); the record says it did not complete",
    )
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help="-- then mirl reproduce's")
    args = parser.parse_args()
    arguments = [a for a in args.arguments if a != "--"]
    command = [sys.executable, "-m", "mirl.cli", "reproduce", *arguments]
    start = time.perf_counter()
    process = subprocess.Popen(command)
    try:
        code = process.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        process.terminate()
        code = process.wait()
    wall = time.perf_counter() - start
    root = Path(arguments[arguments.index("--out") + 1])
    device = arguments[arguments.index("--device") + 1] if "--device" in arguments else "cpu"
    previous = json.loads(Path(args.previous).read_text()) if args.previous else None
    frame = load(root)
    final = final_results(frame)
    record = {
        "kind": "reproduce",
        "profile": arguments[arguments.index("--profile") + 1],
        "experiments": sorted(frame["experiment"].unique().tolist()) if len(frame) else [],
        "seeds": int(frame["seed"].nunique()) if len(frame) else 0,
        "device": device,
        "device_name": device_name(device),
        "torch_version": torch.__version__,
        "commands": [
            *(previous["commands"] if previous else []),
            {
                "argv": ["mirl", "reproduce", *arguments],
                "exit_code": code,
                "wall_seconds": wall,
            },
        ],
        "completed": code == 0,
        "wall_seconds": wall + (previous["wall_seconds"] if previous else 0.0),
        "per_experiment_seconds": spans(root),
        "end_values": json.loads(final.to_json(orient="records")),
    }
    Path(args.out).write_text(json.dumps(record, indent=1))
    print(json.dumps({k: v for k, v in record.items() if k != "end_values"}, indent=1))


if __name__ == "__main__":
    main()
