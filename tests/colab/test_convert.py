"""The Colab's names and layouts converted to mirl's."""

from __future__ import annotations

import pickle

import pytest

from mirl.colab import ColabImportError, import_colab


def test_what_is_not_a_colab_result_is_named(colab_files, raw_frame, tmp_path):
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps({"a": [1, 2]}))
    with pytest.raises(ColabImportError, match=r"other\.pkl: a dict, not one of the Colab's"):
        import_colab([other], tmp_path / "out")
    with pytest.raises(ColabImportError, match="a second file holding the result frame"):
        import_colab([colab_files["mi"], colab_files["mi"]], tmp_path / "out")
    odd = tmp_path / "odd.pkl"
    raw_frame.assign(Estimator="$I_{FOO}$").to_pickle(odd)
    with pytest.raises(ColabImportError, match=r"unknown estimator '\$I_\{FOO\}\$'"):
        import_colab([odd], tmp_path / "out")


def test_the_colabs_names_map_back_through_the_paper_names():
    from mirl.colab.convert import _critic, _estimator
    from mirl.paper.names import CRITIC_LABELS, ESTIMATOR_SYMBOLS, estimator_label

    for bound in ESTIMATOR_SYMBOLS:
        assert _estimator(estimator_label(bound)) == (
            bound,
            pytest.approx(float("nan"), nan_ok=True),
        )
    assert _estimator("nce-2") == ("infonce", 2.0)
    assert _estimator("nwj") == ("nwj", pytest.approx(float("nan"), nan_ok=True))
    for critic, label in CRITIC_LABELS.items():
        assert _critic(label) == critic and _critic(critic) == critic
    with pytest.raises(ValueError, match="unknown critic 'Deep'"):
        _critic("Deep")
