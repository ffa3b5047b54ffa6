"""What a ``LogWriter`` is given, checked and converted: labels, class lists, count matrices, times.

Pure functions on arrays; every refusal is a ValueError saying what is wrong.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from confusionflow.data_access import logformat as lf

ArrayLike = Any  # numpy arrays, lists, anything np.asarray accepts (CPU torch tensors included)


def to_numpy(values: ArrayLike) -> np.ndarray:
    """``np.asarray`` that also takes framework tensors on any device (torch: detached, moved to CPU)."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        values = values.detach().cpu()
    return np.asarray(values)


def class_names(classes: Sequence[Any]) -> list[Any]:
    """Integer class labels (``list(range(10))``) become their text ("0".."9"); others unchanged."""
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        return classes  # type: ignore[return-value]  # check_classes names the problem
    return [
        str(int(c)) if isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) else c
        for c in classes
    ]


def check_step_total(counts: np.ndarray) -> None:
    """Refuse a matrix whose total (hence any row, column or diagonal sum) could overflow int64
    or stop being exact in float64: at most ``logformat.MAX_STEP_TOTAL`` predictions per step."""
    total = float(counts.sum(dtype=np.float64)) if counts.size else 0.0
    if total > lf.MAX_STEP_TOTAL:
        raise ValueError(
            f"counts sum to {total:.4g} predictions in one step; at most 2**53 "
            f"({lf.MAX_STEP_TOTAL:,}) are allowed so that sums and rates stay exact"
        )


def label_dtype(n_classes: int) -> np.dtype:
    return np.dtype(np.uint8) if n_classes <= 256 else np.dtype(np.uint16)


def label_indices(
    name: str, values: ArrayLike, classes: tuple[str, ...], lookup: dict[str, int]
) -> np.ndarray:
    """Class indices as int64 from indices or class names; ValueError naming what is wrong."""
    arr = to_numpy(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    c = len(classes)
    kind = arr.dtype.kind
    if kind == "O" and arr.size:
        if all(isinstance(v, str) for v in arr):
            arr = arr.astype(str)
        elif all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in arr):
            arr = arr.astype(np.int64)
        else:
            raise ValueError(f"{name} mixes class names and other values")
        kind = arr.dtype.kind
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= c:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{name} contains class index {bad}, outside 0..{c - 1} ({c} classes)")
        return arr.astype(np.int64, copy=False)
    if kind == "U":
        names, inverse = np.unique(arr, return_inverse=True)
        unknown = [str(n) for n in names if str(n) not in lookup]
        if unknown:
            raise ValueError(
                f"{name} contains unknown class name(s) {unknown[:5]}"
                f"{' and more' if len(unknown) > 5 else ''}; classes are {list(classes)[:10]}"
            )
        index = np.asarray([lookup[str(n)] for n in names], dtype=np.int64)
        return index[inverse.reshape(-1)]
    if kind == "f":
        raise ValueError(
            f"{name} holds floats ({arr.dtype}); pass class indices (e.g. scores.argmax(1)) or class names"
        )
    raise ValueError(f"{name} must hold class indices or class names, got dtype {arr.dtype}")


def counts_matrix(counts: ArrayLike, n_classes: int) -> np.ndarray:
    """A ``(C, C)`` matrix of non-negative whole numbers summing to at most 2**53, as int64."""
    c = n_classes
    arr = to_numpy(counts)
    if arr.shape != (c, c):
        raise ValueError(f"counts has shape {arr.shape}, expected ({c}, {c}) for {c} classes")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError("counts must be whole numbers (found fractions, NaN or infinity)")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"counts must be integers, got dtype {arr.dtype}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"counts must be non-negative, found {arr.min()}")
    check_step_total(arr)
    return arr.astype(np.int64)


def wall_time(value: float | None) -> float:
    """Unix seconds of a step, rounded to milliseconds: ``time.time()`` unless given."""
    t = time.time() if value is None else float(value)
    if not np.isfinite(t):
        raise ValueError(f"wall_time must be a finite number of seconds, got {value!r}")
    return round(t, 3)
