"""The ``mirl`` command line.

Errors a user can make (a bad name, value, path, device, a directory in use) end in one
line on stderr, ``mirl: ...``, and exit code 1; a traceback means a bug in mirl. Ctrl-C
and SIGTERM end a sweep with one line saying how many seeds it stored (exit codes 130 and
143); every finished seed is on disk and rerunning the same command resumes. Warnings are
printed as ``mirl: warning: ...``, without Python's file and line.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import math
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXPERIMENT_OVERRIDES = {
    # flag: (spec field, type)
    "steps": int,
    "evals": int,
    "lr": float,
    "batch_size": int,
    "probe": str,
}


DEVICE_HELP = "auto, cpu, cuda or cuda:N"


class Interrupted(BaseException):
    """A signal that asks mirl to stop (SIGTERM; SIGINT is Python's KeyboardInterrupt)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _device(name: str, *, local: bool = True):
    """The torch device ``name`` asks for; with ``local``, one this machine has."""
    import torch

    if name == "auto":
        if local:
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device("cpu")  # the driver may have no GPU where Ray's workers do
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise SystemExit(f"mirl: unknown --device {name!r}; use {DEVICE_HELP}")
    if not local:
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("mirl: --device cuda asked for, but torch sees no CUDA device")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise SystemExit(
                f"mirl: --device {name} asked for, but torch sees {count} CUDA device(s)"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise SystemExit("mirl: --device mps asked for, but torch sees no MPS device")
    return device


def _parse_set(values: Sequence[str]) -> dict:
    """``--set key=value`` pairs; the value is read as JSON when it parses, else as a string."""
    out = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"mirl: --set expects FIELD=VALUE, got {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if isinstance(value, float) and not math.isfinite(value):
            value = raw  # NaN and Infinity parse as JSON, but no setting takes them
        if key.endswith("_kwargs") and not isinstance(value, dict):
            raise SystemExit(
                f"mirl: --set {key} expects a JSON object, e.g. {key}='{{\"name\": 1}}', "
                f"got {raw!r}"
            )
        out[key] = value
    return out


def _overrides(args) -> dict:
    overrides = {k: getattr(args, k) for k in EXPERIMENT_OVERRIDES if getattr(args, k) is not None}
    overrides.update(_parse_set(args.set))
    return overrides


def _add_run_options(p: argparse.ArgumentParser) -> None:
    from mirl.paper.experiments import PROFILES

    p.add_argument(
        "--profile", default="quick", choices=sorted(PROFILES), help="scale (default: quick)"
    )
    p.add_argument("--seeds", type=int, help="number of seeds (default: the profile's)")
    for flag, kind in EXPERIMENT_OVERRIDES.items():
        extra = {"choices": ["sklearn", "torch"]} if flag == "probe" else {}
        p.add_argument(
            f"--{flag.replace('_', '-')}", dest=flag, type=kind, help=f"override {flag}", **extra
        )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override any run setting, e.g. --set noise_std=0.1 (repeatable)",
    )
    p.add_argument("--device", default="auto", help=f"{DEVICE_HELP} (default: auto)")
    p.add_argument(
        "--data",
        default="mnist",
        choices=["mnist", "synthetic"],
        help="real MNIST, or the small synthetic stand-in used by the tests",
    )
    p.add_argument("--group-size", type=int, help="seeds trained at once (default: all of a run's)")
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
        "--max-retries", type=int, default=2, help="Ray: retries of a task whose worker dies"
    )
    p.add_argument("--quiet", action="store_true", help="no progress display")


@functools.lru_cache(maxsize=1)
def _image_data(kind: str, device: str):
    """The data set on ``device``, loaded once per process (a run and the baseline share it)."""
    from mirl.data import ImageData

    return ImageData.load(kind, device)


def _data_errors():
    """The errors of fetching and reading data, which are the user's to fix."""
    from mirl.data.mnist import DataError

    return (DataError,)


@contextlib.contextmanager
def _writer(out: Path, command: str) -> Iterator[None]:
    """Hold ``out`` as its one writer, after checking that results can be stored there.

    If the command fails before storing anything, the folders it created are removed."""
    import tempfile

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


@dataclass
class _Sweep:
    """What a run or reproduce command asks for, checked before it touches the disk."""

    device: Any
    seeds: list[int]
    specs: list[Any]


