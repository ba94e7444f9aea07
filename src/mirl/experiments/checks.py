"""What every registered thing must provide, checked by walking the registries.

A bound, a critic, an encoder, a kind of run, an experiment and a backend are each one entry
in a registry (``BOUNDS``, ``CRITICS``, ``ENCODERS``, ``KINDS``, ``EXPERIMENTS``,
``BACKENDS``), whether mirl's or one's own. Each ``check_*`` function returns what the
entry lacks, as sentences (empty: nothing), so that a forgotten piece fails by name:
``mirl check`` prints them for every entry (``mirl check FILE``: for those the file
registers), and the tests run the same functions over mirl's registries and the example
in ``examples/``.

- a bound: leading dimensions pass through, the value does not depend on the order of the
  pairs, it and its gradient are finite, and float32 agrees with float64 on the same
  scores, large ones (up to 1e8) and ones far from 0 (or both overflow the same way);
- a critic: entry ``[i, j]`` is the critic on ``(u_i, v_j)``; an encoder: ``out_dim`` and
  the shape it promises; both: a stacked seed computes and trains (an Adam step) as that
  seed alone, and its gradient touches only its own parameters;
- a kind (``mirl.experiments.run_checks``): its example spec round-trips through JSON, a
  seed trained in a group gives the rows it gives trained alone, and a run stopped and
  resumed from a checkpoint gives the rows and arrays of the run never stopped, to the last
  bit;
- an experiment: runs at every profile, named once each and of its name, figures with
  unique file names, claims, and a bench item for every architecture it trains;
- a backend: it trains a job and reports it to the sink, with the rows of the local
  backend.
"""

from __future__ import annotations

import inspect
import math
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from mirl.bounds import BOUNDS
from mirl.critics import CRITICS
from mirl.data.mnist import VIEW_DIM
from mirl.data.views import ImageData
from mirl.encoders import ENCODERS
from mirl.experiments.experiment import EXPERIMENTS, architecture_key
from mirl.experiments.profiles import PROFILES
from mirl.experiments.run_checks import SEEDS, check_kind, problem
from mirl.results.backends import BACKENDS, Options
from mirl.results.execution import Context
from mirl.results.plan import plan
from mirl.results.progress import Progress
from mirl.results.sink import Sink
from mirl.results.store import ResultStore
from mirl.results.table import load
from mirl.runtime.kinds import KINDS
from mirl.seeds import stack

ATOL = 1e-5


def _close(a: torch.Tensor, b: torch.Tensor, atol: float = ATOL) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=atol, rtol=1e-4))


# --- bounds ---------------------------------------------------------------------------------


def check_bound(name: str) -> list[str]:
    """What the bound ``name`` lacks (see the module docstring)."""
    bound = BOUNDS[name]
    problems = []
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(3, 8, 8, generator=g, dtype=torch.float64) + 2 * torch.eye(8)
    try:
        value = bound(scores)
    except Exception as error:
        return [problem("it fails on scores [3, 8, 8]", error)]
    if value.shape != (3,):
        problems.append(f"scores [3, 8, 8] give shape {tuple(value.shape)}, not [3]")
    elif not _close(value, torch.stack([bound(s) for s in scores]), 1e-10):
        problems.append("a leading dimension changes the value of each [B, B] slice")
    order = torch.randperm(8, generator=g)
    permuted = scores[:, order][:, :, order]  # the same pairs, in another order
    if value.shape == (3,) and not _close(bound(permuted), value, 1e-10):
        problems.append("its value depends on the order of the pairs")
    leaf = scores.clone().requires_grad_(True)
    total = bound(leaf).sum()
    if not torch.isfinite(total):
        problems.append("it is not finite on ordinary scores")
    else:
        total.backward()
        if not torch.isfinite(leaf.grad).all():
            problems.append("its gradient is not finite on ordinary scores")
    # float32 against float64 on the same (float32) scores: large scores, and scores far
    # from 0 with a small spread. Where a bound's arithmetic is sound, its float32 error
    # follows the spread of the scores, not their size (the differences it takes are exact).
    cases = [(f"scores of {s:g}", scores[0] * s) for s in (1e3, 1e5, 1e8)]
    cases += [(f"scores near {c:g}", scores[0] + c) for c in (1e3, 1e5, 1e7)]
    for label, matrix in cases:
        single = matrix.float()
        exact, got = bound(single.double()).item(), bound(single).item()
        if math.isnan(exact) or math.isnan(got):
            problems.append(f"it is NaN at {label}")
        elif math.isinf(exact) or math.isinf(got):
            if exact != got:
                problems.append(f"float32 gives {got} where float64 gives {exact} at {label}")
        else:
            spread = (single.max() - single.min()).item()
            tolerance = 64 * torch.finfo(torch.float32).eps * max(1.0, abs(exact), spread)
            if abs(exact - got) > tolerance * max(1.0, spread):
                problems.append(
                    f"float32 is off by {abs(exact - got):.3g} nats from float64 at {label}"
                )
    return problems


