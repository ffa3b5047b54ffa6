"""Class-selection strategies: which k classes are worth looking at, computed from sparse counts.

Each strategy is a pure function of a :class:`~confusionflow.data_access.sparse_counts.SparseCounts` and returns
a :class:`Selection`: class indices in the order of interest (worst first), ties broken by class
index (the logged order), so the same data always gives the same selection. Per-class scores come
from the row, column and diagonal sums; cell-level strategies read the non-zero entries of one or
two ``(series, step)`` matrices. None builds a dense ``(S, T, C, C)`` array.

``k`` is the number of *classes* returned by every strategy. ``k`` larger than the number of
classes returns every class (in the strategy's order) with a note saying so; ``k < 1`` is an error.
A series without the needed step is a :class:`StrategyError` naming the run, fold and step.

Every message names the series' file as a user finds it in the log folder
(:attr:`~confusionflow.data_access.tensor.SeriesInfo.file`, relative to it: never the server's
absolute path) and the classes or steps involved: the file's class count for k, the step asked
for, what needed it and the steps the file has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from confusionflow.data_access.metrics import _safe_div
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.vocabulary import format_step

ClassMetric = Literal["f1", "recall", "precision"]
StrategyName = Literal[
    "lowest-f1", "lowest-recall", "lowest-precision", "largest-cells", "most-changed", "most-different"
]  # the keys of STRATEGIES
CLASS_METRICS: dict[str, str] = {"f1": "F1", "recall": "recall", "precision": "precision"}
STRATEGIES: dict[str, str] = {
    "lowest-f1": "the k classes with the lowest F1",
    "lowest-recall": "the k classes with the lowest recall",
    "lowest-precision": "the k classes with the lowest precision",
    "largest-cells": "the classes of the largest off-diagonal cells",
    "most-changed": "the k classes whose confusion changed most over the range",
    "most-different": "the k classes on which two series differ most",
}
MAX_K = 4096  # no more classes exist (logformat.MAX_CLASSES): k above it is refused as bounded input


class StrategyError(ValueError):
    """A strategy that cannot be computed on the chosen data; the message says which and why."""


@dataclass(frozen=True)
class Selection:
    """The result of a strategy.

    indices: ``(k,)`` class indices, most interesting first. scores: ``(k,)`` float64, the value
    each class was ranked by (its F1, its confusion change, ...). note: set when fewer classes than
    asked for were returned.
    """

    indices: tuple[int, ...]
    scores: tuple[float, ...]
    description: str
    note: str | None = None


def check_k(k: object, n_classes: int, file: str | None = None) -> tuple[int, str | None]:
    """``(k to use, note)``: an int in 1..MAX_K, capped at ``n_classes`` with a note; ``file``
    (the series' :attr:`~confusionflow.data_access.tensor.SeriesInfo.file`) is named in both."""
    has = f"{file} has {n_classes} classes" if file else f"{n_classes} classes"
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise StrategyError(f"k must be a whole number of classes, got {k!r} ({has})")
    k = int(k)
    if k < 1:
        raise StrategyError(f"k must be at least 1, got {k} ({has})")
    if k > MAX_K:
        raise StrategyError(f"k must be at most {MAX_K}, got {k} ({has})")
    if k > n_classes:
        of = f" of {file}" if file else ""
        return n_classes, f"k = {k} is more than the {n_classes} classes{of}: all {n_classes} are selected"
    return k, None


def series_index(counts: SparseCounts, series: str) -> int:
    try:
        return counts.series_keys.index(series)
    except ValueError:
        raise StrategyError(f"series {series!r} is not loaded; loaded: {list(counts.series_keys)}") from None


def step_index(counts: SparseCounts, s: int, step: float, need: str | None = None) -> int:
    """Position of ``step`` on the common axis; StrategyError if series ``s`` did not log it,
    naming its file, the step, what needed it (``need``, e.g. "the lowest F1 needs step 7") and
    the steps the file has."""
    info = counts.series[s]
    t = int(np.searchsorted(counts.steps, step))
    if t < counts.n_steps and counts.steps[t] == step and counts.mask[s, t]:
        return t
    logged = counts.steps[counts.mask[s]]
    if len(logged) > 1:
        have = f"{format_step(logged[0])}..{format_step(logged[-1])} ({len(logged)} steps)"
    else:
        have = f"{format_step(logged[0])} (1 step)" if len(logged) else "none"
    raise StrategyError(
        f"{need + ': ' if need else ''}{info.file} (fold {info.fold!r} of run {info.run!r}) has no step "
        f"{format_step(step)}; its logged steps: {have}"
    )


def needs(what: str, *steps: float) -> str:
    """``"<what> needs step 7"`` / ``"<what> needs steps 1 and 7"``, for :func:`step_index`."""
    shown = sorted({format_step(s) for s in steps}, key=lambda t: float(t))
    if len(shown) == 1:
        return f"{what} needs step {shown[0]}"
    return f"{what} needs steps {', '.join(shown[:-1])} and {shown[-1]}"


def _rank(scores: np.ndarray, k: int, *, descending: bool) -> np.ndarray:
    """Indices of the k best scores; ties by class index. NaN never ranks first."""
    key = np.where(np.isnan(scores), np.inf, -scores if descending else scores)
    return np.lexsort((np.arange(len(scores)), key))[:k]


def _selection(order: np.ndarray, scores: np.ndarray, description: str, note: str | None) -> Selection:
    return Selection(tuple(int(i) for i in order), tuple(float(scores[i]) for i in order), description, note)


def lowest_metric(
    counts: SparseCounts, metric: ClassMetric, k: int, *, series: str, step: float
) -> Selection:
    """The k classes with the lowest F1, recall or precision of ``series`` at ``step``.

    Zero division gives 0 (scikit-learn's default), so a class never predicted has precision 0.
    """
    if metric not in CLASS_METRICS:
        raise StrategyError(f"unknown metric {metric!r}; expected one of {sorted(CLASS_METRICS)}")
    s = series_index(counts, series)
    k, note = check_k(k, counts.n_classes, counts.series[s].file)
    t = step_index(counts, s, step, needs(f"the selection by lowest {CLASS_METRICS[metric]}", step))
    tp, sup, pred = counts.diag[s, t], counts.rows[s, t], counts.cols[s, t]
    if metric == "recall":
        score = _safe_div(tp, sup)
    elif metric == "precision":
        score = _safe_div(tp, pred)
    else:
        score = _safe_div(2 * tp, sup + pred)
    order = _rank(score, k, descending=False)
    desc = f"lowest {CLASS_METRICS[metric]} of {series} at step {format_step(step)}"
    return _selection(order, score, desc, note)


def largest_cells(counts: SparseCounts, k: int, *, series: str, step: float) -> Selection:
    """The classes of the largest off-diagonal cells of ``series`` at ``step``.

    Cells are taken largest first (ties: by true class, then predicted class); each adds its true
    class, then its predicted class, until ``k`` distinct classes are chosen (classes in no
    off-diagonal cell follow in logged order). A class's score is the largest off-diagonal count
    it takes part in.
    """
    s = series_index(counts, series)
    k, note = check_k(k, counts.n_classes, counts.series[s].file)
    t = step_index(counts, s, step, needs("the selection by largest off-diagonal cells", step))
    i, j, n = counts.entries(s, t)
    off = i != j
    i, j, n = i[off], j[off], n[off]
    order = np.lexsort((j, i, -n))
    flat = np.stack([i[order], j[order]], axis=1).reshape(-1)
    _, first = np.unique(flat, return_index=True)
    chosen = flat[np.sort(first)]
    best = np.zeros(counts.n_classes)
    np.maximum.at(best, i, n)
    np.maximum.at(best, j, n)
    if len(chosen) < k:  # fewer confused classes than asked: then those in no such cell, as logged
        extra = np.setdiff1d(np.arange(counts.n_classes), chosen)
        chosen = np.concatenate([chosen, extra])
    desc = f"classes of the largest off-diagonal cells of {series} at step {format_step(step)}"
    return _selection(chosen[:k], best, desc, note)


def _rates(counts: SparseCounts, s: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """``(cell keys true*C+pred, share of the true class)`` of the off-diagonal non-zero cells."""
    i, j, n = counts.entries(s, t)
    off = i != j
    sup = counts.rows[s, t]
    return i[off] * counts.n_classes + j[off], n[off] / sup[i[off]]


def _change_scores(counts: SparseCounts, a: tuple[int, int], b: tuple[int, int]) -> np.ndarray:
    """``(C,)``: per class, the summed absolute change of the off-diagonal cells in its row and
    its column, each cell as a share of its true class (so folds of different sizes compare)."""
    c = counts.n_classes
    ka, va = _rates(counts, *a)
    kb, vb = _rates(counts, *b)
    keys, inverse = np.unique(np.concatenate([ka, kb]), return_inverse=True)
    diff = np.abs(np.bincount(inverse, weights=np.concatenate([-va, vb]), minlength=len(keys)))
    rows, cols = np.divmod(keys, c)
    return np.bincount(rows, weights=diff, minlength=c) + np.bincount(cols, weights=diff, minlength=c)


def most_changed(counts: SparseCounts, k: int, *, series: str, start: float, end: float) -> Selection:
    """The k classes whose confusion changed most in ``series`` from step ``start`` to ``end``.

    Score: the sum over the class's off-diagonal row and column cells of the absolute change of
    the cell's share of its true class (see :func:`_change_scores`).
    """
    s = series_index(counts, series)
    k, note = check_k(k, counts.n_classes, counts.series[s].file)
    need = needs("the selection of the most changed classes", start, end)
    ta, tb = step_index(counts, s, start, need), step_index(counts, s, end, need)
    score = _change_scores(counts, (s, ta), (s, tb))
    desc = f"most changed confusion of {series} from step {format_step(start)} to {format_step(end)}"
    return _selection(_rank(score, k, descending=True), score, desc, note)


def most_different(counts: SparseCounts, k: int, *, series_a: str, series_b: str, step: float) -> Selection:
    """The k classes on which two series' confusion differs most at ``step`` (same score as
    :func:`most_changed`, between the two series instead of two steps)."""
    sa, sb = series_index(counts, series_a), series_index(counts, series_b)
    if sa == sb:
        raise StrategyError(f"choose two different series to compare (both are {counts.series[sa].file})")
    k, note = check_k(k, counts.n_classes, counts.series[sa].file)
    need = needs(f"comparing {counts.series[sa].file} with {counts.series[sb].file}", step)
    score = _change_scores(
        counts, (sa, step_index(counts, sa, step, need)), (sb, step_index(counts, sb, step, need))
    )
    desc = f"largest difference between {series_a} and {series_b} at step {format_step(step)}"
    return _selection(_rank(score, k, descending=True), score, desc, note)


def _file(counts: SparseCounts, series: str) -> str:
    return counts.series[series_index(counts, series)].file


def apply_strategy(
    counts: SparseCounts,
    name: StrategyName,
    k: int,
    *,
    series: str,
    step: float,
    start: float | None = None,
    other_series: str | None = None,
) -> Selection:
    """One entry point for the app: the strategy ``name`` (a key of :data:`STRATEGIES`).

    ``step`` is the chosen epoch (the range's end); ``start`` the range's start (``most-changed``);
    ``other_series`` the second series (``most-different``). Unknown names and missing arguments
    are StrategyErrors, so a callback can show the message as it is.
    """
    if name not in STRATEGIES:
        raise StrategyError(f"unknown strategy {name!r}; expected one of {sorted(STRATEGIES)}")
    if name.startswith("lowest-"):
        metric = name.removeprefix("lowest-")
        return lowest_metric(counts, metric, k, series=series, step=step)  # type: ignore[arg-type]
    if name == "largest-cells":
        return largest_cells(counts, k, series=series, step=step)
    if name == "most-changed":
        if start is None:
            raise StrategyError(
                f"choose a range: the most changed classes compare its first and last step of {_file(counts, series)}"
            )
        return most_changed(counts, k, series=series, start=start, end=step)
    if other_series is None:
        raise StrategyError(f"choose a second series to compare {_file(counts, series)} with")
    return most_different(counts, k, series_a=series, series_b=other_series, step=step)
