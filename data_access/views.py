"""The numbers each view shows, computed once per request from a :class:`ConfusionTensor`.

Callbacks call these and hand the result to the pure figure builders in ``components``; the
builders only lay numbers out, they never compute a metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from confusionflow.data_access import metrics
from confusionflow.data_access.tensor import OTHER_CLASS, ConfusionTensor
from confusionflow.data_access.vocabulary import (  # noqa: F401 - DETAIL_KINDS re-exported; defined in vocabulary
    DETAIL_KINDS,
    DetailKind,
    Normalization,
    check_detail_kind,
    check_normalization,
    format_step,
)


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

    @property
    def lumps(self) -> tuple[bool, ...]:
        """Per shown class, whether it is the ``"(other)"`` lump of unselected classes (its diagonal
        holds their correct predictions and their confusions with each other)."""
        partial = self.tensor.is_partial
        return tuple(partial and name == OTHER_CLASS for name in self.classes)


def matrix_values(tensor: ConfusionTensor, normalization: Normalization | None = None) -> MatrixValues:
    """The matrix's numbers; shares, FN, FP and accuracy count whole classes and the whole fold,
    also for a class selection or ``"(other)"`` (``tensor.class_totals``)."""
    c = tensor.counts
    totals = tensor.class_totals
    m4 = tensor.mask[:, :, None, None]
    m3 = tensor.mask[:, :, None]
    values = np.where(m4, metrics.normalize(c, normalization, totals), np.nan)
    fn, fp = metrics.normalize_fn_fp(c, normalization, totals)
    fn_counts, fp_counts = metrics.fn_fp_counts(c, totals)
    return MatrixValues(
        tensor=tensor,
        normalization=normalization,
        values=values,
        counts=c,
        fn=np.where(m3, fn, np.nan),
        fp=np.where(m3, fp, np.nan),
        fn_counts=fn_counts,
        fp_counts=fp_counts,
        accuracy=np.where(tensor.mask, metrics.accuracy_of(c, totals), np.nan),
    )


# ----------------------------------------------------------------------------- detail view, export
DetailUnit = Literal[
    "instances", "share_support", "share_predicted", "share_total", "accuracy", "precision", "recall", "f1"
]
"""What one unit of a detail series is, as a code; ``confusionflow.components.wording`` names it for axis titles.
``share_<code>`` is a share of the denominator :data:`metrics.DenominatorCode` ``<code>``."""

_SHARE_UNITS: dict[metrics.DenominatorCode, DetailUnit] = {
    "support": "share_support",
    "predicted": "share_predicted",
    "total": "share_total",
}


def detail_unit(kind: DetailKind, normalization: Normalization | None) -> DetailUnit:
    """The unit of detail ``kind`` under ``normalization``: the denominator the matrix divides that
    tile by (:func:`metrics.denominator_codes`), so the axis names what the values are a share of.

    >>> detail_unit("fp", "true"), detail_unit("cell", "true"), detail_unit("fn", None)
    ('share_predicted', 'share_support', 'instances')
    """
    if kind in ("accuracy", "precision", "recall", "f1"):
        return kind
    if normalization is None:
        return "instances"
    region: metrics.DenominatorRegion = "cell" if kind == "cell" else "fn" if kind == "fn" else "fp"
    return _SHARE_UNITS[metrics.denominator_codes(normalization)[region]]


@dataclass(frozen=True)
class DetailValues:
    """One measure over time per series, for the detail view.

    values:  ``(S, T)`` float64, NaN where the series did not log the step.
    percent: True when ``values`` are fractions in [0, 1] (shown as percentages).
    unit:    what one unit of ``values`` is, as a :data:`DetailUnit` code (for the y-axis title).
    counts:  ``(S, T)`` the instance counts behind relative cell/FN/FP values, else None.
    """

    values: np.ndarray
    percent: bool
    unit: DetailUnit
    counts: np.ndarray | None = None  # (S, T) instance counts behind relative values, for hover


def detail_values(
    tensor: ConfusionTensor,
    kind: DetailKind | str,
    true: int | None = None,
    pred: int | None = None,
    normalization: Normalization | None = None,
) -> DetailValues:
    """The values behind one matrix tile or class chart, as the matrix shows them.

    ``cell`` is cell (``true``, ``pred``); ``fn`` the false negatives of class ``true``; ``fp`` the
    false positives of class ``pred``; these follow ``normalization`` like the matrix does.
    ``precision``/``recall``/``f1`` are of class ``true``; ``accuracy`` is overall.
    An unknown ``kind`` or ``normalization`` raises ValueError.
    """
    kind = check_detail_kind(kind)
    normalization = check_normalization(normalization)
    if kind in ("accuracy", "precision", "recall", "f1"):
        measures = metrics.tensor_metrics(tensor)  # NaN where masked, whole classes
        if kind == "accuracy":
            values = measures.accuracy
        else:
            if true is None:
                raise ValueError(f"{kind} needs a class")
            values = getattr(measures, kind)[:, :, true]
        return DetailValues(values, True, kind)
    mv = matrix_values(tensor, normalization)
    if kind == "cell":
        if true is None or pred is None:
            raise ValueError("a cell needs a true and a predicted class")
        values, counts = mv.values[:, :, true, pred], mv.counts[:, :, true, pred]
    elif kind == "fn":
        if true is None:
            raise ValueError("false negatives need a (true) class")
        values, counts = mv.fn[:, :, true], mv.fn_counts[:, :, true]
    elif kind == "fp":
        if pred is None:
            raise ValueError("false positives need a (predicted) class")
        values, counts = mv.fp[:, :, pred], mv.fp_counts[:, :, pred]
    else:
        raise AssertionError(kind)  # unreachable: check_detail_kind refused it
    relative = normalization is not None
    return DetailValues(
        np.asarray(values, dtype=np.float64),
        relative,
        detail_unit(kind, normalization),
        np.where(tensor.mask, counts, np.nan) if relative else None,
    )


def long_counts(tensor: ConfusionTensor) -> pd.DataFrame:
    """Every count of every logged step as a long table: run, fold, step, true, pred, count.

    One row per (series, logged step, true class, predicted class), zeros included, so the table is
    the complete matrix sequence; steps a series did not log have no rows.
    """
    s_idx, t_idx = np.nonzero(tensor.mask)
    c = tensor.n_classes
    n = len(s_idx)
    counts = tensor.counts[s_idx, t_idx].reshape(n * c * c)
    runs = np.array([s.run for s in tensor.series], dtype=object)
    folds = np.array([s.fold for s in tensor.series], dtype=object)
    names = np.array(tensor.classes, dtype=object)
    cells = c * c
    return pd.DataFrame(
        {
            "run": np.repeat(runs[s_idx], cells),
            "fold": np.repeat(folds[s_idx], cells),
            "step": np.repeat(tensor.steps[t_idx], cells),
            "true": np.tile(np.repeat(names, c), n),
            "pred": np.tile(np.tile(names, c), n),
            "count": counts.astype(np.int64),
        }
    )


def support_at(tensor: ConfusionTensor, step: float | None = None) -> tuple[np.ndarray, str]:
    """Instances per true class ``(S, C)`` at ``step``, or at each series' last logged step.

    A series that did not log ``step`` gets NaN. The returned label says which step(s) it is, for
    the chart title.
    """
    s, c = tensor.n_series, tensor.n_classes
    out = np.full((s, c), np.nan)
    if tensor.n_steps == 0:
        return out, "no steps"
    sup = tensor.class_totals.support.astype(np.float64)  # (S, T, C), whole classes
    if step is not None:
        t = tensor.step_index(step)
        if t is None:
            return out, f"step {format_step(step)} (not logged)"
        out[tensor.mask[:, t]] = sup[tensor.mask[:, t], t]
        return out, f"step {format_step(step)}"
    logged = tensor.mask.any(axis=1)
    # last logged position per series: argmax over the reversed mask
    last = tensor.n_steps - 1 - np.argmax(tensor.mask[:, ::-1], axis=1)
    out[logged] = sup[np.arange(s)[logged], last[logged]]
    last_steps = sorted({float(tensor.steps[i]) for i in last[logged]})
    label = "last step" if len(last_steps) != 1 else f"last step ({format_step(last_steps[0])})"
    return out, label


def support_by_step(tensor: ConfusionTensor) -> tuple[np.ndarray, np.ndarray]:
    """Instances per true class at every step, without repeats: ``(vectors (K, C), index (S, T))``.

    ``index[s, t]`` is the row of ``vectors`` holding series ``s``'s whole-class support at step
    ``t`` (the same numbers :func:`support_at` gives), ``-1`` where the series did not log it. A
    fixed test fold has one vector per series whatever the number of steps, so the browser can
    show the sizes at any step of the view without asking (``moveEpochMarkers``).
    """
    s, t, c = tensor.n_series, tensor.n_steps, tensor.n_classes
    index = np.full((s, t), -1, dtype=np.int64)
    if s == 0 or t == 0:
        return np.zeros((0, c)), index
    sup = tensor.class_totals.support.astype(np.float64)  # (S, T, C), whole classes
    logged = sup[tensor.mask]  # (N, C) in series-major order
    vectors, inverse = np.unique(logged, axis=0, return_inverse=True)
    index[tensor.mask] = np.asarray(inverse).reshape(-1)
    return vectors, index


def fold_sizes_differ(tensor: ConfusionTensor, tolerance: float = 0.1) -> bool:
    """Whether the series hold clearly different numbers of instances (median over their logged
    steps), e.g. a 60,000-image train fold beside a 10,000-image test fold. Absolute counts would
    then compare the folds' sizes more than their confusion, so a first view should be relative.
    """
    totals = tensor.class_totals.instances  # (S, T)
    typical = np.array([np.median(t[m]) for t, m in zip(totals, tensor.mask, strict=True) if m.any()])
    typical = typical[typical > 0]
    return typical.size > 1 and bool(typical.max() > (1 + tolerance) * typical.min())
