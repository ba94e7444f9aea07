"""Importing the Colab's result pickles: files built here with the Colab's structure (its
namedtuples living in ``__main__``, a DataFrame pickled by pandas, and one in the layout of
the pandas 0.2x / numpy 1.x of 2019), loaded without trust."""

from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from mirl.colab import (
    COLUMNS,
    ColabImportError,
    cli_import_colab,
    import_colab,
    load_colab,
)
from mirl.results.store import CorruptRecord

# The Colab's namedtuples, as its notebook defined them (in __main__).
ResultsConfig = collections.namedtuple("ResultsConfig", ["nets", "critic", "loss"])
Results = collections.namedtuple(
    "Results",
    [
        "iterations",
        "training_losses",
        "testing_losses",
        "classification_accuracies",
        "singular_values",
    ],
)
ResultsAdversarial = collections.namedtuple(
    "ResultsAdversarial", ["losses_e", "losses_c", "classification_accuracies", "iters"]
)
ResultsSamplingIssues = collections.namedtuple(
    "ResultsSamplingIssues",
    [
        "mi_true",
        "nce_estimates_noniid",
        "nce_estimates_iid",
        "nwj_estimates_noniid",
        "nwj_estimates_iid",
    ],
)
NAMEDTUPLES = (ResultsConfig, Results, ResultsAdversarial, ResultsSamplingIssues)

ITERATIONS = [0, 1000, 2000]
# (exp_name, nets, Critic, Estimator) as the Colab's convert_to_data_frame wrote them, and
# what mirl makes of them: (Critic, Estimator, target, label).
RUNS = {
    ("invertible", "realnvp", "Bilinear", "$I_{NCE}$"): (
        "bilinear",
        "infonce",
        None,
        "realnvp, bilinear, infonce",
    ),
    ("critic_impact", "mlp", "MLP", "$I_{NWJ}$"): ("concat", "nwj", None, "mlp, concat, nwj"),
    ("critic_impact", "mlp", "Separable", "$I_{NCE}$"): (
        "separable",
        "infonce",
        None,
        "mlp, separable, infonce",
    ),
    ("encoder_impact", "convnet", "Bilinear", "nce-2"): (
        "bilinear",
        "infonce",
        2.0,
        "convnet, bilinear, infonce, t=2",
    ),
    ("encoder_impact", "mlp", "Bilinear", "nwj-4"): (
        "bilinear",
        "nwj",
        4.0,
        "mlp, bilinear, nwj, t=4",
    ),
}
N_SEEDS = 2
FRAME_COLUMNS = [
    "exp_name",
    "nets",
    "Critic",
    "Estimator",
    "run",
    "iteration",
    "bound_value",
    "accuracy",
    "label",
]


def _values(key: tuple, seed: int) -> tuple[list[float], list[float]]:
    """Distinct, exactly representable bound values and accuracies for one run."""
    offset = list(RUNS).index(key) * 10 + seed
    return [-(offset + i / 4) for i in range(3)], [0.5 + (offset + i) / 256 for i in range(3)]


def colab_frame() -> pd.DataFrame:
    """The Colab's result frame: per run and seed, ``convert_to_data_frame``'s rows, concatenated
    (so the index repeats), bounds as float32 as its TF losses were."""
    frames = []
    for key in RUNS:
        exp_name, nets, critic, estimator = key
        for seed in range(N_SEEDS):
            bounds, accuracies = _values(key, seed)
            raw_critic = {"MLP": "concat"}.get(critic, critic.lower())
            raw_loss = {"$I_{NCE}$": "nce", "$I_{NWJ}$": "nwj"}.get(estimator, estimator)
            frames.append(
                pd.DataFrame(
                    {
                        "exp_name": exp_name,
                        "nets": nets,
                        "Critic": critic,
                        "Estimator": estimator,
                        "run": seed,
                        "iteration": ITERATIONS,
                        "bound_value": np.float32(bounds),
                        "accuracy": accuracies,
                        "label": f"{nets}, {raw_critic}, {raw_loss}",
                    },
                    columns=FRAME_COLUMNS,
                )
            )
    return pd.concat(frames)


