"""``mirl bench``: what seeds as a batch dimension and whole-step capture buy, measured side
by side in one process.

For the training step of each experiment of the paper profile: the plain one-seed loop
(the same trainer, model left unstacked), K seeds stacked for each K, and on CUDA the
stacked step captured as a CUDA graph, each with its FLOPs and the floor they imply at the
device's peak (``items``, ``steps``). Then one evaluation per experiment at the largest K,
the Jacobian spectra three ways, the saga and batched torch probes on the same codes
(``evaluation``), and a projection of the whole paper profile's wall time on this device
(``projection``). ``busy`` times a CPU step beside a busy process.

Timings are medians over repeats of a block of steps, after warm-up steps, with the device
synchronized around each block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from mirl.bench.evaluation import bench_evaluation, bench_jacobian, bench_probes
from mirl.bench.items import item_specs
from mirl.bench.projection import largest_group, probe_seconds, project_paper_profile
from mirl.bench.steps import BenchConfig, bench_steps
from mirl.bench.table import table
from mirl.data.views import ImageData
from mirl.runtime.devices import available_cores, device_name

__all__ = ["item_specs", "largest_group", "project_paper_profile", "run_bench", "table"]


def run_bench(
    device: torch.device,
    group_sizes: Sequence[int],
    experiments: Sequence[str],
    data: ImageData,
    steps: int = 10,
    tf32: bool = False,
    log: Callable[[str], None] = print,
    checkpoint: Callable[[list[dict]], None] = lambda records: None,
) -> list[dict]:
    """Every measurement, as a list of records (see the module docstring). ``data`` should
    be real MNIST: the probe accuracies are compared on its codes."""
    config = BenchConfig(device=device, seeds=sorted(group_sizes), steps=steps, tf32=tf32)
    k_max = max(config.seeds)
    workers = max(1, available_cores() - 1)
    name = device_name(device)
    records: list[dict] = []

    def add(new: list[dict]) -> None:
        records.extend({**r, "device_name": name} for r in new)
        checkpoint(records)

    for spec in item_specs(experiments):
        log(f"steps: {spec.run_id}")
        add(bench_steps(spec, data, config))
        log(table([r for r in records if r["item"] == spec.run_id]))
        log(f"evaluation: {spec.run_id}, K={k_max}")
        evaluation = bench_evaluation(spec, data, k_max, workers)
        if evaluation is not None:
            add([evaluation])
            log(f"  {evaluation['seconds']:.2f} s")
    if "non_invertible" in experiments:
        log(f"jacobian, K={k_max}")
        add([bench_jacobian(data, k_max, workers)])
        log(table(records[-1:]))
    n_probe = min(k_max, 4) if device.type == "cpu" else k_max
    log(f"probes, K={n_probe}")
    add(bench_probes(data, n_probe, workers))
    add(project_paper_profile(records, k_max, probe_seconds(records)))
    return records
