"""``mirl bench``: what seeds-as-a-batch-dimension buys, measured side by side in one run.

For the training step of each experiment of the paper profile, at each group size K: the
time of one step of K seeds trained together, and of one step of the plain loop (one seed,
ordinary modules, no vmap), so the per-seed throughput ratio is measured, not assumed.
Then one evaluation per experiment at the largest K, the probes (saga per seed vs the
batched torch probe, with their accuracies on the same codes), the batched Jacobian, and a
projection of the whole paper profile's wall time on this device.

Timings are medians over repeats of a block of steps, after warm-up steps, with the device
synchronized around each block.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from mirl.data.mnist import VIEW_DIM
from mirl.data.views import ImageData, noisy_views, split_views
from mirl.paper.adversarial import AdversarialTrainer, EncoderWithClassifier, uniform_cross_entropy
from mirl.paper.experiments import EXPERIMENTS, PROFILES, experiment_specs
from mirl.paper.models import bound_fn, build_critic, build_encoder, build_two_view_model, loss_fn
from mirl.paper.noniid import GaussianTrainer
from mirl.paper.spec import AdversarialSpec, GaussianSpec, MISpec, Spec, replace
from mirl.paper.two_view import MIEvaluator, MITrainer
from mirl.probe import sklearn_probe, torch_probe
from mirl.runtime.encode import encode, probe_accuracy
from mirl.runtime.jacobian import jacobian_singular_values
from mirl.runtime.stacking import adam

# One training step stands for every paper run with the same architecture (the bound and
# the target do not change the cost of a step).
ITEM_RUNS = {
    "invertible": "realnvp-bilinear-infonce",
    "adversarial": "realnvp-adversarial",
    "non_invertible": "mlp-bilinear-infonce",
    "critic_impact": ("mlp-bilinear-infonce", "mlp-separable-infonce", "mlp-concat-infonce"),
    "encoder_impact": ("convnet-bilinear-infonce-t2",),
    "noniid": "noniid-infonce",
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_block(fn: Callable[[], None], device: torch.device, repeats: int) -> float:
    """Median wall seconds of ``fn()`` over ``repeats`` calls, synchronized around each."""
    times = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def architecture_key(spec: Spec) -> tuple:
    """What determines a step's cost: the experiment kind and the networks."""
    if isinstance(spec, MISpec):
        return ("mi", spec.encoder, spec.critic, spec.noise_std > 0)
    if isinstance(spec, AdversarialSpec):
        return ("adversarial", spec.encoder)
    return ("gaussian", spec.critic)


def item_specs(experiments: Sequence[str]) -> list[Spec]:
    """The paper-profile spec that stands for each distinct step of ``experiments``."""
    specs = []
    for name in experiments:
        wanted = ITEM_RUNS[name]
        wanted = (wanted,) if isinstance(wanted, str) else wanted
        specs += [s for s in experiment_specs(name, "paper") if s.name in wanted]
    return specs


def _plain_mi_step(spec: MISpec, data: ImageData) -> Callable[[], None]:
    """The straightforward loop: one seed, ordinary modules, no vmap."""
    model = build_two_view_model(spec).to(data.device)
    optimizer = adam(model.parameters(), spec.lr)
    bound, loss = bound_fn(spec), loss_fn(spec)
    generator = torch.Generator(device="cpu").manual_seed(0)
    n = data.train_x.shape[0]

    def step() -> None:
        idx = torch.randint(n, (spec.batch_size,), generator=generator).to(data.device)
        noise = None
        if spec.noise_std > 0:
            noise = spec.noise_std * torch.randn(spec.batch_size, VIEW_DIM, device=data.device)
        x1, x2 = noisy_views(data.train_x[idx], noise)
        value = loss(bound(model(x1, x2)))
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()

    return step


def _plain_adversarial_step(spec: AdversarialSpec, data: ImageData) -> Callable[[], None]:
    model = EncoderWithClassifier(build_encoder(spec.encoder, **spec.encoder_kwargs)).to(
        data.device
    )
    opt_c = adam(model.classifier.parameters(), spec.lr)
    opt_e = adam(model.encoder.parameters(), spec.lr * spec.encoder_lr_factor)
    top = split_views(data.train_x)[0]
    n = top.shape[0]

    def step() -> None:
        for _ in range(spec.classifier_steps):
            idx = torch.randint(n, (spec.batch_size,), device=data.device)
            with torch.no_grad():
                codes = model.encoder(top[idx])
            loss = torch.nn.functional.cross_entropy(model.classifier(codes), data.train_y[idx])
            opt_c.zero_grad(set_to_none=True)
            loss.backward()
            opt_c.step()
        idx = torch.randint(n, (spec.batch_size,), device=data.device)
        loss = uniform_cross_entropy(model(top[idx])[None])[0]
        opt_e.zero_grad(set_to_none=True)
        loss.backward()
        opt_e.step()

    return step


