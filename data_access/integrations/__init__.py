"""Thin logging functions for training loops: evaluate, then hand the labels to a ``LogWriter``.

- :mod:`confusionflow.data_access.integrations.torch`: ``log_pytorch_epoch`` for a model and a ``DataLoader``.
- :mod:`confusionflow.data_access.integrations.sklearn`: ``log_estimator`` and ``fit_incrementally`` (``partial_fit``).

Neither framework is imported here (nor when this package is imported): each function imports its
framework inside the function, so ``import confusionflow.data_access.integrations`` works without torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LoggedStep:
    """What one logging call logged: the step, the fold, how many instances, and their accuracy."""

    step: float
    fold: str
    instances: int
    accuracy: float  # share of instances predicted correctly, in [0, 1] (0.0 for no instances)


def logged_step(step: float, fold: str, y_true: np.ndarray, y_pred: np.ndarray) -> LoggedStep:
    n = int(len(y_true))
    correct = int(np.count_nonzero(np.asarray(y_true) == np.asarray(y_pred)))
    return LoggedStep(step=float(step), fold=fold, instances=n, accuracy=correct / n if n else 0.0)


__all__ = ["LoggedStep", "logged_step"]
