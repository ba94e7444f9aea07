"""mirl against torch-mist and bmi on the same samples, batches, steps, critics and learning
rate: estimates (mean +- sd over seeds) and wall time per estimate, side by side in one
process. See README.md (its own environment; never part of mirl's tests or dependencies).

Every seed's training and held-out pairs are mirl's (``mirl.estimation.seed_pairs``), handed
to each library as arrays; each library then trains with its own loop and reports its own
held-out estimate. mirl trains its K seeds together; the peers train one seed at a time.

    python benchmarks/peers/run.py --out benchmarks/results/peers-cpu.json
"""

# ruff: noqa: E402 (the thread settings must precede the imports of torch, numpy and jax)
from __future__ import annotations

import argparse
import os

# One thread per library, set before torch, numpy and jax load their thread pools.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json
import math
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version

import numpy as np
import torch

import mirl
from mirl.estimation import HELDOUT, TRAIN, EstimateSpec, estimate, resolve_task, seed_pairs

TASK = "multinormal-sparse"
TASK_KWARGS = {"dim_x": 5, "dim_y": 5, "n_interacting": 5, "strength": 2.0}
"""bmi's sparse Gaussian, every coordinate pair interacting: 5 + 5 dimensions, 2.554 nats."""
(THE_TASK,) = resolve_task(TASK, TASK_KWARGS).tasks


@dataclass(frozen=True)
class Protocol:
    """What every library is given: the same pairs, batch, steps, critic and optimizer."""

    train_size: int = 10240  # 160 batches of 64: no library meets a partial batch
    test_size: int = 2048
    batch_size: int = 64  # Poole et al.'s
    steps: int = 1000
    lr: float = 5e-4
    hidden: int = 128  # two hidden ReLU layers of this width
    embedding: int = 32  # the separable critic's output


@dataclass
class Result:
    library: str
    bound: str
    critic: str
    seeds: list[int]
    estimates: list[float]
    seconds: float  # wall time of all the seeds' estimates
    estimate_means: str  # what the library's estimate is
    batch_estimates: list[float] | None = None  # bmi: its critic on held-out batches of B

    @property
    def per_estimate(self) -> float:
        return self.seconds / len(self.seeds)


def pairs(seed: int, protocol: Protocol) -> tuple[np.ndarray, ...]:
    """``x_train, y_train, x_test, y_test`` of one seed, as mirl draws them."""
    train = seed_pairs(THE_TASK, protocol.train_size, seed, TRAIN, "cpu").numpy()
    test = seed_pairs(THE_TASK, protocol.test_size, seed, HELDOUT, "cpu").numpy()
    d = THE_TASK.dim_x
    return train[:, :d], train[:, d:], test[:, :d], test[:, d:]


def run_mirl(bound: str, critic: str, seeds: list[int], protocol: Protocol) -> Result:
    critic_kwargs = {"hidden": protocol.hidden, "layers": 2}
    if critic == "separable":
        critic_kwargs["out"] = protocol.embedding
    spec = EstimateSpec(
        TASK,
        bound,
        critic=critic,
        task_kwargs=TASK_KWARGS,
        critic_kwargs=critic_kwargs,
        batch_size=protocol.batch_size,
        lr=protocol.lr,
        steps=protocol.steps,
        evals=1,
        heldout_size=protocol.test_size,
        train_size=protocol.train_size,
    )
    start = time.perf_counter()
    frame = estimate(spec, seeds)
    seconds = time.perf_counter() - start
    values = frame.sort_values("seed")["estimate"].tolist()
    label = "mirl" if len(seeds) > 1 else "mirl (one seed alone)"
    return Result(label, bound, critic, seeds, values, seconds, "mean over held-out batches of B")


