"""Commands that read a results directory: ``plot``, ``report``, and ``import-colab``,
which adds the paper's own results to it."""

from __future__ import annotations

import sys

from mirl.cli._options import add_load_option, load_sources, writable_path


def cmd_plot(args) -> int:
    from mirl.report import plot_all

    load_sources(args.load)
    writable_path(args.dir, "the directory")
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

    load_sources(args.load)
    writable_path(args.dir, "the directory", report=True)
    try:
        print(write_report(args.dir))
    except OSError as err:  # no such directory, or a file, or one it cannot write
        raise SystemExit(f"mirl: {err}") from None
    return 0


def cmd_import_colab(args) -> int:
    from mirl.colab import cli_import_colab

    return cli_import_colab(args.files, args.out, args.trust)


def register(sub) -> None:
    """``plot``, ``report`` and ``import-colab``."""
    p = sub.add_parser("plot", help="redraw the figures of a results directory (no training)")
    p.add_argument("dir")
    add_load_option(p)
    p.set_defaults(fn=cmd_plot)

    p = sub.add_parser("report", help="rewrite DIR/report.html from stored results (no training)")
    p.add_argument("dir")
    add_load_option(p)
    p.set_defaults(fn=cmd_report)

    p = sub.add_parser("import-colab", help="import the Colab's result pickles into DIR/colab")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument(
        "--trust",
        action="store_true",
        help="load with plain pickle (runs any code in the files): only for files you trust",
    )
    p.set_defaults(fn=cmd_import_colab)
