"""FLOP counts: a real step's, and the forward estimate a sweep orders its work by."""

import pytest
import torch

from mirl.encoders import MLP, ConvNet
from mirl.experiments import experiment_specs
from mirl.runtime.flops import counted_flops, forward_flops
from mirl.runtime.kinds import kind_of


def test_a_forward_pass_is_counted_on_the_meta_device_without_drawing():
    state = torch.random.get_rng_state()
    flops = forward_flops(lambda: MLP(392, [300, 100]), (128, 392))
    assert flops == 2 * 128 * (392 * 300 + 300 * 100)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_counted_flops_match_the_forward_estimate_on_real_tensors():
    torch.manual_seed(0)
    net = ConvNet(channels=4)
    x = torch.rand(8, 392)
    assert counted_flops(lambda: net(x)) == forward_flops(lambda: ConvNet(channels=4), (8, 392))


def test_step_costs_order_the_paper_runs_by_their_arithmetic():
    def cost(experiment: str) -> float:
        spec = experiment_specs(experiment, "paper")[0]
        return kind_of(spec).trainer.step_cost(spec) * spec.steps

    order = sorted(
        ["invertible", "adversarial", "non_invertible", "critic_impact", "noniid"], key=cost
    )
    assert order == ["noniid", "critic_impact", "non_invertible", "adversarial", "invertible"]
    # The paper profile's training arithmetic at 20 seeds: about 37 PFLOP in all.
    total = sum(
        20 * kind_of(s).trainer.step_cost(s) * s.steps
        for name in (
            "invertible",
            "adversarial",
            "non_invertible",
            "critic_impact",
            "encoder_impact",
            "noniid",
        )
        for s in experiment_specs(name, "paper")
    )
    assert total == pytest.approx(40e15, rel=0.1)
