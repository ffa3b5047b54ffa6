"""Series read sparsely (many classes) keep what their steps count, as the dense path does."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter


def test_sparse_series_carry_the_runs_step_name(tmp_path: Path) -> None:
    classes = [f"c{i}" for i in range(5)]
    with LogWriter(tmp_path, "r", classes, step_name="labels", store_instances=False) as w:
        w.add_counts(100, "val", np.eye(5, dtype=int) * 3)
    store = LogStore(tmp_path)
    dense = store.load(["r/val"]).tensor
    sparse = store.load_sparse(["r/val"])
    assert dense is not None and dense.series[0].step_name == "labels"
    assert sparse.series == dense.series and sparse.series[0].step_name == "labels"
    np.testing.assert_array_equal(sparse.diag[0, 0], [3, 3, 3, 3, 3])
