"""A small synthetic stand-in for MNIST, for tests and the smoke profile (no download).

Each class has a random prototype image; an example is its class prototype plus pixel
noise, clipped to uint8. Both halves of an image carry its class, so the two views share
information and a linear probe can read the label off either one, as with real digits.
"""

from __future__ import annotations

import numpy as np

from mirl.data.mnist import IMAGE_DIM, MNIST, N_CLASSES


def synthetic_mnist(
    n_train: int = 1200,
    n_test: int = 400,
    seed: int = 0,
    contrast: float = 36.0,
    noise: float = 60.0,
) -> MNIST:
    """An MNIST-shaped data set: uint8 images ``[n, 784]`` and balanced labels ``[n]``.

    Prototype pixels are uniform in ``128 +- contrast / 2``; the defaults make the classes
    separable but not trivially (a linear probe on noisy top halves scores about 0.88).
    """
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(128 - contrast / 2, 128 + contrast / 2, size=(N_CLASSES, IMAGE_DIM))

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.arange(n) % N_CLASSES
        rng.shuffle(labels)
        images = prototypes[labels] + noise * rng.standard_normal((n, IMAGE_DIM))
        return np.clip(np.rint(images), 0, 255).astype(np.uint8), labels.astype(np.uint8)

    train_images, train_labels = split(n_train)
    test_images, test_labels = split(n_test)
    return MNIST(train_images, train_labels, test_images, test_labels)
