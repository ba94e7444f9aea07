"""What ``mirl import-colab`` prints: a summary of an import, or the one-line reason it failed."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mirl.colab.schema import ColabImportError, ColabResults
from mirl.colab.storage import FOLDER, import_colab


def summary_lines(results: ColabResults, folder: Path) -> list[str]:
    """What an import holds, in a few lines."""
    how = (
        "plain pickle (--trust)"
        if results.trusted
        else "the restricted unpickler (numpy, pandas and the Colab's result types only)"
    )
    lines = [f"imported {', '.join(results.sources)} into {folder}, loaded with {how}"]
    if len(results.frame):
        lines.append(f"  result frame: {len(results.frame)} rows")
        counts = results.frame["exp_name"].value_counts(sort=False)
        lines += [f"    {exp}: {n} rows" for exp, n in counts.items()]
    for bound, (iterations, log_condition) in results.condition_numbers.items():
        lines.append(
            f"  Jacobian log condition numbers, {bound}: {len(iterations)} evaluations x "
            f"{log_condition.shape[1]} samples"
        )
    if results.noniid is not None:
        steps = len(results.noniid["infonce_noniid"])
        lines.append(f"  non-iid bound traces: {steps} steps each; true MI {results.mi_true:.4f}")
    if results.adversarial is not None:
        lines.append(f"  adversarial accuracy curve: {len(results.adversarial[0])} evaluations")
    return lines


def cli_import_colab(
    files: Sequence[str | os.PathLike], out: str | os.PathLike, trust: bool = False
) -> int:
    """``mirl import-colab FILE... --out DIR [--trust]``: import, print a summary; the exit
    status (0 on success, 1 with the reason on stderr)."""
    try:
        results = import_colab(files, out, trust)
    except (ColabImportError, OSError) as err:
        print(f"mirl: {err}", file=sys.stderr)
        return 1
    for line in summary_lines(results, Path(out) / FOLDER):
        print(line)
    return 0
