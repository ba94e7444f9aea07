"""Random corruptions of a results directory, driven through the CLI and the store.

Each trial copies a directory written by ``mirl run``, damages a few of its files at random
(truncation, deleted and added keys, values of the wrong type, edits that break the
checksum, foreign files where records belong) and then reads it (``mirl.results.load``,
``mirl report``) and resumes it (``mirl run``, same command). It asserts:

- no traceback: nothing but a one-line ``mirl:`` refusal ever escapes;
- no finished record lost: every record left alone is byte-identical afterwards, and every
  damaged one still exists, as it was or set aside (``.corrupt-*``), never deleted;
- every problem named: each damaged file that no longer reads as a valid record is named
  by ``load``'s warnings, by the report, and (if it is a seed the sweep asked for) in the
  rerun's "set aside" lines; after the rerun every asked seed is whole again.
"""

from __future__ import annotations

import json
import random
import shutil
import warnings
from pathlib import Path

import pytest

from mirl.cli import main
from mirl.results import load
from mirl.results.store import CorruptRecord, ResultStore

RUN = ["run", "noniid", "--profile", "smoke", "--seeds", "2", "--steps", "8", "--evals", "2"]
TRIALS = 12
WRONG_VALUES = ["x", 1.5, -3, [], {}, None, True, [1, "a"], {"k": 1}]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("written")
    assert main([*RUN, "--out", str(out), "--quiet"]) == 0
    return out


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _containers(record: dict, rng: random.Random) -> tuple[dict, str]:
    """A random part of a record, as a dict to alter, and its name."""
    where = rng.choice(["record", "spec", "meta", "row"])
    if where == "row" and record.get("rows"):
        return rng.choice(record["rows"]), "a row"
    if where in ("spec", "meta") and isinstance(record.get(where), dict):
        return record[where], where
    return record, "the record"


def _reseal(path: Path, change) -> None:
    from mirl._files import sha256
    from mirl.results.store import _canonical

    record = json.loads(path.read_bytes())["record"]
    change(record)
    path.write_bytes(_canonical({"sha256": sha256(_canonical(record)), "record": record}))


def corrupt(root: Path, rng: random.Random, records: list[Path]) -> tuple[str, Path]:
    """Damage one of ``records`` (or add a foreign file beside it); say what was done, and
    where. ``records`` are the written records not yet damaged."""
    path = rng.choice(records)
    kind = rng.choice(
        [
            "truncate",
            "truncate arrays",
            "delete key",
            "add key",
            "wrong type",
            "unsealed edit",
            "foreign file",
            "foreign folder",
            "copy to another seed",
            "stray record",
        ]
    )
    if kind == "truncate":
        blob = path.read_bytes()
        path.write_bytes(blob[: rng.randrange(len(blob))])
    elif kind == "truncate arrays":
        npz = path.with_suffix(".npz")
        blob = npz.read_bytes()
        npz.write_bytes(blob[: rng.randrange(len(blob))])
    elif kind in ("delete key", "add key", "wrong type"):
        detail = []

        def change(record: dict) -> None:
            part, name = _containers(record, rng)
            if kind == "add key":
                part[f"extra_{rng.randrange(100)}"] = rng.choice(WRONG_VALUES)
                detail.append(f"to {name}")
            elif part:
                key = rng.choice(sorted(part))
                if kind == "delete key":
                    del part[key]
                else:
                    part[key] = rng.choice(WRONG_VALUES)
                detail.append(f"{key!r} of {name}")

        _reseal(path, change)
        kind = f"{kind} {' '.join(detail)}"
    elif kind == "unsealed edit":
        wrapper = json.loads(path.read_bytes())
        wrapper["record"]["rows"][-1]["train_bound"] = 123.0
        path.write_text(json.dumps(wrapper))
    elif kind == "foreign file":
        path = _new_seed(path.parent, rng)
        path.write_bytes(rng.randbytes(rng.randrange(1, 200)))
    elif kind == "foreign folder":
        path = _new_seed(path.parent, rng)
        path.mkdir()
    elif kind == "copy to another seed":
        target = path.with_name(f"seed-{1 - int(path.stem.split('-')[1])}.json")
        if target not in records:  # already damaged: copy to a new seed instead
            target = _new_seed(path.parent, rng)
        target.write_bytes(path.read_bytes())
        path = target
    else:  # a valid record of one run, in another run's folder
        other = rng.choice([p for p in records if p.parent != path.parent] or records)
        target = _new_seed(other.parent, rng)
        target.write_bytes(path.read_bytes())
        path = target
    if path in records:
        records.remove(path)
    return kind, path


def _new_seed(folder: Path, rng: random.Random) -> Path:
    """A seed file name not yet taken in ``folder``."""
    while (path := folder / f"seed-{rng.randrange(2, 99)}.json").exists():
        pass
    return path


def reads_as_a_record(store: ResultStore, path: Path) -> bool:
    try:
        store.read(path).arrays()
    except (CorruptRecord, OSError):
        return False
    return True


@pytest.mark.parametrize("trial", range(TRIALS))
def test_random_corruptions_are_named_and_nothing_finished_is_lost(
    written, tmp_path, trial, capsys
):
    rng = random.Random(trial)
    root = tmp_path / "out"
    shutil.copytree(written, root)
    before = snapshot(root)
    records = sorted((root / "runs").rglob("seed-*.json"))
    damage = [corrupt(root, rng, records) for _ in range(rng.randint(1, 3))]
    damaged = {path: kind for kind, path in damage}
    store = ResultStore(root)
    bad = {p for p in damaged if not reads_as_a_record(store, p)}
    story = f"trial {trial}: " + "; ".join(f"{k} at {p.relative_to(root)}" for k, p in damage)
    print(story, "| unreadable:", len(bad))  # shown on failure
    untouched = {
        rel: blob
        for rel, blob in before.items()
        if root / rel not in damaged and (root / rel).with_suffix(".json") not in damaged
    }

    # Read: the table and the report name every bad record and never crash.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load(root)
    named = "\n".join(str(w.message) for w in caught)
    for path in bad:  # as the record, or its arrays
        assert str(path.with_suffix("")) in named, story
    if trial < 3:
        pytest.importorskip("matplotlib")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert main(["report", str(root)]) == 0
        page = (root / "report.html").read_text()
        for path in bad:
            assert str(path.relative_to(root)) in page, story

    # Resume: the same command sets bad seeds aside, redoes them, and keeps the rest.
    capsys.readouterr()
    try:
        code = main([*RUN, "--out", str(root), "--quiet"])
    except SystemExit as refusal:  # only a one-line refusal naming a damaged run
        message = str(refusal.code)
        assert message.startswith("mirl: ") and "\n" not in message, story
        assert "other settings" in message, story
        assert any(path.parent.name in message for path in damaged), story
        code = None
    out = capsys.readouterr().out
    for rel, blob in untouched.items():
        assert (root / rel).read_bytes() == blob, f"{story}: {rel} changed"
    for path in damaged:
        aside = list(path.parent.glob(f"{path.name}.corrupt-*"))
        assert path.exists() or aside, f"{story}: {path} was deleted"
    if code is None:
        return
    assert code == 0, story
    asked = {
        root / "runs" / p.parent.parent.name / p.parent.name / p.name
        for p in written.rglob("seed-*.json")
    }
    for path in bad & asked:
        assert f"set aside corrupt record: {path}.corrupt-" in out, story
    records, corrupt_left = ResultStore(root).scan()
    assert {p for p, _ in corrupt_left} == bad - asked, story
    assert {r.path for r in records if r.status == "ok"} >= asked, story
