"""``DIR/report.html``: one self-contained page of everything an output directory holds.

The page (figures embedded as base64 PNG, inline CSS, nothing fetched) shows, per
experiment in the paper's order: its figure numbers and claim, its figures, the final
accuracy and bounds of each run (the paper's quantity and, where the run has it, the bound
on the test images; mean +- sample sd over seeds at the run's last evaluation) or, for
estimation runs (``mirl estimate``), the bias and spread of each estimator against the true
MI, its settings and its wall time; then the pixel baseline, failed runs with their errors, corrupt
records, and the software and devices that produced the results. It is built from the
stored records alone: nothing here trains.
"""

from __future__ import annotations

import base64
import html
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mirl import __version__
from mirl._files import atomic_write
from mirl.estimation import summarize
from mirl.experiments import EXPERIMENTS
from mirl.figures import Check, FigureData, figure_data, results_dir, scan
from mirl.paper.baseline import read_baseline
from mirl.report.figures import FIGURE_DIR, draw_all, figures_of, ordered_experiments
from mirl.report.summary import (
    TIME_KEYS,
    final_results,
    format_mean_sd,
    format_seconds,
    format_setting,
    time_spent,
)
from mirl.results.store import Record

REPORT_NAME = "report.html"
PAPER = (
    'Tschannen, Djolonga, Rubenstein, Gelly, Lucic, "On Mutual Information Maximization for '
    'Representation Learning", ICLR 2020 (arXiv 1907.13625)'
)
ENVIRONMENT_KEYS = (
    "mirl_version",
    "torch_version",
    "python_version",
    "device",
    "device_name",
    "host",
)
CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222;
       max-width: 1200px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-bottom: .3em; }
.muted { color: #666; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .92em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, pre { font: .9em ui-monospace, "SFMono-Regular", Menlo, monospace; }
pre { white-space: pre-wrap; margin: 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr));
           gap: 1em; }
