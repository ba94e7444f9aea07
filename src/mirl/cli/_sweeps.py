"""Running a sweep from the command line: the options of where and how it trains, the one
writer of its output directory, and the sweep itself (``mirl.results.Sweep``)."""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mirl.cli._options import DEVICE_HELP, data_errors, device


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """Where and how a sweep trains: device, seed groups, worker processes, Ray, capture."""
    p.add_argument("--device", default="auto", help=f"{DEVICE_HELP} (default: auto)")
    p.add_argument("--group-size", type=int, help="seeds trained at once (default: all of a run's)")
    p.add_argument(
        "--jobs",
        default="auto",
        help="runs trained at once, each in a worker process (default: auto: on a GPU as "
        "many as its memory and the CPU cores allow; on the CPU one single-threaded job per "
        "core, or 1 for a sweep of a few seconds; never more than the memory holds of the "
        "largest runs at once)",
    )
    p.add_argument(
        "--no-capture",
        dest="capture",
        action="store_false",
        default=None,
        help="run every step eagerly on CUDA instead of replaying it as a CUDA graph",
    )
    p.add_argument(
        "--backend",
        default="local",
        help="where the runs train: local (this machine; with --jobs, worker processes), "
        "processes, ray (a Ray cluster: pip install mirl[ray]), or one a --load file "
        "registers (default: local)",
    )
    p.add_argument(
        "--address", help="Ray cluster address (host:port or 'auto'; default: a new local one)"
    )
    p.add_argument(
        "--max-retries",
        type=int,
        default=2,
        help="retries of a task whose worker process dies (--jobs, Ray)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=float,
        default=5.0,
        metavar="MINUTES",
        help="a checkpoint of each run's seed group every MINUTES and before each of its "
        "evaluations, which a rerun resumes from (default: 5; 0: none)",
    )
    p.add_argument(
        "--tensorboard",
        metavar="DIR",
        help="write every evaluation's scalars to DIR/<experiment>/<run>/seed-<k>/ as they come, "
        'for tensorboard --logdir DIR (pip install "mirl[tensorboard]")',
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")


def check_execution_arguments(args) -> Any:
    """The device; options that would be ignored or are out of range, or need a package
    that is missing, are refused first."""
    from mirl.results.backends import BACKENDS
    from mirl.results.live import summary_writer_class

    if args.backend not in BACKENDS:
        raise SystemExit(f"mirl: unknown --backend {args.backend!r}; valid: {', '.join(BACKENDS)}")
    if args.address and args.backend != "ray":
        raise SystemExit("mirl: --address is a Ray cluster's address: add --backend ray")
    if args.max_retries < 0:
        raise SystemExit(f"mirl: --max-retries must be 0 or more, got {args.max_retries}")
    if not (math.isfinite(args.checkpoint_every) and args.checkpoint_every >= 0):
        raise SystemExit(
            f"mirl: --checkpoint-every takes minutes >= 0 (0: none), got {args.checkpoint_every}"
        )
    if args.group_size is not None and args.group_size < 1:
        raise SystemExit(f"mirl: the group size must be at least 1, got {args.group_size}")
    if args.tensorboard is not None:
        try:
            summary_writer_class()
        except ImportError as err:
            raise SystemExit(f"mirl: --tensorboard: {err}") from None
    if args.jobs != "auto":
        try:
            args.jobs = int(args.jobs)
        except ValueError:
            raise SystemExit(f"mirl: --jobs takes a number or 'auto', got {args.jobs!r}") from None
        if args.jobs < 1:
            raise SystemExit(f"mirl: --jobs must be at least 1, got {args.jobs}")
        if args.backend not in ("local", "processes"):
            raise SystemExit(
                f"mirl: --jobs is for the local backend; {args.backend} schedules its own"
            )
    return device(args.device, local=args.backend in ("local", "processes"))


@contextlib.contextmanager
def writer(out: Path, command: str) -> Iterator[None]:
    """Hold ``out`` as its one writer (``mirl.results.writing``); a one-line error if it is
    held or cannot be written."""
    from mirl.results.lock import LockError, writing

    try:
        with writing(out, command):
            yield
    except LockError as err:
        raise SystemExit(f"mirl: {err}") from None


def run_sweep(args, specs: Sequence[Any], seeds: list[int], out: Path, where: Any) -> bool:
    """Plan ``specs`` x ``seeds`` against ``out`` (held by ``writer``), train what is left on
    the chosen backend, print a summary; True if every seed finished. Everything that can
    be checked is checked before training."""
    from mirl.results import Sweep

    data_kind = getattr(args, "data", "mnist")
    try:
        sweep = Sweep(specs, seeds, out, data=data_kind, group_size=args.group_size)
        args.summary = sweep.summary  # how many seeds are stored, if interrupted
        sweep.run(
            where,
            backend=args.backend,
            jobs=args.jobs,
            max_retries=args.max_retries,
            address=args.address,
            capture=args.capture,
            checkpoint_every=60 * args.checkpoint_every or None,
            quiet=args.quiet,
            tensorboard=args.tensorboard,
        )
    except (ValueError, ImportError, ConnectionError, *data_errors()) as err:
        raise SystemExit(f"mirl: {err}") from None
    except OSError as err:  # the disk filled up, the directory went away, ...
        stored = getattr(args, "summary", None)
        raise SystemExit(
            f"mirl: cannot store results in {out} ({err}); "
            f"{0 if stored is None else stored.stored} seeds stored; "
            "rerun the same command to resume"
        ) from None
    for line in sweep.summary.lines(str(out)):
        print(line)
    return sweep.summary.ok
