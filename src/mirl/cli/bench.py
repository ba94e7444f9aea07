"""``mirl bench``: time training steps, evaluations, probes and Jacobians; project the paper."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mirl.cli._options import (
    add_data_option,
    add_load_option,
    device,
    image_data,
    load_sources,
    writable_path,
)


def cmd_bench(args) -> int:
    from mirl._files import atomic_write
    from mirl.bench import largest_group, project_paper_profile, run_bench, table
    from mirl.bench.busy import bench_busy
    from mirl.bench.projection import probe_seconds, read_records
    from mirl.experiments import EXPERIMENTS
    from mirl.experiments.paper import PAPER

    load_sources(args.load)
    if args.out:
        writable_path(args.out, "--out")

    def write(records: list[dict]) -> None:  # partial results survive an interruption
        if args.out:
            atomic_write(Path(args.out), json.dumps(records, indent=1).encode())

    if args.project:  # re-project from stored records (e.g. of an interrupted run)
        try:
            records = read_records(args.project)
        except (OSError, ValueError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else err
            message = f"mirl: cannot read bench records from {args.project}: {reason}"
            raise SystemExit(message) from None
        measured = [r for r in records if r["kind"] != "projection"]
        k = largest_group(measured)
        print(table(project_paper_profile(measured, k, probe_seconds(measured))))
        return 0
    if args.busy:
        records = bench_busy()
        write(records)
        print(table(records))
        return 0
    where = device(args.device)
    try:
        sizes = sorted({int(k) for k in args.group_sizes.split(",")})
    except ValueError:
        raise SystemExit(
            f"mirl: --group-sizes takes comma-separated integers, got {args.group_sizes!r}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise SystemExit("mirl: --group-sizes must be positive integers")
    experiments = [e.name for e in PAPER] if not args.experiments else args.experiments.split(",")
    unknown = [e for e in experiments if e not in EXPERIMENTS]
    if unknown:
        raise SystemExit(f"mirl: unknown experiments {unknown}; valid: {', '.join(EXPERIMENTS)}")
    data = image_data(args.data, str(where))
    log = (lambda _: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    records = run_bench(
        where, sizes, experiments, data, args.steps, args.tf32, log=log, checkpoint=write
    )
    print(table(records))
    if args.out:
        print(f"records written to {args.out}")

    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "bench", help="time training steps, evaluations, probes, Jacobians; project the paper"
    )
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--group-sizes", default="1,4,20", help="seeds trained at once, K (default: 1,4,20)"
    )
    p.add_argument("--experiments", help="comma-separated names (default: the paper's)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per repeat (default: 10)")
    add_data_option(p)
    p.add_argument("--tf32", action="store_true", help="also time captured steps with TF32")
    p.add_argument("--out", help="write the records as JSON to this file")
    p.add_argument(
        "--project",
        metavar="FILE",
        help="measure nothing: project the paper profile from the records in FILE",
    )
    p.add_argument(
        "--busy", action="store_true", help="time a CPU step beside a busy process instead"
    )
    p.add_argument("--quiet", action="store_true")
    add_load_option(p)
    p.set_defaults(fn=cmd_bench)
