"""Import the precomputed results that the paper's Colab downloads, in mirl's vocabulary.

The Colab (``mirl.ipynb``) can skip training and fetch four pickles instead:

- ``mi_results.pkl``: a pandas DataFrame with columns ``exp_name, nets, Critic, Estimator,
  run, iteration, bound_value, accuracy, label`` (Figs. 1a-b, 2a-b, 3, 4a-b);
- ``condition_numbers_results.pkl``: ``[(ResultsConfig(nets, critic, loss), [Results, ...]),
  ...]``, each ``Results`` holding per evaluation the ``[batch, 392]`` singular values of
  g1's Jacobian (Fig. 2c);
- ``noniid_results.pkl``: ``ResultsSamplingIssues`` (true MI and four bound traces, Fig. 4c);
- ``adversarial_results.pkl``: ``ResultsAdversarial`` (the accuracy curve of Fig. 1c).

``import_colab`` recognizes each file by its content, converts it (``'$I_{NCE}$'`` becomes
``infonce``, ``'nce-2'`` becomes ``infonce`` with target 2, the critic ``'MLP'`` becomes
``concat``, ...) and writes ``OUT/colab/``: ``rows.csv`` (the tidy frame), ``arrays.npz``
(log condition numbers, non-iid traces, adversarial curve) and ``colab.json`` (a manifest
of the files imported, their SHA-256, how they were loaded, and checksums of the other two).
``load_colab`` reads it back.

Pickles from the web can run code when loaded. Unless ``trust`` is given, they are read
with an unpickler that admits only an explicit list of globals: numpy arrays, dtypes and
scalars, the pandas internals a DataFrame pickle is built from (old pandas layouts
included), and stand-ins for the Colab's namedtuples, which it defined in ``__main__``.
Anything else is refused with an error that says so. With ``trust``, the files are loaded
with pandas' ordinary unpickler (what ``pd.read_pickle`` uses), which admits anything.
"""

from __future__ import annotations

import codecs
import collections
import copyreg
import functools
import hashlib
import io
import json
import math
import os
import pickle
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from pandas.compat import pickle_compat

from mirl._files import atomic_write
from mirl.paper.names import run_label
from mirl.results.store import CorruptRecord
from mirl.results.table import COLAB_COLUMNS

FORMAT = 1
COLUMNS = [*COLAB_COLUMNS[:4], "target", *COLAB_COLUMNS[4:]]
"""The imported frame's columns: the Colab's, with the target of a targeted loss added."""
DTYPES = {
    "exp_name": str,
    "nets": str,
    "Critic": str,
    "Estimator": str,
    "target": "float64",
    "run": "int64",
    "iteration": "int64",
    "bound_value": "float64",
    "accuracy": "float64",
    "label": str,
}

ESTIMATORS = {"$I_{NCE}$": "infonce", "$I_{NWJ}$": "nwj", "nce": "infonce", "nwj": "nwj"}
"""The Colab's estimator names (as plotted, and as in its loss dicts) -> mirl's bounds."""
CRITICS = {
    "MLP": "concat",
    "Separable": "separable",
    "Inner product": "innerprod",
    "Bilinear": "bilinear",
    **{name: name for name in ("concat", "separable", "innerprod", "bilinear")},
}
"""The Colab's critic names (as plotted, and as in its sweeps) -> mirl's critics."""
NONIID_FIELDS = {
    "infonce_noniid": "nce_estimates_noniid",
    "infonce_iid": "nce_estimates_iid",
    "nwj_noniid": "nwj_estimates_noniid",
    "nwj_iid": "nwj_estimates_iid",
}

# The Colab's namedtuples, which its pickles name as __main__.<class>.
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
COLAB_CLASSES = {
    cls.__name__: cls for cls in (ResultsConfig, Results, ResultsAdversarial, ResultsSamplingIssues)
}


class ColabImportError(ValueError):
    """A file could not be imported: refused, damaged, or not one of the Colab's results."""


class RefusedGlobal(pickle.UnpicklingError):
    """The restricted unpickler met a global outside its allow-list."""


