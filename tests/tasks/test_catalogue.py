"""The registry and the sampling contract: names, shapes, dtype, device, determinism, and
impossible parameters refused with a message that names them."""

import math

import numpy as np
import pytest
import torch

from mirl.data.gaussian import correlated_gaussian_mi
from mirl.tasks import (
    STAIRCASE_DIM,
    STAIRCASE_LEVELS,
    TASKS,
    SplitNormal,
    additive_noise,
    bimodal_mixture,
    bivariate_normal,
    cubic,
    get_task,
    multinormal_dense,
    multinormal_sparse,
    spiral,
    staircase,
    staircase_rho,
    student_dense,
    student_identity,
    swissroll,
)

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
    ),
]


def generator(seed: int, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def test_at_least_twenty_tasks_each_with_its_own_name():
    assert len(TASKS) >= 20
    for name, task in TASKS.items():
        assert task.name == name
        assert task.description and "\n" not in task.description
        assert task.dim_x >= 1 and task.dim_y >= 1
        assert isinstance(task.true_mi, float) and 0.0 <= task.true_mi < 20.0


def test_catalogue_holds_the_families_of_the_issue():
    names = set(TASKS)
    for mi in STAIRCASE_LEVELS:
        assert {f"staircase-{mi:g}", f"cubic-staircase-{mi:g}"} <= names
    for prefix in ("multinormal-dense-", "multinormal-sparse-", "student-", "asinh-student-"):
        assert any(n.startswith(prefix) for n in names), prefix
    for prefix in ("half_cube-", "wiggly-", "spiral-", "normal_cdf-", "swissroll_x-"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert {"1v1-normal-0.75", "1v1-additive-0.75", "1v1-bimodal-0.75", "paper-fig4c"} <= names


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(TASKS))
def test_samples_have_shapes_dtype_device_and_are_deterministic(name, device):
    task = TASKS[name]
    x, y = task.sample(257, generator(3, device))
    assert x.shape == (257, task.dim_x) and y.shape == (257, task.dim_y)
    assert x.dtype == y.dtype == torch.float32
    assert x.device.type == y.device.type == device
    assert torch.isfinite(x).all() and torch.isfinite(y).all()
    again = task.sample(257, generator(3, device))
    assert torch.equal(x, again[0]) and torch.equal(y, again[1])
    other = task.sample(257, generator(4, device))
    assert not torch.equal(x, other[0])


def test_sample_advances_the_generator():
    g = generator(0)
    first = TASKS["1v1-normal-0.75"].sample(8, g)[0]
    second = TASKS["1v1-normal-0.75"].sample(8, g)[0]
    assert not torch.equal(first, second)


def test_unknown_task_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown task 'gauss'; valid names: 1v1-additive-0.1, "):
        get_task("gauss")
    assert get_task("staircase-4") is TASKS["staircase-4"]


def test_staircase_levels_and_their_correlation():
    assert STAIRCASE_LEVELS == (2.0, 4.0, 6.0, 8.0, 10.0)
    for mi in STAIRCASE_LEVELS:
        rho = staircase_rho(mi)
        # the MI of 20 independent pairs with correlation rho, mirl.data's closed form
        assert correlated_gaussian_mi(rho, STAIRCASE_DIM) == pytest.approx(mi, abs=1e-12)
        task = TASKS[f"staircase-{mi:g}"]
        assert task.true_mi == pytest.approx(mi, abs=1e-12)
        assert (task.dim_x, task.dim_y) == (20, 20)
        cov = np.asarray(task.base.covariance)
        np.testing.assert_allclose(cov[:20, 20:], rho * np.eye(20), atol=1e-15)
        assert cubic(task).true_mi == task.true_mi
    assert staircase_rho(0.0) == 0.0
    assert staircase(3.0, dim=5).name == "staircase-3-5d"


def test_staircase_is_poole_construction():
    # y = rho x + sqrt(1 - rho^2) eps: the residual is independent of x with variance 1 - rho^2
    rho = staircase_rho(6.0)
    x, y = TASKS["staircase-6"].sample(50_000, generator(0))
    x, y = x.double(), y.double()
    residual = (y - rho * x) / math.sqrt(1 - rho**2)
    assert residual.var().item() == pytest.approx(1.0, abs=0.02)
    assert (x * residual).mean().abs().item() < 0.02


def test_cubic_staircase_cubes_y_only():
    base_x, base_y = TASKS["staircase-2"].sample(64, generator(1))
    x, y = TASKS["cubic-staircase-2"].sample(64, generator(1))
    assert torch.equal(x, base_x)
    torch.testing.assert_close(y, base_y.double().pow(3).float(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: bivariate_normal(1.0), r"correlation must lie in \(-1, 1\), got 1.0"),
        (lambda: bivariate_normal(-1.5), "correlation"),
        (lambda: bivariate_normal(float("nan")), "correlation"),
        (lambda: bimodal_mixture(correlation=1.0), "correlation"),
        (lambda: bimodal_mixture(separation=math.inf), "separation must be finite"),
        (lambda: multinormal_dense(0, 3), "dim_x must be an integer >= 1, got 0"),
        (lambda: multinormal_dense(3, 0), "dim_y must be"),
        (lambda: multinormal_dense(2.5, 3), "dim_x must be"),
        (lambda: multinormal_dense(2, 2, off_diag=1.0), r"off_diag must lie in \(-0.333333, 1\)"),
        (lambda: multinormal_dense(2, 2, off_diag=-0.4), "off_diag"),
        (lambda: multinormal_sparse(2, 2, n_interacting=3), "n_interacting"),
        (lambda: multinormal_sparse(2, 2, strength=math.nan), "strength"),
        (lambda: student_identity(2, 2, df=0), "df .*must be positive"),
        (lambda: student_identity(2, 2, df=-1), "df"),
        (lambda: student_identity(2, 2, df=math.nan), "df"),
        (lambda: student_dense(2, 2, df=3, off_diag=1.2), "off_diag"),
        (lambda: additive_noise(0.0), "epsilon must be positive"),
        (lambda: additive_noise(-0.1), "epsilon"),
        (lambda: staircase(-1.0), "mi must be finite and >= 0"),
        (lambda: staircase(math.inf), "mi"),
        (lambda: staircase_rho(2.0, dim=0), "dim must be"),
        (lambda: SplitNormal([[1.0, 2.0], [2.0, 1.0]], 1), "covariance must be positive definite"),
        (lambda: SplitNormal([[1.0, 0.5], [0.4, 1.0]], 1), "covariance must be a finite symmetric"),
        (lambda: SplitNormal(np.eye(3)[:2], 1), r"covariance must be a square"),
        (lambda: SplitNormal(np.eye(3), 3), "dim_x must be below the covariance size 3"),
        (lambda: spiral(bivariate_normal()), "spiral needs dim_x >= 2 and dim_y >= 3"),
        (lambda: spiral(multinormal_sparse(3, 3), speed=math.inf), "speed"),
        (lambda: swissroll(multinormal_dense(2, 2)), "swissroll needs dim_x = 1"),
    ],
)
def test_impossible_parameters_are_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("n", [0, -3, 2.0, True])
def test_sample_size_must_be_a_positive_integer(n):
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        TASKS["1v1-normal-0.75"].sample(n, generator(0))
