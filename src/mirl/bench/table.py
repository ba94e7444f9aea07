"""``mirl bench``'s records as a readable table."""

from __future__ import annotations


def _floor(r: dict) -> str:
    return (
        "" if r.get("floor_ratio") is None else f"{r['floor_ms']:>9.3f} {r['floor_ratio']:>7.1f}x"
    )


def _ratio(value: float | None, width: int = 8) -> str:
    return f"{'-':>{width}} " if value is None else f"{value:>{width}.2f}x"


def table(records: list[dict]) -> str:
    """One line per step timing (with its arithmetic floor), then the other measurements."""
    head = (
        "item",
        "mode",
        "K",
        "ms/step",
        "steps/s/seed",
        "vs plain",
        "vs K=1",
        "floor ms",
        "/floor",
    )
    lines = []
    if any(r["kind"].startswith("train_step") for r in records):
        lines.append("{:<44} {:<13} {:>3} {:>9} {:>13} {:>9} {:>7} {:>9} {:>8}".format(*head))
    for r in records:
        if r["kind"] == "train_step":
            lines.append(
                f"{r['item']:<44} {r['mode']:<13} {r['seeds']:>3} {r['ms_per_step']:>9.2f} "
                f"{r['steps_per_second_per_seed']:>13.1f} {_ratio(r['speedup_vs_plain'])} "
                f"{_ratio(r['speedup_vs_k1'], 6)} {_floor(r)}"
            )
        elif r["kind"] == "train_step_failed":
            lines.append(f"{r['item']:<44} {r['mode']:<13} {r['seeds']:>3} FAILED: {r['error']}")
    for r in records:
        kind, k = r["kind"], r["seeds"]
        if kind == "evaluation":
            lines.append(f"evaluation {r['item']} K={k}: {r['seconds']:.2f} s ({r['probe']} probe)")
        elif kind == "jacobian":
            per = ", ".join(
                f"{m} {s * 1e3:.2f} ms" for m, s in r["spectra_seconds_per_matrix"].items()
            )
            lines.append(
                f"jacobian {k} seeds x {r['samples']} samples: {r['jacobian_seconds']:.2f} s; "
                f"spectra per matrix: {per}; all on {r['cpu_workers']} CPU threads "
                f"{r['spectra_seconds_cpu_all_seeds']:.1f} s"
            )
        elif kind == "probe":
            lines.append(
                f"{r['item']}: saga {r['saga_seconds_per_seed']:.2f} s/seed, torch "
                f"{r['torch_seconds']:.2f} s for {k} seeds ({r['speedup_torch_vs_saga']:.1f}x); "
                f"max |accuracy difference| {r['max_abs_accuracy_difference']:.4f}"
            )
        elif kind == "projection":
            split = ", ".join(
                f"{name} {seconds / 60:.1f}"
                for name, seconds in r["per_experiment_seconds"].items()
            )
            lines.append(
                f"paper profile, {r['probe']} probe, {r['step_mode']} steps, groups of {k}: "
                f"{r['seconds'] / 60:.1f} min (device minutes: {split})"
            )
        elif kind == "busy":
            lines.append(
                f"beside a busy process, {r['threads']} threads, OMP_WAIT_POLICY="
                f"{r['wait_policy']}: {r['idle_ms']:.1f} ms idle, {r['busy_ms']:.1f} ms busy "
                f"({r['slowdown']:.1f}x)"
            )
    return "\n".join(lines)
