"""Runs and their results: the verified store, the tidy table, sweeps that resume, Ray.

``load(DIR)`` is the tidy table of everything a results directory holds.
"""

from mirl.results.table import failures, load

__all__ = ["failures", "load"]
