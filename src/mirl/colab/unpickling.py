"""What the Colab's pickles may name: the allow-list on top of ``mirl._unpickle``.

Its files are numpy arrays, pandas DataFrames (pickled by the pandas of 2019 or by a recent
one) and the Colab's namedtuples. The allow-list holds the constructors of exactly those,
under every name a numpy, pandas or Python version (2 or 3) pickled them by; pandas'
own unpickler underneath rebuilds the DataFrames of old pandas versions.
"""

from __future__ import annotations

import copyreg
import functools
from typing import Any

import pandas as pd
from pandas.compat import pickle_compat

from mirl._unpickle import RefusedGlobal, numpy_globals, unpickle
from mirl.colab.schema import COLAB_CLASSES, ColabImportError


def _validated_arrow_array(data: tuple) -> Any:
    """``pyarrow.lib._restore_array``, then a full check that offsets and lengths stay inside
    the buffers, so that a crafted string column cannot make pandas read out of bounds."""
    from pyarrow.lib import _restore_array

    array = _restore_array(data)
    array.validate(full=True)
    return array


def _pandas_globals() -> dict[tuple[str, str], Any]:
    """The pieces of a pickled DataFrame, under their current and older module paths."""
    from pandas._libs import arrays as pandas_arrays
    from pandas._libs.internals import _unpickle_block
    from pandas.core.indexes.base import _new_Index
    from pandas.core.internals import BlockManager

    objects = {
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
    return {
        (module, name): obj
        for name, (obj, modules) in objects.items()
        for module in modules
        if obj is not None
    }


@functools.cache
def allowed_globals() -> dict[tuple[str, str], Any]:
    """Every global the Colab's files may name, with the object it resolves to."""
    allowed = numpy_globals() | _pandas_globals()
    for builtins in ("builtins", "__builtin__"):  # Python 3 and 2 names
        allowed |= {(builtins, t.__name__): t for t in (slice, bytearray, tuple, object)}
    allowed |= {
        ("copyreg", "_reconstructor"): copyreg._reconstructor,
        ("copy_reg", "_reconstructor"): copyreg._reconstructor,
    }
    allowed |= {("__main__", name): cls for name, cls in COLAB_CLASSES.items()}
    try:  # pandas >= 3 stores strings as pyarrow arrays when pyarrow is installed
        from pyarrow.lib import py_buffer, type_for_alias
    except ImportError:
        return allowed
    return allowed | {
        ("pyarrow.lib", "_restore_array"): _validated_arrow_array,
        ("pyarrow.lib", "py_buffer"): py_buffer,
        ("pyarrow.lib", "type_for_alias"): type_for_alias,
    }


def load_pickle(payload: bytes, name: str, trust: bool) -> Any:
    """The object pickled in ``payload`` (the content of file ``name``).

    Without ``trust`` only ``allowed_globals`` may be named; with it, anything (plain
    pickle), while the Colab's ``__main__`` namedtuples still resolve to ours.
    """
    table = (
        allowed_globals() if not trust else {("__main__", n): c for n, c in COLAB_CLASSES.items()}
    )
    try:
        return unpickle(payload, table, trust=trust, base=pickle_compat.Unpickler)
    except RefusedGlobal as err:
        raise ColabImportError(
            f"{name}: refused to unpickle {err.global_name}: it is none of the numpy, pandas "
            "and Colab result types these files are made of, so the file may be malicious or "
            "not one of the Colab's results. If you trust this file, pass --trust "
            "(trust=True) to load it with plain pickle, which runs whatever code it contains."
        ) from None
    except Exception as err:
        raise ColabImportError(
            f"{name}: could not be unpickled ({type(err).__name__}: {err}); the file may be "
            "truncated or damaged (download it again) or not one of the Colab's results"
        ) from err
