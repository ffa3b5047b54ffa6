"""Write the native log format from a training loop: append-only and crash-safe.

    with LogWriter("logs", "resnet lr=0.1", classes=["cat", "dog", "car"]) as log:
        for epoch in range(epochs):
            train_one_epoch()
            log.add(epoch, "test", y_test, model.predict(x_test))

Crash safety: a counts step is one ``write`` of a complete line followed by ``fsync``; a
per-instance step is written to a hidden temporary file, fsynced, then renamed into place. A writer
killed at any moment therefore loses at most the step it was writing, and readers skip that
remnant with a warning. Earlier steps are never rewritten.

Run identity (``mode``): by default a run name that already exists is refused at ``LogWriter(...)``,
before any training, so a script run twice never mixes two trainings in one run. ``mode="resume"``
appends to the existing run (a step already logged is still refused; :meth:`LogWriter.last_step`
says where to resume); ``mode="version"`` starts ``<run>-v2`` (``-v3``, ...) and ``writer.run``
says which. One writer per fold: each fold is locked for the writer's life (``foldlock``), so a
second writer, in this process or another, is refused with a message naming the holder.

Each step records the wall-clock time it was logged (``"time"``, Unix seconds; see
``docs/log-format.md``).

Length (~450 lines): this file is the one class ``LogWriter``; its input checks, durable file
creation and fold locks already live in their own modules (``write_inputs``, ``durable``,
``foldlock``, ``tempfiles``). What is left is the run-identity modes and the per-fold resume state
that ``add``/``add_counts`` share under one lock; splitting the class across files would spread
that state, so it stays whole.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.counting import counts_from_predictions
from confusionflow.data_access.counts_file import parse_counts_bytes
from confusionflow.data_access.durable import create_exclusive as _create_exclusive
from confusionflow.data_access.durable import fsync_dir as _fsync_dir
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning, read_file_bytes
from confusionflow.data_access.foldlock import FoldBusyError, FoldLock
from confusionflow.data_access.run_identity import MODES, RunExistsError, WriteMode, check_run_identity
from confusionflow.data_access.run_identity import existing_run_with as _existing_run_with
from confusionflow.data_access.run_identity import exists_message as _exists_message
from confusionflow.data_access.storage import refuse_url_for_writing
from confusionflow.data_access.tempfiles import remove_abandoned_temp_files, temp_name
from confusionflow.data_access.vocabulary import DEFAULT_STEP_NAME, check_step_name
from confusionflow.data_access.write_inputs import ArrayLike, counts_matrix, label_indices
from confusionflow.data_access.write_inputs import class_names as _class_names
from confusionflow.data_access.write_inputs import label_dtype as _label_dtype
from confusionflow.data_access.write_inputs import to_numpy as _to_numpy
from confusionflow.data_access.write_inputs import wall_time as _wall_time

__all__ = ["FoldBusyError", "LogWriter", "RunExistsError", "WriteMode", "check_run_identity"]


MAX_VERSIONS = 10_000


@dataclass
class _Fold:
    kind: lf.FoldKind
    steps: set[float] = field(default_factory=set)
    fd: int | None = None  # open append handle of a counts file
    needs_newline: bool = False
    lock: FoldLock | None = None


class LogWriter:
    """Logs one run: its class list once, then one record per (step, fold).

    ``classes`` fixes the matrix order; integer labels index it (integer classes are stored as
    text, so ``classes=list(range(10))`` gives "0".."9"). ``mode``: what to do when the run is
    already logged (see the module docstring); ``mode="resume"`` checks the class list is identical,
    and ``metadata`` and ``step_name`` of an existing run are kept as first written.
    ``step_name`` says what a step counts (``"epoch"`` by default; ``"labels"`` for an
    active-learning run whose steps are numbers of labelled instances), stored in ``run.json``
    and used by every view's wording. With ``store_instances=False``,
    :meth:`add` stores only the counts (smaller files, no instance drill-down).
    """

    def __init__(
        self,
        logdir: str | Path,
        run: str,
        classes: Sequence[str] | Sequence[int],
        *,
        metadata: Mapping[str, Any] | None = None,
        store_instances: bool = True,
        mode: WriteMode = "new",
        step_name: str = DEFAULT_STEP_NAME,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        refuse_url_for_writing(logdir)  # s3://... : write locally, then copy to the bucket
        self.mode = mode
        self.step_name = check_step_name(step_name)
        self.run = lf.validate_name("run", run)
        self.classes = lf.check_classes(_class_names(classes))
        self.store_instances = bool(store_instances)
        self.logdir = Path(logdir)
        self.path = lf.run_dir(self.logdir, self.run)
        self._lookup = {name: i for i, name in enumerate(self.classes)}
        self._folds: dict[str, _Fold] = {}
        self._lock = threading.Lock()
        self._closed = True  # until the run is open: close() and __del__ then have nothing to do
        meta = dict(metadata or {})
        if any(not isinstance(k, str) for k in meta):
            raise ValueError("metadata keys must be strings")
        try:
            meta_json = orjson.loads(orjson.dumps(meta, option=orjson.OPT_SERIALIZE_NUMPY))
        except TypeError as e:
            raise ValueError(f"metadata must be JSON-serialisable: {e}") from None
        self.metadata: dict[str, Any] = meta_json
        self._open_run()
        self._closed = False

    # ------------------------------------------------------------------ run.json
    def _open_run(self) -> None:
        base = self.run
        for n in range(2, MAX_VERSIONS + 2):
            if self._try_create_run():
                return
            if self.mode == "resume":
                self._check_existing(self.path / lf.RUN_FILE)
                return
            if self.mode == "new":
                raise RunExistsError(_exists_message(self.run, self.logdir))
            self.run = lf.validate_name("run", f"{base}-v{n}")
            self.path = lf.run_dir(self.logdir, self.run)
        raise RunExistsError(f"run {base!r} already has {MAX_VERSIONS} versions in {self.logdir}")

    def _try_create_run(self) -> bool:
        """Create ``run.json`` of a new run; False if the run exists (or another writer just made it)."""
        target = self.path / lf.RUN_FILE
        if target.exists():
            return False
        self.path.mkdir(parents=True, exist_ok=True)
        body = {
            "format": lf.FORMAT_NAME,
            "version": lf.FORMAT_VERSION,
            "run": self.run,
            "classes": list(self.classes),
            "metadata": self.metadata,
            "step_name": self.step_name,
        }
        data = orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n"
        created = _create_exclusive(target, data)
        if created:
            _fsync_dir(self.logdir)
        return created

    def _check_existing(self, target: Path) -> None:
        existing = _existing_run_with(target, self.run, self.classes)
        self.metadata = dict(existing.metadata)
        self.step_name = existing.step_name

    # ------------------------------------------------------------------ folds
    def _fold(self, fold: str, kind: lf.FoldKind) -> _Fold:
        state = self._folds.get(fold)
        if state is None:
            lock = FoldLock(self.path, self.run, fold)
            lock.acquire()  # before reading the fold: what we load cannot change under us
            try:
                state = self._load_fold(fold) or _Fold(kind)  # a new fold takes its first step's kind
            except BaseException:
                lock.release()
                raise
            state.lock = lock
            self._folds[fold] = state
        if state.kind != kind:
            if state.kind == "counts":
                have, how = (
                    "counts only",
                    "log it with add_counts, or add on a writer with store_instances=False",
                )
            else:
                have, how = (
                    "per-instance predictions",
                    "log it with add on a writer with store_instances=True",
                )
            raise ValueError(
                f"fold {fold!r} of run {self.run!r} already holds {have}; a fold keeps one kind: {how}"
            )
        return state

    def _load_fold(self, fold: str) -> _Fold | None:
        counts_path = lf.counts_file(self.logdir, self.run, fold)
        pred_dir = lf.predictions_dir(self.logdir, self.run, fold)
        if counts_path.exists() and pred_dir.exists():
            raise LogFormatError(self.path, f"fold {fold!r} exists both as counts and as predictions")
        remove_abandoned_temp_files(self.path)
        if pred_dir.exists():
            remove_abandoned_temp_files(pred_dir)
            found, _, _ = lf.step_entries(pred_dir)
            return _Fold("predictions", {s for s, _ in found})
        if counts_path.exists():
            return self._resume_counts(counts_path)
        return None

    def _resume_counts(self, path: Path) -> _Fold:
        """State of an existing counts file; cuts the remnant of an interrupted append, nothing else."""
        data = read_file_bytes(path, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
        if not data.strip():
            return _Fold("counts", needs_newline=bool(data) and not data.endswith(b"\n"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LogRecoveryWarning)
            try:
                parsed = parse_counts_bytes(path, data, len(self.classes))
            except LogFormatError as e:
                if "has no complete step" not in e.problem:
                    raise
                parsed = None
        valid = parsed.valid_bytes if parsed is not None else 0
        state = _Fold("counts", set(parsed.steps.tolist()) if parsed is not None else set())
        tail = data[valid:]
        if tail.strip():
            body = tail.rstrip(b"\n")
            # An interrupted single write leaves one unterminated line; a power loss may leave NULs.
            remnant = b"\n" not in body and (not tail.endswith(b"\n") or not body.strip(b"\0 \t\r"))
            if not remnant:
                lineno = data.count(b"\n", 0, valid) + 1
                raise LogFormatError(
                    path,
                    "its last line is damaged but does not look like an interrupted write; fix or remove "
                    "that line before logging more steps (nothing was changed)",
                    where=f"line {lineno}",
                )
            warnings.warn(
                f"{path}: removing {len(tail)} bytes of an incomplete last line left by an interrupted writer",
                LogRecoveryWarning,
                stacklevel=5,
            )
            with open(path, "r+b") as f:
                f.truncate(valid)
                f.flush()
                os.fsync(f.fileno())
            data = data[:valid]
        state.needs_newline = valid > 0 and data[valid - 1 : valid] != b"\n"
        return state

    def _check_new_step(self, state: _Fold, fold: str, step: float) -> None:
        if step in state.steps:
            raise ValueError(
                f"step {lf.format_step(step)} of fold {fold!r} in run {self.run!r} is already logged"
            )

    # ------------------------------------------------------------------ labels
    def _labels(self, name: str, values: ArrayLike) -> np.ndarray:
        return label_indices(name, values, self.classes, self._lookup)

    # ------------------------------------------------------------------ public API
    def add(
        self,
        step: float,
        fold: str,
        y_true: ArrayLike,
        y_pred: ArrayLike,
        *,
        instance_ids: ArrayLike | None = None,
        scores: ArrayLike | None = None,
        wall_time: float | None = None,
    ) -> None:
        """Log the predictions of one fold at one step (an epoch, an iteration: any real number).

        ``y_true``/``y_pred``: one label per instance, class indices or class names.
        ``instance_ids``: unique ids (ints or strings) to follow instances across steps; default
        0..n-1. ``scores``: ``(n, C)`` class scores, stored as float32.
        ``wall_time``: when the step was logged, Unix seconds (default: now).
        """
        self._ensure_open()
        step_value = lf.validate_step(step)
        lf.validate_name("fold", fold)
        yt = self._labels("y_true", y_true)
        yp = self._labels("y_pred", y_pred)
        if yt.size != yp.size:
            raise ValueError(f"y_true has {yt.size} labels but y_pred has {yp.size}")
        if not self.store_instances:
            counts = counts_from_predictions(0, yt, yp, 1, len(self.classes))[0]
            self._append_counts(step, step_value, fold, counts, wall_time)
            return
        n = yt.size
        columns: dict[str, pa.Array] = {}
        if instance_ids is None:
            columns[lf.COL_INSTANCE] = pa.array(np.arange(n, dtype=np.int64))
        else:
            ids = _to_numpy(instance_ids)
            if ids.shape != (n,):
                raise ValueError(f"instance_ids has shape {ids.shape}, expected ({n},)")
            if ids.dtype.kind not in "iuUO":
                raise ValueError(f"instance_ids must be integers or strings, got dtype {ids.dtype}")
            if len(np.unique(ids)) != n:
                raise ValueError("instance_ids contains duplicates")
            columns[lf.COL_INSTANCE] = pa.array(
                ids.astype(np.int64) if ids.dtype.kind in "iu" else ids.astype(str)
            )
        dtype = _label_dtype(len(self.classes))
        columns[lf.COL_TRUE] = pa.array(yt.astype(dtype))
        columns[lf.COL_PRED] = pa.array(yp.astype(dtype))
        if scores is not None:
            sc = _to_numpy(scores).astype(np.float32, copy=False)
            if sc.shape != (n, len(self.classes)):
                raise ValueError(f"scores has shape {sc.shape}, expected ({n}, {len(self.classes)})")
            columns[lf.COL_SCORES] = pa.FixedSizeListArray.from_arrays(
                pa.array(sc.reshape(-1)), len(self.classes)
            )
        table = pa.table(columns).replace_schema_metadata(
            {
                "confusionflow": orjson.dumps(
                    {"run": self.run, "fold": fold, "step": step_value, "time": _wall_time(wall_time)}
                )
            }
        )
        with self._lock:
            state = self._fold(fold, "predictions")
            self._check_new_step(state, fold, step_value)
            pred_dir = lf.predictions_dir(self.logdir, self.run, fold)
            created = not pred_dir.exists()
            pred_dir.mkdir(exist_ok=True)
            if created:
                _fsync_dir(self.path)
            final = pred_dir / lf.step_file_name(step_value)
            if final.exists():
                raise ValueError(
                    f"{final} already exists: step {lf.format_step(step_value)} is already logged"
                )
            tmp = pred_dir / temp_name(final.name)
            try:
                with open(tmp, "xb") as f:
                    pq.write_table(table, f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
            _fsync_dir(pred_dir)
            state.steps.add(step_value)

    def add_counts(
        self, step: float, fold: str, counts: ArrayLike, *, wall_time: float | None = None
    ) -> None:
        """Log a ready-made ``(C, C)`` confusion matrix (rows = true class, columns = predicted).

        At most ``2**53`` predictions per matrix, so no row, column or total sum can overflow;
        ``wall_time``: Unix seconds (default: now).
        """
        self._ensure_open()
        step_value = lf.validate_step(step)
        lf.validate_name("fold", fold)
        matrix = counts_matrix(counts, len(self.classes))
        self._append_counts(step, step_value, fold, matrix, wall_time)

    def _append_counts(
        self, step: float, step_value: float, fold: str, counts: np.ndarray, wall_time: float | None
    ) -> None:
        # Integral steps given as ints stay ints in the file ("step": 3), others are floats. The time
        # comes before the counts so a reader can pick it up without parsing the counts.
        json_step: int | float = int(step) if isinstance(step, (int, np.integer)) else step_value
        line = orjson.dumps(
            {"step": json_step, "time": _wall_time(wall_time), "counts": counts.reshape(-1)},
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
        with self._lock:
            state = self._fold(fold, "counts")
            self._check_new_step(state, fold, step_value)
            data = (b"\n" if state.needs_newline else b"") + line + b"\n"
            path = lf.counts_file(self.logdir, self.run, fold)
            if state.fd is None and not path.exists() and _create_exclusive(path, data):
                state.fd = os.open(path, os.O_WRONLY | os.O_APPEND)
                state.steps.add(step_value)
                return
            if state.fd is None:
                state.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            view = memoryview(data)
            while view:  # one write for a regular file; the loop only guards against short writes
                written = os.write(state.fd, view)
                view = view[written:]
            os.fsync(state.fd)
            state.needs_newline = False
            state.steps.add(step_value)

    def last_step(self, fold: str) -> float | None:
        """The largest step already logged in ``fold`` (None if none): where a resumed run goes on.

        Takes the fold's lock, like the first step logged into it would."""
        self._ensure_open()
        lf.validate_name("fold", fold)
        with self._lock:
            state = self._folds.get(fold)
            if state is None:
                counts = lf.counts_file(self.logdir, self.run, fold)
                has_counts = counts.exists() or not self.store_instances
                state = self._fold(fold, "counts" if has_counts else "predictions")
            return max(state.steps) if state.steps else None

    def _ensure_open(self) -> None:
        if self._closed:
            raise ValueError(f"LogWriter for run {self.run!r} is closed")

    def close(self) -> None:
        """Close open files. Every logged step is already on disk; closing twice is fine."""
        with self._lock:
            for state in self._folds.values():
                if state.fd is not None:
                    os.close(state.fd)
                    state.fd = None
                if state.lock is not None:
                    state.lock.release()
                    state.lock = None
            self._closed = True

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:  # a writer dropped without close() must not keep its folds locked
        try:
            if not getattr(self, "_closed", True):
                self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __repr__(self) -> str:
        return f"LogWriter({str(self.logdir)!r}, {self.run!r}, {len(self.classes)} classes)"
