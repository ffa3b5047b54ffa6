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
from typing import Literal

import numpy as np

from confusionflow.data_access.class_totals import ClassTotals, totals_of_counts
from confusionflow.data_access.tensor import ConfusionTensor
from confusionflow.data_access.vocabulary import (  # noqa: F401 - NORMALIZATIONS re-exported; defined in vocabulary
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


DenominatorCode = Literal["support", "predicted", "total"]
"""What a relative value is divided by: the true class's instances (``support``, a row total), the
instances predicted as the class (``predicted``, a column total), or every instance (``total``)."""

DenominatorRegion = Literal["cell", "fn", "fp"]
"""The relative parts of the matrix: a cell, a class's false negatives, a class's false positives."""


def denominator_codes(mode: Normalization) -> dict[DenominatorRegion, DenominatorCode]:
    """What each relative part of the matrix is divided by in ``mode``: the one source of the
    denominators, used by :func:`normalize` and :func:`normalize_fn_fp` and named on screen by
    ``confusionflow.components.wording``.

    A cell follows the mode (row, column or all). FN of class i lie in row i, so they are divided by
    the class's instances (``FN / support = 1 - recall``); FP of class j lie in column j, so they
    are divided by its predictions (``FP / predicted = 1 - precision``), in both ``'true'`` and
    ``'pred'``: dividing FP by the *true* class size gives "percentages" above 100 % for a class
    that attracts many wrong predictions. ``'all'`` divides everything by all instances.

    >>> denominator_codes("true")
    {'cell': 'support', 'fn': 'support', 'fp': 'predicted'}
    >>> denominator_codes("all")["fp"]
    'total'
    """
    if check_normalization(mode) == "all":
        return {"cell": "total", "fn": "total", "fp": "total"}
    cell: DenominatorCode = "support" if mode == "true" else "predicted"
    return {"cell": cell, "fn": "support", "fp": "predicted"}


def class_totals(counts: np.ndarray, totals: ClassTotals | None = None) -> ClassTotals:
    """``totals``, or those of ``counts`` ``(..., C, C)`` taken as a whole matrix."""
    return totals if totals is not None else totals_of_counts(counts)


def denominator(code: DenominatorCode, totals: ClassTotals) -> np.ndarray:
    """The denominator array of ``code``: ``(..., C)`` for support/predicted, ``(...)`` for total."""
    if code == "support":
        return totals.support
    if code == "predicted":
        return totals.predicted
    return totals.instances


def normalize(
    counts: np.ndarray, mode: Normalization | None, totals: ClassTotals | None = None
) -> np.ndarray:
    """Relative confusion values, with scikit-learn's ``normalize`` semantics.

    ``'true'`` divides each row by its true-class total (so cell (i, j) reads "share of class i
    predicted as j"); ``'pred'`` divides each column by its predicted total; ``'all'`` divides by the
    number of instances. ``None`` returns the counts as float. A zero total gives 0. With
    ``totals`` (a partial matrix, see :mod:`confusionflow.data_access.class_totals`) the totals are those of the
    whole classes, so a cell of a class selection is a share of the whole class.
    """
    mode = check_normalization(mode)
    if mode is None:
        return counts.astype(np.float64)
    code = denominator_codes(mode)["cell"]
    den = denominator(code, class_totals(counts, totals))
    if code == "support":
        return _safe_div(counts, den[..., :, None])
    if code == "predicted":
        return _safe_div(counts, den[..., None, :])
    return _safe_div(counts, den[..., None, None])


def fn_fp_counts(counts: np.ndarray, totals: ClassTotals | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(..., C)`` FN and FP per class: instances of the class predicted as another class, and
    instances of other classes predicted as it, counting classes not drawn (``totals``)."""
    t = class_totals(counts, totals)
    return t.support - t.correct, t.predicted - t.correct


def normalize_fn_fp(
    counts: np.ndarray, mode: Normalization | None, totals: ClassTotals | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """FN and FP per class as counts, or relative to the denominators of :func:`denominator_codes`
    (which keep them in [0, 1])."""
    mode = check_normalization(mode)
    fn, fp = fn_fp_counts(counts, totals)
    if mode is None:
        return fn.astype(np.float64), fp.astype(np.float64)
    t = class_totals(counts, totals)
    codes = denominator_codes(mode)
    out = []
    for values, code in ((fn, codes["fn"]), (fp, codes["fp"])):
        den = denominator(code, t)
        out.append(_safe_div(values, den if code != "total" else den[..., None]))
    return out[0], out[1]


def fn_fp_denominators(mode: Normalization) -> tuple[DenominatorCode, DenominatorCode]:
    """What relative FN and FP are divided by, as codes (:func:`denominator_codes`).

    >>> fn_fp_denominators("pred")
    ('support', 'predicted')
    """
    codes = denominator_codes(mode)
    return codes["fn"], codes["fp"]


def accuracy_of(counts: np.ndarray, totals: ClassTotals | None = None) -> np.ndarray:
    """``(...)``: correct predictions over all instances of the fold, drawn or not (0 if empty)."""
    t = class_totals(counts, totals)
    return _safe_div(t.correct_total, t.instances)


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
    """The measures of ``tensor``'s shown classes, over whole classes (``tensor.class_totals``)."""
    t = tensor.class_totals
    per_class_mask = tensor.mask[..., None]

    def per_class(values: np.ndarray) -> np.ndarray:
        return np.where(per_class_mask, values.astype(np.float64), np.nan)

    def per_step(values: np.ndarray) -> np.ndarray:
        return np.where(tensor.mask, values.astype(np.float64), np.nan)

    fn, fp = t.support - t.correct, t.predicted - t.correct
    return TensorMetrics(
        precision=per_class(_safe_div(t.correct, t.predicted)),
        recall=per_class(_safe_div(t.correct, t.support)),
        f1=per_class(_safe_div(2 * t.correct, 2 * t.correct + fn + fp)),
        support=per_class(t.support),
        predicted=per_class(t.predicted),
        false_negatives=per_class(fn),
        false_positives=per_class(fp),
        accuracy=per_step(_safe_div(t.correct_total, t.instances)),
        total=per_step(t.instances),
    )
