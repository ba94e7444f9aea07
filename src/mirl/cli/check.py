"""``mirl check``: what every registered bound, critic, encoder, kind, experiment and backend
must provide, checked (``mirl.experiments.checks``): mirl's own and those of the files
named, or only what the files add."""

from __future__ import annotations

from mirl.cli._options import load_sources


def cmd_check(args) -> int:
    from mirl.experiments.checks import check_all, entries

    before = entries()
    load_sources(args.sources)
    added = None
    if args.sources and not args.all:
        added = {word: names - before[word] for word, names in entries().items()}
    found = check_all(added, backends=not args.no_backends)
    for entry, problems in found.items():
        print(f"{entry}: {'ok' if not problems else problems[0]}")
        for problem in problems[1:]:
            print(f"{' ' * len(entry)}  {problem}")
    failing = [entry for entry, problems in found.items() if problems]
    if not found:
        print("nothing to check: the files register no entries")
        return 1
    print(f"\n{len(found) - len(failing)} of {len(found)} entries provide what mirl needs")
    return 1 if failing else 0


def register(sub) -> None:
    p = sub.add_parser(
        "check",
        help="check that every registered bound, critic, encoder, kind, experiment and "
        "backend provides what mirl needs (with files: what they register)",
    )
    p.add_argument(
        "sources",
        nargs="*",
        metavar="FILE_OR_MODULE",
        help="one's own files or modules: check the entries they register",
    )
    p.add_argument("--all", action="store_true", help="with files, check mirl's entries too")
    p.add_argument(
        "--no-backends", action="store_true", help="do not train a job through each backend"
    )
    p.set_defaults(fn=cmd_check)