figure { margin: 0; border: 1px solid #eee; padding: .5em; }
figure img { width: 100%; height: auto; }
figcaption { font-size: .88em; color: #444; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value))


def table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """An HTML table of plain-text cells (escaped here); columns in ``numeric`` align right."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_html(png: Path, caption: str) -> str:
    """A PNG embedded as a data URI, with its caption."""
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{esc(png.stem)}" src="data:image/png;base64,{data}">'
        f"<figcaption><code>{esc(png.stem)}</code>: {esc(caption)}</figcaption></figure>"
    )


def results_html(final: pd.DataFrame) -> str:
    """The end values of an experiment's runs; the test-image column only where a run has it."""
    rows = [
        [
            r.name,
            str(int(r.step)),
            str(int(r.seeds)),
            format_mean_sd(r.accuracy_mean, r.accuracy_sd, 4),
            format_mean_sd(r.paper_bound_mean, r.paper_bound_sd, 3),
            format_mean_sd(r.test_bound_mean, r.test_bound_sd, 3),
        ]
        for r in final.itertuples()
    ]
    header = [
        "Run",
        "Last step",
        "Seeds",
        "Accuracy",
        "Bound I_EST on training batches, as the paper (nats)",
        "Bound on test images (nats)",
    ]
    if final["test_bound_mean"].isna().all():
        header, rows = header[:-1], [row[:-1] for row in rows]
    return table(header, rows, numeric=(1, 2, 3, 4, 5))


def estimates_html(estimates: pd.DataFrame) -> str:
    """Bias and spread of each estimator per task and MI level (``mirl.estimation.summarize``)."""
    rows = [
        [
            r.task,
            f"{r.true_mi:.3f}",
            r.critic,
            r.bound + (f" ({r.setting})" if r.setting else ""),
            str(int(r.step)),
            str(int(r.seeds)),
            f"{r.estimate_mean:.3f}",
            f"{r.bias:+.3f}",
            "—" if pd.isna(r.estimate_sd) else f"{r.estimate_sd:.3f}",
        ]
        for r in estimates.itertuples()
    ]
    header = ["Task", "True MI", "Critic", "Bound", "Step", "Seeds", "Estimate", "Bias", "SD"]
    note = (
        '<p class="muted">The held-out estimate (nats) at the last evaluation of each MI '
        "level; bias: its mean over seeds minus the true MI; SD: its sample standard "
        "deviation over seeds.</p>"
    )
    return note + table(header, rows, numeric=(1, 4, 5, 6, 7, 8))


def settings_html(records: Sequence[Record]) -> str:
    """The runs' settings: those shared by every run once, then a table of those that vary."""
    specs: dict[str, dict[str, Any]] = {}
    seeds: dict[str, list[int]] = {}
    for r in records:
        specs.setdefault(r.name, {k: v for k, v in r.spec.items() if k != "experiment"})
        seeds.setdefault(r.name, []).append(r.seed)
    keys = sorted({k for spec in specs.values() for k in spec})
    shared = [k for k in keys if len({format_setting(s.get(k)) for s in specs.values()}) == 1]
    varying = [k for k in keys if k not in shared]
    first = next(iter(specs.values()))
    parts = [
        "<p>Shared by all runs: "
        + ", ".join(f"<code>{esc(k)}={esc(format_setting(first.get(k)))}</code>" for k in shared)
        + "</p>"
    ]
    rows = [
        [name, ", ".join(map(str, sorted(seeds[name])))]
        + [format_setting(spec.get(k, "")) for k in varying]
        for name, spec in specs.items()
    ]
    parts.append(table(["Run", "Seeds", *varying], rows))
    return "".join(parts)


def experiment_html(
    name: str,
    records: Sequence[Record],
    final: pd.DataFrame,
    figures: Sequence[Path],
    seconds: float,
    data: FigureData,
) -> str:
    """One experiment's section: claim, results table, figures, its claims checked on these
    results, settings, wall time. ``data`` is the experiment's alone."""
    experiment = EXPERIMENTS.get(name)
    figure_label = f"{experiment.reference}: " if experiment and experiment.reference else ""
    failed = sum(r.status != "ok" for r in records)
    parts = [
        f'<h2 id="{esc(name)}">{esc(figure_label + name)}</h2>',
        f"<p>{esc(experiment.description) if experiment else ''}</p>",
        f'<p class="muted">{len(records)} seed records ({failed} failed); training wall time '
        f"{esc(format_seconds(seconds))}.</p>",
    ]
    frame = data.frame
    estimates = summarize(frame)
    true_mi = frame.get("true_mi")
    if estimates.empty and true_mi is not None and true_mi.notna().any():
        values = ", ".join(f"{v:.4f}" for v in sorted(true_mi.dropna().unique()))
        parts.append(f"<p>True MI of the pairs: {esc(values)} nats.</p>")
    mine = final[final["experiment"] == name]
    if not estimates.empty:
        parts += ["<h3>Estimates against the true MI</h3>", estimates_html(estimates)]
    elif not mine.empty:
        parts += ["<h3>Final results</h3>", results_html(mine)]
    pngs = {p.stem: p for p in figures if p.suffix == ".png"}
    shown = [figure_html(pngs[f.stem], f.caption) for f in figures_of(name, data) if f.stem in pngs]
    if shown:
        parts.append(f'<div class="figures">{"".join(shown)}</div>')
    if experiment is not None and experiment.claims is not None:
        parts.append(claims_html(claims_of(name, experiment.claims, data)))
    parts += ["<h3>Settings</h3>", settings_html(records)]
    return "".join(parts)


def claims_of(name: str, claims: Any, data: FigureData) -> list[Check]:
    """The claims of experiment ``name`` checked on ``data``; a results directory that the
    check cannot read (a foreign or damaged run) gives a warning, not a broken report."""
    try:
        return list(claims(data))
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as err:
        warnings.warn(
            f"the claims of {name} could not be checked on these results: "
            f"{type(err).__name__}: {err}",
            stacklevel=2,
        )
        return []


def claims_html(checks: Sequence[Check]) -> str:
    """The claims with whether these results show them (``mirl.figures.claims``)."""
    if not checks:
        return ""
    rows = [
        [c.figure, c.claim, "shown" if c.shown else "not shown here", c.evidence] for c in checks
    ]
    return "<h3>The paper's claims in these results</h3>" + table(
        [
            "Figure",
            "The paper",
            "These runs",
            "Mean over seeds at the last evaluation (a -> b: from the first)",
        ],
        rows,
    )


def baseline_html(baseline: dict[str, Any] | None) -> str:
    if baseline is None:
        return "<p>No <code>baseline.json</code> in this directory.</p>"
    detail = ", ".join(f"{k}={baseline[k]}" for k in sorted(baseline) if k != "accuracy")
    return (
        f"<p>Linear probe on the noisy top-half pixels: accuracy "
        f"<b>{float(baseline['accuracy']):.4f}</b> ({esc(detail)}); the paper reports about "
        f"0.835 on MNIST. Dotted line on the accuracy figures of Fig. 2, 3 and 4.</p>"
    )


def failures_html(records: Sequence[Record]) -> str:
    failed = [r for r in records if r.status != "ok"]
    if not failed:
        return "<p>None.</p>"
    rows = [[r.experiment, r.name, str(r.seed), r.error or ""] for r in failed]
    return table(["Experiment", "Run", "Seed", "Error"], rows)


def corrupt_html(corrupt: Sequence[tuple[Path, str]], root: Path) -> str:
    if not corrupt:
        return "<p>None.</p>"
    rows = [[str(path.relative_to(root)), problem] for path, problem in corrupt]
    return table(["Record", "Problem"], rows)


def environment_html(records: Sequence[Record]) -> str:
    """The distinct software versions and devices, with how many records each produced."""
    counts: dict[tuple[str, ...], int] = {}
    for r in records:
        key = tuple(str(r.meta.get(k, "—")) for k in ENVIRONMENT_KEYS)
        counts[key] = counts.get(key, 0) + 1
    rows = [[*key, str(n)] for key, n in sorted(counts.items())]
    return table([*ENVIRONMENT_KEYS, "records"], rows, numeric=(len(ENVIRONMENT_KEYS),))


def summary_html(
    names: Sequence[str], records: Sequence[Record], times: dict[str, dict[str, float]]
) -> str:
    """Per experiment: its runs and seeds, its training wall time and where it went (probe
    fits beside training overlap the steps, so the parts need not add up to the whole)."""
    rows = []
    none = dict.fromkeys(TIME_KEYS, 0.0)
    for name in names:
        mine = [r for r in records if r.experiment == name]
        experiment = EXPERIMENTS.get(name)
        rows.append(
            [
                name,
                experiment.reference if experiment else "",
                str(len({r.name for r in mine})),
                str(sum(r.status == "ok" for r in mine)),
                str(sum(r.status != "ok" for r in mine)),
                *(format_seconds(times.get(name, none)[key]) for key in TIME_KEYS),
            ]
        )
    totals = [sum(t[key] for t in times.values()) for key in TIME_KEYS]
    rows.append(["total", "", "", "", "", *map(format_seconds, totals)])
    header = ["Experiment", "Paper", "Runs", "Seeds ok", "Seeds failed", "Training time"]
    header += ["steps", "evaluations", "probe fits"]
    return table(header, rows, numeric=tuple(range(2, len(header))))


def page(
    root: Path,
    records: Sequence[Record],
    corrupt: Sequence[tuple[Path, str]],
    data: FigureData,
    figures: Sequence[Path],
) -> str:
    """The report's HTML, from the records under ``root`` (``data``: their finished ones, as
    figures read them) and the figures drawn of them."""
    final = final_results(data.frame)
    times = time_spent(records)
    baseline = read_baseline(root)
    names = ordered_experiments({r.experiment for r in records})
    nav = "".join(f'<a href="#{esc(n)}">{esc(n)}</a>' for n in names)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    sections = [
        experiment_html(
            n,
            [r for r in records if r.experiment == n],
            final,
            figures,
            times.get(n, {}).get("seconds", 0.0),
            data.of(n),
        )
        for n in names
    ]
    body = [
        "<h1>mirl: results report</h1>",
        f'<p class="muted">Reproduction of {esc(PAPER)}.<br>Directory <code>{esc(root)}</code>; '
        f"written {esc(stamp)} by mirl {esc(__version__)} from the stored records "
        "(no training).</p>",
        f"<nav>{nav}</nav>" if names else "<p>This directory holds no results yet.</p>",
        "<h2>Summary</h2>",
        summary_html(names, records, times),
        "<h2>Pixel baseline</h2>",
        baseline_html(baseline),
        *sections,
        '<h2 id="failures">Failed runs</h2>',
        failures_html(records),
        '<h2 id="corrupt">Corrupt or unreadable records</h2>',
        corrupt_html(corrupt, root),
        '<h2 id="environment">Software and devices</h2>',
        environment_html(records),
        f'<p class="muted">Figures as PNG and PDF in <code>{esc(root / FIGURE_DIR)}</code>. '
        "Bands and ± are one sample standard deviation over seeds.</p>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>mirl report: {esc(root.name)}</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def write_report(root: str | os.PathLike) -> Path:
    """Redraw the figures and write ``root/report.html``; return its path.

    Raises ``FileNotFoundError`` or ``NotADirectoryError`` (and creates nothing) if ``root``
    is no directory."""
    root = results_dir(root)
    records, corrupt = scan(root)
    data = figure_data(root, records)
    figures = draw_all(data, root)
    path = root / REPORT_NAME
    atomic_write(path, page(root, records, corrupt, data, figures).encode("utf-8"))
    return path