def expected_frame() -> pd.DataFrame:
    rows = []
    for key, (critic, bound, target, label) in RUNS.items():
        for seed in range(N_SEEDS):
            for iteration, value, accuracy in zip(ITERATIONS, *_values(key, seed), strict=True):
                rows.append(
                    [key[0], key[1], critic, bound, target, seed, iteration, value, accuracy, label]
                )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"target": float, "bound_value": float})


def singular_values(rng: np.random.Generator, n: int = 4) -> list[np.ndarray]:
    """Per evaluation, ``[n, 392]`` singular values (float32, as TF computed them)."""
    return [rng.uniform(0.01, 5.0, size=(n, 392)).astype(np.float32) for _ in ITERATIONS]


def colab_condition_numbers() -> list:
    rng = np.random.default_rng(0)

    def runs(count: int) -> list:
        return [
            Results(
                iterations=ITERATIONS,
                training_losses=[np.float32(-1.5)] * 5,
                testing_losses=[np.float32(-1.0)] * 3,
                classification_accuracies=[0.84, 0.85, 0.86],
                singular_values=singular_values(rng),
            )
            for _ in range(count)
        ]

    return [
        (ResultsConfig("mlp", "bilinear", "nce"), runs(2)),
        (ResultsConfig("mlp", "separable", "nce"), runs(1)),  # not a bilinear critic: skipped
        (ResultsConfig("mlp", "bilinear", "nwj"), runs(3)),
    ]


def naive_log_condition(runs: list) -> np.ndarray:
    """``[T, n]``: for each evaluation and sample, log(max) - log(min), runs side by side."""
    return np.array(
        [
            [
                np.log(float(max(sample))) - np.log(float(min(sample)))
                for run in runs
                for sample in run.singular_values[t]
            ]
            for t in range(len(ITERATIONS))
        ]
    )


def colab_noniid() -> ResultsSamplingIssues:
    trace = [np.float32(v) for v in np.linspace(-0.1, 0.2, 50)]
    return ResultsSamplingIssues(
        mi_true=np.float64(0.125),
        nce_estimates_noniid=trace,
        nce_estimates_iid=trace[::-1],
        nwj_estimates_noniid=[2 * v for v in trace],
        nwj_estimates_iid=[-v for v in trace],
    )


def colab_adversarial() -> ResultsAdversarial:
    return ResultsAdversarial(
        losses_e=[np.float32(2.3)] * 4,
        losses_c=[np.float32(0.3)] * 4,
        classification_accuracies=[0.9, 0.6, 0.3],
        iters=[0, 400, 800],
    )


@pytest.fixture
def as_main(monkeypatch):
    """Put the namedtuples in ``__main__``, where the Colab defined them, while pickling."""
    for cls in NAMEDTUPLES:
        monkeypatch.setattr(cls, "__module__", "__main__")
        monkeypatch.setattr(sys.modules["__main__"], cls.__name__, cls, raising=False)