def _plain_gaussian_step(spec: GaussianSpec, device: torch.device) -> Callable[[], None]:
    critic = build_critic(spec.critic, 1, 1, **spec.critic_kwargs).to(device)
    optimizer = adam(critic.parameters(), spec.lr)
    bound, loss = bound_fn(spec), loss_fn(spec)

    def step() -> None:
        xy = torch.randn(spec.batch_size, 2, device=device)
        value = loss(bound(critic(xy[:, :1], xy[:, 1:])))
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()

    return step


def plain_step(spec: Spec, data: ImageData) -> Callable[[], None]:
    if isinstance(spec, MISpec):
        return _plain_mi_step(spec, data)
    if isinstance(spec, AdversarialSpec):
        return _plain_adversarial_step(spec, data)
    return _plain_gaussian_step(spec, data.device)


def stacked_step(spec: Spec, seeds: list[int], data: ImageData) -> Callable[[], None]:
    """One step of K seeds trained together, through mirl's trainers."""
    if isinstance(spec, MISpec):
        trainer = MITrainer(spec, seeds, data)
    elif isinstance(spec, AdversarialSpec):
        trainer = AdversarialTrainer(spec, seeds, data)
    else:
        trainer = GaussianTrainer(spec, seeds, data.device)
    counter = iter(range(10**9))
    # The trainers record per-step traces of fixed length; wrap the step index around them.
    return lambda: trainer.step(next(counter) % spec.steps)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"


@dataclass
class BenchConfig:
    device: torch.device
    seeds: list[int]
    warmup: int = 3
    steps: int = 10
    repeats: int = 3


def bench_steps(spec: Spec, data: ImageData, config: BenchConfig) -> list[dict]:
    """Step timings of one item: the plain loop, then K seeds together for each K."""
    item = f"{spec.experiment}/{spec.name}"
    records = []
    runs: list[tuple[str, int, Callable[[], None]]] = [("plain", 1, plain_step(spec, data))]
    runs += [("stacked", k, stacked_step(spec, list(range(k)), data)) for k in config.seeds]
    for mode, k, step in runs:

        def block(step=step) -> None:
            for _ in range(config.steps):
                step()

        for _ in range(config.warmup):
            step()
        seconds = time_block(block, config.device, config.repeats) / config.steps
        records.append(
            {
                "item": item,
                "kind": "train_step",
                "mode": mode,
                "device": str(config.device),
                "seeds": k,
                "ms_per_step": 1000 * seconds,
                "steps_per_second_per_seed": k / seconds,
            }
        )
        del step
        if config.device.type == "cuda":
            torch.cuda.empty_cache()
    plain = records[0]["steps_per_second_per_seed"]
    stacked_one = records[1]["steps_per_second_per_seed"]
    for record in records:
        record["speedup_vs_plain"] = record["steps_per_second_per_seed"] / plain
        record["speedup_vs_k1"] = record["steps_per_second_per_seed"] / stacked_one
    return records


def evaluation_probe(device: torch.device) -> str:
    """The probe an evaluation is timed with: the batched torch probe on a GPU, saga on the
    CPU (where it is the faster of the two)."""
    return "torch" if device.type == "cuda" else "sklearn"


def bench_evaluation(spec: Spec, data: ImageData, k: int, config: BenchConfig) -> dict | None:
    """One evaluation of K seeds: codes of all 70k images, the probe, and for two-view runs
    the test bound and (non-invertible) the Jacobian."""
    seeds = list(range(k))
    probe = evaluation_probe(config.device)
    if isinstance(spec, MISpec):
        trainer = MITrainer(spec, seeds, data)
        evaluator = MIEvaluator(replace(spec, probe=probe), trainer.stack, data, seeds, None)

        def evaluate() -> None:
            _, accuracies = evaluator(0, seeds)
            accuracies.result()
    elif isinstance(spec, AdversarialSpec):
        trainer = AdversarialTrainer(spec, seeds, data)
        test_top = split_views(data.test_x)[0]

        def evaluate() -> None:
            train_codes = encode(trainer.encoder, trainer.train_top)
            test_codes = encode(trainer.encoder, test_top)
            probe_accuracy(probe, train_codes, test_codes, data, seeds).result()
    else:
        return None
    evaluate()  # warm-up
    return {
        "item": f"{spec.experiment}/{spec.name}",
        "kind": "evaluation",
        "device": str(config.device),
        "seeds": k,
        "seconds": time_block(evaluate, config.device, 1),
        "probe": probe,
    }


