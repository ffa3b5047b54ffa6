"""Confusion counts from per-instance predictions, vectorised.

Every (step, true, predicted) triple is folded into one flat index ``(step * C + true) * C + pred``
and counted by a single ``np.bincount``: no Python loop over instances, ~0.1 s for 10 M rows.
"""

from __future__ import annotations

import numpy as np

from confusionflow.data_access.logformat import MAX_SERIES_CELLS

_CHUNK = 1 << 19  # rows per bincount pass


def _as_index_array(name: str, values: object, upper: int, n: int | None) -> np.ndarray:
    """1-D integer array with every value in ``[0, upper)``; ValueError naming ``name`` otherwise."""
    arr = np.asarray(values)
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "b" or arr.size:
            raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)  # an empty list comes in as float64
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= upper:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name} contains {bad}, outside the valid range 0..{upper - 1}")
    return arr


def counts_from_predictions(
    step_index: np.ndarray | int,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_steps: int,
    n_classes: int,
) -> np.ndarray:
    """Count predictions into a ``(n_steps, C, C)`` int64 array (rows = true, columns = predicted).

    ``step_index`` is the position of each row's step (``0..n_steps-1``, not the step value), or one
    int for all rows; ``y_true`` and ``y_pred`` are class indices ``0..C-1``. All 1-D, same length.
    Raises ValueError with the offending value when an index is out of range.
    """
    if int(n_classes) < 1 or int(n_steps) < 0:
        raise ValueError(f"need n_classes >= 1 and n_steps >= 0, got {n_classes} and {n_steps}")
    c, t = int(n_classes), int(n_steps)
    if t * c * c > MAX_SERIES_CELLS:
        raise ValueError(
            f"{t} steps x {c} x {c} classes = {t * c * c:,} cells is more than the limit of "
            f"{MAX_SERIES_CELLS:,}"
        )
    yt = _as_index_array("y_true", y_true, c, None)
    yp = _as_index_array("y_pred", y_pred, c, None)
    if yt.shape != yp.shape:
        raise ValueError(f"y_true has {yt.size} values but y_pred has {yp.size}")
    si = _as_index_array("step_index", step_index, max(t, 1), yt.size)
    if si.shape != yt.shape:
        raise ValueError(f"step_index has {si.size} values but y_true has {yt.size}")
    if t == 0:
        if yt.size:
            raise ValueError("n_steps is 0 but there are predictions")
        return np.zeros((0, c, c), dtype=np.int64)
    cc = c * c
    out = np.zeros(t * cc, dtype=np.int64)
    # Chunks keep the int64 flat index in the CPU cache, and each chunk only counts into the range
    # of steps it spans: rows grouped by step (as logs are) make every bincount C*C-sized, which is
    # 2-4x faster than one pass over 10 M rows with a (T*C*C)-long histogram.
    for lo in range(0, yt.size, _CHUNK):
        hi = lo + _CHUNK
        s_chunk = si[lo:hi]
        first, last = int(s_chunk.min()), int(s_chunk.max())
        flat = s_chunk.astype(np.int64)
        flat -= first
        flat *= c
        flat += yt[lo:hi]
        flat *= c
        flat += yp[lo:hi]
        out[first * cc : (last + 1) * cc] += np.bincount(flat, minlength=(last - first + 1) * cc)
    return out.reshape(t, c, c)
