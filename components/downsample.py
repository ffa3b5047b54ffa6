"""Averaging consecutive logged steps so a figure stays within its drawing budget.

Every figure that can hold more points or bricks than the browser draws quickly (the matrix
heatmaps and lines, the class-performance lines) uses the same two functions: one picks the
smallest number of steps per column that fits the budget, the other averages them ignoring NaN
(a step a series did not log), so a gap never reads as a zero.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np


def n_columns(n_steps: int, time_bin: int) -> int:
    """Columns of ``time_bin`` steps each needed for ``n_steps`` steps: ``ceil(n_steps / time_bin)``."""
    return -(-int(n_steps) // int(time_bin)) if n_steps else 0


def smallest_bin(n_steps: int, cost: Callable[[int], float], budget: float) -> int:
    """Smallest steps-per-column ``b`` with ``cost(ceil(n_steps / b)) <= budget``.

    ``cost`` maps a number of time columns to what the figure then holds (bricks, line points); it
    must not decrease with more columns. Returns ``n_steps`` (one column) when nothing fits, and 1
    for no steps.

    >>> smallest_bin(100, lambda cols: 10 * cols, 250)
    4
    >>> smallest_bin(0, lambda cols: cols, 1)
    1
    """
    t = max(int(n_steps), 1)
    for b in range(1, t + 1):
        if cost(n_columns(t, b)) <= budget:
            return b
    return t


def bin_mean(a: np.ndarray, time_bin: int, axis: int = -1) -> np.ndarray:
    """Mean over consecutive groups of ``time_bin`` entries along ``axis``, ignoring NaN.

    The result has ``ceil(n / time_bin)`` entries along ``axis`` (the last group may be shorter);
    a group with no finite value is NaN. ``time_bin == 1`` returns ``a`` unchanged.

    >>> bin_mean(np.array([1.0, np.nan, 3.0, np.nan, np.nan]), 2).tolist()
    [1.0, 3.0, nan]
    """
    if time_bin == 1:
        return a
    moved = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    t = moved.shape[-1]
    n = n_columns(t, time_bin)
    if n * time_bin != t:
        pad = np.full((*moved.shape[:-1], n * time_bin - t), np.nan)
        moved = np.concatenate([moved, pad], axis=-1)
    groups = moved.reshape(*moved.shape[:-1], n, time_bin)
    finite = np.isfinite(groups)
    count = finite.sum(axis=-1)
    total = np.where(finite, groups, 0.0).sum(axis=-1)
    out = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return np.moveaxis(out, -1, axis)


def bin_steps(steps: np.ndarray, time_bin: int, how: Literal["first", "last", "mean"]) -> np.ndarray:
    """The first, last or mean step number of each group of ``time_bin`` consecutive steps.

    >>> bin_steps(np.array([1.0, 2.0, 5.0, 10.0, 20.0]), 2, "last").tolist()
    [2.0, 10.0, 20.0]
    """
    steps = np.asarray(steps, dtype=np.float64)
    groups = [steps[i : i + time_bin] for i in range(0, len(steps), time_bin)]
    if how == "first":
        return np.array([g[0] for g in groups])
    if how == "last":
        return np.array([g[-1] for g in groups])
    return np.array([g.mean() for g in groups])
