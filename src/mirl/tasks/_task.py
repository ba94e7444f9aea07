"""A task: a base distribution with known MI, then MI-preserving maps on X and on Y."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from mirl.tasks._distributions import Distribution
from mirl.tasks._maps import Map


@dataclass(frozen=True, eq=False)
class Task:
    """A named pair of random variables ``(X, Y)`` whose mutual information is known.

    ``sample(n, generator)`` draws the base distribution and pushes X through ``maps_x``
    and Y through ``maps_y``, in order; injective maps leave ``true_mi`` (nats) unchanged.
    ``dim_x`` and ``dim_y`` are those of the samples, after the maps.
    """

    name: str
    description: str
    base: Distribution
    maps_x: tuple[Map, ...] = ()
    maps_y: tuple[Map, ...] = ()
    dim_x: int = field(init=False)
    dim_y: int = field(init=False)
    true_mi: float = field(init=False)

    def __post_init__(self) -> None:
        if not self.name or any(c.isspace() for c in self.name):
            raise ValueError(f"a task name must be non-empty without spaces, got {self.name!r}")
        dim_x, dim_y = self.base.dim_x, self.base.dim_y
        for m in self.maps_x:
            dim_x = m.dim_out(dim_x)
        for m in self.maps_y:
            dim_y = m.dim_out(dim_y)
        object.__setattr__(self, "dim_x", dim_x)
        object.__setattr__(self, "dim_y", dim_y)
        object.__setattr__(self, "true_mi", float(self.base.mutual_information))

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``n`` iid pairs ``x [n, dim_x], y [n, dim_y]``, float32 on ``generator.device``.

        Deterministic given the generator's state. The base draw and the maps run in float64
        (quantiles and normal CDFs need it in the tails); only the result is rounded.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        x, y = self.base.sample(n, generator)
        for m in self.maps_x:
            x = m(x)
        for m in self.maps_y:
            y = m(y)
        return x.float(), y.float()


def transformed(
    task: Task, prefix: str, what: str, map_x: Map | None = None, map_y: Map | None = None
) -> Task:
    """``task`` with ``map_x`` appended to its X maps and ``map_y`` to its Y maps, named
    ``{prefix}-{task.name}`` as bmi names its transformed tasks."""
    return Task(
        name=f"{prefix}-{task.name}",
        description=f"{what} of: {task.description}",
        base=task.base,
        maps_x=task.maps_x + ((map_x,) if map_x is not None else ()),
        maps_y=task.maps_y + ((map_y,) if map_y is not None else ()),
    )
