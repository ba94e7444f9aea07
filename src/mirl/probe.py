"""Linear evaluation: how well a multinomial logistic regression reads labels off the codes.

The paper's protocol, kept exactly (it is what its accuracies mean): fit a MinMax scaler on
the 60k training codes, fit scikit-learn's ``LogisticRegression(solver="saga", tol=0.1,
C=10)`` on them, report accuracy on the 10k test codes. ``sklearn_probe`` is that.

``torch_probe`` fits the same model (same scaling, same L2-penalized multinomial
likelihood, ``C * sum_i CE_i + ||W||^2 / 2``, unpenalized intercept) for all K seeds at
once on the training device with batched L-BFGS. It solves the problem to convergence,
whereas saga stops early at ``tol=0.1``; ``mirl bench`` measures how close the two are.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor, Future

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

C = 10.0
SAGA_TOL = 0.1
PROBES = ("sklearn", "torch")
"""The probes by name: the paper's saga fit, and the batched torch fit."""


def minmax_scale(train: Tensor, test: Tensor) -> tuple[Tensor, Tensor]:
    """Scale each feature to [0, 1] on ``train [..., N, d]``; apply the same map to ``test``.

    As scikit-learn's MinMaxScaler, a constant feature gets scale 1 (it maps to 0).
    """
    low = train.amin(dim=-2, keepdim=True)
    span = train.amax(dim=-2, keepdim=True) - low
    span = torch.where(span > 0, span, torch.ones_like(span))
    return (train - low) / span, (test - low) / span


