"""A CPU training step beside a busy process: how thread counts and OpenMP's wait policy
decide whether a shared machine slows training a little or twenty-fold.

``bench_busy`` runs, for each (threads, OMP_WAIT_POLICY) pair, a fresh Python process that
times the step of the paper's MLP run (critic_impact, bilinear critic, one seed, batch
128) on an idle machine, then again while another process keeps one core busy; the two
alternate three times and the medians are kept, as one timing of a shared machine is
noisy. The policy must be set before OpenMP starts, hence one process per timing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

CONFIGURATIONS = (
    (2, "ACTIVE"),
    (2, "PASSIVE"),
    (1, "ACTIVE"),
    (1, "PASSIVE"),
)
"""(threads, OMP_WAIT_POLICY) pairs timed; mirl's default on two cores is (2, PASSIVE)."""

_BURN = "while True: pass"


def _time_step(threads: int, steps: int) -> float:
    import torch

    from mirl.bench.items import item_specs, make_trainer
    from mirl.bench.timing import time_block
    from mirl.data import ImageData, synthetic_mnist

    torch.set_num_threads(threads)
    (spec,) = [s for s in item_specs(["critic_impact"]) if s.critic == "bilinear"]
    trainer = make_trainer(spec, [0], ImageData.from_mnist(synthetic_mnist()))
    for _ in range(3):
        trainer.step()

    def block() -> None:
        for _ in range(steps):
            trainer.step()

    return time_block(block, torch.device("cpu"), 3) / steps


def _measure(threads: int, policy: str, steps: int, repeats: int = 3) -> dict:
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    command = [sys.executable, "-m", "mirl.bench.busy", str(threads), str(steps)]

    def run() -> float:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return float(done.stdout.strip().splitlines()[-1])

    def beside_burner() -> float:
        burner = subprocess.Popen([sys.executable, "-c", _BURN])
        try:
            time.sleep(0.5)
            return run()
        finally:
            burner.kill()
            burner.wait()

    idle, busy = [], []
    for _ in range(repeats):
        idle.append(run())
        busy.append(beside_burner())
    idle, busy = statistics.median(idle), statistics.median(busy)
    return {
        "item": "busy/critic_impact-mlp-bilinear",
        "kind": "busy",
        "device": "cpu",
        "seeds": 1,
        "threads": threads,
        "wait_policy": policy,
        "idle_ms": 1000 * idle,
        "busy_ms": 1000 * busy,
        "slowdown": busy / idle,
    }


def bench_busy(steps: int = 60) -> list[dict]:
    """One record per configuration: the step's time idle and beside one busy process."""
    return [_measure(threads, policy, steps) for threads, policy in CONFIGURATIONS]


if __name__ == "__main__":
    threads, steps = int(sys.argv[1]), int(sys.argv[2])
    print(json.dumps(_time_step(threads, steps)))
