"""Runs and their results: the verified store, the tidy table, sweeps that resume, and the
backends that train them (here, in worker processes, on Ray).

``load(DIR)`` is the tidy table of everything a results directory holds;
``Sweep(specs, seeds, DIR).run(...)`` trains what the directory does not hold yet, under
``writing(DIR)``, its one writer's lock. (One spec for a group of seeds, in this process
and without storing anything: ``mirl.runtime.train``.)
"""

from mirl.results.lock import writing
from mirl.results.sweep import Sweep
from mirl.results.table import failures, load

__all__ = ["Sweep", "failures", "load", "writing"]
