"""The MI-preserving maps are injective: each inverse recovers its input to float64
precision, and a task's samples are exactly its maps applied to its base sample."""

import math

import numpy as np
import pytest
import torch
from scipy import special

from mirl.tasks import TASKS, GaussianToMixture, Spiral, SwissRoll
from mirl.tasks._maps import ASINH, CUBE, HALF_CUBE, NORMAL_CDF, WIGGLY_X, WIGGLY_Y

BIMODAL_X = GaussianToMixture("bimodal", (0.3, 0.7), (0.0, 5.0), (1.0, 1.0))
ELEMENTWISE = {
    "half_cube": HALF_CUBE,
    "cubic": CUBE,
    "asinh": ASINH,
    "normal_cdf": NORMAL_CDF,
    "wiggly_x": WIGGLY_X,
    "wiggly_y": WIGGLY_Y,
    "bimodal": BIMODAL_X,
    "three_modes": GaussianToMixture("m3", (0.2, 0.5, 0.3), (-4.0, 0.0, 6.0), (0.5, 2.0, 1.0)),
}


def normals(n: int, d: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_maps_increase_and_invert(name):
    # Inputs N(0, 9), out to |t| ~ 11, except for the normal CDF: its values near 1 have
    # float64 steps of 1e-16, i.e. 1e-16 / phi(t) in t (7e-11 at t = 5, all of it at 8.3,
    # where Phi(t) rounds to 1), so it gets N(0, 1) inputs (|t| < 4) and 1e-12.
    f = ELEMENTWISE[name]
    scale, rtol = (1.0, 1e-12) if name == "normal_cdf" else (3.0, 1e-14)
    t = torch.sort(scale * normals(4000, 1).reshape(-1)).values.reshape(-1, 1)
    out = f(t)
    assert f.dim_out(3) == 3 and out.shape == t.shape
    assert (out.diff(dim=0) > 0).all(), "strictly increasing"
    error = ((f.inverse(out) - t).abs() / t.abs().clamp_min(1.0)).max().item()
    assert error <= rtol, error


def test_mixture_quantile_reaches_its_cdf_far_in_both_tails():
    t = np.array([-30.0, -9.0, -5.0, 0.0, 5.0, 9.0, 30.0])
    s = BIMODAL_X(torch.tensor(t).reshape(-1, 1)).numpy().reshape(-1)
    # scipy's ndtr keeps its relative precision in the lower tail; Phi's own condition
    # number there is t^2 (1e-13 relative at t = -30)
    cdf = 0.3 * special.ndtr(s) + 0.7 * special.ndtr(s - 5.0)
    survival = 0.3 * special.ndtr(-s) + 0.7 * special.ndtr(5.0 - s)
    np.testing.assert_allclose(cdf[:4], special.ndtr(t[:4]), rtol=1e-12)
    np.testing.assert_allclose(survival[3:], special.ndtr(-t[3:]), rtol=1e-12)


def test_normal_cdf_keeps_the_lower_tail():
    t = torch.tensor([[-37.0], [-20.0], [-9.0], [-5.0], [0.0], [2.0]], dtype=torch.float64)
    expected = special.ndtr(t.numpy())
    np.testing.assert_allclose(NORMAL_CDF(t).numpy(), expected, rtol=1e-12)  # condition t^2


def test_spiral_rotates_by_the_squared_norm_and_inverts():
    spiral = Spiral(speed=0.25, plane=(1, 2))
    t = normals(2000, 4)
    out = spiral(t)
    torch.testing.assert_close(out.norm(dim=1), t.norm(dim=1), rtol=1e-14, atol=0.0)
    torch.testing.assert_close(out[:, [0, 3]], t[:, [0, 3]], rtol=0.0, atol=0.0)
    angle = 0.25 * (t**2).sum(dim=1)
    expected_1 = torch.cos(angle) * t[:, 1] - torch.sin(angle) * t[:, 2]
    torch.testing.assert_close(out[:, 1], expected_1, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(spiral.inverse(out), t, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="needs dimension > 2"):
        spiral.dim_out(2)


def test_swiss_roll_embeds_the_unit_interval():
    roll = SwissRoll()
    u = torch.rand(3000, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = roll(u)
    assert roll.dim_out(1) == 2 and out.shape == (3000, 2)
    tau = 1.5 * math.pi * (1 + 2 * u)
    torch.testing.assert_close(out.norm(dim=1, keepdim=True), tau / 21.0, rtol=1e-14, atol=0.0)
    torch.testing.assert_close(roll.inverse(out), u, rtol=0.0, atol=1e-14)
    with pytest.raises(ValueError, match="1-d"):
        roll.dim_out(2)


@pytest.mark.parametrize("name", sorted(n for n, t in TASKS.items() if t.maps_x or t.maps_y))
def test_task_is_its_maps_of_its_base_and_inverts(name):
    task = TASKS[name]
    g = torch.Generator().manual_seed(11)
    base_x, base_y = task.base.sample(3000, g)
    x, y = base_x, base_y
    for m in task.maps_x:
        x = m(x)
    for m in task.maps_y:
        y = m(y)
    sx, sy = task.sample(3000, torch.Generator().manual_seed(11))
    assert torch.equal(sx, x.float()) and torch.equal(sy, y.float())
    for m in reversed(task.maps_x):
        x = m.inverse(x)
    for m in reversed(task.maps_y):
        y = m.inverse(y)
    # relative to max(1, |t|); the normal CDF's upper tail costs up to ~1e-10 at t ~ 5
    for got, base in ((x, base_x), (y, base_y)):
        error = ((got - base).abs() / base.abs().clamp_min(1.0)).max().item()
        assert error <= 1e-9, error
