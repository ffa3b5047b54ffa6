"""``<fold>.predictions/step-<step>.parquet``: per-instance predictions, one Parquet file per step.

Files are opened for reading only and refused from their size and row count before any data is
read. Every problem is a :class:`~confusionflow.data_access.errors.LogFormatError` naming the file.
"""

from __future__ import annotations

import os
import stat
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.counting import counts_from_predictions
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning
from confusionflow.data_access.tempfiles import remove_abandoned_temp_files

_WARNED: set[str] = set()
_WARNED_LOCK = threading.Lock()
_MAX_WARNED = 100_000  # bound the memory of a process that watches a folder for months


def _unseen(paths: list[Path]) -> list[Path]:
    """The paths this process has not warned about yet."""
    with _WARNED_LOCK:
        return [p for p in paths if os.fspath(p) not in _WARNED]


def _without_abandoned(pred_dir: Path, temps: list[Path]) -> list[Path]:
    """``temps`` minus the ones deleted as provably abandoned (their writer is gone and they are
    old: :func:`confusionflow.data_access.tempfiles.remove_abandoned_temp_files`). Tried once per leftover per
    process, so a read-only log folder costs nothing on later reads."""
    if not _unseen(temps):
        return temps
    removed = set(remove_abandoned_temp_files(pred_dir))
    return [t for t in temps if t not in removed]


def _warn_once(path: Path, message: str) -> None:
    """Warn about ``path`` the first time this process meets it (a leftover stays a leftover)."""
    key = os.fspath(path)
    with _WARNED_LOCK:
        if key in _WARNED:
            return
        if len(_WARNED) >= _MAX_WARNED:
            _WARNED.clear()
        _WARNED.add(key)
    warnings.warn(message, LogRecoveryWarning, stacklevel=4)


def open_step_file(path: Path | str, data: bytes | None = None) -> pq.ParquetFile:
    """The Parquet file at ``path`` (or held in ``data``, read from object storage and already
    size-checked, ``path`` naming it), its label columns and row count checked."""
    if data is None:
        try:
            st = os.stat(path)
        except OSError as e:
            raise LogFormatError(path, f"cannot be read: {e.strerror or e}") from None
        if not stat.S_ISREG(st.st_mode):
            raise LogFormatError(path, "is not a regular file (expected a Parquet step file)")
        if st.st_size > lf.MAX_STEP_FILE_BYTES:
            raise LogFormatError(
                path,
                f"is {st.st_size:,} bytes, more than the {lf.MAX_STEP_FILE_BYTES:,}-byte limit for one step",
            )
    try:
        pf = pq.ParquetFile(path if data is None else pa.BufferReader(data))
    except (pa.ArrowException, OSError, ValueError) as e:
        raise LogFormatError(path, f"is not a readable Parquet file: {e}") from None
    names = pf.schema_arrow.names
    for col in (lf.COL_TRUE, lf.COL_PRED):
        if col not in names:
            raise LogFormatError(path, f"has no {col!r} column (columns: {names[:8]})")
        typ = pf.schema_arrow.field(col).type
        if not pa.types.is_integer(typ):
            raise LogFormatError(path, f"column {col!r} must hold integer class indices, found {typ}")
    if pf.metadata.num_rows > lf.MAX_INSTANCES_PER_STEP:
        raise LogFormatError(path, f"has {pf.metadata.num_rows:,} rows, more than the limit")
    return pf


def label_column(path: Path | str, table: pa.Table, col: str, n_classes: int) -> np.ndarray:
    column = table.column(col)
    if column.null_count:
        raise LogFormatError(path, f"column {col!r} has {column.null_count} missing values")
    arr = column.to_numpy()
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            raise LogFormatError(
                path, f"column {col!r} holds class index {bad}, outside 0..{n_classes - 1} (run.json classes)"
            )
    return arr


def _read_step_labels(
    path: Path | str, n_classes: int, data: bytes | None = None
) -> tuple[np.ndarray, np.ndarray]:
    pf = open_step_file(path, data)
    try:
        table = pf.read(columns=[lf.COL_TRUE, lf.COL_PRED])
    except (pa.ArrowException, OSError, ValueError) as e:
        raise LogFormatError(path, f"is a damaged Parquet file: {e}") from None
    return label_column(path, table, lf.COL_TRUE, n_classes), label_column(
        path, table, lf.COL_PRED, n_classes
    )


