"""Data: MNIST and its two views, a synthetic stand-in, and Gaussian pairs with known MI."""

from mirl.data.mnist import MNIST, fetch_mnist, load_mnist
from mirl.data.synthetic import synthetic_mnist
from mirl.data.views import ImageData, noisy_views, split_views

__all__ = [
    "MNIST",
    "ImageData",
    "fetch_mnist",
    "load_mnist",
    "noisy_views",
    "split_views",
    "synthetic_mnist",
]