def _prepare(args, names: Sequence[str]) -> _Sweep:
    """The device, seeds and run specs that ``args`` ask for; a one-line error if any is
    invalid."""
    from mirl.paper.experiments import PROFILES, experiment_specs

    _check_run_arguments(args)
    device = _device(args.device, local=args.backend == "local")
    seeds = list(range(PROFILES[args.profile].seeds if args.seeds is None else args.seeds))
    if not seeds:
        raise SystemExit("mirl: --seeds must be at least 1")
    if args.group_size is not None and args.group_size < 1:
        raise SystemExit(f"mirl: the group size must be at least 1, got {args.group_size}")
    try:
        specs = [
            s for name in names for s in experiment_specs(name, args.profile, _overrides(args))
        ]
    except ValueError as err:
        raise SystemExit(f"mirl: {err}") from None
    return _Sweep(device, seeds, specs)


def _run_experiments(args, sweep: _Sweep, out: Path) -> bool:
    """Plan and run ``sweep`` into ``out`` (held by ``_writer``); print a summary; True if
    all ok. Everything that can be checked is checked before training."""
    from mirl.data.views import data_summary
    from mirl.results.kinds import kind_of
    from mirl.results.progress import Progress
    from mirl.results.store import ResultStore
    from mirl.results.sweep import plan, run_local

    device, seeds, specs = sweep.device, sweep.seeds, sweep.specs
    try:
        data = None
        if any(kind_of(s).uses_images for s in specs):
            data = data_summary(args.data)
        store = ResultStore(out)
        tasks, summary = plan(store, specs, seeds, args.group_size, data)
    except (ValueError, OSError, *_data_errors()) as err:
        raise SystemExit(f"mirl: {err}") from None
    args.summary = summary  # how many seeds are stored, if interrupted

    def images():
        return _image_data(args.data, str(device))

    progress = Progress(tasks, quiet=args.quiet)
    try:
        if args.backend == "ray":
            from mirl.results.ray_backend import run_ray

            summary = run_ray(
                tasks,
                store,
                summary,
                args.data,
                device.type,
                progress,
                args.address,
                args.max_retries,
            )
        else:
            summary = run_local(tasks, store, summary, images, device, progress)
    except (ValueError, ImportError, ConnectionError, *_data_errors()) as err:
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


def _check_run_arguments(args) -> None:
    """Refuse options that would be ignored or are out of range, before anything else."""
    if args.address and args.backend != "ray":
        raise SystemExit("mirl: --address is a Ray cluster's address: add --backend ray")
    if args.max_retries < 0:
        raise SystemExit(f"mirl: --max-retries must be 0 or more, got {args.max_retries}")


def cmd_list(args) -> int:
    from mirl.paper.experiments import EXPERIMENTS, PROFILES

    width = max(map(len, EXPERIMENTS))
    for e in EXPERIMENTS.values():
        print(f"{e.name:<{width}}  {e.figure:<16} {e.description}")
    print(
        "\nprofiles: "
        + "; ".join(f"{p.name} ({p.seeds} seeds): {p.description}" for p in PROFILES.values())
    )
    return 0


def cmd_data(args) -> int:
    from mirl.data.mnist import DataError, data_dir, fetch_mnist

    try:
        path = fetch_mnist(args.root, force=args.force)
    except DataError as err:
        print(f"mirl: {err}", file=sys.stderr)
        return 1
    print(f"MNIST verified and cached at {path} (MIRL_DATA={data_dir(args.root)})")
    return 0


def cmd_baseline(args) -> int:
    from mirl.paper.baseline import pixel_baseline

    if not (math.isfinite(args.noise) and args.noise >= 0):
        raise SystemExit(f"mirl: --noise must be a number >= 0, got {args.noise}")
    device = _device(args.device)
    try:
        data = _image_data(args.data, str(device))
    except _data_errors() as err:
        raise SystemExit(f"mirl: {err}") from None
    accuracy = pixel_baseline(data, args.noise, args.probe)
    print(
        f"linear probe on the top-half pixels (noise std {args.noise}, {args.probe}): "
        f"{accuracy:.4f}"
    )
    return 0


def cmd_run(args) -> int:
    from mirl.paper.experiments import EXPERIMENTS

    if args.experiment not in EXPERIMENTS:
        raise SystemExit(
            f"mirl: unknown experiment {args.experiment!r}; valid: {', '.join(EXPERIMENTS)}"
        )
    sweep = _prepare(args, [args.experiment])
    out = Path(args.out or f"results/{args.profile}")
    with _writer(out, args.command_line):
        return 0 if _run_experiments(args, sweep, out) else 1