def run_torch_mist(bound: str, critic: str, seeds: list[int], protocol: Protocol) -> Result:
    from torch_mist import estimate_mi

    kwargs = {"hidden_dims": [protocol.hidden, protocol.hidden], "critic_type": "joint"}
    if critic == "separable":
        kwargs.update(critic_type="separable", k_dim=protocol.embedding)
    # InfoNCE's denominator holds the positive (neg_samples=0: the whole batch); the other
    # bounds' negatives are the B - 1 other pairs (-1; 0 would count the positive too).
    kwargs["neg_samples"] = 0 if bound == "infonce" else -1
    values, seconds = [], 0.0
    for seed in seeds:
        x, y, x_test, y_test = (torch.from_numpy(a) for a in pairs(seed, protocol))
        torch.manual_seed(seed)
        start = time.perf_counter()
        value = estimate_mi(
            data={"x": x, "y": y},
            estimator=bound,
            test_data={"x": x_test, "y": y_test},
            max_iterations=protocol.steps,
            batch_size=protocol.batch_size,
            evaluation_batch_size=protocol.batch_size,
            optimizer_params={"lr": protocol.lr},
            valid_percentage=0,
            early_stopping=False,
            logger=False,
            verbose=False,
            **kwargs,
        )
        seconds += time.perf_counter() - start
        values.append(float(value))
    return Result(
        "torch-mist", bound, critic, seeds, values, seconds, "mean over held-out batches of B"
    )


def run_bmi(bound: str, critic: str, seeds: list[int], protocol: Protocol) -> Result:
    import jax
    import jax.numpy as jnp
    from bmi.estimators.neural import _backend_linear_memory as linear
    from bmi.estimators.neural import _backend_quadratic_memory as quadratic
    from bmi.estimators.neural._basic_training import basic_training
    from bmi.estimators.neural._critics import MLP

    if critic != "concat":
        raise ValueError("bmi's neural estimators have only the concat (MLP) critic")
    train_formula, test_formula = {
        "infonce": (quadratic.infonce, linear.infonce),
        "nwj": (quadratic.nwj, linear.nwj),
    }[bound]
    values, batch_values, seconds = [], [], 0.0
    for seed in seeds:
        x, y, x_test, y_test = (jnp.asarray(a) for a in pairs(seed, protocol))
        key_init, key_fit = jax.random.split(jax.random.PRNGKey(seed))
        start = time.perf_counter()
        # bmi's estimators' own loop, on our split (its estimate() would standardize and
        # split the data itself): one test at the end, no early stopping.
        critic_net = MLP(key_init, x.shape[-1], y.shape[-1], [protocol.hidden] * 2)
        log, trained = basic_training(
            rng=key_fit,
            critic=critic_net,
            mi_formula=train_formula,
            xs=x,
            ys=y,
            mi_formula_test=test_formula,
            xs_test=x_test,
            ys_test=y_test,
            batch_size=protocol.batch_size,
            test_every_n_steps=protocol.steps,
            max_n_steps=protocol.steps,
            early_stopping=False,
            learning_rate=protocol.lr,
            verbose=False,
        )
        values.append(float(log.final_mi))
        seconds += time.perf_counter() - start
        b = protocol.batch_size
        batch_values.append(
            float(
                np.mean(
                    [
                        train_formula(trained, x_test[i : i + b], y_test[i : i + b])
                        for i in range(0, protocol.test_size, b)
                    ]
                )
            )
        )
    return Result(
        "bmi",
        bound,
        critic,
        seeds,
        values,
        seconds,
        "all held-out pairs at once (InfoNCE capped by log N_test, not log B)",
        batch_values,
    )


RUNNERS: dict[str, Callable[[str, str, list[int], Protocol], Result]] = {
    "mirl": run_mirl,
    "torch-mist": run_torch_mist,
    "bmi": run_bmi,
}
CONFIGS = [
    # (bound, critic, libraries)
    ("infonce", "concat", ("mirl", "torch-mist", "bmi")),
    ("nwj", "concat", ("mirl", "torch-mist", "bmi")),
    ("infonce", "separable", ("mirl", "torch-mist")),
    ("nwj", "separable", ("mirl", "torch-mist")),
    ("smile", "separable", ("mirl", "torch-mist")),
]