@dataclass
class ColabResults:
    """The Colab's precomputed results in mirl's vocabulary.

    ``frame``: one row per (experiment, run, evaluation), columns ``COLUMNS``.
    ``condition_numbers``: per bound (``infonce``, ``nwj``; bilinear critic only), the
    evaluation steps ``[T]`` and the log condition numbers of g1's Jacobian ``[T, n]``
    (``log s_max - log s_min`` per sample, the runs' samples side by side).
    ``noniid``: the four bound traces of Fig. 4c (``infonce_noniid``, ``infonce_iid``,
    ``nwj_noniid``, ``nwj_iid``), one value per step; ``mi_true`` their true MI (nats).
    ``adversarial``: the evaluation steps and probe accuracies of Fig. 1c.
    ``trusted``: loaded with plain pickle (True) or the restricted unpickler (False).
    ``sources``: the names of the files imported.
    """

    frame: pd.DataFrame
    condition_numbers: dict[str, tuple[np.ndarray, np.ndarray]]
    noniid: dict[str, np.ndarray] | None
    mi_true: float | None
    adversarial: tuple[np.ndarray, np.ndarray] | None
    trusted: bool
    sources: list[str]


# ----------------------------------------------------------------------------- unpickling


def _validated_arrow_array(data: tuple) -> Any:
    """``pyarrow.lib._restore_array``, then a full check that offsets and lengths stay inside
    the buffers, so that a crafted string column cannot make pandas read out of bounds."""
    from pyarrow.lib import _restore_array

    array = _restore_array(data)
    array.validate(full=True)
    return array


@functools.cache
def _allowed_globals() -> dict[tuple[str, str], Any]:
    """The globals the restricted unpickler admits, under every name that a numpy, pandas or
    Python version (2 or 3) pickled them by: the pieces of arrays, scalars and DataFrames."""
    from pandas._libs import arrays as pandas_arrays
    from pandas._libs.internals import _unpickle_block
    from pandas.core.indexes.base import _new_Index
    from pandas.core.internals import BlockManager

    numpy_objects = {
        "multiarray": {
            "_reconstruct": np.zeros(0).__reduce__()[0],
            "scalar": np.float64(0).__reduce__()[0],
        },
        "numeric": {"_frombuffer": np.zeros(1).__reduce_ex__(5)[0]},
    }
    allowed: dict[tuple[str, str], Any] = {
        (f"numpy.{core}.{module}", name): obj
        for core in ("core", "_core")
        for module, objects in numpy_objects.items()
        for name, obj in objects.items()
    }
    allowed |= {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype}
    for builtins in ("builtins", "__builtin__"):  # Python 3 and 2 names
        allowed |= {(builtins, t.__name__): t for t in (slice, bytearray, tuple, object)}
    allowed |= {
        ("copyreg", "_reconstructor"): copyreg._reconstructor,
        ("copy_reg", "_reconstructor"): copyreg._reconstructor,
        ("_codecs", "encode"): codecs.encode,
    }
    pandas_objects = {
        "DataFrame": (pd.DataFrame, ["pandas", "pandas.core.frame"]),
        "Index": (pd.Index, ["pandas", "pandas.core.indexes.base"]),
        "Int64Index": (pd.Index, ["pandas.core.indexes.numeric"]),
        "UInt64Index": (pd.Index, ["pandas.core.indexes.numeric"]),
        "Float64Index": (pd.Index, ["pandas.core.indexes.numeric"]),
        "RangeIndex": (pd.RangeIndex, ["pandas", "pandas.core.indexes.range"]),
        "_new_Index": (_new_Index, ["pandas.core.indexes.base"]),
        "BlockManager": (
            BlockManager,
            ["pandas.core.internals", "pandas.core.internals.managers"],
        ),
        "_unpickle_block": (_unpickle_block, ["pandas._libs.internals"]),
        "new_block": (_unpickle_block, ["pandas.core.internals.blocks"]),
        "StringDtype": (pd.StringDtype, ["pandas", "pandas.core.arrays.string_"]),
        "StringArray": (pd.arrays.StringArray, ["pandas.arrays", "pandas.core.arrays.string_"]),
        "ArrowStringArray": (
            pd.arrays.ArrowStringArray,
            ["pandas.arrays", "pandas.core.arrays.string_arrow"],
        ),
        "NA": (pd.NA, ["pandas", "pandas._libs.missing"]),
        # Cython's reconstructor of the python-backed StringArray (pandas >= 3)
        "__pyx_unpickle_NDArrayBacked": (
            getattr(pandas_arrays, "__pyx_unpickle_NDArrayBacked", None),
            ["pandas._libs.arrays"],
        ),
    }
    allowed |= {
        (module, name): obj
        for name, (obj, modules) in pandas_objects.items()
        for module in modules
        if obj is not None
    }
    try:  # pandas >= 3 stores strings as pyarrow arrays when pyarrow is installed
        from pyarrow.lib import py_buffer, type_for_alias
    except ImportError:
        return allowed
    allowed |= {
        ("pyarrow.lib", "_restore_array"): _validated_arrow_array,
        ("pyarrow.lib", "py_buffer"): py_buffer,
        ("pyarrow.lib", "type_for_alias"): type_for_alias,
    }
    return allowed


