"""``DIR/colab/``: an import written whole, read back verified, replaced as a whole, and a
damaged or foreign folder named as such."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import numpy as np
import pytest

from mirl._files import ChecksumError
from mirl.colab import COLUMNS, ColabImportError, import_colab, load_colab


def test_import_without_trust_converts_and_round_trips(colab_files, check_results, tmp_path):
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


def test_a_partial_import_has_empty_parts(colab_files, tmp_path):
    results = import_colab([colab_files["adv"]], tmp_path)
    assert list(results.frame.columns) == COLUMNS and len(results.frame) == 0
    assert results.condition_numbers == {} and results.noniid is None and results.mi_true is None
    loaded = load_colab(tmp_path)
    assert len(loaded.frame) == 0 and loaded.noniid is None
    np.testing.assert_array_equal(loaded.adversarial[1], [0.9, 0.6, 0.3])


def test_load_colab_without_an_import_is_none(tmp_path):
    assert load_colab(tmp_path) is None


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


def test_a_damaged_import_is_detected_on_load(colab_files, tmp_path):
    import_colab([colab_files["mi"]], tmp_path)
    rows = tmp_path / "colab" / "rows.csv"
    rows.write_text(rows.read_text().replace("0.5", "0.6", 1))
    with pytest.raises(ChecksumError, match=r"rows\.csv does not match"):
        load_colab(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: [m], "a JSON list, not a manifest"),
        (lambda m: "text", "a JSON str, not a manifest"),
        (lambda m: {**m, "sha256": 5}, "sha256 is int, not dict"),
        (lambda m: {**m, "noniid": "yes"}, "noniid is str, not bool"),
        (lambda m: {**m, "mi_true": True}, "mi_true is bool, not int/float/NoneType"),
        (lambda m: {k: v for k, v in m.items() if k != "files"}, "files is NoneType, not list"),
        (lambda m: {**m, "files": [3]}, "files holds other values than strings"),
        (lambda m: {**m, "condition_numbers": [None]}, "condition_numbers holds other values"),
        (lambda m: {**m, "sha256": {}}, "sha256 holds other values than strings"),
        (lambda m: {**m, "format": 99}, "format 99, where this mirl reads 1"),
    ],
)
def test_a_manifest_of_the_wrong_shape_is_a_clear_error(colab_files, tmp_path, change, message):
    import_colab([colab_files["mi"], colab_files["cond"]], tmp_path)
    path = tmp_path / "colab" / "colab.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    with pytest.raises(ColabImportError, match=r"colab\.json: .*" + message.replace("/", ".")):
        load_colab(tmp_path)


def test_a_manifest_that_is_not_json_is_a_clear_error(tmp_path):
    (tmp_path / "colab").mkdir()
    (tmp_path / "colab" / "colab.json").write_text("{not json")
    with pytest.raises(ColabImportError, match=r"colab\.json: not JSON"):
        load_colab(tmp_path)


def test_a_manifest_listing_arrays_that_are_not_there_is_a_clear_error(colab_files, tmp_path):
    import_colab([colab_files["mi"]], tmp_path)
    path = tmp_path / "colab" / "colab.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "adversarial": True}))
    with pytest.raises(ColabImportError, match=r"arrays\.npz: the manifest lists arrays it lacks"):
        load_colab(tmp_path)


def test_rows_without_the_frames_columns_are_a_clear_error(colab_files, tmp_path):
    import_colab([colab_files["mi"]], tmp_path)
    rows = tmp_path / "colab" / "rows.csv"
    rows.write_text("a,b\n1,2\n")
    path = tmp_path / "colab" / "colab.json"
    manifest = json.loads(path.read_text())
    manifest["sha256"]["rows.csv"] = hashlib.sha256(rows.read_bytes()).hexdigest()
    path.write_text(json.dumps(manifest))
    with pytest.raises(ColabImportError, match=r"rows\.csv: not the imported frame"):
        load_colab(tmp_path)


def test_the_colab_folder_gets_the_users_umask_not_0700(colab_files, tmp_path):
    old = os.umask(0o022)
    try:
        import_colab([colab_files["adv"]], tmp_path)
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "colab").stat().st_mode)
    assert mode == 0o755
    files = [stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "colab").iterdir()]
    assert files == [0o644] * 3
