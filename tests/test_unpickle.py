"""The one restricted unpickler: only what the table names is called."""

from __future__ import annotations

import collections
import os
import pickle

import numpy as np
import pytest

from mirl._unpickle import RefusedGlobal, numpy_globals, unpickle


class _Shell:
    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_numpy_arrays_and_scalars_round_trip_with_the_numpy_table():
    obj = {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "s": np.float64(2.5), "t": (1, "a")}
    for protocol in (0, 2, 5):
        loaded = unpickle(pickle.dumps(obj, protocol=protocol), numpy_globals())
        np.testing.assert_array_equal(loaded["x"], obj["x"])
        assert loaded["x"].dtype == np.float32
        assert loaded["s"] == 2.5 and loaded["t"] == (1, "a")


def test_anything_else_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps([np.zeros(2), _Shell(f"touch {marker}")], protocol=4)
    with pytest.raises(RefusedGlobal, match=r"refusing to unpickle (posix|nt)\.system") as err:
        unpickle(payload, numpy_globals())
    assert err.value.global_name in ("posix.system", "nt.system")
    assert isinstance(err.value, pickle.UnpicklingError)
    assert not marker.exists()


def test_the_table_renames_and_trust_admits_the_rest():
    Point = collections.namedtuple("Point", ["x", "y"])
    payload = b"c__main__\nPoint\n(I1\nI2\ntR."  # Point(1, 2), as a notebook pickled it
    table = {("__main__", "Point"): Point}
    assert unpickle(payload, table) == Point(1, 2)
    with pytest.raises(RefusedGlobal):
        unpickle(pickle.dumps(collections.OrderedDict(a=1)), table)
    assert unpickle(pickle.dumps(collections.OrderedDict(a=1)), table, trust=True) == {"a": 1}
