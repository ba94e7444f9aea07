"""``mirl estimate`` and ``mirl tasks``: estimators against tasks whose MI is known."""

from __future__ import annotations

from mirl.cli._options import add_load_option, load_sources, merge_settings, writable_path
from mirl.cli._sweeps import add_execution_options, check_execution_arguments, run_sweep, writer

ESTIMATE_OVERRIDES = {
    # flag: (type, help); each names a field of EstimateSpec
    "steps": (int, "training steps, split evenly over a staircase's levels (default: 20000)"),
    "evals": (int, "held-out evaluations, every steps/evals steps (default: 20)"),
    "lr": (float, "Adam's learning rate (default: 5e-4)"),
    "batch_size": (int, "pairs per batch (default: 64)"),
    "heldout_size": (int, "held-out pairs per seed and level, a multiple of the batch (4096)"),
    "train_size": (int, "a fixed training set of this many pairs (default: fresh pairs)"),
}


def cmd_estimate(args) -> int:
    from mirl.api import runs_frame
    from mirl.estimation import summarize
    from mirl.results.plan import check_sizes
    from mirl.selection import estimate_runs

    load_sources(args.load)
    where = check_execution_arguments(args)
    if args.seeds < 1:
        raise SystemExit("mirl: --seeds must be at least 1")
    settings = merge_settings({k: getattr(args, k) for k in ESTIMATE_OVERRIDES}, args.set)
    try:
        specs = estimate_runs(args.task, args.bound, args.critic, args.experiment, settings)
        check_sizes(specs, min(args.group_size or args.seeds, args.seeds), where)
    except ValueError as err:
        raise SystemExit(f"mirl: {err}") from None
    out = writable_path(args.out, "--out")
    with writer(out, args.command_line):
        ok = run_sweep(args, specs, list(range(args.seeds)), out, where)
    table = summarize(runs_frame(out, specs))
    if not table.empty:
        print("\nheld-out estimate at the end of each level (mean, sd over seeds), nats:")
        for r in table.itertuples():
            setting = f" ({r.setting})" if r.setting else ""
            print(
                f"  {r.task} (true {r.true_mi:.3f}) {r.critic} {r.bound}{setting}: "
                f"{r.estimate_mean:.3f}, sd {r.estimate_sd:.3f}, bias {r.bias:+.3f}"
            )
    return 0 if ok else 1


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


def register(sub) -> None:
    """``estimate`` and ``tasks``."""
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
    add_execution_options(p)
    add_load_option(p)
    p.add_argument("--out", default="results/estimate", help="output directory")
    p.set_defaults(fn=cmd_estimate)

    sub.add_parser("tasks", help="the tasks with known MI, and the task families").set_defaults(
        fn=cmd_tasks
    )
