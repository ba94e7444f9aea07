"""Runs and their results: the verified store, the tidy table, sweeps that resume, Ray.

``train(spec, seeds, ...)`` trains any kind of run for K seeds at once and returns one
``SeedResult`` per seed; ``load(DIR)`` is the tidy table of everything a results directory
holds.
"""

from mirl.results.kinds import train
from mirl.results.table import failures, load

__all__ = ["failures", "load", "train"]