# --- critics and encoders ---------------------------------------------------------------------


def _seeds_of(build: Callable[[], nn.Module]) -> list[nn.Module]:
    modules = []
    for seed in SEEDS:
        torch.manual_seed(seed)
        modules.append(build())
    return modules


def _check_stacked(
    modules: list[nn.Module], inputs: tuple[torch.Tensor, ...], what: str
) -> list[str]:
    """A stacked seed computes, and trains one Adam step, as that seed alone; its gradient
    touches its own parameters only. ``inputs`` carry the seed axis ``[K, ...]``."""
    try:
        stacked = stack(modules)
    except (TypeError, ValueError) as error:
        return [problem("it cannot be stacked", error)]
    out = stacked(*inputs)
    k = len(SEEDS) // 2
    alone = modules[k]
    if not _close(out[k], alone(*(x[k] for x in inputs))):
        return [f"a stacked seed's {what} differs from that seed's alone"]
    if not any(p.requires_grad for p in stacked.parameters()):
        return []  # nothing to train
    problems = []
    out[k].square().sum().backward(retain_graph=True)
    rest = [i for i in range(len(SEEDS)) if i != k]
    others = [p.grad[rest] for p in stacked.parameters() if p.grad is not None]
    if any(g.abs().max() > 0 for g in others if g.numel()):
        problems.append("one seed's gradient touches the parameters of the other seeds")
    for module in (stacked, alone):
        module.zero_grad()
    stacked_opt = torch.optim.Adam(stacked.parameters(), lr=1e-2)
    alone_opt = torch.optim.Adam(alone.parameters(), lr=1e-2)
    stacked(*inputs).square().sum().backward()
    alone(*(x[k] for x in inputs)).square().sum().backward()
    stacked_opt.step()
    alone_opt.step()
    with torch.no_grad():
        if not _close(stacked(*inputs)[k], alone(*(x[k] for x in inputs))):
            problems.append("a stacked seed trains otherwise than that seed alone")
    return problems


def _example_kwargs(cls: Any) -> dict[str, Any]:
    return dict(getattr(cls, "example_kwargs", {}))


def check_critic(name: str) -> list[str]:
    """What the critic ``name`` lacks (see the module docstring)."""
    cls, du, dv, b = CRITICS[name], 6, 6, 5
    try:
        modules = _seeds_of(lambda: cls(du, dv, **_example_kwargs(cls)))
    except Exception as error:
        return [problem(f"it cannot be built as CRITICS[{name!r}](6, 6, **example_kwargs)", error)]
    g = torch.Generator().manual_seed(1)
    u, v = torch.randn(len(SEEDS), b, du, generator=g), torch.randn(len(SEEDS), b, dv, generator=g)
    critic = modules[0]
    with torch.no_grad():
        scores = critic(u[0], v[0])
        if scores.shape != (b, b):
            return [
                f"scores of [5, 6] and [5, 6] codes have shape {tuple(scores.shape)}, not [5, 5]"
            ]
        single = torch.stack(
            [
                torch.cat([critic(u[0][i : i + 1], v[0][j : j + 1]) for j in range(b)], 1)
                for i in range(b)
            ]
        ).reshape(b, b)
        if not _close(scores, single):
            return ["entry [i, j] of its scores is not the critic on the pair (u_i, v_j)"]
    return _check_stacked(modules, (u, v), "scores")