@pytest.fixture
def colab_files(tmp_path, as_main) -> dict[str, Path]:
    """The Colab's four files, pickled as they were (pandas' to_pickle for the frame; Python 2's
    default protocol 0 for one of the namedtuple files)."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    files = {name: folder / f"{name}_results.pkl" for name in ("mi", "noniid", "adv", "cond")}
    colab_frame().to_pickle(files["mi"])
    files["noniid"].write_bytes(pickle.dumps(colab_noniid(), protocol=0))
    files["adv"].write_bytes(pickle.dumps(colab_adversarial(), protocol=2))
    files["cond"].write_bytes(pickle.dumps(colab_condition_numbers(), protocol=4))
    return files


def check_results(results) -> None:
    pd.testing.assert_frame_equal(
        results.frame, expected_frame(), check_dtype=False, check_exact=True
    )
    assert results.frame["run"].dtype == np.int64
    assert results.frame["bound_value"].dtype == np.float64
    cond = colab_condition_numbers()
    assert sorted(results.condition_numbers) == ["infonce", "nwj"]
    for bound, (_, runs) in zip(["infonce", "nwj"], [cond[0], cond[2]], strict=True):
        iterations, log_condition = results.condition_numbers[bound]
        np.testing.assert_array_equal(iterations, ITERATIONS)
        assert log_condition.shape == (3, 4 * len(runs))
        np.testing.assert_allclose(log_condition, naive_log_condition(runs), rtol=1e-12)
    noniid = colab_noniid()
    assert results.mi_true == 0.125
    np.testing.assert_array_equal(results.noniid["infonce_noniid"], noniid.nce_estimates_noniid)
    np.testing.assert_array_equal(results.noniid["infonce_iid"], noniid.nce_estimates_iid)
    np.testing.assert_array_equal(results.noniid["nwj_noniid"], noniid.nwj_estimates_noniid)
    np.testing.assert_array_equal(results.noniid["nwj_iid"], noniid.nwj_estimates_iid)
    iterations, accuracy = results.adversarial
    np.testing.assert_array_equal(iterations, [0, 400, 800])
    np.testing.assert_array_equal(accuracy, [0.9, 0.6, 0.3])


def test_import_without_trust_converts_and_round_trips(colab_files, tmp_path):
    out = tmp_path / "out"
    results = import_colab(list(colab_files.values()), out)
    check_results(results)
    assert results.trusted is False
    assert results.sources == [p.name for p in colab_files.values()]

    loaded = load_colab(out)
    check_results(loaded)
    assert loaded.trusted is False and loaded.sources == results.sources
    manifest = json.loads((out / "colab" / "colab.json").read_text())
    assert manifest["trusted"] is False
    assert {f["name"]: f["content"] for f in manifest["files"]} == {
        "mi_results.pkl": "frame",
        "noniid_results.pkl": "noniid",
        "adv_results.pkl": "adversarial",
        "cond_results.pkl": "condition_numbers",
    }
    for entry in manifest["files"]:
        digest = hashlib.sha256(colab_files[entry["name"].split("_")[0]].read_bytes()).hexdigest()
        assert entry["sha256"] == digest
    assert sorted(p.name for p in (out / "colab").iterdir()) == [
        "arrays.npz",
        "colab.json",
        "rows.csv",
    ]


def test_trusted_import_gives_the_same_results(colab_files, tmp_path):
    results = import_colab(list(colab_files.values()), tmp_path / "out", trust=True)
    check_results(results)
    assert results.trusted is True
    assert load_colab(tmp_path / "out").trusted is True


def test_a_partial_import_has_empty_parts(colab_files, tmp_path):
    results = import_colab([colab_files["adv"]], tmp_path)
    assert list(results.frame.columns) == COLUMNS and len(results.frame) == 0
    assert results.condition_numbers == {} and results.noniid is None and results.mi_true is None
    loaded = load_colab(tmp_path)
    assert len(loaded.frame) == 0 and loaded.noniid is None
    np.testing.assert_array_equal(loaded.adversarial[1], [0.9, 0.6, 0.3])


def test_load_colab_without_an_import_is_none(tmp_path):
    assert load_colab(tmp_path) is None


class _Shell:
    """Runs a shell command when unpickled, as a malicious download would."""

    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.mark.parametrize("nested", [False, True])
def test_a_malicious_pickle_is_refused_without_trust(tmp_path, as_main, nested):
    marker = tmp_path / "pwned"
    payload = _Shell(f"touch {marker}")
    obj = colab_adversarial()._replace(iters=payload) if nested else payload
    evil = tmp_path / "adversarial_results.pkl"
    evil.write_bytes(pickle.dumps(obj, protocol=2))
    with pytest.raises(ColabImportError, match=r"refused to unpickle (posix|nt)\.system") as err:
        import_colab([evil], tmp_path / "out")
    assert "--trust" in str(err.value)
    assert not marker.exists()
    assert not (tmp_path / "out" / "colab").exists()


def test_a_truncated_file_is_an_error_that_keeps_the_last_import(colab_files, tmp_path):
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "runs" / "mine.json").write_text("{}")
    import_colab([colab_files["mi"], colab_files["adv"]], out)
    before = {p.name: p.read_bytes() for p in (out / "colab").iterdir()}

    blob = colab_files["cond"].read_bytes()
    truncated = tmp_path / "condition_numbers_results.pkl"
    truncated.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ColabImportError, match="truncated or damaged"):
        import_colab([colab_files["mi"], truncated], out)
    assert {p.name: p.read_bytes() for p in (out / "colab").iterdir()} == before
    assert (out / "runs" / "mine.json").read_text() == "{}"
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_reimport_replaces_only_the_colab_folder(colab_files, tmp_path):
    out = tmp_path / "out"
    import_colab([colab_files["mi"]], out)
    (out / "report.html").write_text("mine")
    import_colab([colab_files["noniid"]], out)
    loaded = load_colab(out)
    assert len(loaded.frame) == 0 and loaded.mi_true == 0.125
    assert loaded.sources == ["noniid_results.pkl"]
    assert (out / "report.html").read_text() == "mine"


def test_what_is_not_a_colab_result_is_named(colab_files, tmp_path):
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps({"a": [1, 2]}))
    with pytest.raises(ColabImportError, match=r"other\.pkl: a dict, not one of the Colab's"):
        import_colab([other], tmp_path / "out")
    with pytest.raises(ColabImportError, match="a second file holding the result frame"):
        import_colab([colab_files["mi"], colab_files["mi"]], tmp_path / "out")
    odd = tmp_path / "odd.pkl"
    colab_frame().assign(Estimator="$I_{JS}$").to_pickle(odd)
    with pytest.raises(ColabImportError, match=r"unknown estimator '\$I_\{JS\}\$'"):
        import_colab([odd], tmp_path / "out")


def test_a_damaged_import_is_detected_on_load(colab_files, tmp_path):
    import_colab([colab_files["mi"]], tmp_path)
    rows = tmp_path / "colab" / "rows.csv"
    rows.write_text(rows.read_text().replace("0.5", "0.6", 1))
    with pytest.raises(CorruptRecord, match=r"rows\.csv does not match"):
        load_colab(tmp_path)


def test_cli_prints_a_summary(colab_files, tmp_path, capsys):
    assert cli_import_colab(list(colab_files.values()), tmp_path) == 0
    out = capsys.readouterr().out
    assert "restricted unpickler" in out
    assert "result frame: 30 rows" in out
    assert "critic_impact: 12 rows" in out and "encoder_impact: 12 rows" in out
    assert "infonce: 3 evaluations x 8 samples" in out
    assert "non-iid bound traces: 50 steps each; true MI 0.1250" in out


def test_cli_reports_a_refusal(tmp_path, capsys):
    evil = tmp_path / "mi_results.pkl"
    evil.write_bytes(pickle.dumps(_Shell("true")))
    assert cli_import_colab([evil], tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert err.startswith("mirl: mi_results.pkl: refused to unpickle") and "--trust" in err


# --------------------------------------------------------------------------- 2019 layouts


class _OldName:
    """A global under a name that only old versions had (pandas 0.2x, numpy 1.x)."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name


