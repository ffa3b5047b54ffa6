"""The numbers each view shows, computed once per request from a :class:`ConfusionTensor`.

Callbacks call these and hand the result to the pure figure builders in ``components``; the
builders only lay numbers out, they never compute a metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_access import metrics
from data_access.metrics import Normalization
from data_access.tensor import ConfusionTensor


@dataclass(frozen=True)
class MatrixValues:
    """Everything the ConfusionFlow matrix draws.

    values:   ``(S, T, C, C)`` float64, counts or relative values per ``normalization``; NaN where
              the series did not log the step.
    counts:   ``(S, T, C, C)`` int64 raw counts (for hover text: a percentage is shown with its count).
    fn, fp:   ``(S, T, C)`` float64, same normalization rule as :func:`metrics.normalize_fn_fp`.
    fn_counts, fp_counts: ``(S, T, C)`` int64.
    accuracy: ``(S, T)`` float64 in [0, 1], NaN where masked.
    """

    tensor: ConfusionTensor
    normalization: Normalization | None
    values: np.ndarray
    counts: np.ndarray
    fn: np.ndarray
    fp: np.ndarray
    fn_counts: np.ndarray
    fp_counts: np.ndarray
    accuracy: np.ndarray

    @property
    def steps(self) -> np.ndarray:
        return self.tensor.steps

    @property
    def classes(self) -> tuple[str, ...]:
        return self.tensor.classes

    @property
    def series_labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.tensor.series)

    @property
    def series_keys(self) -> tuple[str, ...]:
        return self.tensor.series_keys


def matrix_values(tensor: ConfusionTensor, normalization: Normalization | None = None) -> MatrixValues:
    c = tensor.counts
    m4 = tensor.mask[:, :, None, None]
    m3 = tensor.mask[:, :, None]
    values = np.where(m4, metrics.normalize(c, normalization), np.nan)
    fn, fp = metrics.normalize_fn_fp(c, normalization)
    return MatrixValues(
        tensor=tensor,
        normalization=normalization,
        values=values,
        counts=c,
        fn=np.where(m3, fn, np.nan),
        fp=np.where(m3, fp, np.nan),
        fn_counts=metrics.false_negatives(c),
        fp_counts=metrics.false_positives(c),
        accuracy=np.where(tensor.mask, metrics.accuracy(c), np.nan),
    )
