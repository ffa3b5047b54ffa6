"""Import a per-instance predictions table (CSV or Parquet) into a log folder.

Columns (case-insensitive; aliases in brackets): ``run``, ``fold``, ``step`` [``epoch``],
``y_true`` [``target``, ``label``, ``actual``], ``y_pred`` [``preds``, ``prediction``,
``predicted``], optional ``instance_id``. ``run``/``fold`` may be absent when a default is given.

The whole table is handled as arrays: labels are dictionary-encoded once, rows are grouped by
(run, fold, step) with one stable sort and counted with one ``bincount``; only the per-step writes
loop in Python. Everything is validated before the first file is written, so a bad table leaves the
log folder untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from confusionflow.data_access.importers.common import (
    Grouping,
    ImportSummary,
    check_cells,
    count_groups,
    read_keyed_rows,
)
from confusionflow.data_access.importers.limits import MAX_RUNS
from confusionflow.data_access.importers.tables import Table, encode_arrow, read_table
from confusionflow.data_access.importers.writing import ExistingRuns, plan_series, write_planned
from confusionflow.data_access.vocabulary import DEFAULT_STEP_NAME
from confusionflow.data_access.writer import LogWriter


@dataclass(frozen=True)
class ParsedPredictions:
    """A validated predictions table, grouped by series and step.

    ``y_true``/``y_pred`` are ``(N,)`` class indices into ``classes`` in file order;
    ``instance_ids`` is ``(N,)`` (the file's values) or None when the table has no such column;
    ``counts[s]`` is the ``(T_s, C, C)`` confusion counts of series ``s``.
    """

    source: Path
    classes: tuple[str, ...]
    grouping: Grouping
    y_true: np.ndarray
    y_pred: np.ndarray
    instance_ids: np.ndarray | None
    counts: tuple[np.ndarray, ...]

    def rows(self, series: int, step_pos: int) -> np.ndarray:
        """Row positions (into the file order) of one series' step, sorted by instance id if any."""
        return self.grouping.rows(series, step_pos)


def _instance_ids(table: Table) -> np.ndarray:
    """The instance id column as int64 or text; whole-number floats (``3.0``) become ints."""
    col = table.columns["instance_id"]
    if pa.types.is_integer(col.type):
        return col.to_numpy().astype(np.int64, copy=False)
    if pa.types.is_floating(col.type):
        values = col.to_numpy()
        bad = np.flatnonzero(values != np.round(values))
        if len(bad):
            row = int(bad[0])
            raise table.error(
                f"instance id {float(values[row])!r} is not a whole number (ids are integers or text)",
                row=row,
                column="instance_id",
            )
        return values.astype(np.int64)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray([str(v) for v in col.to_pylist()], dtype=object)


def parse_predictions_table(
    path: str | Path,
    *,
    run: str | None = None,
    fold: str | None = None,
    classes: Sequence[str] | None = None,
    labels_are_indices: bool = False,
    max_runs: int = MAX_RUNS,
) -> ParsedPredictions:
    """Read and validate a predictions table without writing anything.

    ``run``/``fold`` are used when the table has no such column. ``classes`` fixes the class order
    (else: sorted union of the labels, numerically when all are numbers); with
    ``labels_are_indices`` the labels are positions in ``classes``.
    Raises LogFormatError naming the file, column and line for every problem.
    """
    table = read_table(
        Path(path), required=("step", "y_true", "y_pred"), optional=("run", "fold", "instance_id")
    )
    rows = read_keyed_rows(table, run, fold, classes, labels_are_indices=labels_are_indices)
    names, steps, y_true, y_pred = rows.classes, rows.steps, rows.y_true, rows.y_pred

    instance_ids = None
    if "instance_id" in table.columns:
        inst_codes, inst_values = encode_arrow(table, "instance_id", what="instance id")
        grouping = rows.group(tie_break=inst_codes, n_tie=len(inst_values))
        if grouping.duplicate is not None:
            a, b = grouping.duplicate
            run_name, fold_name = grouping.series_names[grouping.series_of_row(b)]
            raise table.error(
                f"duplicate row: instance {inst_values[int(inst_codes[b])].as_py()!r} of run {run_name!r}, fold "
                f"{fold_name!r} at step {steps[b]:g} already appears on {table.where(a)}",
                row=b,
            )
        instance_ids = _instance_ids(table)
    else:
        grouping = rows.group()

    check_cells(table.path, grouping, len(names), max_runs)
    counts = count_groups(grouping, y_true, y_pred, len(names))
    return ParsedPredictions(
        source=Path(path),
        classes=names,
        grouping=grouping,
        y_true=y_true,
        y_pred=y_pred,
        instance_ids=instance_ids,
        counts=counts,
    )


def import_predictions_table(
    path: str | Path,
    logdir: str | Path,
    *,
    run: str | None = None,
    fold: str | None = None,
    classes: Sequence[str] | None = None,
    labels_are_indices: bool = False,
    store_instances: bool = True,
    metadata: Mapping[str, Any] | None = None,
    step_name: str = DEFAULT_STEP_NAME,
    existing_runs: ExistingRuns = "merge",
    required_metadata: Mapping[str, str] | None = None,
    max_runs: int = MAX_RUNS,
) -> ImportSummary:
    """Import a predictions table into ``logdir``; returns what was written. The source is only read.

    With ``store_instances`` (default) every step keeps its per-instance predictions (instance
    drill-down; ids from the ``instance_id`` column, else the row's position within its step);
    without it only the confusion counts are written. ``metadata`` is stored with each new run;
    ``existing_runs`` and ``required_metadata`` say what may happen to runs ``logdir`` already holds
    (see :mod:`confusionflow.data_access.importers.writing`).
    """
    parsed = parse_predictions_table(
        path, run=run, fold=fold, classes=classes, labels_are_indices=labels_are_indices, max_runs=max_runs
    )
    meta = {"imported_from": Path(path).name, "importer": "predictions table", **dict(metadata or {})}
    planned = plan_series(parsed.grouping, parsed.classes, parsed.counts, meta, step_name=step_name)

    def write_step(writer: LogWriter, s: int, t: int, step: int | float) -> None:
        fold_name = planned[s].fold
        if not store_instances:
            writer.add_counts(step, fold_name, parsed.counts[s][t])
            return
        rows = parsed.rows(s, t)
        ids = parsed.instance_ids[rows] if parsed.instance_ids is not None else None
        writer.add(step, fold_name, parsed.y_true[rows], parsed.y_pred[rows], instance_ids=ids)

    return write_planned(
        Path(path),
        Path(logdir),
        planned,
        write_step,
        kind="predictions" if store_instances else "counts",
        existing_runs=existing_runs,
        required_metadata=required_metadata,
        max_runs=max_runs,
    )
