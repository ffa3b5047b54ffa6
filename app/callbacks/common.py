"""What several views share: the effective selection and the tensor it describes.

The selection travels through the page as a ``dcc.Store`` (JSON); every data view turns it back into
a :class:`Selection` and asks :func:`view_tensor` for its numbers. The tensor comes from the
``LogStore`` (whose cache is shared by every worker); the small memo here only saves re-slicing the
same tensor for the five views that update together after one click. It is keyed by the logs'
fingerprint, so it never serves numbers older than the files, and holds nothing user-specific.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from confusionflow.components.colors import slot_color
from confusionflow.data_access.class_groups import superclass_mapping  # noqa: F401 - re-exported for the views
from confusionflow.data_access.class_totals import ClassTotals
from confusionflow.data_access.errors import LoadProblem
from confusionflow.data_access.hierarchy_view import HierarchyView, hierarchy_view
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.tensor import OTHER_CLASS, ConfusionTensor

# Above this many classes the series are held sparsely and the matrix panel shows the overview:
# the ConfusionFlow heatmap of C classes draws (C+1)(R+1) x (C+1)(T+1) cells, which passes
# ~0.7 M cells (where dcc.Graph's first draw passed a second, docs/PERFORMANCE.md) near 40
# classes at 3 series x 5 steps; a dense (S, T, C, C) int64 tensor of 1000 classes x 3 series x
# 50 steps would be 1.2 GB.
OVERVIEW_MIN_CLASSES = 40
# Classes one selection may draw as ConfusionFlow small multiples when above that threshold.
MAX_DETAIL_CLASSES = OVERVIEW_MIN_CLASSES
# Classes the views show of a many-class matrix before any are selected (the lowest F1).
DEFAULT_WORST = 10


@dataclass(frozen=True)
class Selection:
    """The series, classes and options every view shows.

    series:  accepted series keys, in the order chosen (all share one class list).
    classes: chosen class names after aggregation to ``level``; empty means all classes.
    level:   0 (classes) or the hierarchy level the classes are aggregated to (1 = top groups);
             checked against the series' hierarchy when drawn (:func:`view_hierarchy`).
    steps:   sorted union of the series' logged steps (before any range is applied).
    group:   the group at ``level`` drilled into (its members shown as classes), or None.
    """

    series: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    other: bool = False
    level: int = 0
    steps: tuple[float, ...] = ()
    group: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", int(self.level))  # True (the old superclass flag) -> 1

    @property
    def superclasses(self) -> bool:
        """Whether classes are aggregated to a hierarchy level."""
        return self.level > 0

    def to_store(self) -> dict[str, Any]:
        return {
            "series": list(self.series),
            "classes": list(self.classes),
            "other": self.other,
            "level": self.level,
            "group": self.group,
            "steps": list(self.steps),
        }

    @classmethod
    def from_store(cls, data: object) -> Selection:
        """From the store's JSON, bounded; anything malformed reads as an empty selection (the one
        parser is :func:`confusionflow.app.callbacks.inputs.selection_of`)."""
        from confusionflow.app.callbacks.inputs import (  # late: inputs imports this module
            DEFAULT_BOUNDS,
            selection_of,
        )

        return selection_of(data, DEFAULT_BOUNDS)


def view_hierarchy(
    store: LogStore, tensor: ConfusionTensor | SparseCounts | None, selection: Selection
) -> HierarchyView:
    """The selection's level and drill-down, checked against the hierarchy of the tensor's first
    series (:meth:`LogStore.hierarchy`); unknown ones read as classes / no drill-down, and for
    sparse counts one of more than :data:`MAX_DETAIL_CLASSES` shown classes as well (such a
    matrix is drawn only as the overview)."""
    if tensor is None or not tensor.series:
        return HierarchyView()
    limit = MAX_DETAIL_CLASSES if isinstance(tensor, SparseCounts) else None
    return hierarchy_view(store.hierarchy(tensor.series[0]), selection.level, selection.group, limit)


def shown_hierarchy(store: LogStore, selection: Selection) -> HierarchyView:
    """The level and drill-down :func:`view_tensor` draws for ``selection`` (from the series as
    loaded, so a many-class run's limit applies): what captions and titles must name."""
    tensor, _ = load_series(store, selection.series)
    return view_hierarchy(store, tensor, selection)


def shape_tensor(
    tensor: ConfusionTensor, selection: Selection, mapping: Mapping[str, str] | None = None
) -> ConfusionTensor:
    """Apply the aggregation ``mapping`` (class -> group, from :func:`view_hierarchy`; without one
    the series' superclasses when the selection asks for a level) and the class selection
    (ignoring names no longer present); the grouping rules are
    :func:`confusionflow.data_access.class_groups.display_grouping`'s."""
    if mapping is not None:
        return tensor.for_display(selection.classes, other=selection.other, mapping=mapping)
    return tensor.for_display(selection.classes, other=selection.other, superclasses=selection.superclasses)


class _Memo:
    """A tiny thread-safe LRU: (fingerprint, keys) -> (tensor, problems), bounded by entries and by
    the bytes of the tensors it holds (a 100-class tensor of 3 series x 100 steps is 24 MB)."""

    def __init__(self, size: int = 8, max_bytes: int = 200 * 1024 * 1024) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[ConfusionTensor | None, list[LoadProblem]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[ConfusionTensor | None, list[LoadProblem]] | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple, value: tuple[ConfusionTensor | None, list[LoadProblem]]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > 1 and (len(self._items) > self.size or self._bytes() > self.max_bytes):
                self._items.popitem(last=False)

    def _bytes(self) -> int:
        return sum(_nbytes(t) for t, _ in self._items.values() if t is not None)


def _nbytes(t: object) -> int:
    if isinstance(t, ConfusionTensor):
        return t.counts.nbytes + t.mask.nbytes
    return int(getattr(t, "nbytes", 0))


_MEMO = _Memo()


def many_classes(store: LogStore, keys: Sequence[str]) -> bool:
    """Whether the first of ``keys`` has more than :data:`OVERVIEW_MIN_CLASSES` classes (from the
    store's listing, no counts read)."""
    infos = {i.key: i for i in store.list_series()}
    first = next((infos[k] for k in keys if k in infos), None)
    return first is not None and len(first.classes) > OVERVIEW_MIN_CLASSES


_SPARSE = _Memo(size=4)


def load_counts(store: LogStore, keys: Sequence[str]) -> tuple[SparseCounts | None, list[LoadProblem]]:
    """The series ``keys`` as :class:`SparseCounts` (all classes, all steps; never densified),
    through the store's shared cache; series that cannot be read are problems and left out."""
    if not keys:
        return None, []
    memo_key = ("sparse", id(store), store.fingerprint(), tuple(keys))
    hit = _SPARSE.get(memo_key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    good: list[str] = []
    problems: list[LoadProblem] = []
    classes: tuple[str, ...] | None = None
    infos = {i.key: i for i in store.list_series()}
    for key in dict.fromkeys(keys):
        info = infos.get(key)
        if info is None:
            problems.append(LoadProblem(str(key), f"unknown series {key!r}"))
        elif classes is not None and tuple(info.classes) != classes:
            problems.append(LoadProblem(key, f"{key}: its classes differ from the first series' classes"))
        else:
            classes = tuple(info.classes)
            good.append(key)
    counts = None
    if good:
        try:
            counts = store.load_sparse(good)  # a local folder or object storage
        except (OSError, ValueError, LookupError) as e:  # LookupError: a series gone since the listing
            problems.append(LoadProblem(",".join(good), str(e)))
    value = (counts, problems)
    _SPARSE.put(memo_key, value)  # type: ignore[arg-type]
    return value


def load_series(
    store: LogStore, keys: Sequence[str]
) -> tuple[ConfusionTensor | SparseCounts | None, list[LoadProblem]]:
    """The raw tensor of ``keys`` (all classes, all steps) and any problems loading them; above
    :data:`OVERVIEW_MIN_CLASSES` classes the sparse counts (same ``classes``, ``steps``,
    ``series`` and ``series_keys``), so no dense tensor of every class is built."""
    if not keys:
        return None, []
    if many_classes(store, keys):
        return load_counts(store, keys)
    memo_key = (id(store), store.fingerprint(), tuple(keys))
    hit = _MEMO.get(memo_key)
    if hit is not None:
        return hit
    result = store.load(list(keys))
    value = (result.tensor, list(result.problems))
    _MEMO.put(memo_key, value)
    return value


def view_tensor(store: LogStore, selection: Selection) -> ConfusionTensor | None:
    """The tensor every view of ``selection`` is drawn from, or None if nothing loaded."""
    tensor, _ = load_series(store, selection.series)
    if tensor is None:
        return None
    view = view_hierarchy(store, tensor, selection)
    if isinstance(tensor, SparseCounts):
        return sparse_view(tensor, selection, view.mapping() or {})
    return shape_tensor(tensor, selection, view.mapping() or {})


def sparse_view(
    counts: SparseCounts, selection: Selection, mapping: Mapping[str, str] | None = None
) -> ConfusionTensor | None:
    """The sub-matrix of the selected classes (at most :data:`MAX_DETAIL_CLASSES`), built from the
    sparse counts; aggregated with ``mapping`` (class -> group, :func:`view_hierarchy`) when given
    and few enough groups result; without a selection of two or more known classes, the
    :func:`worst_classes` (the overview shows every class)."""
    if mapping is None and selection.superclasses and counts.series:  # no store: the metadata's
        mapping = superclass_mapping(counts.series[0])
    if mapping:
        shown = counts.aggregate(mapping)
        if shown.n_classes <= MAX_DETAIL_CLASSES:
            return shape_tensor(shown, Selection(classes=selection.classes, other=selection.other))
    known = set(counts.classes)
    chosen = [c for c in selection.classes if c in known][:MAX_DETAIL_CLASSES]
    if len(chosen) < 2:
        chosen = worst_classes(counts)
    return with_totals(counts.select_classes(chosen, other=selection.other), counts, chosen)


def worst_classes(counts: SparseCounts, k: int = DEFAULT_WORST) -> list[str]:
    """The ``k`` classes of lowest F1 of the first series at its last logged step, in logged order:
    what the views show of a many-class matrix until classes are selected (the overview shows all)."""
    from confusionflow.data_access.strategies import lowest_metric  # late: only many-class pages need it

    s = 0
    step = float(counts.steps[counts.mask[s]][-1])
    picked = lowest_metric(counts, "f1", min(k, counts.n_classes), series=counts.series_keys[s], step=step)
    return [counts.classes[i] for i in sorted(picked.indices)]


def with_totals(tensor: ConfusionTensor, counts: SparseCounts, chosen: Sequence[str]) -> ConfusionTensor:
    """``tensor`` (a class selection of ``counts``) with whole-class totals ``(S, T, G)`` from the
    sparse row, column and diagonal sums, so FN, FP, precision, recall and accuracy count every
    instance of the fold (:mod:`confusionflow.data_access.class_totals`); "(other)" is no class: a confusion
    between two of its members stays an error."""
    idx = counts.class_indices(chosen)
    support, predicted, correct = counts.rows[:, :, idx], counts.cols[:, :, idx], counts.diag[:, :, idx]
    instances = counts.rows.sum(axis=2)
    correct_total = counts.diag.sum(axis=2)
    if OTHER_CLASS in tensor.classes:
        support = np.concatenate([support, (instances - support.sum(axis=2))[..., None]], axis=2)
        predicted = np.concatenate([predicted, (instances - predicted.sum(axis=2))[..., None]], axis=2)
        correct = np.concatenate([correct, (correct_total - correct.sum(axis=2))[..., None]], axis=2)
    totals = ClassTotals(support, predicted, correct, instances, correct_total)
    return replace(tensor, totals=totals)


def server_steps(store: LogStore, selection: Selection) -> np.ndarray:
    """``(T,)`` the logged steps of the selection's series, from the server's own data (never the
    step list a browser sent back)."""
    tensor, _ = load_series(store, selection.series)
    return np.asarray(tensor.steps if tensor is not None else (), dtype=np.float64)


def series_colors(keys: Sequence[str], slots: Mapping[str, int] | None) -> list[str]:
    """The palette colour of each series, from its stable slot (position as a fallback)."""
    slots = slots or {}
    return [slot_color(int(slots.get(k, i))) for i, k in enumerate(keys)]


def x_range_of(step_range: object) -> tuple[float, float] | None:
    """A ``[lo, hi]`` store value as a tuple, or None."""
    if isinstance(step_range, (list, tuple)) and len(step_range) == 2:
        try:
            lo, hi = float(step_range[0]), float(step_range[1])
        except (TypeError, ValueError):
            return None
        return (min(lo, hi), max(lo, hi))
    return None


def epoch_of(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def view_cells(tensor: ConfusionTensor) -> int:
    """Values one matrix view of ``tensor`` draws: ``(C + 1)^2`` tiles (with the FN column, FP row
    and corner) x ``T`` steps x ``S`` series."""
    return (tensor.n_classes + 1) ** 2 * tensor.n_steps * tensor.n_series


def over_budget(tensor: ConfusionTensor, max_cells: int) -> str | None:
    """Why ``tensor`` is too large to draw or export here (a sentence for the page), or None."""
    cells = view_cells(tensor)
    if cells <= max_cells:
        return None
    return (
        f"This view would hold {cells:,} values ({tensor.n_classes} classes squared x "
        f"{tensor.n_steps} steps x {tensor.n_series} series), more than this server's limit of "
        f"{max_cells:,}. Select fewer classes or series, or a shorter step range."
    )