class _NewObj:
    """An object pickled as ``cls.__new__(cls)`` then ``__setstate__(state)``."""

    def __init__(self, cls: _OldName, state):
        self.cls, self.state = cls, state


class _Reduce:
    """An object pickled as ``func(*args)``."""

    def __init__(self, func, args: tuple):
        self.func, self.args = func, args


class _Pickler2019(pickle._Pickler):
    """Writes ``_OldName``, ``_NewObj`` and ``_Reduce`` as the opcodes an old pandas wrote,
    and numpy's array and scalar reconstructors under numpy 1.x's module name."""

    dispatch = pickle._Pickler.dispatch.copy()
    NUMPY_1: ClassVar[dict] = {
        np.zeros(0).__reduce__()[0]: ("numpy.core.multiarray", "_reconstruct"),
        np.float64(0).__reduce__()[0]: ("numpy.core.multiarray", "scalar"),
    }

    def _global(self, module: str, name: str, obj) -> None:
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
        self.memoize(obj)

    def save_global(self, obj, name=None) -> None:
        if obj in self.NUMPY_1:
            return self._global(*self.NUMPY_1[obj], obj)
        return super().save_global(obj, name)

    def _save_old_name(self, obj: _OldName) -> None:
        self._global(obj.module, obj.name, obj)

    def _save_newobj(self, obj: _NewObj) -> None:
        self.save(obj.cls)
        self.save(())
        self.write(pickle.NEWOBJ)
        self.memoize(obj)
        self.save(obj.state)
        self.write(pickle.BUILD)

    def _save_reduce(self, obj: _Reduce) -> None:
        self.save(obj.func)
        self.save(obj.args)
        self.write(pickle.REDUCE)
        self.memoize(obj)

    dispatch[_OldName] = _save_old_name
    dispatch[_NewObj] = _save_newobj
    dispatch[_Reduce] = _save_reduce


