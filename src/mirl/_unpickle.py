"""One restricted unpickler: pickles from elsewhere, loaded without running their code.

A pickle names the globals (classes, functions) that rebuild its objects, and loading it
calls them: a file from the web can name ``os.system``. ``unpickle`` resolves every global
through an explicit table and refuses any other with ``RefusedGlobal``, so only the
constructors a caller vouches for ever run. The MNIST download (numpy arrays only) and the
Colab import (numpy, pandas and the Colab's namedtuples) both load their pickles here.
"""

from __future__ import annotations

import codecs
import functools
import io
import pickle
from collections.abc import Mapping
from typing import Any

import numpy as np

Globals = Mapping[tuple[str, str], Any]
"""``(module, name)`` as a pickle names a global -> the object it resolves to."""


class RefusedGlobal(pickle.UnpicklingError):
    """A pickle named a global outside the table (``global_name``: ``module.name``)."""

    def __init__(self, global_name: str):
        super().__init__(f"refusing to unpickle {global_name}")
        self.global_name = global_name


def numpy_globals() -> dict[tuple[str, str], Any]:
    """The globals pickled numpy arrays, dtypes and scalars are rebuilt from, under the
    names of numpy 1.x (``numpy.core``) and 2.x (``numpy._core``), and ``_codecs.encode``,
    which rebuilds the bytes inside them in pickle protocols 0 to 2 of Python 3."""
    reconstructors = {
        "multiarray": {
            "_reconstruct": np.zeros(0).__reduce__()[0],
            "scalar": np.float64(0).__reduce__()[0],
        },
        "numeric": {"_frombuffer": np.zeros(1).__reduce_ex__(5)[0]},
    }
    table: dict[tuple[str, str], Any] = {
        (f"numpy.{core}.{module}", name): obj
        for core in ("core", "_core")
        for module, objects in reconstructors.items()
        for name, obj in objects.items()
    }
    return table | {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,
    }


@functools.cache
def _unpickler(base: type[pickle.Unpickler]) -> type[pickle.Unpickler]:
    """``base`` with its globals resolved through a table (``pickle.Unpickler``, or a
    subclass such as pandas' that also rebuilds the objects of older library versions)."""

    class Restricted(base):  # type: ignore[misc, valid-type]
        def __init__(self, payload: bytes, table: Globals, trust: bool, encoding: str):
            super().__init__(io.BytesIO(payload), encoding=encoding)
            self.table, self.trust = table, trust

        def find_class(self, module: str, name: str) -> Any:
            if (module, name) in self.table:
                return self.table[(module, name)]
            if self.trust:
                return super().find_class(module, name)
            raise RefusedGlobal(f"{module}.{name}")

    return Restricted


def unpickle(
    payload: bytes,
    table: Globals,
    *,
    trust: bool = False,
    base: type[pickle.Unpickler] = pickle.Unpickler,
    encoding: str = "latin1",
) -> Any:
    """The object pickled in ``payload``, its globals resolved through ``table``.

    Any other global raises ``RefusedGlobal`` before it is called, unless ``trust`` is given:
    then it is imported as plain pickle would (and may run any code). Python 2 strings are
    read as ``encoding`` (latin-1 keeps their bytes, as numpy's arrays need).
    """
    return _unpickler(base)(payload, table, trust, encoding).load()
