"""Every bound, trained with a concat critic on Gaussians whose MI is known, lands near it."""

import math

import pytest
import torch

from mirl.bounds import BOUNDS
from mirl.critics import Concat
from mirl.data.gaussian import correlated_gaussian, correlated_gaussian_mi

DIM, TRUE_MI = 2, 1.0
RHO = math.sqrt(1 - math.exp(-2 * TRUE_MI / DIM))  # per coordinate, -log(1 - rho^2) / 2 = 0.5


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_trained_bound_estimates_the_true_mi(name):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    critic = Concat(DIM, DIM, hidden=128, layers=1)
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3)
    bound = BOUNDS[name]
    for _ in range(1500):  # fresh samples each step: no overfitting to a fixed set
        x, y = correlated_gaussian(RHO, DIM, 128, generator)
        loss = -bound(critic(x, y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        estimates = [
            bound(critic(*correlated_gaussian(RHO, DIM, 128, generator))) for _ in range(200)
        ]
    estimate = torch.stack(estimates).mean().item()
    assert correlated_gaussian_mi(RHO, DIM) == pytest.approx(TRUE_MI)
    assert estimate == pytest.approx(TRUE_MI, abs=0.1)
    if name == "infonce":
        assert estimate < TRUE_MI  # a lower bound, below the truth in expectation
