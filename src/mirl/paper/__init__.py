"""The paper's own kinds of run and vocabulary: the two-view kind (``two_view``), the
adversarial kind (``adversarial``), the paper's names for mirl's bounds, critics and
encoders (``names``), and the pixel baseline (``baseline``). Importing it registers the
two kinds (``mirl.runtime.kinds``); the paper's Fig. 4c runs are of the estimation kind
(``mirl.estimation``). The six experiments themselves are declared in
``mirl.experiments.paper``.
"""

from mirl.paper.adversarial import AdversarialSpec, AdversarialTrainer
from mirl.paper.two_view import TwoViewSpec, TwoViewTrainer

__all__ = ["AdversarialSpec", "AdversarialTrainer", "TwoViewSpec", "TwoViewTrainer"]
