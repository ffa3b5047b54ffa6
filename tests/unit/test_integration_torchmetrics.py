"""A torchmetrics ``MulticlassConfusionMatrix`` logged through ``LogWriter.add_counts`` (docs/integrations.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.reader import read_series

torch = pytest.importorskip("torch")
torchmetrics = pytest.importorskip("torchmetrics")


def test_multiclass_confusion_matrix_goes_in_as_counts(tmp_path: Path) -> None:
    from torchmetrics.classification import MulticlassConfusionMatrix

    from confusionflow import LogWriter

    y_true = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    y_pred = torch.tensor([0, 1, 1, 1, 2, 0, 2])
    matrix = MulticlassConfusionMatrix(num_classes=3)
    with LogWriter(tmp_path, "metric", ["a", "b", "c"]) as log:
        for epoch in (1, 2):
            matrix.reset()
            for start in range(0, 7, 3):  # batch by batch, as in a validation loop
                matrix.update(y_pred[start : start + 3], y_true[start : start + 3])
            log.add_counts(epoch, "val", matrix.compute())
    series = read_series(tmp_path, "metric", "val")
    expected = np.array([[1, 1, 0], [0, 2, 0], [1, 0, 2]])  # rows = true class, columns = predicted
    np.testing.assert_array_equal(series.counts, np.stack([expected, expected]))
