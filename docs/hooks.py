"""MkDocs hooks: the pages the site makes from the repository rather than from ``docs/``.

- ``index.md``, ``benchmarks.md`` and ``peers.md`` are the README and the benchmarks'
  READMEs, each written once in the repository; their links to files that are pages of the
  site are pointed at those pages, and links to other files of the repository become the
  files' names (the site does not hold them).
- ``notebooks/*.ipynb`` are the notebooks, rendered by mkdocs-jupyter without running them.
- ``experiments.md`` is written from the experiments' declarations (``mirl.experiments``):
  what each shows, its runs, its figures and their captions, and what each profile changes.
  The figures themselves are those of a results directory, ``$MIRL_DOCS_RESULTS``
  (default ``results/quick``, what ``make reproduce`` writes), where it holds them.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]

PAGES = {
    "index.md": "README.md",
    "benchmarks.md": "benchmarks/README.md",
    "peers.md": "benchmarks/peers/README.md",
}
"""Site page -> the repository file it is made from."""

LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")


def _site_pages() -> dict[str, str]:
    """Repository path -> the site page it is (or is made into)."""
    pages = {source: page for page, source in PAGES.items()}
    pages.update({f"docs/{p.name}": p.name for p in (ROOT / "docs").glob("*.md")})
    pages.update({f"notebooks/{p.name}": f"notebooks/{p.name}" for p in _notebooks()})
    return pages


def _notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def rewrite_links(markdown: str, source: str) -> str:
    """The links of ``source`` (a repository path) as links of a page at the site's root."""
    pages = _site_pages()

    def relink(match: re.Match) -> str:
        text, target = match.groups()
        if re.match(r"[a-z]+:|#", target):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
        if resolved in pages:
            return f"[{text}]({pages[resolved]}{'#' + anchor if anchor else ''})"
        return text if text.strip("`") == resolved else f"{text} (`{resolved}`)"

    return LINK.sub(relink, markdown)


def _results_figures() -> Path | None:
    """The figures directory of the results the experiments page shows, if there is one."""
    root = Path(os.environ.get("MIRL_DOCS_RESULTS", ROOT / "results" / "quick"))
    figures = root / "figures"
    return figures if any(figures.glob("*.png")) else None


def _plain(title: str) -> str:
    """A figure's title without matplotlib's math: ``$I_{NCE}$`` -> ``I_NCE``."""
    return re.sub(r"\$([^$]*)\$", lambda m: re.sub(r"[{}]", "", m.group(1)), title)


def experiments_page(figures: Path | None) -> str:
    """The experiments, from their declarations; each figure's image where ``figures``
    holds it."""
    from mirl.experiments import EXPERIMENTS, PROFILES

    lines = [
        "# The experiments",
        "",
        "Each experiment is one declaration in `src/mirl/experiments/paper/`: its runs, the "
        "changes each profile makes to them, its figures and the claims its results are "
        "checked against. `mirl run NAME` trains one, `mirl reproduce` all of them, and "
        "`mirl.run` / `mirl.reproduce` do the same from Python "
        "([notebook](notebooks/reproduce.ipynb)).",
        "",
    ]
    if figures is None:
        lines += [
            "!!! note",
            "    The figures below are listed with their captions; this build had no results "
            "to draw them from. Run `make reproduce` (or set `MIRL_DOCS_RESULTS` to a results "
            "directory) and build again to show them.",
            "",
        ]
    else:
        lines += [f"The figures are those of the results in `{figures.parent.name}`.", ""]
    for experiment in EXPERIMENTS.values():
        title = f"{experiment.reference}: " if experiment.reference else ""
        runs = ", ".join(f"`{spec.name}`" for spec in experiment.specs("paper"))
        description = experiment.description[:1].upper() + experiment.description[1:]
        lines += [f"## {title}`{experiment.name}`", "", description + ".", ""]
        lines += [
            f"**Runs** (each for {PROFILES['paper'].seeds} seeds at the paper profile): {runs}.",
            "",
        ]
        notes = {p: experiment.scale(p).note for p in PROFILES if experiment.scale(p).note}
        lines += [f"- **{profile}**: {note}" for profile, note in notes.items()]
        lines += [""] if notes else []
        for figure in experiment.figures:
            lines += [f"### {_plain(figure.title)}", ""]
            if figures is not None and (figures / f"{figure.stem}.png").exists():
                lines += [f"![{_plain(figure.title)}](figures/{figure.stem}.png)", ""]
            lines += [f"*{figure.caption}*", ""]
    return "\n".join(lines)


@event_priority(100)  # before mkdocs-jupyter's, which turns the notebooks into pages
def on_files(files, config):
    for page, source in PAGES.items():
        text = rewrite_links((ROOT / source).read_text(), source)
        files.append(File.generated(config, page, content=text))
    for notebook in _notebooks():  # a file of the repository (mkdocs-jupyter reads it there)
        uri = f"notebooks/{notebook.name}"
        files.append(File(uri, str(ROOT), config.site_dir, config.use_directory_urls))
    figures = _results_figures()
    files.append(File.generated(config, "experiments.md", content=experiments_page(figures)))
    for png in sorted(figures.glob("*.png")) if figures is not None else []:
        files.append(File.generated(config, f"figures/{png.name}", abs_src_path=str(png)))
    return files
