"""The tidy table of a results directory: what ``mirl.results.load`` says of a directory
that is not one, and the shape of an empty table."""

from __future__ import annotations

import pytest

from mirl.results import load
from mirl.results.table import FIRST_COLUMNS


def test_load_of_a_missing_directory_or_a_file_is_an_error_naming_it(tmp_path):
    """Not an empty table, which would read as "nothing trained yet"."""
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError, match=r"^no results directory '.*missing': it does not"):
        load(missing)
    assert not missing.exists()
    (tmp_path / "results.csv").write_text("a,b\n")
    with pytest.raises(NotADirectoryError, match=r"results\.csv' is a file, not a results dir"):
        load(tmp_path / "results.csv")


def test_an_empty_table_keeps_its_text_columns_as_text(tmp_path):
    """So that code written for a table with rows runs on one without (a sweep whose seeds
    all failed once ended ``mirl estimate`` in a numpy traceback here)."""
    frame = load(tmp_path)
    assert frame.empty and list(frame.columns) == FIRST_COLUMNS
    assert (frame["experiment"] + "/" + frame["name"]).empty
    assert frame["label"].str.startswith("x").empty
