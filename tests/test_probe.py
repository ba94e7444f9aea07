import numpy as np
import pytest
import torch
from sklearn.preprocessing import MinMaxScaler

from mirl.data import ImageData, synthetic_mnist
from mirl.data.views import split_views
from mirl.probe import minmax_scale, sklearn_probe, start_probe, torch_probe


def test_minmax_scale_matches_scikit_learn():
    x = torch.randn(2, 50, 4, dtype=torch.float64)
    x[1, :, 2] = 3.0  # a constant feature
    y = torch.randn(2, 20, 4, dtype=torch.float64)
    train, test = minmax_scale(x, y)
    for k in range(2):
        scaler = MinMaxScaler().fit(x[k].numpy())
        np.testing.assert_allclose(train[k].numpy(), scaler.transform(x[k].numpy()), atol=1e-12)
        np.testing.assert_allclose(test[k].numpy(), scaler.transform(y[k].numpy()), atol=1e-12)


def test_batched_torch_probe_agrees_with_saga():
    # 6,000 examples: with fewer, the converged probe overfits where saga's early stop
    # (tol=0.1) regularizes, and the two part by several points.
    data = ImageData.from_mnist(synthetic_mnist(n_train=6000, n_test=2000))
    top_train, top_test = split_views(data.train_x)[0], split_views(data.test_x)[0]
    # Three "seeds" of 60-d codes: three disjoint blocks of pixels, each informative.
    blocks = [slice(0, 60), slice(150, 210), slice(332, 392)]
    train_codes = torch.stack([top_train[:, b] for b in blocks])
    test_codes = torch.stack([top_test[:, b] for b in blocks])
    batched = torch_probe(train_codes, data.train_y, test_codes, data.test_y)
    saga = start_probe(
        "sklearn", train_codes, data.train_y, test_codes, data.test_y, [0, 1, 2]
    ).result()
    assert batched.shape == (3,)
    assert (saga > 0.3).all()  # far above chance (0.1): the comparison means something
    np.testing.assert_allclose(batched.numpy(), saga, atol=0.02)
    # Each seed's probe is its own problem: probing one seed alone gives the same answer.
    alone = torch_probe(train_codes[1:2], data.train_y, test_codes[1:2], data.test_y)
    assert alone.item() == pytest.approx(batched[1].item(), abs=1e-3)


def test_probe_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="one label per code"):
        sklearn_probe(np.zeros((5, 2)), np.zeros(4), np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="differ in dimension"):
        sklearn_probe(np.zeros((5, 2)), np.zeros(5), np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"codes \[K, N, d\]"):
        torch_probe(torch.zeros(5, 2), torch.zeros(5), torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match="unknown probe 'svm'"):
        start_probe(
            "svm", torch.zeros(1, 5, 2), torch.zeros(5), torch.zeros(1, 3, 2), torch.zeros(3), [0]
        )
