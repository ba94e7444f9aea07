"""The two views of an MNIST digit, and the data set as tensors on the training device."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from mirl.data.mnist import IMAGE_DIM, MNIST, VIEW_DIM

DATA_KINDS = ("mnist", "synthetic")


def split_views(x: Tensor) -> tuple[Tensor, Tensor]:
    """``x [..., 784] -> (top [..., 392], bottom [..., 392])``: the first and last 392 pixels."""
    if x.shape[-1] != IMAGE_DIM:
        raise ValueError(f"images must be flattened to [..., {IMAGE_DIM}], got {tuple(x.shape)}")
    return x[..., :VIEW_DIM], x[..., VIEW_DIM:]


def noisy_views(x: Tensor, noise: Tensor | None) -> tuple[Tensor, Tensor]:
    """The two views with the same noise tensor added to both (the paper's noisy setting)."""
    top, bottom = split_views(x)
    if noise is None:
        return top, bottom
    return top + noise, bottom + noise


@dataclass(frozen=True)
class DataSummary:
    """What a sweep needs to know of a data set before training on it: its identity
    (``{"name", "sha256"}``, stored with every run trained on it) and its sizes."""

    identity: dict[str, str]
    n_train: int
    n_test: int

    @property
    def name(self) -> str:
        return self.identity.get("name", "unknown")


def data_summary(kind: str = "mnist") -> DataSummary:
    """The ``DataSummary`` of real MNIST (fetched and cached on first use) or of the
    ``synthetic`` stand-in, from its uint8 arrays (without loading it onto a device)."""
    from mirl.data.mnist import load_mnist
    from mirl.data.synthetic import synthetic_mnist

    if kind not in DATA_KINDS:
        raise ValueError(f"unknown data {kind!r}; valid: {', '.join(DATA_KINDS)}")
    mnist = load_mnist() if kind == "mnist" else synthetic_mnist()
    return DataSummary(
        {"name": kind, "sha256": mnist.sha256()},
        len(mnist.train_labels),
        len(mnist.test_labels),
    )


@dataclass(frozen=True)
class ImageData:
    """MNIST on one device, pixels as float32 in [0, 1]: images ``[N, 784]``, labels ``[N]``.

    The whole set lives on the device and batches are drawn by index, with no DataLoader.
    ``identity`` names the data set and the SHA-256 of its uint8 arrays, so that results
    can say what they were trained on.
    """

    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    identity: dict[str, str] = field(default_factory=lambda: {"name": "unknown"})

    @classmethod
    def from_mnist(
        cls, mnist: MNIST, device: torch.device | str = "cpu", name: str = "mnist"
    ) -> ImageData:
        def images(a) -> Tensor:
            return torch.as_tensor(a, device=device).float().div_(255.0)

        def labels(a) -> Tensor:
            return torch.as_tensor(a, device=device).long()

        return cls(
            images(mnist.train_images),
            labels(mnist.train_labels),
            images(mnist.test_images),
            labels(mnist.test_labels),
            {"name": name, "sha256": mnist.sha256()},
        )

    @classmethod
    def load(cls, kind: str = "mnist", device: torch.device | str = "cpu") -> ImageData:
        """Real MNIST (fetched and cached on first use) or the ``synthetic`` stand-in."""
        from mirl.data.mnist import load_mnist
        from mirl.data.synthetic import synthetic_mnist

        if kind not in DATA_KINDS:
            raise ValueError(f"unknown data {kind!r}; valid: {', '.join(DATA_KINDS)}")
        mnist = load_mnist() if kind == "mnist" else synthetic_mnist()
        return cls.from_mnist(mnist, device, kind)

    @property
    def device(self) -> torch.device:
        return self.train_x.device

    @property
    def summary(self) -> DataSummary:
        return DataSummary(dict(self.identity), self.train_x.shape[0], self.test_x.shape[0])
