"""The totals behind a shown matrix: whole classes, even where the matrix shows only part of them.

A class selection drops rows and columns, and ``"(other)"`` merges several classes into one row and
column. The drawn counts then no longer hold what the numbers around them need:

* a shown class's instances (its **support**) include those predicted as a class that is not
  shown, and its **predictions** include instances of classes that are not shown;
* the ``"(other)"`` diagonal cell mixes correct predictions of the merged classes with confusions
  *between* them, so its count is not a number of correct predictions;
* overall accuracy is about every instance of the fold, drawn or not.

:class:`ClassTotals` keeps those numbers per shown class, so relative cells, FN, FP, precision,
recall and accuracy describe whole classes and the whole fold (the rule the screen states).

What counts as *correct* is decided at the level of the classes a grouping makes: a superclass is a
class (a confusion between two of its members is a correct superclass prediction), ``"(other)"`` is
not (a confusion between two of its members stays an error), and a dropped class keeps its correct
predictions in the fold's accuracy.

>>> import numpy as np
>>> from confusionflow.data_access.class_groups import select_grouping
>>> counts = np.array([[5, 1, 0], [2, 6, 3], [0, 4, 7]])
>>> t = regroup_totals(counts, None, select_grouping(["a", "b", "c"], [0, 1]))
>>> t.support.tolist(), t.predicted.tolist(), t.correct.tolist(), int(t.correct_total), int(t.instances)
([6, 11], [7, 11], [5, 6], 18, 28)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from confusionflow.data_access.class_groups import ClassGrouping


@dataclass(frozen=True)
class ClassTotals:
    """Whole-class totals of ``G`` shown classes over any leading axes (``(S, T)`` in a tensor).

    support:       ``(..., G)`` int64, instances whose true class is the shown class (drawn or not).
    predicted:     ``(..., G)`` int64, instances predicted as the shown class.
    correct:       ``(..., G)`` int64, instances of the shown class predicted as their own class.
    instances:     ``(...)`` int64, every instance of the fold.
    correct_total: ``(...)`` int64, every correct prediction of the fold.
    """

    support: np.ndarray
    predicted: np.ndarray
    correct: np.ndarray
    instances: np.ndarray
    correct_total: np.ndarray

    def take(self, index: tuple) -> ClassTotals:
        """The same totals with the leading axes indexed by ``index`` (series, steps)."""
        return ClassTotals(
            self.support[index],
            self.predicted[index],
            self.correct[index],
            self.instances[index],
            self.correct_total[index],
        )


def totals_of_counts(counts: np.ndarray) -> ClassTotals:
    """The totals of a full matrix ``(..., C, C)``: row and column sums, the diagonal, the trace."""
    counts = np.asarray(counts)
    diagonal = np.diagonal(counts, axis1=-2, axis2=-1).astype(np.int64)
    return ClassTotals(
        support=counts.sum(axis=-1).astype(np.int64),
        predicted=counts.sum(axis=-2).astype(np.int64),
        correct=diagonal,
        instances=counts.sum(axis=(-2, -1)).astype(np.int64),
        correct_total=diagonal.sum(axis=-1),
    )


def regroup_totals(counts: np.ndarray, totals: ClassTotals | None, grouping: ClassGrouping) -> ClassTotals:
    """The totals of ``grouping``'s shown classes, from counts ``(..., C, C)`` and their totals
    (``None``: ``counts`` is a full matrix).

    Support, predictions and correct predictions are summed over each group's members; a group that
    is a class (not a lump such as ``"(other)"``) also counts the confusions between its members as
    correct, in its own ``correct`` and in ``correct_total``.
    """
    counts = np.asarray(counts)
    base = totals if totals is not None else totals_of_counts(counts)
    onehot = grouping.onehot()  # (C, G)
    member_diagonal = np.diagonal(counts, axis1=-2, axis2=-1).astype(np.int64) @ onehot
    group_diagonal = np.einsum("...ij,ig,jg->...g", counts, onehot, onehot, optimize=True).astype(np.int64)
    is_class = ~np.asarray(grouping.lump_mask(), dtype=bool)
    within = np.where(is_class, group_diagonal - member_diagonal, 0)  # (..., G)
    return ClassTotals(
        support=base.support @ onehot,
        predicted=base.predicted @ onehot,
        correct=base.correct @ onehot + within,
        instances=base.instances,
        correct_total=base.correct_total + within.sum(axis=-1),
    )
