"""Every registered thing provides what mirl needs: the registries walked, entry by entry,
so that a forgotten piece fails by name. (One's own entries are walked by the same checks
through ``mirl check --load FILE``: ``test_examples.py`` does so for the example of
``examples/``.) The checks themselves (``mirl.experiments.checks``) are shown to catch
what they promise on entries made wrong on purpose."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mirl.bounds import BOUNDS, infonce
from mirl.critics import CRITICS, Bilinear
from mirl.encoders import ENCODERS
from mirl.experiments import EXPERIMENTS, Experiment, experiment_specs
from mirl.experiments.checks import (
    check_backend,
    check_bound,
    check_critic,
    check_encoder,
    check_experiment,
    check_kind,
)
from mirl.results.backends import BACKENDS
from mirl.runtime.kinds import KINDS


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_every_bound(name):
    assert check_bound(name) == [], f"bound {name!r}"


@pytest.mark.parametrize("name", sorted(CRITICS))
def test_every_critic(name):
    assert check_critic(name) == [], f"critic {name!r}"


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_every_encoder(name):
    assert check_encoder(name) == [], f"encoder {name!r}"


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind(name, data):
    assert check_kind(name, data) == [], f"kind {name!r}"


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_experiment(name):
    assert check_experiment(name) == [], f"experiment {name!r}"


@pytest.mark.parametrize("name", sorted(n for n in BACKENDS if n != "ray"))  # Ray: --slow tests
def test_every_backend(name):
    assert check_backend(name) == [], f"backend {name!r}"


# --- the checks catch what they promise ---------------------------------------------------


def test_a_bound_that_depends_on_the_order_of_the_pairs_is_caught(monkeypatch):
    monkeypatch.setitem(BOUNDS, "first_pair", lambda scores: scores[..., 0, 0])
    assert "its value depends on the order of the pairs" in check_bound("first_pair")


def test_a_bound_inexact_far_from_zero_is_caught(monkeypatch):
    def rounded(scores):  # InfoNCE as log B + mean(S_ii - logsumexp_j S_ij), nothing shifted
        b = scores.shape[-1]
        diagonal = torch.diagonal(scores, dim1=-2, dim2=-1)
        return torch.log(torch.tensor(float(b))) + (diagonal - scores.logsumexp(-1)).mean(-1)

    monkeypatch.setitem(BOUNDS, "rounded", rounded)
    assert any("scores near 1e+07" in p for p in check_bound("rounded"))
    assert check_bound("infonce") == []
    equal = torch.full((4, 4), 1e7)
    assert infonce(equal).item() == 0.0  # all pairs alike: no information


class Mixing(Bilinear):
    """A critic whose scores are scaled by the norm of its weight, taken over the whole
    tensor: alone, that seed's norm; stacked, the norm of every seed's weights, so one
    seed's scores depend on the others'."""

    def forward(self, u, v):
        return super().forward(u, v) / self.project_v.weight.norm()


class Plain(nn.Module):
    """A critic made of torch.nn.Linear, which carries no seed axis."""

    def __init__(self, dim_u: int, dim_v: int):
        super().__init__()
        self.project = nn.Linear(dim_v, dim_u)

    def forward(self, u, v):
        return u @ self.project(v).transpose(-1, -2)


def test_a_critic_that_mixes_seeds_is_caught(monkeypatch):
    monkeypatch.setitem(CRITICS, "mixing", Mixing)
    assert check_critic("mixing") == ["a stacked seed's scores differs from that seed's alone"]


def test_a_critic_that_cannot_be_stacked_is_caught(monkeypatch):
    monkeypatch.setitem(CRITICS, "plain", Plain)
    (problem,) = check_critic("plain")
    assert problem.startswith("it cannot be stacked: TypeError: cannot stack Linear")


def test_an_encoder_without_what_it_promises_is_caught(monkeypatch):
    class NoExample(nn.Module):
        def __init__(self, in_dim: int, widths: list[int]):
            super().__init__()

    monkeypatch.setitem(ENCODERS, "no_example", NoExample)
    (problem,) = check_encoder("no_example")
    assert "cannot be built as ENCODERS['no_example'](392, **example_kwargs)" in problem


def test_an_experiment_without_figures_claims_or_bench_items_is_caught(monkeypatch):
    specs = experiment_specs("noniid", "paper")
    runs = [s for s in specs if s.name.startswith("iid")]
    monkeypatch.setitem(EXPERIMENTS, "bare", Experiment("noniid", "no pieces", lambda: runs))
    assert check_experiment("bare") == [
        "it has no figures",
        "it states no claims",
        "no bench item times the architecture of iid-infonce, iid-nwj",
    ]