def _experiment_names(arg: str | None) -> list[str]:
    """The experiments ``--experiments`` names (all six when it is absent)."""
    from mirl.paper.experiments import EXPERIMENTS

    if arg is None:
        return list(EXPERIMENTS)
    names = [n.strip() for n in arg.split(",")]
    if not any(names):
        raise SystemExit(
            f"mirl: --experiments is empty; name some of {', '.join(EXPERIMENTS)}, "
            "or leave it out for all six"
        )
    if not all(names):
        raise SystemExit(f"mirl: --experiments {arg!r} has an empty name")
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise SystemExit(f"mirl: unknown experiments {unknown}; valid: {', '.join(EXPERIMENTS)}")
    return list(dict.fromkeys(names))


def cmd_reproduce(args) -> int:
    from mirl.paper.baseline import ensure_baseline
    from mirl.report.figures import plot_all
    from mirl.report.html import write_report

    sweep = _prepare(args, _experiment_names(args.experiments))
    out = Path(args.out or f"results/{args.profile}")
    with _writer(out, args.command_line):
        ok = _run_experiments(args, sweep, out)
        try:
            data = _image_data(args.data, str(_device(args.device)))
        except _data_errors() as err:
            raise SystemExit(f"mirl: {err}") from None
        ensure_baseline(out, data)
        for path in plot_all(out):
            print(path)
        print(write_report(out))
    return 0 if ok else 1


def cmd_plot(args) -> int:
    from mirl.report import plot_all

    try:
        paths = plot_all(args.dir)
    except OSError as err:  # no such directory, or a file
        raise SystemExit(f"mirl: {err}") from None
    for path in paths:
        print(path)
    if not paths:
        print(f"mirl: no figures drawn: {args.dir} holds no finished results", file=sys.stderr)
    return 0


def cmd_report(args) -> int:
    from mirl.report import write_report

    try:
        print(write_report(args.dir))
    except OSError as err:  # no such directory, or a file, or one it cannot write
        raise SystemExit(f"mirl: {err}") from None
    return 0