def pickle_2019_frame(frame: pd.DataFrame) -> bytes:
    """``frame`` as pandas 0.24 pickled a DataFrame (protocol 2): an object block, an int
    block and a float block in the 0.14.1 BlockManager state, an Int64Index of rows."""
    from pandas.core.indexes.base import _new_Index

    def index(cls: str, module: str, data: np.ndarray) -> _Reduce:
        return _Reduce(_new_Index, (_OldName(module, cls), {"data": data, "name": None}))

    columns = index("Index", "pandas.core.indexes.base", np.array(frame.columns, dtype=object))
    rows = index("Int64Index", "pandas.core.indexes.numeric", np.asarray(frame.index, np.int64))
    groups = {
        "object": ([0, 1, 2, 3, 8], object),
        "int": (slice(4, 6, 1), np.int64),
        "float": (slice(6, 8, 1), np.float64),
    }
    blocks = [
        {"values": frame.iloc[:, locs].to_numpy(dtype).T.copy(), "mgr_locs": locs}
        for locs, dtype in groups.values()
    ]
    for block in blocks:
        if isinstance(block["mgr_locs"], list):
            block["mgr_locs"] = np.array(block["mgr_locs"], dtype=np.int64)
    axes = [columns, rows]
    manager_state = (
        axes,
        [b["values"] for b in blocks],
        [None] * len(blocks),
        {"0.14.1": {"axes": axes, "blocks": blocks}},
    )
    manager = _NewObj(_OldName("pandas.core.internals.managers", "BlockManager"), manager_state)
    state = {"_data": manager, "_typ": "dataframe", "_metadata": []}
    buffer = io.BytesIO()
    _Pickler2019(buffer, protocol=2).dump(
        _NewObj(_OldName("pandas.core.frame", "DataFrame"), state)
    )
    return buffer.getvalue()


def test_a_frame_pickled_by_2019_pandas_is_imported_without_trust(tmp_path):
    old = tmp_path / "mi_results.pkl"
    old.write_bytes(pickle_2019_frame(colab_frame()))
    assert b"Int64Index" in old.read_bytes() and b"numpy.core.multiarray" in old.read_bytes()
    results = import_colab([old], tmp_path / "out")
    pd.testing.assert_frame_equal(results.frame, expected_frame(), check_dtype=False)


def test_copyreg_reconstructor_admits_only_allowed_classes(tmp_path):
    """Protocol 0 rebuilds objects through copyreg._reconstructor; it must not become a way
    to construct a class outside the allow-list."""
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b"ccopy_reg\n_reconstructor\n(cos\n_wrap_close\nc__builtin__\nobject\nNtR.")
    with pytest.raises(ColabImportError, match=r"refused to unpickle os\._wrap_close"):
        import_colab([evil], tmp_path / "out")