def summary(result: Result) -> dict:
    values = result.estimates
    sd = statistics.stdev(values) if len(values) > 1 else math.nan
    row = {
        **asdict(result),
        "mean": statistics.fmean(values),
        "sd": sd,
        "seconds_per_estimate": result.per_estimate,
    }
    if result.batch_estimates is not None:
        row["batch_mean"] = statistics.fmean(result.batch_estimates)
    return row


def markdown(report: dict) -> str:
    """The results of a report as a markdown table (the README's)."""
    lines = [
        "| Bound | Critic | Library | Seeds | Estimate (nats), mean ± sd | Seconds per estimate |",
        "|---|---|---|---:|---:|---:|",
    ]
    for r in report["results"]:
        estimate = f"{r['mean']:.3f}" + ("" if math.isnan(r["sd"]) else f" ± {r['sd']:.3f}")
        if "batch_mean" in r:
            estimate += f" (on batches: {r['batch_mean']:.3f})"
        library = "mirl, seeds together" if r["library"] == "mirl" else r["library"]
        lines.append(
            f"| {r['bound']} | {r['critic']} | {library} | {len(r['seeds'])} | {estimate} | "
            f"{r['seconds_per_estimate']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--table", metavar="FILE", help="print FILE's results as markdown, and stop"
    )
    parser.add_argument("--out", help="JSON file to write")
    parser.add_argument("--seeds", type=int, default=8, help="mirl's seeds, trained together")
    parser.add_argument("--peer-seeds", type=int, default=3, help="each peer's seeds")
    parser.add_argument("--steps", type=int, default=Protocol.steps)
    parser.add_argument("--libraries", default="mirl,torch-mist,bmi")
    parser.add_argument(
        "--configs",
        default=",".join(f"{bound}:{critic}" for bound, critic, _ in CONFIGS),
        help="BOUND:CRITIC pairs to run, comma-separated (default: all)",
    )
    args = parser.parse_args()
    if args.table:
        with open(args.table) as f:
            print(markdown(json.load(f)))
        return
    if not args.out:
        parser.error("--out FILE is required to run the benchmark")
    torch.set_num_threads(1)
    protocol = Protocol(steps=args.steps)
    chosen = args.libraries.split(",")
    warm_up = Protocol(steps=2)
    for library in chosen:  # first calls: lazy initialization, not per-estimate work
        RUNNERS[library]("infonce", "concat", [0], warm_up)
    rows = []
    configs = args.configs.split(",")
    for bound, critic, libraries in CONFIGS:
        if f"{bound}:{critic}" not in configs:
            continue
        for library in (lib for lib in libraries if lib in chosen):
            seeds = list(range(args.seeds if library == "mirl" else args.peer_seeds))
            runs = [seeds] if library != "mirl" else [seeds, seeds[:1]]  # and one seed alone
            for group in runs:
                result = RUNNERS[library](bound, critic, group, protocol)
                rows.append(summary(result))
                print(
                    f"{result.library:>22} {bound:>8} {critic:>9}: "
                    f"{rows[-1]['mean']:.3f} ± {rows[-1]['sd']:.3f} "
                    f"({len(group)} seeds), {result.per_estimate:.1f} s per estimate",
                    flush=True,
                )
    report = {
        "task": THE_TASK.name,
        "true_mi": THE_TASK.true_mi,
        "protocol": asdict(protocol),
        "machine": {
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "threads_per_library": 1,
        },
        "versions": {
            "mirl": mirl.__version__,
            **{
                name: version(name)
                for name in ("torch", "torch-mist", "benchmark-mi", "jax", "jaxlib", "numpy")
            },
        },
        "command": "python benchmarks/peers/run.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "results": rows,
    }
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
