"""Read the native log format (see ``docs/log-format.md``) into validated arrays.

One module per file kind does the parsing: ``run_file`` (``run.json``), ``counts_file``
(``<fold>.counts.jsonl``), ``step_files`` (``<fold>.predictions/step-<s>.parquet``), with the
shared byte-level checks in ``file_bytes``. This module finds a run's folds and reads whole series.

Public import path: ``confusionflow.data_access.reader`` is where users (and the docs) read a logged series or a
step's instances: :func:`read_series`, :func:`read_instances`. It does not re-export the per-file
parsers; import those from their own module (``confusionflow.data_access.run_file.read_run``,
``confusionflow.data_access.counts_file.read_counts_file``, ``confusionflow.data_access.file_bytes.LogRecoveryWarning``, ...).

Every problem with a file is raised as :class:`~confusionflow.data_access.errors.LogFormatError` naming the file,
the line or step, what was expected and what was found. Files are only ever opened for reading, and
a file larger than its limit (``logformat.MAX_*``) is refused from its size alone, before any byte
is read. What an interrupted writer leaves behind (an unfinished last line of a counts file, a
hidden temporary Parquet file) is skipped with a :class:`~confusionflow.data_access.file_bytes.LogRecoveryWarning`: only that step is lost.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.counts_file import read_counts_file
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.run_file import RunFile, read_run, series_info
from confusionflow.data_access.step_files import list_step_files, read_predictions_dir, read_step_table
from confusionflow.data_access.tensor import SeriesCounts


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
    return SeriesCounts(info=series_info(run_file, source.fold, source.kind), steps=steps, counts=counts)


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
    path = None if source is None else step_file(source, step)
    return None if path is None else read_step_table(path, len(run_file.classes))


def step_file(source: lf.FoldSource, step: float) -> Path | None:
    """The Parquet file of ``step`` in a per-instance fold; ``None`` for a counts fold, a step
    that is not a valid step number, or a step that was not logged."""
    if source.kind != "predictions":
        return None
    try:
        wanted = lf.validate_step(step)
    except ValueError:
        return None
    return next((p for s, p in list_step_files(source.path) if s == wanted), None)
