"""The Colab's pickles loaded without trust: what they are made of is admitted, from the
pandas of today or of 2019, and nothing else runs."""

from __future__ import annotations

import io
import pickle
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from mirl.colab import ColabImportError, import_colab, load_colab


def test_trusted_import_gives_the_same_results(colab_files, check_results, tmp_path):
    results = import_colab(list(colab_files.values()), tmp_path / "out", trust=True)
    check_results(results)
    assert results.trusted is True
    assert load_colab(tmp_path / "out").trusted is True


@pytest.mark.parametrize("nested", [False, True])
def test_a_malicious_pickle_is_refused_without_trust(tmp_path, as_main, shell, adversarial, nested):
    marker = tmp_path / "pwned"
    payload = shell(f"touch {marker}")
    obj = adversarial._replace(iters=payload) if nested else payload
    evil = tmp_path / "adversarial_results.pkl"
    evil.write_bytes(pickle.dumps(obj, protocol=2))
    with pytest.raises(ColabImportError, match=r"refused to unpickle (posix|nt)\.system") as err:
        import_colab([evil], tmp_path / "out")
    assert "--trust" in str(err.value)
    assert not marker.exists()
    assert not (tmp_path / "out" / "colab").exists()


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


def test_a_frame_pickled_by_2019_pandas_is_imported_without_trust(tmp_path, raw_frame, expected):
    old = tmp_path / "mi_results.pkl"
    old.write_bytes(pickle_2019_frame(raw_frame))
    assert b"Int64Index" in old.read_bytes() and b"numpy.core.multiarray" in old.read_bytes()
    results = import_colab([old], tmp_path / "out")
    pd.testing.assert_frame_equal(results.frame, expected, check_dtype=False)


def test_copyreg_reconstructor_admits_only_allowed_classes(tmp_path):
    """Protocol 0 rebuilds objects through copyreg._reconstructor; it must not become a way
    to construct a class outside the allow-list."""
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(b"ccopy_reg\n_reconstructor\n(cos\n_wrap_close\nc__builtin__\nobject\nNtR.")
    with pytest.raises(ColabImportError, match=r"refused to unpickle os\._wrap_close"):
        import_colab([evil], tmp_path / "out")
