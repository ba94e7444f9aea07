"""The experiments' commands: ``list``, ``data``, ``baseline``, ``run`` and ``reproduce``."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from mirl.cli._options import (
    add_data_option,
    add_load_option,
    data_errors,
    device,
    image_data,
    load_sources,
    merge_settings,
    writable_path,
)
from mirl.cli._sweeps import add_execution_options, check_execution_arguments, run_sweep, writer

EXPERIMENT_OVERRIDES = {
    # flag: the type of the run setting of the same name
    "steps": int,
    "evals": int,
    "lr": float,
    "batch_size": int,
    "probe": str,
}


def _overrides(args, experiments: Sequence[object]) -> dict:
    """The run settings of the flags and of ``--set``. Renaming the runs of ``experiments``
    to a registered experiment's name (``--set experiment=noniid``) is refused: they would be
    stored, plotted and reported as that experiment's."""
    from mirl.experiments import EXPERIMENTS

    overrides = merge_settings({k: getattr(args, k) for k in EXPERIMENT_OVERRIDES}, args.set)
    name = overrides.get("experiment")
    if name in EXPERIMENTS and any(e.name != name for e in experiments):
        raise SystemExit(
            f"mirl: --set experiment={name} is the name of a registered experiment "
            f"({EXPERIMENTS[name].reference or 'its own runs'}); store these runs under a name "
            "of their own"
        )
    return overrides


def _add_run_options(p: argparse.ArgumentParser) -> None:
    from mirl.experiments import PROFILES

    p.add_argument(
        "--profile", default="quick", choices=sorted(PROFILES), help="scale (default: quick)"
    )
    p.add_argument("--seeds", type=int, help="number of seeds (default: the profile's)")
    p.add_argument(
        "--runs",
        metavar="PATTERN",
        help="only the runs whose name matches, e.g. 'convnet-*-t4' (comma-separated shell "
        "patterns)",
    )
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
    add_data_option(p)
    add_execution_options(p)
    add_load_option(p)
    p.add_argument("--out", help="output directory (default: results/PROFILE)")


def _sweep(args, experiments: Sequence[object]) -> tuple[object, list[int], list]:
    """The device, seeds and run specs that ``args`` ask for (``mirl.selection``); a one-line
    error if any is invalid, before anything touches the disk."""
    from mirl.results.plan import check_sizes
    from mirl.selection import experiment_runs, seed_list

    where = check_execution_arguments(args)
    if args.seeds is not None and args.seeds < 1:
        raise SystemExit("mirl: --seeds must be at least 1")
    seeds = seed_list(args.seeds, args.profile)
    try:
        specs = experiment_runs(experiments, args.profile, _overrides(args, experiments), args.runs)
        check_sizes(specs, min(args.group_size or len(seeds), len(seeds)), where, args.data)
    except (ValueError, *data_errors()) as err:
        raise SystemExit(f"mirl: {err}") from None
    return where, seeds, specs


def _experiments(refs: Sequence[str] | None) -> list:
    """The experiments ``refs`` name (``mirl.selection.resolve_experiments``; None: the paper's);
    a one-line error naming a wrong one."""
    from mirl.selection import resolve_experiments

    try:
        return resolve_experiments(refs)
    except ValueError as err:
        raise SystemExit(f"mirl: {err}") from None


def _experiment_names(arg: str | None) -> list:
    """The experiments ``--experiments`` names (the paper's when it is absent)."""
    from mirl.experiments.paper import PAPER

    if arg is None:
        return _experiments(None)
    names = [n.strip() for n in arg.split(",")]
    if not any(names):
        raise SystemExit(
            f"mirl: --experiments is empty; name some of {', '.join(e.name for e in PAPER)}, "
            "or leave it out for the paper's"
        )
    if not all(names):
        raise SystemExit(f"mirl: --experiments {arg!r} has an empty name")
    return _experiments(names)


def cmd_list(args) -> int:
    from mirl.experiments import EXPERIMENTS, PROFILES

    load_sources(args.load)
    width = max(map(len, EXPERIMENTS))
    for e in EXPERIMENTS.values():
        print(f"{e.name:<{width}}  {e.reference or '(own)':<16} {e.description}")
        notes = {p: e.scale(p).note for p in PROFILES if e.scale(p).note}
        for profile, note in notes.items():
            print(f"{'':<{width}}  {'':<16} {profile}: {note}")
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
    where = device(args.device)
    try:
        data = image_data(args.data, str(where))
    except data_errors() as err:
        raise SystemExit(f"mirl: {err}") from None
    accuracy = pixel_baseline(data, args.noise, args.probe)
    print(
        f"linear probe on the top-half pixels (noise std {args.noise}, {args.probe}): "
        f"{accuracy:.4f}"
    )
    return 0


def cmd_run(args) -> int:
    load_sources(args.load)
    where, seeds, specs = _sweep(args, _experiments([args.experiment]))
    out = writable_path(args.out or f"results/{args.profile}", "--out")
    with writer(out, args.command_line):
        return 0 if run_sweep(args, specs, seeds, out, where) else 1


def cmd_reproduce(args) -> int:
    from mirl.api import write_outputs

    load_sources(args.load)
    where, seeds, specs = _sweep(args, _experiment_names(args.experiments))
    out = writable_path(args.out or f"results/{args.profile}", "--out", report=True)
    with writer(out, args.command_line):
        ok = run_sweep(args, specs, seeds, out, where)
        try:
            print(write_outputs(out, args.data, device(args.device)))
        except data_errors() as err:
            raise SystemExit(f"mirl: {err}") from None
    return 0 if ok else 1


def register(sub) -> None:
    """The paper's subcommands."""
    p = sub.add_parser("list", help="the experiments, their figures, and the profiles")
    add_load_option(p)
    p.set_defaults(fn=cmd_list)

    p = sub.add_parser("data", help="MNIST: fetch, verify and cache it")
    p.add_argument("action", choices=["fetch"])
    p.add_argument("--root", help="cache directory (default: $MIRL_DATA or the user cache dir)")
    p.add_argument("--force", action="store_true", help="fetch again even if the cache is valid")
    p.set_defaults(fn=cmd_data)

    p = sub.add_parser("baseline", help="the linear probe on noisy half-image pixels (~0.835)")
    p.add_argument("--noise", type=float, default=0.05)
    p.add_argument("--probe", default="sklearn", choices=["sklearn", "torch"])
    p.add_argument("--device", default="auto")
    add_data_option(p)
    p.set_defaults(fn=cmd_baseline)

    p = sub.add_parser("run", help="run one experiment, resuming what an output directory holds")
    p.add_argument(
        "experiment",
        help="a registered name (see: mirl list), or one's own: path/to/file.py:NAME, "
        "module:NAME, or path/to/file.py for the one experiment it registers",
    )
    _add_run_options(p)
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser(
        "reproduce",
        help="run the paper's experiments (or those named), then draw every figure and write "
        "report.html",
    )
    p.add_argument(
        "--experiments",
        help="comma-separated names or FILE.py:NAME (default: the paper's)",
    )
    _add_run_options(p)
    p.set_defaults(fn=cmd_reproduce)
