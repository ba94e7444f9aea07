"""The ``mirl`` command line.

Errors a user can make (a bad name, value, path, device, a directory in use) end in one
line on stderr, ``mirl: ...``, and exit code 1; a traceback means a bug in mirl. Ctrl-C
and SIGTERM end a sweep with one line saying how many seeds it stored (exit codes 130 and
143); every finished seed is on disk and rerunning the same command resumes. Warnings are
printed as ``mirl: warning: ...``, without Python's file and line.

One module per group of commands (``paper``: the experiments, ``estimate``, ``outputs``,
``bench``, ``check``); what they share is in ``_options`` (parsing, one's own files loaded
with ``--load``) and ``_sweeps`` (running a sweep).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence

from mirl.cli import bench, check, estimate, outputs, paper


class Interrupted(BaseException):
    """A signal that asks mirl to stop (SIGTERM; SIGINT is Python's KeyboardInterrupt)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def build_parser() -> argparse.ArgumentParser:
    from mirl import __version__

    parser = argparse.ArgumentParser(
        prog="mirl",
        description="MI maximization for representation learning, and the experiments of "
        "Tschannen et al. (ICLR 2020).",
    )
    parser.add_argument("--version", action="version", version=f"mirl {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for commands in (paper, outputs, bench, estimate, check):
        commands.register(sub)
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