def checked_step_files(pred_dir: Path, n_classes: int) -> list[tuple[float, Path]]:
    """The fold's step files, refusing an empty fold or one too large to count in memory."""
    files = list_step_files(pred_dir)
    if not files:
        raise LogFormatError(pred_dir, "holds no step-<number>.parquet file")
    if len(files) * n_classes * n_classes > lf.MAX_SERIES_CELLS:
        raise LogFormatError(pred_dir, f"{len(files)} steps of {n_classes} classes exceed the memory limit")
    return files


def list_step_files(pred_dir: Path) -> list[tuple[float, Path]]:
    """``(step, path)`` of a predictions folder sorted by step; refuses duplicates.

    Leftover temporary files whose writer is provably gone are deleted; any other leftover or stray
    file is warned about once per process, not on every read.
    """
    try:
        found, temps, strays = lf.step_entries(pred_dir)
    except OSError as e:
        raise LogFormatError(pred_dir, f"cannot be listed: {e.strerror or e}") from None
    if temps:
        temps = _without_abandoned(pred_dir, temps)
    for tmp in temps:
        _warn_once(
            tmp,
            f"{tmp}: ignoring an unfinished step file left by an interrupted writer (safe to delete)",
        )
    for stray in strays:
        _warn_once(stray, f"{stray}: ignoring a file that is not named step-<number>.parquet")
    found.sort(key=lambda sp: (sp[0], sp[1].name))
    for (s1, p1), (s2, p2) in zip(found, found[1:], strict=False):
        if s1 == s2:
            raise LogFormatError(
                pred_dir, f"step {lf.format_step(s1)} is logged twice ({p1.name} and {p2.name})"
            )
    return found


def read_step_counts(path: str | Path, n_classes: int, data: bytes | None = None) -> np.ndarray:
    """``(C, C)`` int64 counts of one ``step-<s>.parquet`` file (or its ``data``), validated."""
    yt, yp = _read_step_labels(path if data is not None else Path(path), n_classes, data)
    return counts_from_predictions(0, yt, yp, 1, n_classes)[0]


def read_predictions_dir(pred_dir: str | Path, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts of a per-instance fold: ``(steps (T,) float64, counts (T, C, C) int64)``.

    Each ``step-<s>.parquet`` is read (label columns only), checked, and counted by one vectorised
    bincount.
    """
    pred_dir = Path(pred_dir)
    files = checked_step_files(pred_dir, n_classes)
    counts = np.zeros((len(files), n_classes, n_classes), dtype=np.int64)
    for i, (_, path) in enumerate(files):
        counts[i] = read_step_counts(path, n_classes)
    return np.asarray([s for s, _ in files], dtype=np.float64), counts


def read_step_table(path: Path | str, c: int, data: bytes | None = None) -> pd.DataFrame:
    """Every row of one step file of a fold with ``c`` classes, validated.

    Columns: ``instance_id``, ``y_true`` and ``y_pred`` (int64 class indices), and ``scores``
    (one float32 array of C values per row) when the writer stored them.
    """
    pf = open_step_file(path, data)
    try:
        table = pf.read()
    except (pa.ArrowException, OSError, ValueError) as e:
        raise LogFormatError(path, f"is a damaged Parquet file: {e}") from None
    y_true = label_column(path, table, lf.COL_TRUE, c).astype(np.int64)
    y_pred = label_column(path, table, lf.COL_PRED, c).astype(np.int64)
    if lf.COL_INSTANCE in table.column_names:
        ids = table.column(lf.COL_INSTANCE).to_pandas()
    else:
        ids = pd.Series(np.arange(len(y_true)), dtype=np.int64)
    frame = pd.DataFrame({lf.COL_INSTANCE: ids.to_numpy(), lf.COL_TRUE: y_true, lf.COL_PRED: y_pred})
    if lf.COL_SCORES in table.column_names:
        typ = table.schema.field(lf.COL_SCORES).type
        if not (pa.types.is_fixed_size_list(typ) and typ.list_size == c):
            raise LogFormatError(
                path, f"column 'scores' must be a fixed-size list of {c} floats, found {typ}"
            )
        if table.column(lf.COL_SCORES).null_count:
            raise LogFormatError(path, "column 'scores' has missing rows")
        flat = table.column(lf.COL_SCORES).combine_chunks().flatten().to_numpy(zero_copy_only=False)
        matrix = np.asarray(flat, dtype=np.float32).reshape(len(y_true), c)
        frame[lf.COL_SCORES] = list(matrix)
    return frame
