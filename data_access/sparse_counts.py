"""Confusion counts for many classes, held sparsely: COO entries plus row, column and diagonal sums.

At 1000 classes a dense ``(S, T, C, C)`` int64 tensor of 3 series x 50 steps is 1.2 GB, while a
real confusion matrix has a few dozen non-zero cells per row. :class:`SparseCounts` keeps only the
non-zero cells, as parallel COO arrays sorted by *slot* (``slot = s * T + t``), then true class,
then predicted class:

- ``slot``  ``(N,)`` int32, ``true`` / ``pred`` ``(N,)`` uint16, ``count`` ``(N,)`` unsigned;
- ``row_offsets`` ``(S*T*C + 1,)`` int64: the entries of true class ``i`` in slot ``q`` are
  ``row_offsets[q*C + i] : row_offsets[q*C + i + 1]`` (CSR over (slot, true class));
- ``rows`` / ``cols`` / ``diag`` ``(S, T, C)`` int64: support, predicted totals and true positives.

Every per-class metric (TP/FN/FP, support, precision, recall, F1, accuracy) comes from the three
sums; sub-matrices of chosen classes, "(other)" and group aggregation come from one ``bincount``
over the entries into a small ``(S, T, G, G)`` result. Nothing here builds the full dense tensor.
Conventions (rows = true class, masked steps, zero division) are those of
:mod:`confusionflow.data_access.tensor` and :mod:`confusionflow.data_access.metrics`, and the results are identical.

:meth:`SparseCounts.to_arrays` / :meth:`SparseCounts.from_arrays` are the cache encoding: plain
numeric arrays that :mod:`confusionflow.data_access.cache` stores as raw bytes and decodes without copying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from confusionflow.data_access.class_groups import aggregate_grouping, class_indices
from confusionflow.data_access.metrics import TensorMetrics, _safe_div
from confusionflow.data_access.tensor import OTHER_CLASS, ConfusionTensor, SeriesInfo


@dataclass(frozen=True)
class SparseSeries:
    """One series' non-zero cells: entry ``n`` is ``count[n]`` instances of ``true[n]`` predicted
    as ``pred[n]`` at ``steps[step[n]]``. ``steps`` ``(T,)`` float64 strictly increasing."""

    info: SeriesInfo
    steps: np.ndarray
    step: np.ndarray
    true: np.ndarray
    pred: np.ndarray
    count: np.ndarray

    @classmethod
    def from_dense(cls, info: SeriesInfo, steps: np.ndarray, counts: np.ndarray) -> SparseSeries:
        """From ``(T, C, C)`` counts (one series at a time: the caller never holds all series dense)."""
        t, i, j = np.nonzero(counts)
        return cls(info, np.asarray(steps, dtype=np.float64), t, i, j, counts[t, i, j])


def _smallest_uint(values: np.ndarray) -> np.ndarray:
    top = int(values.max()) if values.size else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return values.astype(dtype, copy=False)
    return values.astype(np.uint64, copy=False)


@dataclass(frozen=True, eq=False)
class SparseCounts:
    """Counts of several series on a common step axis, sparse; see the module docstring.

    mask: ``(S, T)`` bool, True where series ``s`` logged ``steps[t]`` (entries exist only there).
    """

    slot: np.ndarray
    true: np.ndarray
    pred: np.ndarray
    count: np.ndarray
    row_offsets: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    diag: np.ndarray
    mask: np.ndarray
    steps: np.ndarray
    classes: tuple[str, ...]
    series: tuple[SeriesInfo, ...]

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_entries(
        cls,
        slot: np.ndarray,
        true: np.ndarray,
        pred: np.ndarray,
        count: np.ndarray,
        *,
        mask: np.ndarray,
        steps: np.ndarray,
        classes: Sequence[str],
        series: Sequence[SeriesInfo],
    ) -> SparseCounts:
        """Sort and merge COO entries (duplicates summed, zeros dropped) and compute the sums."""
        s_n, t_n, c = mask.shape[0], mask.shape[1], len(classes)
        if mask.shape != (len(series), len(steps)):
            raise ValueError(f"mask shape {mask.shape} != (series, steps) = {(len(series), len(steps))}")
        slot = np.asarray(slot, dtype=np.int64)
        true = np.asarray(true, dtype=np.int64)
        pred = np.asarray(pred, dtype=np.int64)
        count = np.asarray(count, dtype=np.int64)
        if slot.size and (slot.min() < 0 or slot.max() >= s_n * t_n):
            raise ValueError("an entry's slot is outside series x steps")
        if true.size and (min(true.min(), pred.min()) < 0 or max(true.max(), pred.max()) >= c):
            raise ValueError(f"an entry's class is outside 0..{c - 1}")
        if count.size and count.min() < 0:
            raise ValueError("counts must be non-negative")
        if slot.size and count[~np.asarray(mask, dtype=bool).reshape(-1)[slot]].any():
            raise ValueError("counts at a step the series did not log (masked)")
        key = (slot * c + true) * c + pred
        uniq, inverse = np.unique(key, return_inverse=True)
        summed = np.bincount(inverse, weights=count, minlength=len(uniq)).astype(np.int64)
        keep = summed > 0
        uniq, summed = uniq[keep], summed[keep]
        q, rest = np.divmod(uniq, c * c)
        ti, pj = np.divmod(rest, c)
        n_slots = s_n * t_n
        rows = np.bincount(q * c + ti, weights=summed, minlength=n_slots * c)
        cols = np.bincount(q * c + pj, weights=summed, minlength=n_slots * c)
        on = ti == pj
        diag = np.bincount((q * c + ti)[on], weights=summed[on], minlength=n_slots * c)
        shape = (s_n, t_n, c)
        return cls(
            slot=q.astype(np.int32),
            true=ti.astype(np.uint16),
            pred=pj.astype(np.uint16),
            count=_smallest_uint(summed),
            row_offsets=np.searchsorted(q * c + ti, np.arange(n_slots * c + 1)).astype(np.int64),
            rows=rows.astype(np.int64).reshape(shape),
            cols=cols.astype(np.int64).reshape(shape),
            diag=diag.astype(np.int64).reshape(shape),
            mask=np.asarray(mask, dtype=bool),
            steps=np.asarray(steps, dtype=np.float64),
            classes=tuple(classes),
            series=tuple(series),
        )

    @classmethod
    def from_series(cls, items: Sequence[SparseSeries]) -> SparseCounts:
        """Align series on the union of their steps (as :meth:`ConfusionTensor.from_series`)."""
        if not items:
            raise ValueError("no series to combine")
        classes = items[0].info.classes
        for it in items[1:]:
            if it.info.classes != classes:
                raise ValueError(
                    f"series {it.info.key} has classes that differ from {items[0].info.key}'s; "
                    "they cannot be shown in one matrix"
                )
        steps = np.unique(np.concatenate([np.asarray(it.steps, dtype=np.float64) for it in items]))
        t_n = len(steps)
        mask = np.zeros((len(items), t_n), dtype=bool)
        slots = []
        for s, it in enumerate(items):
            pos = np.searchsorted(steps, it.steps)
            mask[s, pos] = True
            slots.append(s * t_n + pos[np.asarray(it.step, dtype=np.intp)])
        return cls.from_entries(
            np.concatenate(slots),
            np.concatenate([it.true for it in items]),
            np.concatenate([it.pred for it in items]),
            np.concatenate([it.count for it in items]),
            mask=mask,
            steps=steps,
            classes=classes,
            series=[it.info for it in items],
        )

    @classmethod
    def from_tensor(cls, tensor: ConfusionTensor) -> SparseCounts:
        """From a dense tensor (small cases and tests)."""
        s, t, i, j = np.nonzero(tensor.counts)
        return cls.from_entries(
            s * tensor.n_steps + t,
            i,
            j,
            tensor.counts[s, t, i, j],
            mask=tensor.mask,
            steps=tensor.steps,
            classes=tensor.classes,
            series=tensor.series,
        )

    # ----------------------------------------------------------------- cache encoding
    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain numeric arrays for :func:`confusionflow.data_access.cache.encode_arrays` (classes and series
        are not included: the caller keys the cache by the files they come from)."""
        return {
            "slot": self.slot,
            "true": self.true,
            "pred": self.pred,
            "count": self.count,
            "row_offsets": self.row_offsets,
            "rows": self.rows,
            "cols": self.cols,
            "diag": self.diag,
            "mask": self.mask,
            "steps": self.steps,
        }

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], classes: Sequence[str], series: Sequence[SeriesInfo]
    ) -> SparseCounts:
        """Inverse of :meth:`to_arrays`: no copy, no recomputation (shapes are checked)."""
        a = dict(arrays)
        s_n, t_n, c = len(series), len(a["steps"]), len(classes)
        n = a["slot"].shape
        if (
            a["mask"].shape != (s_n, t_n)
            or any(a[k].shape != (s_n, t_n, c) for k in ("rows", "cols", "diag"))
            or any(a[k].shape != n for k in ("true", "pred", "count"))
            or a["row_offsets"].shape != (s_n * t_n * c + 1,)
        ):
            raise ValueError("cached sparse counts do not match the series and classes")
        return cls(classes=tuple(classes), series=tuple(series), **a)

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
    def nnz(self) -> int:
        return int(self.slot.shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(int(v.nbytes) for v in self.to_arrays().values())

    @property
    def offsets(self) -> np.ndarray:
        """``(S*T + 1,)``: the entries of slot ``q`` are ``offsets[q]:offsets[q + 1]``."""
        return self.row_offsets[:: self.n_classes]

    @property
    def series_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.series)

    # ----------------------------------------------------------------- access
    def entries(self, s: int, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(true, pred, count)`` int64 arrays of the non-zero cells of series ``s`` at step index ``t``."""
        q = s * self.n_steps + t
        lo, hi = int(self.offsets[q]), int(self.offsets[q + 1])
        return (
            self.true[lo:hi].astype(np.int64),
            self.pred[lo:hi].astype(np.int64),
            self.count[lo:hi].astype(np.int64),
        )

    def matrix(self, s: int, t: int) -> np.ndarray:
        """The ``(C, C)`` int64 matrix of one series at one step index (one matrix, never all)."""
        c = self.n_classes
        i, j, n = self.entries(s, t)
        out = np.zeros(c * c, dtype=np.int64)
        out[i * c + j] = n
        return out.reshape(c, c)

    def metrics(self) -> TensorMetrics:
        """Every per-step measure, identical to ``tensor_metrics`` on the dense tensor."""
        m = self.mask[..., None]

        def per_class(v: np.ndarray) -> np.ndarray:
            return np.where(m, v.astype(np.float64), np.nan)

        tp, sup, pred = self.diag, self.rows, self.cols
        fn, fp = sup - tp, pred - tp
        total = sup.sum(axis=-1)
        return TensorMetrics(
            precision=per_class(_safe_div(tp, pred)),
            recall=per_class(_safe_div(tp, sup)),
            f1=per_class(_safe_div(2 * tp, 2 * tp + fp + fn)),
            support=per_class(sup),
            predicted=per_class(pred),
            false_negatives=per_class(fn),
            false_positives=per_class(fp),
            accuracy=np.where(self.mask, _safe_div(tp.sum(axis=-1), total), np.nan),
            total=np.where(self.mask, total.astype(np.float64), np.nan),
        )

    # ----------------------------------------------------------------- sub-matrices
    def regroup(self, group: np.ndarray, names: Sequence[str]) -> ConfusionTensor:
        """Dense ``(S, T, G, G)`` tensor of classes summed into groups.

        ``group`` ``(C,)``: the group index of each class, or -1 to drop the class (its row and
        its column). Cost: one pass over the non-zero entries; the result is G x G, never C x C.
        """
        group = np.asarray(group, dtype=np.int64)
        g = len(names)
        gt = group[self.true]
        gp = group[self.pred]
        keep = (gt >= 0) & (gp >= 0)
        key = (self.slot[keep].astype(np.int64) * g + gt[keep]) * g + gp[keep]
        flat = np.bincount(key, weights=self.count[keep], minlength=self.n_series * self.n_steps * g * g)
        counts = flat.astype(np.int64).reshape(self.n_series, self.n_steps, g, g)
        return ConfusionTensor(counts, self.mask, self.steps, tuple(names), self.series)

    def class_indices(self, classes: Sequence[int | str]) -> np.ndarray:
        """Indices for class names or indices, in the order given; unknown names raise KeyError."""
        return class_indices(self.classes, classes)

    def select_classes(self, classes: Sequence[int | str], *, other: bool = False) -> ConfusionTensor:
        """The sub-matrix of the chosen classes; same semantics as :meth:`ConfusionTensor.select_classes`
        (without ``other`` unchosen rows and columns are dropped; with it they merge into "(other)")."""
        idx = self.class_indices(classes)
        if len(idx) < 2:
            raise ValueError("select at least two classes")
        if len(set(idx.tolist())) != len(idx):
            raise ValueError("a class was selected twice")
        names = [self.classes[i] for i in idx]
        k, c = len(idx), self.n_classes
        # Only the entries of the chosen rows are read (CSR ranges); "(other)" comes from the sums.
        starts = self.row_offsets[:-1].reshape(-1, c)[:, idx].reshape(-1)
        ends = self.row_offsets[1:].reshape(-1, c)[:, idx].reshape(-1)
        lengths = ends - starts
        pos = np.repeat(ends - np.cumsum(lengths), lengths) + np.arange(int(lengths.sum()))
        where = np.full(c, -1, dtype=np.int64)
        where[idx] = np.arange(k)
        gt, gp = where[self.true[pos]], where[self.pred[pos]]
        keep = gp >= 0
        key = (self.slot[pos][keep].astype(np.int64) * k + gt[keep]) * k + gp[keep]
        n_slots = self.n_series * self.n_steps
        flat = np.bincount(key, weights=self.count[pos][keep], minlength=n_slots * k * k)
        sub = flat.astype(np.int64).reshape(self.n_series, self.n_steps, k, k)
        if not (other and k < c):
            return ConfusionTensor(sub, self.mask, self.steps, tuple(names), self.series)
        out = np.zeros((self.n_series, self.n_steps, k + 1, k + 1), dtype=np.int64)
        out[:, :, :k, :k] = sub
        out[:, :, :k, k] = self.rows[:, :, idx] - sub.sum(axis=3)
        out[:, :, k, :k] = self.cols[:, :, idx] - sub.sum(axis=2)
        out[:, :, k, k] = (
            self.rows.sum(axis=2) - out[:, :, :, :k].sum(axis=(2, 3)) - out[:, :, :k, k].sum(axis=2)
        )
        return ConfusionTensor(out, self.mask, self.steps, (*names, OTHER_CLASS), self.series)

    def aggregate(self, mapping: Mapping[str, str]) -> ConfusionTensor:
        """Sum classes into groups; same order and rules as :meth:`ConfusionTensor.aggregate`."""
        grouping = aggregate_grouping(self.classes, mapping)
        return self.regroup(grouping.group, grouping.names)

    def select_series(self, keys: Sequence[str]) -> SparseCounts:
        """Keep the named series, in the order given, on the union of *their* steps."""
        pos = {k: i for i, k in enumerate(self.series_keys)}
        idx = [pos[k] for k in keys]
        mask = self.mask[idx]
        keep_t = np.flatnonzero(mask.any(axis=0))
        new_t = np.full(self.n_steps, -1, dtype=np.int64)
        new_t[keep_t] = np.arange(len(keep_t))
        parts = []
        for new_s, old_s in enumerate(idx):
            lo, hi = self.offsets[old_s * self.n_steps], self.offsets[(old_s + 1) * self.n_steps]
            sl = np.arange(lo, hi)
            t_old = self.slot[sl].astype(np.int64) - old_s * self.n_steps
            parts.append((new_s * len(keep_t) + new_t[t_old], sl))
        sl = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
        return SparseCounts.from_entries(
            np.concatenate([p[0] for p in parts]) if parts else sl,
            self.true[sl],
            self.pred[sl],
            self.count[sl],
            mask=mask[:, keep_t],
            steps=self.steps[keep_t],
            classes=self.classes,
            series=[self.series[i] for i in idx],
        )