class _ColabUnpickler(pickle_compat.Unpickler):
    """pandas' unpickler (it rebuilds DataFrames of old pandas versions), reading Python 2
    strings as latin-1 and the Colab's ``__main__`` namedtuples as ours. With ``allowed``
    it admits only those globals and raises ``RefusedGlobal`` for any other."""

    def __init__(self, file: BinaryIO, allowed: Mapping[tuple[str, str], Any] | None):
        super().__init__(file, encoding="latin1")
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__" and name in COLAB_CLASSES:
            return COLAB_CLASSES[name]
        if self.allowed is None:
            return super().find_class(module, name)
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise RefusedGlobal(f"{module}.{name}") from None


def _unpickle(blob: bytes, name: str, trust: bool) -> Any:
    """The object pickled in ``blob`` (the content of file ``name``)."""
    unpickler = _ColabUnpickler(io.BytesIO(blob), None if trust else _allowed_globals())
    try:
        return unpickler.load()
    except RefusedGlobal as err:
        raise ColabImportError(
            f"{name}: refused to unpickle {err}: it is none of the numpy, pandas and Colab "
            "result types these files are made of, so the file may be malicious or not one "
            "of the Colab's results. If you trust this file, pass --trust (trust=True) to "
            "load it with plain pickle, which runs whatever code it contains."
        ) from None
    except Exception as err:
        raise ColabImportError(
            f"{name}: could not be unpickled ({type(err).__name__}: {err}); the file may be "
            "truncated or damaged (download it again) or not one of the Colab's results"
        ) from err


# ----------------------------------------------------------------------------- conversion


def _estimator(name: str) -> tuple[str, float]:
    """The Colab's estimator (``'$I_{NCE}$'``, ``'nwj'``, ``'nce-2'``) -> (bound, target),
    the target NaN for a loss that maximizes the bound."""
    base, _, target = name.partition("-")
    if base not in ESTIMATORS:
        raise ValueError(f"unknown estimator {name!r}; known: {', '.join(ESTIMATORS)}")
    return ESTIMATORS[base], float(target) if target else math.nan


def _critic(name: str) -> str:
    if name not in CRITICS:
        raise ValueError(f"unknown critic {name!r}; known: {', '.join(CRITICS)}")
    return CRITICS[name]


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[COLUMNS].astype(DTYPES).reset_index(drop=True)