def probe_codes(
    data: ImageData, k: int, dim: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """K seeds' codes to probe: the noisy top-half pixels (dim 392, the pixel baseline) or
    random ReLU features of them (dim 100, the size of the paper's MLP codes)."""
    generator = torch.Generator(device="cpu").manual_seed(0)
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


def bench_probes(data: ImageData, k: int, config: BenchConfig, workers: int) -> list[dict]:
    """Saga (one fit per seed; sequential, and spread over ``workers`` threads) against the
    batched torch probe on the same codes: times and accuracies."""
    records = []
    y_train, y_test = data.train_y.cpu().numpy(), data.test_y.cpu().numpy()
    for dim in (100, VIEW_DIM):
        train, test = probe_codes(data, k, dim, config.device)
        sync(config.device)
        start = time.perf_counter()
        batched = torch_probe(train, data.train_y, test, data.test_y).cpu().numpy()
        sync(config.device)
        torch_seconds = time.perf_counter() - start
        jobs = [
            (train[i].cpu().numpy(), y_train, test[i].cpu().numpy(), y_test, i) for i in range(k)
        ]
        start = time.perf_counter()
        saga = np.array([sklearn_probe(*jobs[0])])
        saga_one = time.perf_counter() - start
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            saga = np.array(list(pool.map(lambda job: sklearn_probe(*job), jobs)))
        saga_parallel = time.perf_counter() - start
        records.append(
            {
                "item": f"probe/dim{dim}",
                "kind": "probe",
                "device": str(config.device),
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


def bench_jacobian(data: ImageData, k: int, config: BenchConfig) -> dict:
    """The Jacobian singular values of the non-invertible encoder: K seeds x 128 samples."""
    (spec,) = [s for s in experiment_specs("non_invertible", "paper") if s.bound == "infonce"]
    trainer = MITrainer(spec, list(range(k)), data)
    g1 = trainer.stack.submodule("g1")
    x = split_views(data.train_x[: k * spec.jacobian_samples])[0].reshape(
        k, spec.jacobian_samples, -1
    )
    jacobian_singular_values(g1, x)
    seconds = time_block(lambda: jacobian_singular_values(g1, x), config.device, config.repeats)
    return {
        "item": "jacobian/non_invertible",
        "kind": "jacobian",
        "device": str(config.device),
        "seeds": k,
        "samples": spec.jacobian_samples,
        "seconds": seconds,
    }


def probe_width(spec: MISpec | AdversarialSpec) -> int:
    """The benchmarked code width (100 or 392) closest to the width of the spec's codes."""
    width = build_encoder(spec.encoder, **spec.encoder_kwargs).out_dim
    return min((100, VIEW_DIM), key=lambda w: abs(w - width))


def project_paper_profile(
    records: list[dict], k: int, probe_seconds: dict[str, float]
) -> list[dict]:
    """The wall time of the whole paper profile on this device, from the measured steps and
    evaluations at group size ``k``: every run's seeds in groups of k, its steps at the
    measured time per step of the same architecture, its evaluations (batched torch probe
    included) likewise; the adversarial warm-up counts as warmup / classifier_steps
    iterations. The saga probes run on CPU threads beside the training; the projection with
    them (made for GPU records, when saga was timed) counts the larger of the device time
    and the CPU time of all saga fits spread over the threads."""
    steps = {
        (r["item"]): r["ms_per_step"] / 1000
        for r in records
        if r["kind"] == "train_step" and r["mode"] == "stacked" and r["seeds"] == k
    }
    evals = {
        r["item"]: r["seconds"] for r in records if r["kind"] == "evaluation" and r["seeds"] == k
    }
    items = {architecture_key(s): f"{s.experiment}/{s.name}" for s in item_specs(list(ITEM_RUNS))}
    seeds = PROFILES["paper"].seeds
    groups = -(-seeds // k)
    device_seconds, probes = 0.0, {"dim100": 0, "dim392": 0}
    for name in EXPERIMENTS:
        for spec in experiment_specs(name, "paper"):
            item = items[architecture_key(spec)]
            if item not in steps:
                continue
            n_evals = len(spec.eval_steps)
            warmup = getattr(spec, "warmup", 0) / max(getattr(spec, "classifier_steps", 1), 1)
            device_seconds += groups * (spec.steps + warmup) * steps[item]
            if isinstance(spec, GaussianSpec):
                continue
            # An evaluation record covers the whole evaluation, the Jacobian included.
            device_seconds += groups * n_evals * evals.get(item, 0.0)
            probes[f"dim{probe_width(spec)}"] += seeds * n_evals
    device = {key: records[0][key] for key in ("device", "device_name") if key in records[0]}
    eval_probe = next((r["probe"] for r in records if r["kind"] == "evaluation"), "torch")
    projections = [
        {
            "item": "paper_profile",
            "kind": "projection",
            "probe": eval_probe,
            "seeds": k,
            **device,
            "seconds": device_seconds,
        }
    ]
    if not probe_seconds or eval_probe != "torch":
        return projections
    saga_cpu = sum(n * probe_seconds.get(d, 0.0) for d, n in probes.items())
    workers = probe_seconds.get("workers", 1)
    return [
        *projections,
        {
            "item": "paper_profile",
            "kind": "projection",
            "probe": "sklearn",
            "seeds": k,
            **device,
            "seconds": max(device_seconds, saga_cpu / workers),
            "saga_fits": sum(probes.values()),
            "saga_cpu_seconds": saga_cpu,
            "saga_workers": workers,
        },
    ]


def run_bench(
    device: torch.device,
    seeds: Sequence[int],
    experiments: Sequence[str],
    data: ImageData,
    steps: int = 10,
    probe_seeds: int | None = None,
    log: Callable[[str], None] = print,
    checkpoint: Callable[[list[dict]], None] = lambda records: None,
) -> list[dict]:
    """Every measurement, as a list of records (see the module docstring). ``data`` should
    be real MNIST: the probe accuracies are compared on its codes."""
    config = BenchConfig(device=device, seeds=list(seeds), steps=steps)
    k_max = max(config.seeds)
    records: list[dict] = []
    for spec in item_specs(experiments):
        log(f"steps: {spec.experiment}/{spec.name}")
        records += bench_steps(spec, data, config)
        log(table([r for r in records if r["item"] == f"{spec.experiment}/{spec.name}"]))
        checkpoint(records)
        log(f"evaluation: {spec.experiment}/{spec.name}, K={k_max}")
        evaluation = bench_evaluation(spec, data, k_max, config)
        if evaluation is not None:
            records.append(evaluation)
            log(f"  {evaluation['seconds']:.2f} s")
            checkpoint(records)
    if "non_invertible" in experiments:
        log(f"jacobian, K={k_max}")
        records.append(bench_jacobian(data, k_max, config))
        log(f"  {records[-1]['seconds']:.2f} s")
        checkpoint(records)
    workers = max(1, (os.cpu_count() or 2) - 1)
    n_probe = probe_seeds or min(k_max, 4)
    log(f"probes, K={n_probe}")
    probe_records = bench_probes(data, n_probe, config, workers)
    records += probe_records
    probe_seconds = {r["item"].split("/")[1]: r["saga_seconds_per_seed"] for r in probe_records}
    probe_seconds["workers"] = workers
    records += project_paper_profile(records, k_max, probe_seconds)
    name = device_name(device)
    return [{**r, "device_name": name} for r in records]


def table(records: list[dict]) -> str:
    """A readable summary of the records."""
    head = ("item", "mode", "K", "ms/step", "steps/s/seed", "vs plain", "vs K=1")
    lines = ["{:<44} {:<8} {:>3} {:>9} {:>13} {:>9} {:>7}".format(*head)]
    for r in records:
        if r["kind"] == "train_step":
            lines.append(
                f"{r['item']:<44} {r['mode']:<8} {r['seeds']:>3} {r['ms_per_step']:>9.2f} "
                f"{r['steps_per_second_per_seed']:>13.1f} {r['speedup_vs_plain']:>8.2f}x "
                f"{r['speedup_vs_k1']:>6.2f}x"
            )
    for r in records:
        kind, k = r["kind"], r["seeds"]
        if kind == "evaluation":
            lines.append(f"evaluation {r['item']} K={k}: {r['seconds']:.2f} s ({r['probe']} probe)")
        elif kind == "jacobian":
            lines.append(f"jacobian {k} seeds x {r['samples']} samples: {r['seconds']:.2f} s")
        elif kind == "probe":
            lines.append(
                f"{r['item']}: saga {r['saga_seconds_per_seed']:.2f} s/seed, torch "
                f"{r['torch_seconds']:.2f} s for {k} seeds ({r['speedup_torch_vs_saga']:.1f}x); "
                f"max |accuracy difference| {r['max_abs_accuracy_difference']:.4f}"
            )
        elif kind == "projection":
            minutes = r["seconds"] / 60
            lines.append(f"paper profile, {r['probe']} probe, groups of {k}: {minutes:.1f} min")
    return "\n".join(lines)


def largest_group(records: list[dict]) -> int:
    """The largest group size K timed in ``records``."""
    return max(r["seeds"] for r in records if r["kind"] == "train_step")
