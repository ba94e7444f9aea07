"""A training step captured once as a CUDA graph and replayed.

At the paper's sizes a step is dozens of small kernels, and launching them from Python
costs more than running them. ``CapturedStep`` runs a step eagerly a few times (on a side
stream, as CUDA graphs need: optimizer state and cuDNN choices settle), captures the next
one, and from then on replays the graph: one launch per step. The step must do device work
only, with every per-step quantity kept in device tensors (no ``.item()``, no Python
counters), and read its random draws from ``Stream``s, whose buffers the host refills
between replays.

The eager steps before the capture are real training steps, and the captured graph
computes what the eager step computes, so a run is the same with or without capture up to
the order of floating-point operations of the kernels involved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from mirl.runtime.streams import Stream

EAGER_STEPS = 3
"""Steps run eagerly before the capture."""


class CapturedStep:
    """Call it as the step: the first ``EAGER_STEPS`` calls run ``step`` eagerly, the next
    one captures it (and replays it once), every later call replays the graph."""

    def __init__(self, step: Callable[[], None], streams: Sequence[Stream]):
        self.step, self.streams = step, list(streams)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.eager_calls = 0
        self.draws: list[int] = []

    def __call__(self) -> None:
        if self.graph is None and self.eager_calls < EAGER_STEPS:
            self._eager()
        else:
            if self.graph is None:
                self._capture()
            self._replay()

    def _eager(self) -> None:
        before = [s.drawn for s in self.streams]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.step()
        torch.cuda.current_stream().wait_stream(side)
        draws = [s.drawn - b for s, b in zip(self.streams, before, strict=True)]
        if self.eager_calls and draws != self.draws:
            raise RuntimeError(f"a captured step must draw the same items every step: {draws}")
        self.draws = draws
        self.eager_calls += 1

    def _capture(self) -> None:
        for stream, n in zip(self.streams, self.draws, strict=True):
            stream.reserve(n)
        self.graph = torch.cuda.CUDAGraph()
        # thread_local: threads of this process that use CUDA meanwhile (none of mirl's
        # probe and spectra threads should) do not invalidate the capture.
        with torch.cuda.graph(self.graph, capture_error_mode="thread_local"):
            self.step()
        # Capturing recorded the reads without running them.
        for stream, n in zip(self.streams, self.draws, strict=True):
            stream.rewind(n)

    def _replay(self) -> None:
        for stream, n in zip(self.streams, self.draws, strict=True):
            stream.reserve(n)
        self.graph.replay()
        for stream, n in zip(self.streams, self.draws, strict=True):
            stream.advance(n)