def cmd_bench(args) -> int:
    from mirl._files import atomic_write
    from mirl.bench import largest_group, project_paper_profile, run_bench, table
    from mirl.bench.busy import bench_busy
    from mirl.bench.items import ITEM_RUNS

    def write(records: list[dict]) -> None:  # partial results survive an interruption
        if args.out:
            atomic_write(Path(args.out), json.dumps(records, indent=1).encode())

    if args.project:  # re-project from stored records (e.g. of an interrupted run)
        try:
            records = json.loads(Path(args.project).read_text())
            measured = [r for r in records if r["kind"] != "projection"]
            k = largest_group(measured)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise SystemExit(
                f"mirl: cannot read bench records from {args.project}: {err}"
            ) from None
        print(table(project_paper_profile(measured, k, {})))
        return 0
    if args.busy:
        records = bench_busy()
        write(records)
        print(table(records))
        return 0
    device = _device(args.device)
    try:
        sizes = sorted({int(k) for k in args.group_sizes.split(",")})
    except ValueError:
        raise SystemExit(
            f"mirl: --group-sizes takes comma-separated integers, got {args.group_sizes!r}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise SystemExit("mirl: --group-sizes must be positive integers")
    experiments = list(ITEM_RUNS) if not args.experiments else args.experiments.split(",")
    unknown = [e for e in experiments if e not in ITEM_RUNS]
    if unknown:
        raise SystemExit(f"mirl: unknown experiments {unknown}; valid: {', '.join(ITEM_RUNS)}")
    data = _image_data(args.data, str(device))
    log = (lambda _: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    records = run_bench(
        device, sizes, experiments, data, args.steps, args.tf32, log=log, checkpoint=write
    )
    print(table(records))
    if args.out:
        print(f"records written to {args.out}")


ESTIMATE_OVERRIDES = {
    # flag: (type, help); each names a field of EstimateSpec
    "steps": (int, "training steps, split evenly over a staircase's levels (default: 20000)"),
    "evals": (int, "held-out evaluations, every steps/evals steps (default: 20)"),
    "lr": (float, "Adam's learning rate (default: 5e-4)"),
    "batch_size": (int, "pairs per batch (default: 64)"),
    "heldout_size": (int, "held-out pairs per seed and level, a multiple of the batch (4096)"),
    "train_size": (int, "a fixed training set of this many pairs (default: fresh pairs)"),
}


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def cmd_estimate(args) -> int:
    import dataclasses
    import itertools

    from mirl.estimation import EstimateSpec, summarize
    from mirl.results import load
    from mirl.results.progress import Progress
    from mirl.results.store import ResultStore
    from mirl.results.sweep import plan, run_local

    device = _device(args.device)
    if args.seeds < 1:
        raise SystemExit("mirl: --seeds must be at least 1")
    settings = {k: getattr(args, k) for k in ESTIMATE_OVERRIDES if getattr(args, k) is not None}
    settings.update(_parse_set(args.set))
    # task, bound, critic and experiment have their own flags.
    fields = {f.name for f in dataclasses.fields(EstimateSpec)} - {
        "task",
        "bound",
        "critic",
        "experiment",
    }
    unknown = sorted(set(settings) - fields)
    if unknown:
        raise SystemExit(
            f"mirl: estimate has no setting {unknown}; its settings: {', '.join(sorted(fields))}"
        )
    out = Path(args.out)
    combos = itertools.product(_names(args.task), _names(args.bound), _names(args.critic))
    try:
        specs = [
            EstimateSpec(task=t, bound=b, critic=c, experiment=args.experiment, **settings)
            for t, b, c in combos
        ]
        if not specs:
            raise ValueError("name at least one task, bound and critic")
        store = ResultStore(out)
        tasks, summary = plan(store, specs, list(range(args.seeds)), args.group_size)
    except ValueError as err:
        raise SystemExit(f"mirl: {err}") from None
    progress = Progress(tasks, quiet=args.quiet)
    try:
        summary = run_local(tasks, store, summary, lambda: None, device, progress)
    finally:
        progress.close()
    for line in summary.lines(str(out)):
        print(line)
    runs = {s.run_id for s in specs}
    table = summarize(load(out, args.experiment))
    table = table[(table["exp_name"] + "/" + table["name"]).isin(runs)]
    if not table.empty:
        print("\nheld-out estimate at the end of each level (mean, sd over seeds), nats:")
        for r in table.itertuples():
            setting = f" ({r.setting})" if r.setting else ""
            print(
                f"  {r.task} (true {r.true_mi:.3f}) {r.Critic} {r.Estimator}{setting}: "
                f"{r.estimate_mean:.3f}, sd {r.estimate_sd:.3f}, bias {r.bias:+.3f}"
            )
    return 0 if summary.ok else 1


def cmd_tasks(args) -> int:
    import inspect

    from mirl.estimation import FAMILIES
    from mirl.tasks import TASKS

    width = max(map(len, TASKS))
    print(f"{'task':<{width}}  {'dim_x':>5} {'dim_y':>5} {'true MI':>9}  description")
    for task in TASKS.values():
        print(
            f"{task.name:<{width}}  {task.dim_x:>5} {task.dim_y:>5} {task.true_mi:>9.4f}  "
            f"{task.description}"
        )
    print("\nfamilies (mirl estimate --task FAMILY --set task_kwargs='{...}'):")
    for name, family in FAMILIES.items():
        params = inspect.signature(family).parameters.values()
        shown = [p.name if p.default is p.empty else f"{p.name}={p.default!r}" for p in params]
        print(f"  {name}: {', '.join(shown)}")
    return 0


def cmd_import_colab(args) -> int:
    from mirl.colab import cli_import_colab

    return cli_import_colab(args.files, args.out, args.trust)


def build_parser() -> argparse.ArgumentParser:
    from mirl import __version__

    parser = argparse.ArgumentParser(
        prog="mirl",
        description="MI maximization for representation learning, and the experiments of "
        "Tschannen et al. (ICLR 2020).",
    )
    parser.add_argument("--version", action="version", version=f"mirl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="the experiments, their figures, and the profiles").set_defaults(
        fn=cmd_list
    )

    p = sub.add_parser("data", help="MNIST: fetch, verify and cache it")
    p.add_argument("action", choices=["fetch"])
    p.add_argument("--root", help="cache directory (default: $MIRL_DATA or the user cache dir)")
    p.add_argument("--force", action="store_true", help="fetch again even if the cache is valid")
    p.set_defaults(fn=cmd_data)

    p = sub.add_parser("baseline", help="the linear probe on noisy half-image pixels (~0.835)")
    p.add_argument("--noise", type=float, default=0.05)
    p.add_argument("--probe", default="sklearn", choices=["sklearn", "torch"])
    p.add_argument("--device", default="auto")
    p.add_argument("--data", default="mnist", choices=["mnist", "synthetic"])
    p.set_defaults(fn=cmd_baseline)

    p = sub.add_parser("run", help="run one experiment, resuming what an output directory holds")
    p.add_argument("experiment")
    _add_run_options(p)
    p.add_argument("--out", help="output directory (default: results/PROFILE)")
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser(
        "reproduce", help="run experiments, then draw every figure and write report.html"
    )
    p.add_argument("--experiments", help="comma-separated names (default: all six)")
    _add_run_options(p)
    p.add_argument("--out", help="output directory (default: results/PROFILE)")
    p.set_defaults(fn=cmd_reproduce)

    p = sub.add_parser("plot", help="redraw the figures of a results directory (no training)")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_plot)

    p = sub.add_parser("report", help="rewrite DIR/report.html from stored results (no training)")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_report)

    p = sub.add_parser(
        "bench", help="time training steps, evaluations, probes, Jacobians; project the paper"
    )
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--group-sizes", default="1,4,20", help="seeds trained at once, K (default: 1,4,20)"
    )
    p.add_argument("--experiments", help="comma-separated names (default: all six)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per repeat (default: 10)")
    p.add_argument("--data", default="mnist", choices=["mnist", "synthetic"])
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
    p.set_defaults(fn=cmd_bench)

    p = sub.add_parser(
        "estimate",
        help="train critics to estimate the MI of tasks with a known answer, resuming what "
        "an output directory holds",
    )
    p.add_argument("--task", required=True, help="task(s), comma-separated (see: mirl tasks)")
    p.add_argument("--bound", required=True, help="bound(s), comma-separated, e.g. infonce,nwj")
    p.add_argument(
        "--critic", default="concat", help="critic(s), comma-separated (default: concat)"
    )
    p.add_argument("--seeds", type=int, default=8, help="seeds trained together (default: 8)")
    for flag, (kind, text) in ESTIMATE_OVERRIDES.items():
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, type=kind, help=text)
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="any other setting, e.g. --set task_kwargs='{\"correlation\": 0.9}' (repeatable)",
    )
    p.add_argument("--experiment", default="estimate", help="experiment name (default: estimate)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    p.add_argument("--group-size", type=int, help="seeds trained at once (default: all)")
    p.add_argument("--out", default="results/estimate", help="output directory")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(fn=cmd_estimate)

    sub.add_parser("tasks", help="the tasks with known MI, and the task families").set_defaults(
        fn=cmd_tasks
    )

    p = sub.add_parser("import-colab", help="import the Colab's result pickles into DIR/colab")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument(
        "--trust",
        action="store_true",
        help="load with plain pickle (runs any code in the files): only for files you trust",
    )
    p.set_defaults(fn=cmd_import_colab)
    return parser


@contextlib.contextmanager
def _plain_warnings() -> Iterator[None]:
    """Warnings as ``mirl: warning: ...`` lines, without Python's file and line."""

    def format_warning(message, category, filename, lineno, line=None) -> str:
        kind = "" if category is UserWarning else f" ({category.__name__})"
        return f"mirl: warning{kind}: {message}\n"

    previous = warnings.formatwarning
    warnings.formatwarning = format_warning
    try:
        yield
    finally:
        warnings.formatwarning = previous


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises ``Interrupted`` in the main thread, as SIGINT raises KeyboardInterrupt,
    so that both unwind the same way (locks released, temporary files removed)."""

    def interrupt(signum, frame):
        raise Interrupted(signum)

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.command_line = " ".join(["mirl", *argv])  # names a directory's writer in its lock
    with _plain_warnings(), _sigterm_interrupts():
        try:
            return args.fn(args)
        except (KeyboardInterrupt, Interrupted) as err:
            signum = getattr(err, "signum", signal.SIGINT)
            summary = getattr(args, "summary", None)
            if summary is None:
                print("mirl: interrupted", file=sys.stderr, flush=True)
            else:
                n = summary.stored
                print(
                    f"mirl: interrupted: {n} seed{'' if n == 1 else 's'} stored; "
                    "rerun the same command to resume",
                    file=sys.stderr,
                    flush=True,
                )
            return 128 + int(signum)


if __name__ == "__main__":
    sys.exit(main())
