"""The runtime: how any kind of run trains, K seeds at once.

``train(spec, seeds, ...)`` trains a run spec of any registered kind (``KINDS``; a new kind
is a spec class and a trainer, ``register_kind``) in this process and returns one
``SeedResult`` per seed. Beneath it: run-spec validation (``run_spec``), the one training
loop (``loop``), seeded streams (``streams``), stacking and Adam (``stacking``), CUDA-graph
capture, encoding, Jacobian spectra, devices and threads, FLOP counts, and one's own files
loaded into every process that trains (``sources``).
"""

from mirl.runtime.kinds import KINDS, Kind, kind_of, register_kind
from mirl.runtime.training import train

__all__ = ["KINDS", "Kind", "kind_of", "register_kind", "train"]