def check_encoder(name: str) -> list[str]:
    """What the encoder ``name`` lacks (see the module docstring)."""
    cls = ENCODERS[name]
    try:
        modules = _seeds_of(lambda: cls(VIEW_DIM, **_example_kwargs(cls)))
    except Exception as error:
        return [problem(f"it cannot be built as ENCODERS[{name!r}](392, **example_kwargs)", error)]
    out_dim = getattr(modules[0], "out_dim", None)
    if not isinstance(out_dim, int):
        return ["it has no integer attribute out_dim (the critic is built for it)"]
    x = torch.rand(len(SEEDS), 5, VIEW_DIM, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        codes = modules[0](x[0])
    if codes.shape != (5, out_dim):
        return [f"[5, 392] inputs give codes {tuple(codes.shape)}, not [5, out_dim={out_dim}]"]
    return _check_stacked(modules, (x,), "codes")


# --- experiments ------------------------------------------------------------------------------


def check_experiment(name: str) -> list[str]:
    """What the experiment ``name`` lacks (see the module docstring)."""
    experiment = EXPERIMENTS[name]
    problems = []
    for profile in PROFILES:
        try:
            specs = experiment.specs(profile)
        except Exception as error:
            problems.append(problem(f"its runs cannot be made at the {profile} profile", error))
            continue
        names = [s.name for s in specs]
        if not specs:
            problems.append(f"it has no runs at the {profile} profile")
        if len(set(names)) != len(names):
            problems.append(f"two of its runs have the same name at the {profile} profile")
    if not experiment.figures:
        problems.append("it has no figures")
    stems = [f.stem for e in EXPERIMENTS.values() for f in e.figures]
    for figure in experiment.figures:
        for attribute in ("stem", "title", "caption", "draw"):
            if not hasattr(figure, attribute):
                problems.append(f"a figure has no {attribute}")
        if stems.count(getattr(figure, "stem", None)) > 1:
            problems.append(f"the figure file name {figure.stem!r} is taken by another figure")
    if experiment.claims is None:
        problems.append("it states no claims")
    try:
        paper = experiment.specs("paper")
    except Exception:
        return problems
    unknown = sorted(set(experiment.bench) - {s.name for s in paper})
    if unknown:
        problems.append(f"its bench items {unknown} are none of its runs")
    timed = {architecture_key(s) for s in paper if s.name in experiment.bench}
    untimed = sorted({s.name for s in paper if architecture_key(s) not in timed})
    if untimed:
        problems.append(f"no bench item times the architecture of {', '.join(untimed)}")
    return problems


# --- backends ---------------------------------------------------------------------------------


def check_backend(name: str, data_kind: str = "synthetic") -> list[str]:
    """What the backend ``name`` lacks: made from ``Options``, it trains a job (the estimate
    kind's example) and reports it to the sink, with the rows of the local backend."""
    cls = BACKENDS[name]
    parameters = list(inspect.signature(cls.run).parameters)
    if parameters[1:] != ["jobs", "context", "sink"]:
        return [f"its run method takes {parameters[1:]}, not (jobs, context, sink)"]
    spec = KINDS["estimate"].example()
    frames = []
    for backend in ("local", name):
        with tempfile.TemporaryDirectory() as out:
            store = ResultStore(out)
            jobs, summary = plan(store, [spec], [0, 1])
            try:
                options = Options(jobs=2, max_retries=0)
                progress = Progress(jobs, quiet=True)
                BACKENDS[backend](options).run(
                    jobs, Context(data_kind), Sink(store, summary, progress)
                )
            except Exception as error:
                return [problem("it fails to train a job", error)]
            if not summary.ok or len(summary.trained) != 2:
                return [f"it stored {len(summary.trained)} of 2 seeds ({summary.failed})"]
            frame = load(out)
            frames.append(frame.drop(columns=["seconds"]).sort_values(["seed", "step"]))
    local, mine = (f.reset_index(drop=True) for f in frames)
    same = local.columns.equals(mine.columns) and all(
        np.allclose(local[c], mine[c], atol=1e-4, equal_nan=True)
        if local[c].dtype.kind == "f"
        else local[c].equals(mine[c])
        for c in local.columns
    )
    return [] if same else ["it stores other rows than the local backend"]


# --- all of them ------------------------------------------------------------------------------


REGISTRIES = {
    "bound": BOUNDS,
    "critic": CRITICS,
    "encoder": ENCODERS,
    "kind": KINDS,
    "experiment": EXPERIMENTS,
    "backend": BACKENDS,
}
"""What ``check_all`` walks, by the word its entries are named with."""


def entries() -> dict[str, set[str]]:
    """The names in every registry now (to tell what a file adds to them)."""
    return {word: set(registry) for word, registry in REGISTRIES.items()}


def check_all(
    only: dict[str, set[str]] | None = None,
    data: ImageData | None = None,
    backends: bool = True,
) -> dict[str, list[str]]:
    """Every registered entry (or those of ``only``, by registry) and what it lacks:
    ``{"critic 'cosine'": [...], ...}``. ``backends``: also train a job through every
    backend but Ray (which needs a cluster)."""
    data = data or ImageData.load("synthetic")
    checks: dict[str, Callable[[str], list[str]]] = {
        "bound": check_bound,
        "critic": check_critic,
        "encoder": check_encoder,
        "kind": lambda name: check_kind(name, data),
        "experiment": check_experiment,
        "backend": check_backend,
    }
    found = {}
    for word, registry in REGISTRIES.items():
        for name in registry:
            if only is not None and name not in only.get(word, ()):
                continue
            if word == "backend" and (not backends or name == "ray"):
                continue
            found[f"{word} {name!r}"] = checks[word](name)
    return found
