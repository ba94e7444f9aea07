"""Planning a sweep: the jobs (a run and a group of its seeds) still to do.

``plan`` compares what is asked with what the store holds: finished seeds are skipped,
missing, failed and corrupt ones are (re)done, and a run stored with other settings or on
other data is an error rather than a silent mix (a run whose stored seeds all failed does
not bind: its records are set aside, and the summary says so). Given the data set, ``plan``
also checks that every run's batches fit in it, before any training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mirl.data.views import DataSummary, data_summary
from mirl.results.store import ResultStore
from mirl.runtime.kinds import check_group_memory, kind_of
from mirl.runtime.run_spec import RunSpec


@dataclass
class Job:
    """One unit of work: a run's spec trained for a group of its seeds at once, on the data
    set whose identity is ``data`` (None for runs that use none, or where it is not known)."""

    spec: RunSpec
    seeds: list[int]
    data: dict[str, str] | None = None

    @property
    def label(self) -> str:
        return f"{self.spec.run_id} seeds {_span(self.seeds)}"

    @property
    def steps(self) -> int:
        return self.spec.steps


def _span(seeds: Sequence[int]) -> str:
    return f"{seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else str(seeds[0])


@dataclass
class SweepSummary:
    """What a sweep did: seeds trained, skipped as already done, failed (with errors), and
    corrupt records set aside."""

    trained: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    set_aside: list[str] = field(default_factory=list)
    set_aside_failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        """Seeds this sweep has stored so far (finished or failed)."""
        return len(self.trained) + len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self, out: str) -> list[str]:
        lines = [
            f"trained {len(self.trained)} seed runs, skipped {len(self.skipped)} already done, "
            f"{len(self.failed)} failed, in {self.seconds:.0f} s; results in {out}"
        ]
        lines += [f"  set aside corrupt record: {p}" for p in self.set_aside]
        lines += [
            f"  set aside failed record made with other settings: {p}"
            for p in self.set_aside_failed
        ]
        lines += [f"  FAILED {run} seed {seed}: {error}" for run, seed, error in self.failed]
        return lines


def check_fits(specs: Sequence[RunSpec], data: DataSummary) -> None:
    """Raise ValueError, naming every setting too large for ``data``, if any run would draw
    more examples at once than a split of the data set holds."""
    sizes = {"train": data.n_train, "test": data.n_test}
    problems = []
    for spec in specs:
        if not kind_of(spec).uses_images:
            continue
        for setting, n, split in kind_of(spec).draws(spec):
            if n > sizes[split]:
                problem = (
                    f"{setting} {n} is larger than the {split} set of {data.name} "
                    f"({sizes[split]} images)"
                )
                if problem not in problems:
                    problems.append(problem)
    if problems:
        raise ValueError("; ".join(problems))


def check_sizes(specs: Sequence[RunSpec], seeds: int, device, data: str = "mnist") -> None:
    """Raise ValueError before anything is trained or written if a run does not fit: its
    batches in the data set ``data`` (``check_fits``), then a group of ``seeds`` of its seeds
    in the memory of ``device`` (``check_group_memory``)."""
    if any(kind_of(s).uses_images for s in specs):
        check_fits(specs, data_summary(data))
    check_group_memory(specs, seeds, device)


def plan(
    store: ResultStore,
    specs: Sequence[RunSpec],
    seeds: Sequence[int],
    group_size: int | None = None,
    data: DataSummary | None = None,
) -> tuple[list[Job], SweepSummary]:
    """The jobs still to do for ``specs`` x ``seeds``, in groups of at most ``group_size``
    seeds (all pending seeds of a run in one group by default).

    ``data`` is the data set the runs that train on images will use: their batches are
    checked against its sizes, and its identity is part of the run's identity (jobs carry
    it; stored seeds made on other data are refused). Without it, data is not checked.
    Nothing is changed in the store unless the whole plan is accepted.
    """
    if group_size is not None and group_size < 1:
        raise ValueError(f"the group size must be at least 1, got {group_size}")
    names = [s.run_id for s in specs]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"these runs would be stored under the same name: {', '.join(clashes)}")
    if data is not None:
        check_fits(specs, data)
    identity = None if data is None else data.identity
    conflicts = store.check_same_settings(specs, identity)
    summary = SweepSummary()
    for conflict in conflicts:  # only runs whose stored seeds all failed get here
        moved = store.set_aside_records(conflict.records, "failed")
        summary.set_aside_failed += [str(p) for p in moved]
    jobs = []
    for spec in specs:
        pending = []
        for seed in seeds:
            status = store.status(spec, seed)
            if status == "ok":
                summary.skipped.append((spec.run_id, seed))
                continue
            if status == "corrupt":
                summary.set_aside.append(str(store.set_aside(spec, seed)))
            pending.append(seed)
        size = group_size or len(pending) or 1
        job_data = identity if kind_of(spec).uses_images else None
        jobs += [Job(spec, pending[i : i + size], job_data) for i in range(0, len(pending), size)]
    return jobs, summary
