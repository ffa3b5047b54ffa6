"""A Keras 3 callback (any backend: TensorFlow, JAX, PyTorch) that logs each epoch's predictions.

    from confusionflow import KerasCallback

    cf = KerasCallback("logs", "cnn dropout=0.2", classes, folds={"test": (x_test, y_test)})
    model.fit(x_train, y_train, epochs=10, callbacks=[cf])     # fold "test", steps 1..10

At the end of every epoch the model predicts each fold's inputs (``model.predict``, in batches of
``batch_size``) and logs them against the fold's targets: class indices or one-hot rows. Outputs
are ``(N, C)`` scores (softmax or logits: the largest wins) or, for two classes, one sigmoid
column. A fold is ``(x, y)`` or ``(x, y, instance_ids)`` with NumPy arrays or tensors; give the
training data as a fold too to log it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import keras

from confusionflow.data_access.integrations.callback_common import (
    WriterHandle,
    labels_from_outputs,
    targets_to_indices,
    to_numpy,
)
from confusionflow.data_access.run_identity import WriteMode
from confusionflow.data_access.writer import LogWriter


def _check_fold(name: str, data: Any) -> tuple[Any, Any, Any | None]:
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError(f"fold {name!r} must be (x, y) or (x, y, instance_ids), got {type(data).__name__}")
    return data[0], data[1], data[2] if len(data) == 3 else None


class KerasCallback(keras.callbacks.Callback):
    """Log ``folds`` (``{name: (x, y[, ids])}``) as one step per epoch (step = epochs trained).

    ``mode``: ``"new"`` (default: a run already logged is refused here, before training),
    ``"resume"`` (with ``model.fit(..., initial_epoch=k)`` the steps go on from ``k + 1``) or
    ``"version"``, as for ``LogWriter``.
    """

    def __init__(
        self,
        logdir: str | Path | LogWriter,
        run: str | None = None,
        classes: Sequence[Any] | None = None,
        *,
        folds: Mapping[str, Sequence[Any]],
        batch_size: int = 256,
        metadata: Mapping[str, Any] | None = None,
        store_instances: bool = True,
        mode: WriteMode = "new",
    ) -> None:
        super().__init__()
        if not folds:
            raise ValueError("folds must name at least one (x, y) pair to evaluate, e.g. {'test': (x, y)}")
        self.folds = {str(name): _check_fold(str(name), data) for name, data in folds.items()}
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive whole number, not {batch_size!r}")
        self.batch_size = batch_size
        self.handle = WriterHandle(
            logdir, run, classes, metadata=metadata, store_instances=store_instances, mode=mode
        )
        n = len(self.handle.classes)
        self._targets = {
            name: targets_to_indices(y, n, f"targets of fold {name!r}")
            for name, (_, y, _) in self.folds.items()
        }
        self._ids = {
            name: None if ids is None else to_numpy(ids).reshape(-1)
            for name, (_, _, ids) in self.folds.items()
        }

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Predict every fold and log it as step ``epoch + 1`` (Keras counts epochs from 0)."""
        n = len(self.handle.classes)
        for name, (x, _, _) in self.folds.items():
            outputs = self.model.predict(x, batch_size=self.batch_size, verbose=0)
            y_pred = labels_from_outputs(outputs, n, f"model outputs on fold {name!r}")
            self.handle.writer.add(epoch + 1, name, self._targets[name], y_pred, instance_ids=self._ids[name])

    def close(self) -> None:
        """Close the writer's files (every logged step is already on disk)."""
        self.handle.close()
