"""What the framework callbacks share: one ``LogWriter`` opened on first use, labels from outputs.

The Lightning, Keras and Hugging Face callbacks each hold one :class:`WriterHandle`: the writer is
opened when the first step is logged (on the main process only, so a multi-process run never opens
the run twice) and kept until :meth:`WriterHandle.close` (every logged step is on disk as soon as
it is logged, so closing only frees file handles). What opening it would refuse (a run that is
already logged under ``mode="new"``, another class list under ``mode="resume"``, a bad run name or
class list) is checked when the handle is made, so a script run twice fails when its callback is
constructed, before any training, not after the first epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from confusionflow.data_access.run_identity import WriteMode, check_run_identity
from confusionflow.data_access.writer import LogWriter


class WriterHandle:
    """A ``LogWriter`` given ready-made, or opened from ``(logdir, run, classes)`` when first needed."""

    def __init__(
        self,
        logdir: str | Path | LogWriter,
        run: str | None,
        classes: Sequence[Any] | None,
        *,
        metadata: Mapping[str, Any] | None = None,
        store_instances: bool = True,
        mode: WriteMode = "new",
    ) -> None:
        if isinstance(logdir, LogWriter):
            self._writer: LogWriter | None = logdir
            self.classes = list(logdir.classes)
            return
        if run is None or classes is None:
            raise ValueError("give a LogWriter, or a log folder with run= and classes=")
        check_run_identity(logdir, str(run), list(classes), mode=mode)  # before any training
        self._writer = None
        self._mode: WriteMode = mode
        self._args = (Path(logdir), str(run), [str(c) for c in classes])
        self._metadata: dict[str, Any] = dict(metadata or {})
        self._store_instances = store_instances
        self.classes = self._args[2]

    @property
    def writer(self) -> LogWriter:
        if self._writer is None:
            logdir, run, classes = self._args
            self._writer = LogWriter(
                logdir,
                run,
                classes,
                metadata=self._metadata,
                store_instances=self._store_instances,
                mode=self._mode,
            )
        return self._writer

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def to_numpy(values: Any) -> np.ndarray:
    """A NumPy array from a torch tensor (any device), a Keras/JAX/TF tensor or array-like."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    elif hasattr(values, "numpy") and not isinstance(values, np.ndarray):
        values = values.numpy()
    return np.asarray(values)


def labels_from_outputs(outputs: Any, n_classes: int, what: str = "model outputs") -> np.ndarray:
    """``(N,)`` class indices from ``(N, C)`` scores/logits/probabilities (argmax) or ``(N,)`` indices.

    ``(N, 1)`` outputs of a binary model with ``n_classes == 2`` are thresholded at 0.5 when they
    lie in [0, 1] (sigmoid probabilities), at 0 otherwise (logits).
    """
    arr = to_numpy(outputs)
    if arr.ndim == 2 and arr.shape[1] == n_classes:
        return arr.argmax(axis=1).astype(np.int64)
    if arr.ndim == 2 and arr.shape[1] == 1 and n_classes == 2:
        col = arr[:, 0].astype(np.float64)
        threshold = 0.5 if col.size and col.min() >= 0 and col.max() <= 1 else 0.0
        return (col > threshold).astype(np.int64)
    if arr.ndim == 1 and arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    raise ValueError(
        f"{what} have shape {arr.shape} (dtype {arr.dtype}); expected (N, {n_classes}) class scores or "
        "(N,) class indices"
    )


def targets_to_indices(targets: Any, n_classes: int, what: str = "targets") -> np.ndarray:
    """``(N,)`` class indices from ``(N,)`` indices or ``(N, C)`` one-hot / soft targets."""
    arr = to_numpy(targets)
    if arr.ndim == 2 and arr.shape[1] == n_classes and n_classes > 1:
        return arr.argmax(axis=1).astype(np.int64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{what} have shape {arr.shape}; expected (N,) class indices or (N, {n_classes}) one-hot"
        )
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{what} hold fractions; expected class indices")
        arr = arr.astype(np.int64)
    return arr
