"""The figures of estimation runs that no experiment declares (``mirl estimate``): Poole
et al.'s staircase and its cubic variant, one figure per critic."""

from __future__ import annotations

from mirl.figures import FigureData, StaircaseFigure
from mirl.paper.names import CRITIC_LABELS

STAIRCASES = {
    "staircase": "Poole et al. (2019), Fig. 2: 20-d Gaussians",
    "cubic-staircase": "Song and Ermon (2020), Fig. 1: 20-d Gaussians with y -> y^3",
}
"""The staircase schedules that ``mirl estimate`` figures show, and where they come from."""


def staircase(experiment: str, task: str, critic: str) -> StaircaseFigure:
    """The estimates of every bound on one staircase with one critic."""
    name = CRITIC_LABELS.get(critic, critic)
    return StaircaseFigure(
        stem=f"{experiment}_{task.replace('-', '_')}_{critic}",
        title=f"{task}: {name} critic",
        caption=f"{STAIRCASES[task]}, MI stepping 2 to 10 nats. Per bound, trained with the "
        f"{name.lower()} critic: the estimate on held-out pairs (mean ± sd over seeds; "
        "dotted: on the training batches, smoothed), against the true MI (black). InfoNCE "
        "cannot exceed log B; the variance of NWJ and TUBA grows with the MI, and SMILE's "
        "clipping lowers it.",
        task=task,
        critic=critic,
    )


def estimate_figures(experiment: str, data: FigureData) -> list[StaircaseFigure]:
    """A figure per staircase and critic that ``data`` (one experiment's) holds runs of."""
    frame = data.frame
    if not {"task", "critic"} <= set(frame.columns):
        return []
    held = set(zip(frame["task"], frame["critic"], strict=True))
    critics = [*CRITIC_LABELS, *sorted({c for _, c in held if c not in CRITIC_LABELS})]
    return [
        staircase(experiment, task, critic)
        for task in STAIRCASES
        for critic in critics
        if (task, critic) in held
    ]
