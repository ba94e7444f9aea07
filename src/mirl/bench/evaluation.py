"""Evaluation timings: one evaluation of K seeds, the Jacobian spectra, and the probes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from mirl.bench.items import make_trainer
from mirl.bench.timing import sync, time_block
from mirl.data.mnist import VIEW_DIM
from mirl.data.views import ImageData, split_views
from mirl.experiments import experiment_specs
from mirl.probe import sklearn_probe, torch_probe
from mirl.runtime.jacobian import jacobians, log_condition_numbers, singular_values
from mirl.runtime.run_spec import RunSpec, replace


def evaluation_probe(device: torch.device) -> str:
    """The probe an evaluation is timed with: the batched torch probe on a GPU, saga on the
    CPU (where it is the faster of the two)."""
    return "torch" if device.type == "cuda" else "sklearn"


def bench_evaluation(spec: RunSpec, data: ImageData, k: int, workers: int) -> dict | None:
    """One evaluation of K seeds, as the trainer runs it (codes of all 70k images, the
    probe, the bounds, the Jacobian spectra where the run has them, on ``workers`` CPU
    threads), waited for."""
    if not hasattr(spec, "probe"):
        return None
    probe = evaluation_probe(data.device)
    seeds = list(range(k))
    with ThreadPoolExecutor(workers) as pool:
        trainer = make_trainer(replace(spec, probe=probe), seeds, data, executor=pool)

        def evaluate() -> None:
            for value in trainer.evaluate(spec.eval_every, seeds).values():
                if hasattr(value, "result"):
                    value.result()

        evaluate()  # warm-up
        seconds = time_block(evaluate, data.device, 1)
    return {
        "item": spec.run_id,
        "kind": "evaluation",
        "device": str(data.device),
        "seeds": k,
        "seconds": seconds,
        "probe": probe,
    }


def bench_jacobian(data: ImageData, k: int, workers: int, compared: int = 2) -> dict:
    """The non-invertible encoder's Jacobians at K seeds x 128 samples, and their singular
    values three ways: ``svdvals`` in float64 (the reference), ``eigvalsh`` of ``J^T J`` in
    float64 on the device, and the same on CPU threads (how training computes them), each
    timed per matrix on the first ``compared`` seeds, the CPU threads also on all K; with
    the largest disagreement in log condition number."""
    (spec,) = [s for s in experiment_specs("non_invertible", "paper") if s.bound == "infonce"]
    trainer = make_trainer(spec, list(range(k)), data)
    n = spec.jacobian_samples
    x = split_views(data.train_x[: k * n])[0].reshape(k, n, -1)
    g1 = trainer.model.g1
    jacobians(g1, x)
    jac_seconds = time_block(lambda: jacobians(g1, x), data.device, 1)
    jac = jacobians(g1, x)
    some = jac[:compared]

    def eig_threads(jac: torch.Tensor) -> np.ndarray:
        with ThreadPoolExecutor(workers) as pool:
            return np.stack(list(pool.map(singular_values, jac.cpu())))

    methods = {
        "svdvals": lambda: torch.linalg.svdvals(some.double()).cpu().numpy(),
        "eigvalsh_device": lambda: singular_values(some),
        "eigvalsh_cpu": lambda: eig_threads(some),
    }
    spectra, per_matrix = {}, {}
    for name, method in methods.items():
        sync(data.device)
        start = time.perf_counter()
        spectra[name] = method()
        sync(data.device)
        per_matrix[name] = (time.perf_counter() - start) / (compared * n)
    start = time.perf_counter()
    eig_threads(jac)
    all_seeds_cpu = time.perf_counter() - start
    reference = log_condition_numbers(spectra["svdvals"])
    return {
        "item": "jacobian/non_invertible",
        "kind": "jacobian",
        "device": str(data.device),
        "seeds": k,
        "samples": n,
        "jacobian_seconds": jac_seconds,
        "spectra_seconds_per_matrix": per_matrix,
        "spectra_seconds_cpu_all_seeds": all_seeds_cpu,
        "cpu_workers": workers,
        "max_abs_log_cond_difference": {
            name: float(np.max(np.abs(log_condition_numbers(s) - reference)))
            for name, s in spectra.items()
            if name != "svdvals"
        },
    }


def probe_codes(data: ImageData, k: int, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """K seeds' codes to probe: the noisy top-half pixels (dim 392, the pixel baseline) or
    random ReLU features of them (dim 100, the size of the paper's MLP codes)."""
    generator = torch.Generator(device="cpu").manual_seed(0)
    device = data.device
    train_top, test_top = split_views(data.train_x)[0], split_views(data.test_x)[0]
    train, test = [], []
    for _ in range(k):
        a = train_top + 0.05 * torch.randn(train_top.shape, generator=generator).to(device)
        b = test_top + 0.05 * torch.randn(test_top.shape, generator=generator).to(device)
        if dim != VIEW_DIM:
            w = torch.randn(VIEW_DIM, dim, generator=generator).to(device) / VIEW_DIM**0.5
            a, b = torch.relu(a @ w), torch.relu(b @ w)
        train.append(a)
        test.append(b)
    return torch.stack(train), torch.stack(test)


def bench_probes(data: ImageData, k: int, workers: int) -> list[dict]:
    """Saga (one fit per seed; alone, and K fits spread over ``workers`` threads) against
    the batched torch probe on the same codes: times and accuracies."""
    records = []
    y_train, y_test = data.train_y.cpu().numpy(), data.test_y.cpu().numpy()
    for dim in (100, VIEW_DIM):
        train, test = probe_codes(data, k, dim)
        torch_probe(train[:1], data.train_y, test[:1], data.test_y)  # warm-up
        sync(data.device)
        start = time.perf_counter()
        batched = torch_probe(train, data.train_y, test, data.test_y).cpu().numpy()
        sync(data.device)
        torch_seconds = time.perf_counter() - start
        jobs = [
            (train[i].cpu().numpy(), y_train, test[i].cpu().numpy(), y_test, i) for i in range(k)
        ]
        start = time.perf_counter()
        sklearn_probe(*jobs[0])
        saga_one = time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            saga = np.array(list(pool.map(lambda job: sklearn_probe(*job), jobs)))
        saga_parallel = time.perf_counter() - start
        records.append(
            {
                "item": f"probe/dim{dim}",
                "kind": "probe",
                "device": str(data.device),
                "seeds": k,
                "torch_seconds": torch_seconds,
                "saga_seconds_per_seed": saga_one,
                "saga_seconds_parallel": saga_parallel,
                "saga_workers": workers,
                "speedup_torch_vs_saga": k * saga_one / torch_seconds,
                "torch_accuracy": batched.tolist(),
                "saga_accuracy": saga.tolist(),
                "max_abs_accuracy_difference": float(np.max(np.abs(batched - saga))),
            }
        )
    return records
