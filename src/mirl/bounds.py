"""Variational lower bounds on mutual information, as pure functions of a score matrix.

Every bound takes ``scores [..., B, B]`` with ``scores[..., i, j] = f(u_i, v_j)``: the
diagonal holds the B positive pairs drawn from the joint p(u, v), and the off-diagonal
entries stand in for samples from the product of marginals p(u)p(v). Leading dimensions
(one per seed, say) pass through, so the result has shape ``[...]``. Each returns the bound
in nats (higher means more MI), never a loss: turn it into one with ``mirl.objectives``.

The formulas follow Poole et al. (2019), "On Variational Bounds of Mutual Information", and
match the companion Colab of Tschannen et al. (2020) where it defines them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F


def check_scores(scores: Tensor) -> int:
    """Validate a ``[..., B, B]`` score matrix with B >= 2 and return B."""
    if not isinstance(scores, Tensor):
        raise ValueError(f"scores must be a torch.Tensor, got {type(scores).__name__}")
    if scores.ndim < 2 or scores.shape[-1] != scores.shape[-2]:
        raise ValueError(
            f"scores must be a square [..., B, B] matrix, got shape {tuple(scores.shape)}"
        )
    if scores.shape[-1] < 2:
        raise ValueError("scores need a batch of at least 2 pairs (B >= 2) to have negatives")
    return scores.shape[-1]


def _diagonal(scores: Tensor) -> Tensor:
    return torch.diagonal(scores, dim1=-2, dim2=-1)


def _mask_diagonal(scores: Tensor) -> Tensor:
    """The scores with -inf on the diagonal, so exp() drops the positive pairs."""
    eye = torch.eye(scores.shape[-1], dtype=torch.bool, device=scores.device)
    return scores.masked_fill(eye, -math.inf)


def logmeanexp_offdiagonal(scores: Tensor) -> Tensor:
    """log-mean-exp over the B(B-1) off-diagonal entries: ``[..., B, B] -> [...]``."""
    b = scores.shape[-1]
    flat = _mask_diagonal(scores).flatten(-2)
    return torch.logsumexp(flat, dim=-1) - math.log(b * (b - 1))


def infonce(scores: Tensor) -> Tensor:
    """InfoNCE: ``log B + mean_i [S_ii - logsumexp_j S_ij]``, at most ``log B``.

    It depends only on the scores relative to their row (adding c_i to row i changes
    nothing), and so does its rounding: the value is as accurate at scores of 1e8 as at 1.

    References: van den Oord et al. (2018), "Representation Learning with Contrastive
    Predictive Coding"; Poole et al. (2019), eq. (12).
    """
    b = check_scores(scores)
    # log_softmax subtracts each row's maximum before anything else, so S_ii - max_j S_ij is a
    # difference of nearby numbers, exact when S_ii is near the top of its row. Subtracting a
    # separately rounded logsumexp instead (~ max + log B) loses all of log B at large scores:
    # equal scores of 1e7 (B = 4) gave 0.39 nats in float32, where the bound is exactly 0.
    log_softmax_diag = _diagonal(torch.log_softmax(scores, dim=-1))
    return math.log(b) + log_softmax_diag.mean(dim=-1)


def tuba(scores: Tensor, log_baseline: Tensor | None = None) -> Tensor:
    """TUBA: ``1 + E_p[f - a] - E_{p(u)p(v)}[exp(f - a)]`` with the log-baseline ``a(u_i)``.

    ``log_baseline [..., B]`` is subtracted from row i of the scores; ``None`` means 0.

    References: Poole et al. (2019), eq. (9), "Tractable Unnormalized Barber-Agakov".
    """
    check_scores(scores)
    if log_baseline is not None:
        if log_baseline.shape != scores.shape[:-1]:
            raise ValueError(
                f"log_baseline must have shape {tuple(scores.shape[:-1])} to match scores "
                f"{tuple(scores.shape)}, got {tuple(log_baseline.shape)}"
            )
        scores = scores - log_baseline.unsqueeze(-1)
    joint = _diagonal(scores).mean(dim=-1)
    marginal = torch.exp(logmeanexp_offdiagonal(scores))
    return 1.0 + joint - marginal


def nwj(scores: Tensor) -> Tensor:
    """NWJ (also f-GAN KL, MINE-f): TUBA with the constant log-baseline 1, i.e. ``tuba(S - 1)``.

    References: Nguyen, Wainwright and Jordan (2010); Poole et al. (2019), eq. (10).
    """
    check_scores(scores)
    return tuba(scores - 1.0)


def dv(scores: Tensor) -> Tensor:
    """Donsker-Varadhan: ``E_p[f] - log E_{p(u)p(v)}[exp f]``, the bound MINE maximizes.

    The minibatch estimate of the log-partition is biased; MINE corrects the gradient with a
    moving average, which is a property of the optimizer, not of this value.

    References: Donsker and Varadhan (1983); Belghazi et al. (2018), "MINE".
    """
    check_scores(scores)
    # Adding c to every score changes nothing, so subtract the largest negative score first:
    # both terms then hold differences of nearby numbers instead of two large values (each
    # rounded to eps * |S|) whose difference is the bound.
    top = _mask_diagonal(scores).flatten(-2).amax(dim=-1).detach()[..., None, None]
    shifted = scores - top
    return _diagonal(shifted).mean(dim=-1) - logmeanexp_offdiagonal(shifted)


def _js_fgan(scores: Tensor) -> Tensor:
    """The f-GAN Jensen-Shannon divergence objective: ``E_p[-softplus(-f)] - E_q[softplus(f)]``."""
    b = scores.shape[-1]
    joint = -F.softplus(-_diagonal(scores)).mean(dim=-1)
    off = ~torch.eye(b, dtype=torch.bool, device=scores.device)
    marginal = (F.softplus(scores) * off).sum(dim=(-2, -1)) / (b * (b - 1))
    return joint - marginal


def _with_gradient_of(value: Tensor, objective: Tensor) -> Tensor:
    """``value`` exactly, with the gradient of ``objective``.

    ``objective + (value - objective).detach()`` rounds through ``value - objective``, at the
    scale of both: at scores of 1e8 (value near +S, objective near -S) that moved float32 by
    up to 12. ``objective - objective.detach()`` is exactly 0 (the objective is finite).
    """
    return value.detach() + (objective - objective.detach())


def js(scores: Tensor) -> Tensor:
    """The NWJ bound as a value, with the gradient of the Jensen-Shannon f-GAN objective.

    Training a critic with the JS divergence is stabler than with NWJ; at the JS optimum,
    ``f + 1`` is the NWJ-optimal critic, so NWJ evaluated at ``f + 1`` is a valid MI lower
    bound. The returned tensor has that value and the JS objective's gradient.

    References: Nowozin et al. (2016), "f-GAN"; Hjelm et al. (2019), "Deep InfoMax";
    Poole et al. (2019), Section 2.3.
    """
    check_scores(scores)
    return _with_gradient_of(nwj(scores + 1.0), _js_fgan(scores))


def smile(scores: Tensor, clip: float | None = 5.0) -> Tensor:
    """SMILE: the DV bound with the partition term's scores clipped to ``[-clip, clip]``.

    Clipping trades a little bias for much lower variance of the partition estimate. As in
    the reference implementation, the value is the clipped DV bound and the gradient is
    that of the JS f-GAN objective.

    References: Song and Ermon (2020), "Understanding the Limitations of Variational Mutual
    Information Estimators".
    """
    check_scores(scores)
    clipped = scores if clip is None else scores.clamp(-clip, clip)
    value = _diagonal(scores).mean(dim=-1) - logmeanexp_offdiagonal(clipped)
    return _with_gradient_of(value, _js_fgan(scores))


def _log_leave_one_out_mean(scores: Tensor) -> Tensor:
    """``out[..., i, j] = log mean_{k != j} exp(S[..., i, k])``, exact, in O(B^2) memory.

    Subtracting column j's term from the row's full sum, ``log(sum_k e^{S_ik} - e^{S_ij})``,
    cancels catastrophically when S_ij dominates the row (it leaves rounding noise, or
    nothing). So split on the row's argmax k*: for j != k*, the remaining sum still holds
    e^{S_ik*}, the largest term, so with everything scaled by e^{-S_ik*} it is at least 1
    while column j's term is at most 1, and the subtraction loses at most one bit. For
    j = k* itself, take a logsumexp over the row with k* masked out. Ties are harmless: a
    second maximal entry stays in the sum for j = k* and is an ordinary column otherwise.
    """
    b = scores.shape[-1]
    top = scores.argmax(dim=-1, keepdim=True)  # [..., B, 1]
    is_top = torch.zeros_like(scores, dtype=torch.bool).scatter_(-1, top, True)
    row_max = scores.gather(-1, top).detach()  # the shift does not change the value
    terms = torch.exp(scores - row_max)  # in (0, 1], exactly 1 at the argmax
    rest = terms.sum(dim=-1, keepdim=True) - terms  # >= 1 wherever j != k*
    # At j = k* the subtraction is replaced by 1 before the log, so that neither its value
    # nor its gradient (log of a rounding residue) can leak into the result.
    log_rest = row_max + torch.log(torch.where(is_top, torch.ones_like(rest), rest))
    without_top = torch.logsumexp(scores.masked_fill(is_top, -math.inf), dim=-1, keepdim=True)
    return torch.where(is_top, without_top, log_rest) - math.log(b - 1)


def interpolated(scores: Tensor, alpha: float = 0.5, log_baseline: Tensor | None = None) -> Tensor:
    """The interpolated bound ``I_alpha``: a TUBA bound whose baseline mixes a multi-sample
    (InfoNCE-like) term and a single-sample one, trading bias for variance with ``alpha``.

    For row i (u_i), the baseline of the pair with numerator v_j is, in log space,
    ``log(alpha * m_ij + (1 - alpha) * exp(a_i))`` with ``m_ij`` the mean of ``exp(S_ik)``
    over the B-1 columns ``k != j`` of that row and ``a = log_baseline [..., B]`` (0 when
    None). ``alpha = 0`` gives ``tuba(scores, log_baseline)``; larger alpha lowers the
    variance of the estimate (and caps it, like InfoNCE, near log B).

    References: Poole et al. (2019), eq. (11) and Section 2.5.
    """
    b = check_scores(scores)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    if log_baseline is None:
        log_baseline = scores.new_zeros(scores.shape[:-1])
    elif log_baseline.shape != scores.shape[:-1]:
        raise ValueError(
            f"log_baseline must have shape {tuple(scores.shape[:-1])}, "
            f"got {tuple(log_baseline.shape)}"
        )
    if alpha == 0.0:
        return tuba(scores, log_baseline)
    # I_alpha(S + c, a + c) = I_alpha(S, a) for row offsets c [..., B]: every baseline of row i
    # moves by c_i. So each term works on scores less a (detached) per-row maximum, and every
    # exponent is a difference of nearby scores. Shifting after the logs instead (a baseline
    # ~ max + log(...) rounded to eps * |S|, then S_ij minus it) puts that rounding into the
    # exponents, and exp() amplifies it: at scores of 1e8 in float32, alpha = 0.01, the
    # marginal term came out 13,000 where it is 100.
    off = ~torch.eye(b, dtype=torch.bool, device=scores.device)
    # Joint term: the positive pair (u_i, v_i) scored against each baseline m_ij, j != i,
    # i.e. against a mean that still contains the positive. Row i less its maximum.
    top = scores.amax(dim=-1).detach()
    shifted = scores - top.unsqueeze(-1)
    baseline = _mix(alpha, _log_leave_one_out_mean(shifted), (log_baseline - top).unsqueeze(-1))
    joint = _diagonal(shifted).unsqueeze(-1) - baseline
    joint_term = (joint * off).sum(dim=(-2, -1)) / (b * (b - 1))
    # Marginal term: the negative pair (u_i, v_j) against the baseline that leaves out the
    # positive v_i, so the mean is over the other B-1 columns, v_j among them. Row i less its
    # largest negative m_i, which dominates that mean: S_ij - m_i is exact for the negatives
    # that count, however far above them S_ii lies, and the log-mean lies in [-log(B-1), 0].
    negatives = _mask_diagonal(scores)
    top_negative = negatives.amax(dim=-1).detach()
    log_mean = torch.logsumexp(negatives - top_negative.unsqueeze(-1), dim=-1) - math.log(b - 1)
    own = _mix(alpha, log_mean, log_baseline - top_negative)
    marginal = scores - top_negative.unsqueeze(-1) - own.unsqueeze(-1)
    marginal_term = torch.exp(logmeanexp_offdiagonal(marginal))
    return 1.0 + joint_term - marginal_term


def _mix(alpha: float, log_mean: Tensor, log_single: Tensor) -> Tensor:
    """``log(alpha * exp(log_mean) + (1 - alpha) * exp(log_single))`` for alpha in (0, 1]."""
    if alpha == 1.0:
        return log_mean
    return torch.logaddexp(math.log(alpha) + log_mean, math.log1p(-alpha) + log_single)


BOUNDS = {
    "infonce": infonce,
    "nwj": nwj,
    "tuba": tuba,
    "dv": dv,
    "js": js,
    "smile": smile,
    "interpolated": interpolated,
}
"""Every bound by name: each maps ``scores [..., B, B]`` (and its keywords) to nats ``[...]``."""
