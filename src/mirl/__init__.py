"""mirl: mutual-information maximization for representation learning, in PyTorch.

Bounds (``mirl.bounds``), critics (``mirl.critics``), encoders (``mirl.encoders``,
``mirl.flows``) usable in any training loop; a seed-batched trainer and the six
experiments of Tschannen et al. (ICLR 2020) with their figures.
"""

__version__ = "0.1.0"