def convert_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The Colab's result frame with mirl's names for estimators and critics, the target of
    targeted losses in its own column, and mirl's labels. ``bound_value`` is kept as the
    Colab stored it: minus the test loss (for a targeted loss, ``-|bound - target|``)."""
    missing = [c for c in COLAB_COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"a DataFrame without the Colab's columns {missing}")
    estimators = [_estimator(name) for name in raw["Estimator"]]
    bounds = [bound for bound, _ in estimators]
    targets = [target for _, target in estimators]
    critics = [_critic(name) for name in raw["Critic"]]
    frame = pd.DataFrame(
        {
            "exp_name": raw["exp_name"].to_numpy(),
            "nets": raw["nets"].to_numpy(),
            "Critic": critics,
            "Estimator": bounds,
            "target": targets,
            "run": raw["run"].to_numpy(),
            "iteration": raw["iteration"].to_numpy(),
            "bound_value": raw["bound_value"].to_numpy(),
            "accuracy": raw["accuracy"].to_numpy(),
            "label": list(map(run_label, raw["nets"], critics, bounds, targets)),
        },
        columns=COLUMNS,
    )
    return _typed(frame)


def _log_condition_numbers(singular_values: Sequence[np.ndarray]) -> np.ndarray:
    """``[T]`` evaluations of ``[n, d]`` singular values -> ``[T, n]`` log(s_max / s_min)."""
    s = np.sort(np.stack(singular_values).astype(np.float64), axis=-1)
    with np.errstate(divide="ignore"):  # a zero singular value: an infinite condition number
        return np.log(s[..., -1]) - np.log(s[..., 0])


def convert_condition_numbers(
    pairs: Sequence[tuple[Any, Sequence[Any]]],
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``[(ResultsConfig, [Results per run])]`` -> per bound, for the bilinear critic: the
    evaluation steps ``[T]`` and the runs' log condition numbers side by side ``[T, n]``, as
    the Colab's ``aggregate_singular_values`` computes them."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for config, runs in pairs:
        if _critic(config.critic) != "bilinear" or not runs:
            continue
        bound, _ = _estimator(config.loss)
        if bound in out:
            raise ValueError(f"two bilinear configurations with the bound {bound}")
        per_run = [_log_condition_numbers(run.singular_values) for run in runs]
        out[bound] = (np.asarray(runs[0].iterations, dtype=np.int64), np.concatenate(per_run, 1))
    return out


def convert_noniid(result: Any) -> tuple[dict[str, np.ndarray], float]:
    """``ResultsSamplingIssues`` -> the four bound traces by mirl name, and the true MI."""
    traces = {
        key: np.asarray(getattr(result, field), dtype=np.float64)
        for key, field in NONIID_FIELDS.items()
    }
    return traces, float(result.mi_true)


def convert_adversarial(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """``ResultsAdversarial`` -> (evaluation steps, probe accuracies)."""
    return (
        np.asarray(result.iters, dtype=np.int64),
        np.asarray(result.classification_accuracies, dtype=np.float64),
    )


def _is_config_pairs(obj: Any) -> bool:
    return (
        isinstance(obj, list)
        and bool(obj)
        and all(
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], ResultsConfig)
            and isinstance(item[1], list)
            for item in obj
        )
    )


CONTENTS: dict[str, tuple[str, Callable[[Any], bool], Callable[[Any], Any]]] = {
    "frame": ("the result frame", lambda obj: isinstance(obj, pd.DataFrame), convert_frame),
    "condition_numbers": (
        "Jacobian singular values",
        _is_config_pairs,
        convert_condition_numbers,
    ),
    "noniid": (
        "non-iid bound traces",
        lambda obj: isinstance(obj, ResultsSamplingIssues),
        convert_noniid,
    ),
    "adversarial": (
        "adversarial training",
        lambda obj: isinstance(obj, ResultsAdversarial),
        convert_adversarial,
    ),
}
"""What each of the Colab's files holds: a description, how to recognize it once unpickled,
and how to convert it."""


def _read(path: Path, trust: bool) -> tuple[str, Any, dict[str, Any]]:
    """Load, recognize and convert one file: (its content, converted, its manifest entry)."""
    blob = path.read_bytes()
    obj = _unpickle(blob, path.name, trust)
    content = next((key for key, (_, recognizes, _) in CONTENTS.items() if recognizes(obj)), None)
    if content is None:
        raise ColabImportError(
            f"{path.name}: a {type(obj).__name__}, not one of the Colab's results (a result "
            "frame, Jacobian singular values, non-iid bound traces or adversarial training)"
        )
    description, _, convert = CONTENTS[content]
    try:
        converted = convert(obj)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as err:
        raise ColabImportError(
            f"{path.name}: {description}, but not in the Colab's layout ({err})"
        ) from err
    entry = {
        "name": path.name,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "bytes": len(blob),
        "content": content,
    }
    return content, converted, entry


# ----------------------------------------------------------------------------- storage


def _arrays(results: ColabResults) -> dict[str, np.ndarray]:
    arrays = {}
    for bound, (iterations, log_condition) in results.condition_numbers.items():
        arrays[f"cond_{bound}_iterations"] = iterations
        arrays[f"cond_{bound}_log_condition"] = log_condition
    for key, trace in (results.noniid or {}).items():
        arrays[f"noniid_{key}"] = trace
    if results.adversarial is not None:
        arrays["adversarial_iterations"], arrays["adversarial_accuracy"] = results.adversarial
    return arrays


def _replace_dir(target: Path, files: dict[str, bytes]) -> None:
    """Make ``target`` a directory holding exactly ``files``: written in full beside it first,
    then swapped in by two renames, so that a failure leaves the old directory as it was (a
    crash between the renames leaves it beside, as ``.<target>.old-*``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    old = staging.with_name(staging.name.replace(".new-", ".old-"))
    try:
        for name, blob in files.items():  # the manifest last: it vouches for the others
            atomic_write(staging / name, blob)
        if target.exists():
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if old.exists():
                os.replace(old, target)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def import_colab(
    files: Sequence[str | os.PathLike], out: str | os.PathLike, trust: bool = False
) -> ColabResults:
    """Import the Colab's result pickles ``files`` (in any order, each recognized by its
    content) into ``out/colab/``, replacing a previous import there and nothing else.

    Without ``trust`` the files are loaded with a restricted unpickler (see the module doc)
    that refuses anything but the numpy, pandas and Colab types they are made of; with it,
    with pandas' ordinary unpickler, which runs any code a file contains. Every file is
    read and converted before anything is written. Raises ``ColabImportError``.
    """
    if not files:
        raise ColabImportError("no files to import")
    converted: dict[str, Any] = {}
    entries = []
    for path in map(Path, files):
        content, value, entry = _read(path, trust)
        if content in converted:
            raise ColabImportError(f"{path.name}: a second file holding {CONTENTS[content][0]}")
        converted[content] = value
        entries.append(entry)
    noniid, mi_true = converted.get("noniid", (None, None))
    results = ColabResults(
        frame=converted.get("frame", _typed(pd.DataFrame(columns=COLUMNS))),
        condition_numbers=converted.get("condition_numbers", {}),
        noniid=noniid,
        mi_true=mi_true,
        adversarial=converted.get("adversarial"),
        trusted=trust,
        sources=[entry["name"] for entry in entries],
    )
    _write(results, entries, Path(out) / "colab")
    return results


def _write(results: ColabResults, entries: list[dict], folder: Path) -> None:
    rows = results.frame.to_csv(index=False).encode()
    buffer = io.BytesIO()
    np.savez(buffer, **_arrays(results))
    arrays = buffer.getvalue()
    manifest = {
        "format": FORMAT,
        "loaded_with": "trusted: plain pickle" if results.trusted else "restricted unpickler",
        "trusted": results.trusted,
        "files": entries,
        "condition_numbers": sorted(results.condition_numbers),
        "noniid": results.noniid is not None,
        "mi_true": results.mi_true,
        "adversarial": results.adversarial is not None,
        "sha256": {
            "rows.csv": hashlib.sha256(rows).hexdigest(),
            "arrays.npz": hashlib.sha256(arrays).hexdigest(),
        },
    }
    manifest_blob = json.dumps(manifest, indent=2).encode()
    _replace_dir(folder, {"rows.csv": rows, "arrays.npz": arrays, "colab.json": manifest_blob})


def _verified(folder: Path, name: str, manifest: dict) -> bytes:
    blob = (folder / name).read_bytes()
    if hashlib.sha256(blob).hexdigest() != manifest["sha256"][name]:
        raise CorruptRecord(f"{folder / name} does not match the checksum in colab.json")
    return blob


def load_colab(root: str | os.PathLike) -> ColabResults | None:
    """The results imported into ``root/colab/``, or None if there are none.

    Raises ``CorruptRecord`` if a file there does not match its checksum.
    """
    folder = Path(root) / "colab"
    if not folder.exists():
        return None
    manifest = json.loads((folder / "colab.json").read_bytes())
    # The Python parser reads floats with float(), which inverts to_csv's repr exactly.
    frame = pd.read_csv(io.BytesIO(_verified(folder, "rows.csv", manifest)), engine="python")
    with np.load(io.BytesIO(_verified(folder, "arrays.npz", manifest))) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return ColabResults(
        frame=_typed(frame),
        condition_numbers={
            bound: (arrays[f"cond_{bound}_iterations"], arrays[f"cond_{bound}_log_condition"])
            for bound in manifest["condition_numbers"]
        },
        noniid={key: arrays[f"noniid_{key}"] for key in NONIID_FIELDS}
        if manifest["noniid"]
        else None,
        mi_true=manifest["mi_true"],
        adversarial=(arrays["adversarial_iterations"], arrays["adversarial_accuracy"])
        if manifest["adversarial"]
        else None,
        trusted=manifest["trusted"],
        sources=[entry["name"] for entry in manifest["files"]],
    )


# ----------------------------------------------------------------------------- command line


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
    for line in summary_lines(results, Path(out) / "colab"):
        print(line)
    return 0
