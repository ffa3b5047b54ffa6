"""Vectorised classification metrics on confusion counts.

All functions take counts of shape ``(..., C, C)`` (rows = true class, columns = predicted) and
broadcast over any leading axes, typically ``(series, steps)``.

Zero division follows scikit-learn's default (``zero_division="warn"``, which returns 0.0): a
precision with no predictions of that class, a recall with no instances of that class, or an F1
whose precision and recall are both 0, is **0.0**, not NaN. NaN is reserved for *missing* data:
:func:`tensor_metrics` puts NaN at steps a series did not log (its mask), so charts show a gap
there instead of a fake zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_access.tensor import ConfusionTensor
from data_access.vocabulary import (  # noqa: F401 - NORMALIZATIONS re-exported; defined in vocabulary
    NORMALIZATIONS,
    Normalization,
    check_normalization,
)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape), dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def true_positives(counts: np.ndarray) -> np.ndarray:
    """``(..., C)``: the diagonal."""
    return np.diagonal(counts, axis1=-2, axis2=-1).astype(np.int64)


def support(counts: np.ndarray) -> np.ndarray:
    """``(..., C)``: instances per true class (row sums)."""
    return counts.sum(axis=-1).astype(np.int64)


def predicted_totals(counts: np.ndarray) -> np.ndarray:
    """``(..., C)``: instances predicted as each class (column sums)."""
    return counts.sum(axis=-2).astype(np.int64)


def false_negatives(counts: np.ndarray) -> np.ndarray:
    """``(..., C)``: instances of class i predicted as anything else (row sum minus diagonal)."""
    return support(counts) - true_positives(counts)


def false_positives(counts: np.ndarray) -> np.ndarray:
    """``(..., C)``: instances predicted as class j whose true class is another (column sum minus diagonal)."""
    return predicted_totals(counts) - true_positives(counts)


def totals(counts: np.ndarray) -> np.ndarray:
    """``(...)``: all instances."""
    return counts.sum(axis=(-2, -1)).astype(np.int64)


def precision(counts: np.ndarray) -> np.ndarray:
    return _safe_div(true_positives(counts), predicted_totals(counts))


def recall(counts: np.ndarray) -> np.ndarray:
    return _safe_div(true_positives(counts), support(counts))


def f1(counts: np.ndarray) -> np.ndarray:
    """Harmonic mean of precision and recall, as ``2 TP / (2 TP + FP + FN)`` (0 when that is 0/0)."""
    tp = true_positives(counts)
    return _safe_div(2 * tp, 2 * tp + false_positives(counts) + false_negatives(counts))


def accuracy(counts: np.ndarray) -> np.ndarray:
    """``(...)``: trace over total (0 for an empty matrix)."""
    return _safe_div(true_positives(counts).sum(axis=-1), totals(counts))


def normalize(counts: np.ndarray, mode: Normalization | None) -> np.ndarray:
    """Relative confusion values, with scikit-learn's ``normalize`` semantics.

    ``'true'`` divides each row by its true-class total (so cell (i, j) reads "share of class i
    predicted as j"); ``'pred'`` divides each column by its predicted total; ``'all'`` divides by the
    number of instances. ``None`` returns the counts as float. A zero total gives 0.
    """
    mode = check_normalization(mode)
    if mode is None:
        return counts.astype(np.float64)
    if mode == "true":
        return _safe_div(counts, support(counts)[..., :, None])
    if mode == "pred":
        return _safe_div(counts, predicted_totals(counts)[..., None, :])
    if mode == "all":
        return _safe_div(counts, totals(counts)[..., None, None])
    raise AssertionError(mode)  # unreachable: check_normalization refused it


def normalize_fn_fp(counts: np.ndarray, mode: Normalization | None) -> tuple[np.ndarray, np.ndarray]:
    """FN and FP per class as counts, or relative with denominators that keep them in [0, 1].

    FN of class i is part of class i's row, so relative FN is ``FN / support`` (= 1 - recall); FP of
    class j is part of column j, so relative FP is ``FP / predicted total`` (= 1 - precision). That
    holds for both ``'true'`` and ``'pred'``: dividing FP by the *true* class size (what the original
    tool did) gives "percentages" above 100 % for a class that attracts many wrong predictions.
    ``'all'`` divides both by the number of instances. :func:`fn_fp_denominators` names each
    denominator (as a code) for hover text and legends.
    """
    mode = check_normalization(mode)
    fn = false_negatives(counts)
    fp = false_positives(counts)
    if mode is None:
        return fn.astype(np.float64), fp.astype(np.float64)
    if mode in ("true", "pred"):
        return _safe_div(fn, support(counts)), _safe_div(fp, predicted_totals(counts))
    if mode == "all":
        den = totals(counts)[..., None]
        return _safe_div(fn, den), _safe_div(fp, den)
    raise AssertionError(mode)  # unreachable: check_normalization refused it


def fn_fp_denominators(mode: Normalization) -> tuple[str, str]:
    """What relative FN and FP are divided by, as codes: ``("support" | "total", "predicted" | "total")``.

    Components turn the codes into words (``components.wording``).

    >>> fn_fp_denominators("pred")
    ('support', 'predicted')
    """
    return ("total", "total") if check_normalization(mode) == "all" else ("support", "predicted")


@dataclass(frozen=True)
class TensorMetrics:
    """Every per-step measure the views show, NaN where a series did not log a step.

    Per-class arrays are ``(S, T, C)``; ``accuracy`` and ``total`` are ``(S, T)``.
    """

    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    predicted: np.ndarray
    false_negatives: np.ndarray
    false_positives: np.ndarray
    accuracy: np.ndarray
    total: np.ndarray


def tensor_metrics(tensor: ConfusionTensor) -> TensorMetrics:
    c = tensor.counts
    per_class_mask = tensor.mask[..., None]

    def per_class(values: np.ndarray) -> np.ndarray:
        return np.where(per_class_mask, values.astype(np.float64), np.nan)

    def per_step(values: np.ndarray) -> np.ndarray:
        return np.where(tensor.mask, values.astype(np.float64), np.nan)

    return TensorMetrics(
        precision=per_class(precision(c)),
        recall=per_class(recall(c)),
        f1=per_class(f1(c)),
        support=per_class(support(c)),
        predicted=per_class(predicted_totals(c)),
        false_negatives=per_class(false_negatives(c)),
        false_positives=per_class(false_positives(c)),
        accuracy=per_step(accuracy(c)),
        total=per_step(totals(c)),
    )
