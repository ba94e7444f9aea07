"""Running a sweep from the command line: the options of where and how it trains, the one
writer of its output directory, and the backends (here, worker processes, Ray)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mirl.cli._options import DEVICE_HELP, data_errors, device, image_data


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """Where and how a sweep trains: device, seed groups, worker processes, Ray, capture."""
    p.add_argument("--device", default="auto", help=f"{DEVICE_HELP} (default: auto)")
    p.add_argument("--group-size", type=int, help="seeds trained at once (default: all of a run's)")
    p.add_argument(
        "--jobs",
        default="auto",
        help="runs trained at once, each in a worker process (default: auto: on a GPU as "
        "many as its memory and the CPU cores allow; on the CPU one single-threaded job per "
        "core, or 1 for a sweep of a few seconds)",
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
        choices=["local", "ray"],
        help="train here, or on a Ray cluster (pip install mirl[ray])",
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
    p.add_argument("--quiet", action="store_true", help="no progress display")


def check_execution_arguments(args) -> Any:
    """The device; options that would be ignored or are out of range are refused first."""
    if args.address and args.backend != "ray":
        raise SystemExit("mirl: --address is a Ray cluster's address: add --backend ray")
    if args.max_retries < 0:
        raise SystemExit(f"mirl: --max-retries must be 0 or more, got {args.max_retries}")
    if args.group_size is not None and args.group_size < 1:
        raise SystemExit(f"mirl: the group size must be at least 1, got {args.group_size}")
    if args.jobs != "auto":
        try:
            args.jobs = int(args.jobs)
        except ValueError:
            raise SystemExit(f"mirl: --jobs takes a number or 'auto', got {args.jobs!r}") from None
        if args.jobs < 1:
            raise SystemExit(f"mirl: --jobs must be at least 1, got {args.jobs}")
        if args.backend == "ray":
            raise SystemExit("mirl: --jobs is for the local backend; Ray schedules its own")
    return device(args.device, local=args.backend == "local")


@contextlib.contextmanager
def writer(out: Path, command: str) -> Iterator[None]:
    """Hold ``out`` as its one writer, after checking that results can be stored there.

    If the command fails before storing anything, the folders it created are removed."""
    from mirl.results.lock import DirectoryLock, LockError

    created = [p for p in (out / "runs", out, *out.parents) if not p.exists()]
    try:
        lock = DirectoryLock(out, command).acquire()
    except LockError as err:
        raise SystemExit(f"mirl: {err}") from None
    failed = True
    try:
        runs = out / "runs"
        if runs.exists() and not runs.is_dir():
            raise SystemExit(f"mirl: cannot store results in {out}: {runs} is a file")
        try:
            runs.mkdir(exist_ok=True)
            with tempfile.TemporaryFile(dir=runs):
                pass
        except OSError as err:
            raise SystemExit(
                f"mirl: cannot store results in {runs}: {err.strerror or err}"
            ) from None
        yield
        failed = False
    finally:
        lock.release()
        if failed:
            for folder in created:  # deepest first; rmdir removes only empty folders
                with contextlib.suppress(OSError):
                    folder.rmdir()


def run_sweep(args, specs: Sequence[Any], seeds: list[int], out: Path, where: Any) -> bool:
    """Plan ``specs`` x ``seeds`` against ``out`` (held by ``writer``), train what is left on
    the chosen backend, print a summary; True if every seed finished. Everything that can
    be checked is checked before training."""
    from mirl.data.views import data_summary
    from mirl.results.jobs import default_jobs, run_jobs
    from mirl.results.kinds import kind_of
    from mirl.results.progress import Progress
    from mirl.results.store import ResultStore
    from mirl.results.sweep import plan, run_local
    from mirl.runtime.devices import available_cores, configure_threads

    data_kind = getattr(args, "data", "mnist")
    try:
        data = None
        if any(kind_of(s).uses_images for s in specs):
            data = data_summary(data_kind)
        store = ResultStore(out)
        tasks, summary = plan(store, specs, seeds, args.group_size, data)
        jobs = 1
        if args.backend == "local":
            jobs = default_jobs(where, tasks) if args.jobs == "auto" else args.jobs
    except (ValueError, OSError, *data_errors()) as err:
        raise SystemExit(f"mirl: {err}") from None
    args.summary = summary  # how many seeds are stored, if interrupted
    progress = Progress(tasks, quiet=args.quiet)
    try:
        if args.backend == "ray":
            from mirl.results.ray_backend import run_ray

            summary = run_ray(
                tasks,
                store,
                summary,
                data_kind,
                where.type,
                progress,
                args.address,
                args.max_retries,
                args.capture,
            )
        elif jobs > 1 and len(tasks) > 1:
            summary = run_jobs(
                tasks,
                store,
                summary,
                data_kind,
                where,
                progress,
                jobs,
                args.max_retries,
                args.capture,
            )
        else:
            configure_threads(available_cores())
            images = functools.partial(image_data, data_kind, str(where))
            summary = run_local(tasks, store, summary, images, where, progress, args.capture)
    except (ValueError, ImportError, ConnectionError, *data_errors()) as err:
        raise SystemExit(f"mirl: {err}") from None
    except OSError as err:  # the disk filled up, the directory went away, ...
        raise SystemExit(
            f"mirl: cannot store results in {out} ({err}); {summary.stored} seeds stored; "
            "rerun the same command to resume"
        ) from None
    finally:
        progress.close()
    for line in summary.lines(str(out)):
        print(line)
    return summary.ok
