"""Shared small tensors for the many-class data layer tests (sparse counts, strategies, overview)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.tensor import ConfusionTensor, SeriesCounts, SeriesInfo

CLASSES = ("a", "b", "c", "d", "e")

# Series "r/test" at step 2 (rows = true class). Per class (a..e): support 10 each; predicted
# totals 10, 7, 13, 5, 15; recall 1, .6, .9, .3, .8; precision 1, 6/7, 9/13, 3/5, 8/15;
# F1 = 2TP / (support + predicted) = 1, 12/17, 18/23, 6/15, 16/25.
A_STEP2 = [
    [10, 0, 0, 0, 0],
    [0, 6, 4, 0, 0],
    [0, 1, 9, 0, 0],
    [0, 0, 0, 3, 7],
    [0, 0, 0, 2, 8],
]
A_STEP1 = np.diag([10, 10, 10, 10, 10]).tolist()  # no confusion at all
# Series "r2/test", logged at step 2 only: like A_STEP2 but a -> c 3 times and no b -> c.
B_STEP2 = [
    [7, 0, 3, 0, 0],
    [0, 10, 0, 0, 0],
    [0, 1, 9, 0, 0],
    [0, 0, 0, 3, 7],
    [0, 0, 0, 2, 8],
]


def tensor_of(
    series: Mapping[str, Mapping[float, Sequence[Sequence[int]]]], classes=CLASSES
) -> ConfusionTensor:
    """A dense tensor from ``{"run/fold": {step: (C, C) matrix}}``."""
    items = []
    for key, by_step in series.items():
        run, fold = key.split("/")
        steps = sorted(by_step)
        items.append(
            SeriesCounts(
                SeriesInfo(run, fold, tuple(classes)),
                np.asarray(steps, dtype=np.float64),
                np.asarray([by_step[s] for s in steps], dtype=np.int64),
            )
        )
    return ConfusionTensor.from_series(items)


def hand_built() -> SparseCounts:
    """The hand-built case whose strategy answers are known (see the matrices above)."""
    return SparseCounts.from_tensor(tensor_of({"r/test": {1: A_STEP1, 2: A_STEP2}, "r2/test": {2: B_STEP2}}))


def random_tensor(seed: int, n_series: int = 3, n_classes: int = 7, n_steps: int = 4) -> ConfusionTensor:
    """Random sparse-ish counts with some missing steps (masked) per series."""
    rng = np.random.default_rng(seed)
    classes = tuple(f"k{i}" for i in range(n_classes))
    series = {}
    for s in range(n_series):
        steps = sorted(rng.choice(np.arange(1, n_steps + 3), size=n_steps, replace=False).tolist())
        mats = rng.integers(0, 5, (n_steps, n_classes, n_classes)) * (
            rng.random((n_steps, n_classes, n_classes)) < 0.4
        )
        series[f"run{s}/test"] = {float(t): mats[i] for i, t in enumerate(steps)}
    return tensor_of(series, classes)


def instances(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_pred)`` with exactly ``matrix[i, j]`` instances of each pair (for sklearn)."""
    m = np.asarray(matrix)
    i, j = np.nonzero(m)
    n = m[i, j]
    return np.repeat(i, n), np.repeat(j, n)
