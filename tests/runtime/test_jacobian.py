"""Jacobians of stacked encoders, their spectra from J^T J, and condition numbers."""

import numpy as np
import pytest
import torch

from mirl.encoders import MLP
from mirl.flows import RealNVP
from mirl.runtime.jacobian import jacobians, log_condition_numbers, singular_values
from mirl.seeds import stack


@pytest.mark.parametrize(
    "build",
    [
        lambda: MLP(12, [12, 12], shortcuts=True, init_std=0.3),
        lambda: RealNVP(12, couplings=3, hidden=[8], init_std=0.3),
        lambda: MLP(12, [7]),
    ],
)
def test_every_seeds_jacobian_is_the_one_autograd_gives(build):
    modules = []
    for k in range(3):
        torch.manual_seed(k)
        modules.append(build())
    x = torch.randn(3, 5, 12)
    jac = jacobians(stack(modules), x)
    assert jac.shape == (3, 5, modules[0].out_dim, 12)
    for k, module in enumerate(modules):
        for i in range(5):
            expected = torch.autograd.functional.jacobian(module, x[k, i])
            torch.testing.assert_close(jac[k, i], expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(jacobians(modules[1], x[1]), jac[1], atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("log_cond", [0.5, 4.0, 8.0, 10.0])
def test_spectra_from_the_gram_matrix_keep_the_condition_numbers_the_paper_reaches(log_cond):
    # Float32 Jacobians with known singular values from 1 down to exp(-log_cond).
    g = torch.Generator().manual_seed(0)
    u, _ = torch.linalg.qr(torch.randn(64, 392, 392, generator=g, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(64, 392, 392, generator=g, dtype=torch.float64))
    s = torch.exp(-torch.linspace(0, log_cond, 392, dtype=torch.float64))
    jac = ((u * s) @ v.transpose(-1, -2)).float()
    ours = singular_values(jac)
    reference = torch.linalg.svdvals(jac.double()).numpy()
    assert ours.shape == reference.shape and np.all(np.diff(ours, axis=-1) <= 0)
    difference = np.abs(log_condition_numbers(ours) - log_condition_numbers(reference))
    # Squaring costs relative accuracy ~1e-16 cond^2 on sigma_min (far below 1e-6 here).
    assert difference.max() < 1e-9 + 1e-14 * np.exp(2 * log_cond)


def test_a_zero_singular_value_is_an_infinite_condition_number():
    values = log_condition_numbers(np.array([[2.0, 1.0], [3.0, 0.0]]))
    assert values[0] == pytest.approx(np.log(2.0)) and np.isinf(values[1])
