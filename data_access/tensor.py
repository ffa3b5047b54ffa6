"""The confusion tensor: the one value object every view is computed from.

Conventions (scikit-learn's): rows are ground truth, columns are predictions, class order is the
order of ``classes``. Shapes are written ``(series, steps, C, C)``.

Steps are the real numbers the user logged (epochs may start at 0 or 1, have gaps and differ
between series). A tensor holding several series lives on the sorted *union* of their steps; a
series that has no record at a step is *masked* there (``mask[s, t] is False``) and its counts are
zero. Nothing is interpolated or invented: metrics computed at masked positions are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from confusionflow.data_access.class_groups import (  # noqa: F401 - OTHER_CLASS re-exported
    OTHER_CLASS,
    ClassGrouping,
    aggregate_grouping,
    class_indices,
    display_grouping,
    regroup_counts,
    select_grouping,
    superclass_mapping,
)
from confusionflow.data_access.class_totals import ClassTotals, regroup_totals, totals_of_counts
from confusionflow.data_access.logformat import fold_file_name
from confusionflow.data_access.step_windows import step_index, window_mask


@dataclass(frozen=True)
class SeriesInfo:
    """One classifier configuration (run) evaluated on one data fold over time."""

    run: str
    fold: str
    classes: tuple[str, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    has_instances: bool = False
    step_name: str = "epoch"  # what a step counts (run.json "step_name"): "epoch", "labels", ...

    @property
    def key(self) -> str:
        """Stable identifier, used in URLs and caches: ``run/fold`` (neither part contains '/')."""
        return f"{self.run}/{self.fold}"

    @property
    def label(self) -> str:
        return f"{self.run} / {self.fold}"

    @property
    def file(self) -> str:
        """The series' counts on disk, relative to the log folder, as messages name them
        (:func:`~confusionflow.data_access.logformat.fold_file_name`): ``run/fold.counts.jsonl``,
        or ``run/fold.predictions/`` for a fold of per-instance step files."""
        return fold_file_name(self.run, self.fold, "predictions" if self.has_instances else "counts")


@dataclass(frozen=True)
class SeriesCounts:
    """One series as read from disk: its own steps and a ``(T, C, C)`` count array."""

    info: SeriesInfo
    steps: np.ndarray  # (T,) float64, strictly increasing
    counts: np.ndarray  # (T, C, C) int64

    def __post_init__(self) -> None:
        c = len(self.info.classes)
        if self.counts.ndim != 3 or self.counts.shape[1:] != (c, c):
            raise ValueError(
                f"series {self.info.key}: counts shape {self.counts.shape} does not match "
                f"{c} classes (expected (steps, {c}, {c}))"
            )
        if self.steps.shape != (self.counts.shape[0],):
            raise ValueError(
                f"series {self.info.key}: {len(self.steps)} steps for {self.counts.shape[0]} matrices"
            )


@dataclass(frozen=True)
class ConfusionTensor:
    """Counts of several series on a common step axis.

    counts: ``(S, T, C, C)`` int64, zero where masked.
    mask:   ``(S, T)`` bool, True where series ``s`` logged step ``steps[t]``.
    steps:  ``(T,)`` float64, sorted union of all series' steps.
    totals: whole-class totals ``(S, T, C)`` when the counts are part of a larger matrix (a class
            selection or ``"(other)"``, see :mod:`confusionflow.data_access.class_totals`); None when the counts
            are the whole matrix (the totals are then its row and column sums).
    """

    counts: np.ndarray
    mask: np.ndarray
    steps: np.ndarray
    classes: tuple[str, ...]
    series: tuple[SeriesInfo, ...]
    totals: ClassTotals | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        s, t, c = len(self.series), len(self.steps), len(self.classes)
        if self.counts.shape != (s, t, c, c):
            raise ValueError(f"counts shape {self.counts.shape} != (series, steps, C, C) = {(s, t, c, c)}")
        if self.mask.shape != (s, t):
            raise ValueError(f"mask shape {self.mask.shape} != (series, steps) = {(s, t)}")
        if self.totals is not None and self.totals.support.shape != (s, t, c):
            raise ValueError(f"totals shape {self.totals.support.shape} != (series, steps, C) = {(s, t, c)}")

    @property
    def class_totals(self) -> ClassTotals:
        """Whole-class totals of the shown classes, ``(S, T, C)`` (see ``totals``)."""
        return self.totals if self.totals is not None else totals_of_counts(self.counts)

    @property
    def is_partial(self) -> bool:
        """True when the counts are part of a larger matrix (classes dropped or lumped)."""
        return self.totals is not None

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_series(cls, items: Sequence[SeriesCounts]) -> ConfusionTensor:
        """Align series on the union of their steps. All must share one class list (same order).

        Mixing class lists silently would put counts of different classes in one cell, so it is an
        error; the caller reports it to the user.
        """
        if not items:
            raise ValueError("no series to combine")
        classes = items[0].info.classes
        for it in items[1:]:
            if it.info.classes != classes:
                raise ValueError(
                    f"series {it.info.key} has classes {list(it.info.classes)}, which differ from "
                    f"{items[0].info.key}'s {list(classes)}; they cannot be shown in one matrix"
                )
        steps = np.unique(np.concatenate([np.asarray(it.steps, dtype=np.float64) for it in items]))
        c = len(classes)
        counts = np.zeros((len(items), len(steps), c, c), dtype=np.int64)
        mask = np.zeros((len(items), len(steps)), dtype=bool)
        for i, it in enumerate(items):
            pos = np.searchsorted(steps, np.asarray(it.steps, dtype=np.float64))
            counts[i, pos] = it.counts
            mask[i, pos] = True
        return cls(
            counts=counts,
            mask=mask,
            steps=steps,
            classes=tuple(classes),
            series=tuple(it.info for it in items),
        )

    # ----------------------------------------------------------------- shape
    @property
    def n_series(self) -> int:
        return len(self.series)

    @property
    def n_steps(self) -> int:
        return len(self.steps)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def series_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.series)

    # ----------------------------------------------------------------- slicing
    def class_indices(self, classes: Sequence[int | str]) -> np.ndarray:
        """Indices for class names or indices, in the order given; unknown names raise KeyError."""
        return class_indices(self.classes, classes)

    def select_classes(self, classes: Sequence[int | str], *, other: bool = False) -> ConfusionTensor:
        """The sub-matrix of the chosen classes (at least two).

        Without ``other`` the rows and columns of unchosen classes are not drawn; with it they are
        merged into one trailing ``(other)`` class. Either way the tensor keeps whole-class totals
        (``totals``): a chosen class's instances, predictions and correct predictions, and the
        fold's accuracy, count every instance, drawn or not. See :mod:`confusionflow.data_access.class_totals`.
        """
        return self.regroup(select_grouping(self.classes, self.class_indices(classes).tolist(), other=other))

    def aggregate(self, mapping: Mapping[str, str]) -> ConfusionTensor:
        """Sum classes into groups (e.g. CIFAR-100 superclasses).

        Groups are ordered by the first class (in class order) that maps to them; a class missing
        from ``mapping`` stays a group of its own, so nothing is silently dropped.
        """
        return self.regroup(aggregate_grouping(self.classes, mapping))

    def regroup(self, grouping: ClassGrouping) -> ConfusionTensor:
        """Counts of ``grouping``'s shown classes, ``(S, T, G, G)``."""
        if grouping.classes != self.classes:
            raise ValueError("the grouping was made for other classes")
        if grouping.is_identity:
            return self
        totals = (
            regroup_totals(self.counts, self.totals, grouping)
            if grouping.is_partial or self.totals is not None
            else None
        )
        return ConfusionTensor(
            regroup_counts(self.counts, grouping), self.mask, self.steps, grouping.names, self.series, totals
        )

    def display_grouping(
        self, selected: Sequence[str] = (), *, other: bool = False, superclasses: bool = False
    ) -> ClassGrouping:
        """The grouping the matrix shows: the first series' superclasses when ``superclasses`` (and
        it has any), then the class selection (:func:`confusionflow.data_access.class_groups.display_grouping`)."""
        mapping = superclass_mapping(self.series[0]) if superclasses and self.series else None
        return display_grouping(self.classes, mapping=mapping, selected=selected, other=other)

    def for_display(
        self,
        selected: Sequence[str] = (),
        *,
        other: bool = False,
        superclasses: bool = False,
        mapping: Mapping[str, str] | None = None,
    ) -> ConfusionTensor:
        """This tensor as the matrix shows it for a class selection (never raises for user input:
        unknown or repeated names are ignored).

        Groups (``mapping``, class -> group, e.g. a hierarchy level; without it the first series'
        superclasses when ``superclasses``) are summed first and are classes from then on (a
        confusion inside one is a correct prediction at that level); the selection is applied to
        them, keeping whole-class totals.
        """
        if mapping is None:
            mapping = superclass_mapping(self.series[0]) if superclasses and self.series else None
        shown = self.regroup(aggregate_grouping(self.classes, mapping)) if mapping else self
        return shown.regroup(display_grouping(shown.classes, selected=selected, other=other))

    def select_series(self, keys: Sequence[str]) -> ConfusionTensor:
        """Keep the named series, in the order given, on the union of *their* steps."""
        pos = {k: i for i, k in enumerate(self.series_keys)}
        idx = np.asarray([pos[k] for k in keys], dtype=np.intp)
        mask = self.mask[idx]
        keep = mask.any(axis=0)
        totals = self.totals.take((idx,)).take((slice(None), keep)) if self.totals is not None else None
        return ConfusionTensor(
            self.counts[idx][:, keep],
            mask[:, keep],
            self.steps[keep],
            self.classes,
            tuple(self.series[i] for i in idx),
            totals,
        )

    def step_window(self, lo: float | None = None, hi: float | None = None) -> ConfusionTensor:
        """Keep steps with ``lo <= step <= hi`` (either bound may be None); see ``confusionflow.data_access.step_windows``."""
        keep = window_mask(self.steps, lo, hi)
        totals = self.totals.take((slice(None), keep)) if self.totals is not None else None
        return ConfusionTensor(
            self.counts[:, keep], self.mask[:, keep], self.steps[keep], self.classes, self.series, totals
        )

    def step_index(self, step: float) -> int | None:
        """Position of an exact logged step, or None if no series logged it."""
        return step_index(self.steps, step)
