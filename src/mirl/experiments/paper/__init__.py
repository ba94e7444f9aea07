"""The six experiments of Tschannen et al. (ICLR 2020), each declared in its own file as
one's own experiment would be, registered in the paper's order."""

from mirl.experiments.paper.invertible import INVERTIBLE  # isort: skip
from mirl.experiments.paper.adversarial import ADVERSARIAL  # isort: skip
from mirl.experiments.paper.non_invertible import NON_INVERTIBLE  # isort: skip
from mirl.experiments.paper.critic_impact import CRITIC_IMPACT  # isort: skip
from mirl.experiments.paper.encoder_impact import ENCODER_IMPACT  # isort: skip
from mirl.experiments.paper.noniid import NONIID  # isort: skip

PAPER = (INVERTIBLE, ADVERSARIAL, NON_INVERTIBLE, CRITIC_IMPACT, ENCODER_IMPACT, NONIID)
"""The paper's experiments, in its order."""

__all__ = ["PAPER"]
