"""Read the native log format (see ``docs/log-format.md``) into validated arrays.

Every problem with a file is raised as :class:`~data_access.errors.LogFormatError` naming the file,
the line or step, what was expected and what was found. Files are only ever opened for reading, and
a file larger than its limit (``logformat.MAX_*``) is refused from its size alone, before any byte
is read. What an interrupted writer leaves behind (an unfinished last line of a counts file, a
hidden temporary Parquet file) is skipped with a :class:`LogRecoveryWarning`: only that step is lost.
"""

from __future__ import annotations

import codecs
import os
import stat
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data_access import logformat as lf
from data_access.counting import counts_from_predictions
from data_access.errors import LogFormatError
from data_access.tensor import SeriesCounts, SeriesInfo


class LogRecoveryWarning(UserWarning):
    """Part of a log was skipped because a writer was interrupted (or is still writing) there."""


@dataclass(frozen=True)
class RunFile:
    """The parsed ``run.json`` of one run. ``run`` is the folder name (the key users see)."""

    run: str
    classes: tuple[str, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    path: Path = Path()


@dataclass(frozen=True)
class CountsFile:
    """A parsed ``<fold>.counts.jsonl``.

    steps: ``(T,)`` float64 sorted; counts: ``(T, C, C)`` int64; ``valid_bytes``: length of the
    prefix made of complete, valid lines (a writer resumes appending there).
    """

    steps: np.ndarray
    counts: np.ndarray
    valid_bytes: int
    size: int


# ----------------------------------------------------------------------------- helpers
def read_file_bytes(path: Path, limit: int, what: str) -> bytes:
    """A whole file, refused from its size alone if above ``limit``; LogFormatError naming it."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise LogFormatError(path, f"is not a regular file (expected {what})")
        if st.st_size > limit:
            raise LogFormatError(
                path,
                f"is {st.st_size:,} bytes, more than the {limit:,}-byte limit for {what}; "
                "refusing to read it (is it really a log file?)",
            )
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except LogFormatError:
        raise
    except FileNotFoundError:
        raise LogFormatError(path, f"does not exist (expected {what})") from None
    except OSError as e:
        raise LogFormatError(path, f"cannot be read: {e.strerror or e}") from None
    if len(data) > limit:  # grew while being read
        raise LogFormatError(path, f"is larger than the {limit:,}-byte limit for {what}")
    return data


def _text_problem(data: bytes) -> str | None:
    """Why ``data`` is not UTF-8 text without NUL bytes, or None if it is."""
    nul = data.find(b"\0")
    if nul >= 0:
        return f"contains a NUL byte at offset {nul} (binary or damaged data, not JSON text)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})"
    return None


# ----------------------------------------------------------------------------- run.json
def parse_run_file(path: Path, data: bytes, run: str) -> RunFile:
    """Validate the bytes of a ``run.json``. Raises LogFormatError naming ``path``."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]  # some Windows editors add one; it carries no content
    if not data.strip():
        raise LogFormatError(path, "is empty (expected a JSON object with the run's classes)")
    problem = _text_problem(data)
    if problem:
        raise LogFormatError(path, problem)
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise LogFormatError(path, f"is not valid JSON: {e}") from None
    if not isinstance(obj, dict):
        raise LogFormatError(path, f"must be a JSON object, found a JSON {type(obj).__name__}")
    fmt = obj.get("format")
    if fmt != lf.FORMAT_NAME:
        raise LogFormatError(
            path, f'"format" is {fmt!r}; expected {lf.FORMAT_NAME!r} (is this a ConfusionFlow log?)'
        )
    version = obj.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise LogFormatError(path, f'"version" must be an integer, found {version!r}')
    if version > lf.FORMAT_VERSION:
        raise LogFormatError(
            path,
            f"was written in format version {version}; this program reads up to version "
            f"{lf.FORMAT_VERSION} (upgrade it)",
        )
    if version < 1:
        raise LogFormatError(path, f"unknown format version {version}")
    try:
        classes = lf.check_classes(obj.get("classes"))
    except ValueError as e:
        raise LogFormatError(path, f'"classes": {e}') from None
    metadata = obj.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise LogFormatError(path, f'"metadata" must be a JSON object, found {type(metadata).__name__}')
    return RunFile(run=run, classes=classes, metadata=metadata, path=path)


def read_run(logdir: str | Path, run: str) -> RunFile:
    """Read and validate ``<logdir>/<run>/run.json``."""
    try:
        path = lf.run_file(logdir, run)
    except ValueError as e:
        raise LogFormatError(Path(logdir), str(e)) from None
    return parse_run_file(path, read_file_bytes(path, lf.MAX_RUN_FILE_BYTES, "a run.json"), run)


# ----------------------------------------------------------------------------- counts files
def _bad_line(path: Path, lineno: int, problem: str) -> LogFormatError:
    return LogFormatError(path, problem, where=f"line {lineno}")


def _parse_counts_line(path: Path, lineno: int, line: bytes, n_cells: int) -> tuple[float, np.ndarray]:
    """One JSON line -> (step, flat counts). Raises LogFormatError; JSON syntax errors as ValueError."""
    rec = orjson.loads(line)  # JSONDecodeError (a ValueError) is handled by the caller
    if not isinstance(rec, dict):
        raise _bad_line(path, lineno, f"expected a JSON object, found a JSON {type(rec).__name__}")
    if "step" not in rec or "counts" not in rec:
        raise _bad_line(path, lineno, f'expected keys "step" and "counts", found {sorted(rec)[:5]}')
    try:
        step = lf.validate_step(rec["step"])
    except ValueError as e:
        raise _bad_line(path, lineno, str(e)) from None
    raw = rec["counts"]
    if not isinstance(raw, list):
        raise _bad_line(path, lineno, f'"counts" must be a flat list of integers, found {type(raw).__name__}')
    if len(raw) != n_cells:
        c = round(n_cells**0.5)
        raise _bad_line(
            path,
            lineno,
            f"step {lf.format_step(step)}: {len(raw)} counts, expected {n_cells} "
            f"({c} x {c} classes from run.json, flat and row-major)",
        )
    if (b"true" in line or b"false" in line) and any(type(x) is bool for x in raw):
        raise _bad_line(
            path, lineno, f"step {lf.format_step(step)}: counts must be integers, found a boolean"
        )
    try:
        arr = np.asarray(raw)
    except (ValueError, TypeError, OverflowError):
        arr = np.asarray(raw, dtype=object)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        bad = next((x for x in raw if type(x) is not int), None)
        if bad is None:  # all ints, but beyond 64 bits
            raise _bad_line(path, lineno, f"step {lf.format_step(step)}: a count is too large ({max(raw)})")
        raise _bad_line(path, lineno, f"step {lf.format_step(step)}: counts must be integers, found {bad!r}")
    if arr.dtype == np.uint64 and int(arr.max()) > np.iinfo(np.int64).max:
        raise _bad_line(path, lineno, f"step {lf.format_step(step)}: a count is too large ({int(arr.max())})")
    if arr.size and int(arr.min()) < 0:
        pos = int(arr.argmin())
        c = round(n_cells**0.5)
        raise _bad_line(
            path,
            lineno,
            f"step {lf.format_step(step)}: negative count {int(arr[pos])} at row {pos // c}, column {pos % c}",
        )
    return step, arr.astype(np.int64, copy=False)


def parse_counts_bytes(path: Path, data: bytes, n_classes: int, *, first_line: int = 1) -> CountsFile:
    """Parse the bytes of a counts file; see :func:`read_counts_file`.

    ``first_line`` numbers the first line of ``data`` in messages (for parsing an appended tail).
    """
    if not data:
        raise LogFormatError(path, "is empty: no step has been logged in it")
    return _parse_counts(path, data, n_classes, first_line, allow_empty=False)


def parse_counts_tail(path: Path, data: bytes, n_classes: int, *, first_line: int) -> CountsFile:
    """Parse bytes appended to a counts file whose earlier lines are already known.

    Like :func:`parse_counts_bytes`, but a tail without any complete step (only an incomplete
    line being written, or nothing) gives zero steps instead of an error.
    """
    return _parse_counts(path, data, n_classes, first_line, allow_empty=True)


def _parse_counts(
    path: Path, data: bytes, n_classes: int, first_line: int, *, allow_empty: bool
) -> CountsFile:
    n_cells = n_classes * n_classes
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the file ends with a newline, as every complete line does
    steps: list[float] = []
    rows: list[np.ndarray] = []
    linenos: list[int] = []
    valid_bytes = 0
    offset = 0
    last = len(lines) - 1
    skipped: str | None = None
    for i, line in enumerate(lines):
        end = offset + len(line) + 1
        lineno = first_line + i
        if not line.strip():
            offset = end
            if i < last:
                valid_bytes = end
            continue
        try:
            step, row = _parse_counts_line(path, lineno, line, n_cells)
        except LogFormatError:
            raise
        except ValueError as e:  # orjson.JSONDecodeError and friends: the line is not JSON
            reason = _text_problem(line) or f"is not valid JSON ({e})"
            if i == last:
                skipped = f"line {lineno} {reason}"
                break
            raise _bad_line(path, lineno, reason) from None
        if i == last and not data.endswith(b"\n"):
            end -= 1  # a valid line missing only its newline (hand-written file)
        steps.append(step)
        rows.append(row)
        linenos.append(lineno)
        valid_bytes = min(end, len(data))
        offset = end
    if skipped:
        if not steps and not allow_empty:
            raise LogFormatError(path, f"has no complete step: {skipped}")
        warnings.warn(
            f"{path}: ignoring its last line, which is incomplete or damaged (an interrupted or "
            f"ongoing write): {skipped}",
            LogRecoveryWarning,
            stacklevel=4,
        )
    if not steps:
        if allow_empty:
            empty = np.zeros((0, n_classes, n_classes), dtype=np.int64)
            return CountsFile(steps=np.zeros(0), counts=empty, valid_bytes=valid_bytes, size=len(data))
        raise LogFormatError(path, "has no steps (only blank lines)")
    if len(steps) * n_cells > lf.MAX_SERIES_CELLS:
        raise LogFormatError(path, f"{len(steps)} steps of {n_classes} classes exceed the memory limit")
    step_arr = np.asarray(steps, dtype=np.float64)
    order = np.argsort(step_arr, kind="stable")
    sorted_steps = step_arr[order]
    dup = np.flatnonzero(np.diff(sorted_steps) == 0)
    if dup.size:
        a, b = order[dup[0]], order[dup[0] + 1]
        raise LogFormatError(
            path,
            f"step {lf.format_step(sorted_steps[dup[0]])} is logged twice (lines {linenos[a]} and {linenos[b]})",
        )
    counts = np.stack(rows)[order].reshape(len(steps), n_classes, n_classes)
    return CountsFile(steps=sorted_steps, counts=counts, valid_bytes=valid_bytes, size=len(data))


def read_counts_file(path: str | Path, n_classes: int) -> CountsFile:
    """Read a ``<fold>.counts.jsonl``: one ``{"step": s, "counts": [C*C ints]}`` per line.

    The last line may be incomplete (an interrupted or ongoing append): it is skipped with a
    :class:`LogRecoveryWarning`. An unparseable line anywhere else is an error naming its line.
    """
    path = Path(path)
    data = read_file_bytes(path, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
    return parse_counts_bytes(path, data, n_classes)


# ----------------------------------------------------------------------------- parquet steps
def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        st = os.stat(path)
    except OSError as e:
        raise LogFormatError(path, f"cannot be read: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise LogFormatError(path, "is not a regular file (expected a Parquet step file)")
    if st.st_size > lf.MAX_STEP_FILE_BYTES:
        raise LogFormatError(
            path, f"is {st.st_size:,} bytes, more than the {lf.MAX_STEP_FILE_BYTES:,}-byte limit for one step"
        )
    try:
        pf = pq.ParquetFile(path)
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


def _label_column(path: Path, table: pa.Table, col: str, n_classes: int) -> np.ndarray:
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


def _read_step_labels(path: Path, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    pf = _open_parquet(path)
    try:
        table = pf.read(columns=[lf.COL_TRUE, lf.COL_PRED])
    except (pa.ArrowException, OSError, ValueError) as e:
        raise LogFormatError(path, f"is a damaged Parquet file: {e}") from None
    return _label_column(path, table, lf.COL_TRUE, n_classes), _label_column(
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
    """``(step, path)`` of a predictions folder sorted by step; warns about leftovers, refuses duplicates."""

    try:
        found, temps, strays = lf.step_entries(pred_dir)
    except OSError as e:
        raise LogFormatError(pred_dir, f"cannot be listed: {e.strerror or e}") from None
    for tmp in temps:
        warnings.warn(
            f"{tmp}: ignoring an unfinished step file left by an interrupted writer (safe to delete)",
            LogRecoveryWarning,
            stacklevel=3,
        )
    for stray in strays:
        warnings.warn(
            f"{stray}: ignoring a file that is not named step-<number>.parquet",
            LogRecoveryWarning,
            stacklevel=3,
        )
    found.sort(key=lambda sp: (sp[0], sp[1].name))
    for (s1, p1), (s2, p2) in zip(found, found[1:], strict=False):
        if s1 == s2:
            raise LogFormatError(
                pred_dir, f"step {lf.format_step(s1)} is logged twice ({p1.name} and {p2.name})"
            )
    return found


def read_step_counts(path: str | Path, n_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts of one ``step-<s>.parquet`` file, validated."""
    yt, yp = _read_step_labels(Path(path), n_classes)
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


# ----------------------------------------------------------------------------- series
def fold_source(logdir: str | Path, run: str, fold: str) -> lf.FoldSource | None:
    """Where a fold lives, or None if the run has no such fold. Both kinds at once is an error."""
    counts = lf.counts_file(logdir, run, fold)
    preds = lf.predictions_dir(logdir, run, fold)
    has_counts, has_preds = counts.is_file(), preds.is_dir()
    if has_counts and has_preds:
        raise LogFormatError(
            counts.parent,
            f"fold {fold!r} exists both as {counts.name} and as {preds.name}/; keep one of them",
        )
    if has_counts:
        return lf.FoldSource(fold, "counts", counts)
    if has_preds:
        return lf.FoldSource(fold, "predictions", preds)
    return None


def series_from_run(run_file: RunFile, source: lf.FoldSource) -> SeriesCounts:
    """Read one fold of an already parsed run."""
    c = len(run_file.classes)
    if source.kind == "counts":
        parsed = read_counts_file(source.path, c)
        steps, counts = parsed.steps, parsed.counts
    else:
        steps, counts = read_predictions_dir(source.path, c)
    info = SeriesInfo(
        run=run_file.run,
        fold=source.fold,
        classes=run_file.classes,
        metadata=run_file.metadata,
        has_instances=source.kind == "predictions",
    )
    return SeriesCounts(info=info, steps=steps, counts=counts)


def _run_and_fold(logdir: str | Path, run: str, fold: str) -> tuple[RunFile, lf.FoldSource | None]:
    """The run's file and the fold's source (None if the run has no such fold); a bad fold name
    is a LogFormatError on the run's folder."""
    run_file = read_run(logdir, run)
    try:
        return run_file, fold_source(logdir, run, fold)
    except LogFormatError:
        raise
    except ValueError as e:
        raise LogFormatError(run_file.path.parent, str(e)) from None


def read_series(logdir: str | Path, run: str, fold: str) -> SeriesCounts:
    """One series (run + fold) as validated ``SeriesCounts``; LogFormatError if anything is wrong."""
    run_file, source = _run_and_fold(logdir, run, fold)
    if source is None:
        raise LogFormatError(run_file.path.parent, f"run {run!r} has no fold {fold!r}")
    return series_from_run(run_file, source)


def read_instances(logdir: str | Path, run: str, fold: str, step: float) -> pd.DataFrame | None:
    """Per-instance predictions of one step, or None if the fold is counts-only or lacks the step.

    Columns: ``instance_id``, ``y_true`` and ``y_pred`` (int64 class indices), and ``scores``
    (one float32 array of C values per row) when the writer stored them.
    """
    run_file, source = _run_and_fold(logdir, run, fold)
    if source is None or source.kind != "predictions":
        return None
    try:
        wanted = lf.validate_step(step)
    except ValueError:
        return None
    match = [p for s, p in list_step_files(source.path) if s == wanted]
    if not match:
        return None
    path = match[0]
    c = len(run_file.classes)
    pf = _open_parquet(path)
    try:
        table = pf.read()
    except (pa.ArrowException, OSError, ValueError) as e:
        raise LogFormatError(path, f"is a damaged Parquet file: {e}") from None
    y_true = _label_column(path, table, lf.COL_TRUE, c).astype(np.int64)
    y_pred = _label_column(path, table, lf.COL_PRED, c).astype(np.int64)
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