def sklearn_probe(
    train_codes: np.ndarray,
    train_labels: np.ndarray,
    test_codes: np.ndarray,
    test_labels: np.ndarray,
    seed: int = 0,
) -> float:
    """The paper's probe for one seed: ``train_codes [N, d]``, ``test_codes [M, d]`` -> accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import MinMaxScaler

    _check_codes(train_codes, train_labels, test_codes, test_labels)
    if not (np.isfinite(train_codes).all() and np.isfinite(test_codes).all()):
        return float("nan")  # a diverging encoder; its run is reported as failed
    scaler = MinMaxScaler()
    x_train = scaler.fit_transform(np.asarray(train_codes, dtype=np.float64))
    x_test = scaler.transform(np.asarray(test_codes, dtype=np.float64))
    model = LogisticRegression(solver="saga", tol=SAGA_TOL, C=C, random_state=seed)
    with warnings.catch_warnings():
        # saga at tol=0.1 is meant to stop early; its convergence warning is expected.
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*max_iter.*")
        model.fit(x_train, np.asarray(train_labels).ravel())
    return float(model.score(x_test, np.asarray(test_labels).ravel()))


def torch_probe(
    train_codes: Tensor,
    train_labels: Tensor,
    test_codes: Tensor,
    test_labels: Tensor,
    n_classes: int = 10,
    max_iter: int = 500,
) -> Tensor:
    """The same probe for K seeds at once: ``train_codes [K, N, d]``, ``test_codes [K, M, d]``,
    labels ``[N]`` and ``[M]`` shared by all seeds -> accuracies ``[K]``.

    Runs in float64 on the codes' device. The K problems are independent; L-BFGS minimizes
    their sum, whose Hessian is block-diagonal, so each seed reaches its own optimum.
    """
    if train_codes.ndim != 3 or test_codes.ndim != 3:
        raise ValueError(
            f"torch_probe expects codes [K, N, d]; got {tuple(train_codes.shape)} and "
            f"{tuple(test_codes.shape)}"
        )
    _check_codes(train_codes[0], train_labels, test_codes[0], test_labels)
    x_train, x_test = minmax_scale(train_codes.double(), test_codes.double())
    k, n, d = x_train.shape
    y_train = train_labels.to(x_train.device, torch.long)
    weight = torch.zeros(k, d, n_classes, dtype=x_train.dtype, device=x_train.device)
    bias = torch.zeros(k, 1, n_classes, dtype=x_train.dtype, device=x_train.device)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        max_iter=max_iter,
        history_size=20,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
    )

    def objective() -> Tensor:
        optimizer.zero_grad()
        logits = torch.baddbmm(bias, x_train, weight)
        ce = F.cross_entropy(logits.reshape(k * n, n_classes), y_train.repeat(k), reduction="sum")
        # Per seed: sum_i CE_i + ||W||^2 / (2C); divided by N to keep the scale of a mean.
        loss = (ce + weight.square().sum() / (2 * C)) / n
        loss.backward()
        return loss

    optimizer.step(objective)
    with torch.no_grad():
        predictions = torch.baddbmm(bias, x_test, weight).argmax(dim=-1)
        return (predictions == test_labels.to(predictions.device)).double().mean(dim=-1)


def _check_codes(train_codes, train_labels, test_codes, test_labels) -> None:
    if train_codes.ndim != 2 or test_codes.ndim != 2:
        raise ValueError(
            f"codes must be [N, d]; got {tuple(train_codes.shape)}, {tuple(test_codes.shape)}"
        )
    if train_codes.shape[1] != test_codes.shape[1]:
        raise ValueError(
            "train and test codes differ in dimension: "
            f"{train_codes.shape[1]} vs {test_codes.shape[1]}"
        )
    if len(train_labels) != train_codes.shape[0] or len(test_labels) != test_codes.shape[0]:
        raise ValueError("there must be one label per code")


class Accuracies:
    """The probe accuracies ``[K]`` of one evaluation, possibly still being computed on a
    thread pool while training goes on; ``result()`` waits for them. ``seconds`` is the time
    the fits took (summed over seeds) and ``in_line`` whether they ran before ``start_probe``
    returned (so that an evaluation's own time can leave them out)."""

    def __init__(
        self,
        values: np.ndarray | None = None,
        futures: Sequence[Future] = (),
        seconds: float = 0.0,
        in_line: bool = True,
    ):
        self._values, self._futures = values, list(futures)
        self.seconds, self.in_line = seconds, in_line

    def done(self) -> bool:
        return all(f.done() for f in self._futures)

    def result(self) -> np.ndarray:
        if self._values is None:
            fits = [f.result() for f in self._futures]
            self._values = np.array([accuracy for accuracy, _ in fits], dtype=np.float64)
            self.seconds = sum(seconds for _, seconds in fits)
        return self._values


def _timed(fit, *args) -> tuple[float, float]:
    start = time.perf_counter()
    return fit(*args), time.perf_counter() - start


def start_probe(
    kind: str,
    train_codes: Tensor,
    train_labels: Tensor,
    test_codes: Tensor,
    test_labels: Tensor,
    seeds: Sequence[int],
    executor: Executor | None = None,
) -> Accuracies:
    """Start the probe ``kind`` ("sklearn" or "torch") on K seeds' codes ``[K, N, d]``.

    The torch probe runs at once, batched on the codes' device. The sklearn probe runs one
    saga fit per seed: on ``executor`` if given (the fits release the GIL, so a thread pool
    keeps the CPU cores busy while the GPU trains), else right away.
    """
    start = time.perf_counter()
    if kind == "torch":
        values = torch_probe(train_codes, train_labels, test_codes, test_labels)
        values = values.cpu().numpy().astype(np.float64)
        return Accuracies(values, seconds=time.perf_counter() - start)
    if kind != "sklearn":
        raise ValueError(f"unknown probe {kind!r}; valid: {', '.join(PROBES)}")
    y_train, y_test = train_labels.cpu().numpy(), test_labels.cpu().numpy()
    jobs = [
        (tr.cpu().numpy(), y_train, te.cpu().numpy(), y_test, s)
        for tr, te, s in zip(train_codes, test_codes, seeds, strict=True)
    ]
    if executor is None:
        values = np.array([sklearn_probe(*job) for job in jobs], dtype=np.float64)
        return Accuracies(values, seconds=time.perf_counter() - start)
    futures = [executor.submit(_timed, sklearn_probe, *job) for job in jobs]
    return Accuracies(futures=futures, in_line=False)
