"""Import a table of confusion counts (CSV or Parquet) into a log folder.

Columns (case-insensitive; same aliases as the predictions table): ``run``, ``fold``, ``step``
[``epoch``], ``y_true`` [``target``, ``label``, ``actual``], ``y_pred`` [``preds``,
``prediction``, ``predicted``], ``count``. One row per non-zero cell is enough: cells without a row
are 0. A step of a series exists as soon as one row names it (even with count 0). A cell given twice
is refused rather than summed, since it usually means two tables were concatenated by mistake.

Optional ``true_index`` and ``pred_index`` columns state each label's position in the class list
(the app's CSV export writes them): without ``--classes`` the classes then keep that order instead
of being sorted, so an exported view imports back unchanged. A label with two positions, or two
labels at one position, is refused; other columns (such as the export's relative values) are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from confusionflow.data_access.importers.common import Grouping, ImportSummary, check_cells, read_keyed_rows
from confusionflow.data_access.importers.limits import MAX_RUNS
from confusionflow.data_access.importers.tables import Table, codes_to_names, numeric, read_table
from confusionflow.data_access.importers.writing import ExistingRuns, plan_series, write_planned
from confusionflow.data_access.vocabulary import DEFAULT_STEP_NAME
from confusionflow.data_access.writer import LogWriter


@dataclass(frozen=True)
class ParsedCounts:
    """A validated counts table: ``counts[s]`` is the ``(T_s, C, C)`` int64 array of series ``s``."""

    source: Path
    classes: tuple[str, ...]
    grouping: Grouping
    counts: tuple[np.ndarray, ...]


def _count_values(table: Table) -> np.ndarray:
    values = numeric(table, "count", what="count")
    negative = np.flatnonzero(values < 0)
    if len(negative):
        row = int(negative[0])
        raise table.error(f"count must not be negative, found {values[row]:g}", row=row, column="count")
    fractional = np.flatnonzero(values != np.floor(values))
    if len(fractional):
        row = int(fractional[0])
        raise table.error(f"count must be a whole number, found {values[row]:g}", row=row, column="count")
    if len(values) and values.max() >= 2**53:
        row = int(values.argmax())
        raise table.error(f"count {values[row]:g} is too large", row=row, column="count")
    return values.astype(np.int64)


def stated_class_order(table: Table) -> tuple[str, ...] | None:
    """The class list the ``true_index``/``pred_index`` columns state (labels by position), or None
    when the table has neither. Raises :class:`LogFormatError` naming the row of a contradiction."""
    if "true_index" not in table.names and "pred_index" not in table.names:
        return None
    position: dict[str, int] = {}
    label_at: dict[int, str] = {}
    for label_role, index_role in (("y_true", "true_index"), ("y_pred", "pred_index")):
        if index_role not in table.names:
            raise table.error(f"'{index_role}' is missing while the other index column is given")
        codes, labels = codes_to_names(table, label_role, what="label")
        index = numeric(table, index_role, what="class index")
        bad = np.flatnonzero((index != np.floor(index)) | (index < 0) | (index >= 2**31))
        if len(bad):
            raise table.error("a class index must be a whole number >= 0", row=int(bad[0]), column=index_role)
        pairs, first = np.unique(np.stack([codes, index.astype(np.int64)], axis=1), axis=0, return_index=True)
        for (code, at), row in zip(pairs.tolist(), first.tolist(), strict=True):
            label = labels[code]
            if position.setdefault(label, at) != at or label_at.setdefault(at, label) != label:
                raise table.error(
                    f"label {label!r} at class index {at} contradicts an earlier row",
                    row=row,
                    column=index_role,
                )
    if sorted(label_at) != list(range(len(label_at))):
        raise table.error(f"class indices must run 0..{len(label_at) - 1} without gaps")
    return tuple(label_at[i] for i in range(len(label_at)))


def parse_counts_table(
    path: str | Path,
    *,
    run: str | None = None,
    fold: str | None = None,
    classes: Sequence[str] | None = None,
    labels_are_indices: bool = False,
    max_runs: int = MAX_RUNS,
) -> ParsedCounts:
    """Read and validate a counts table without writing anything (see the predictions table for options)."""
    table = read_table(
        Path(path),
        required=("step", "y_true", "y_pred", "count"),
        optional=("run", "fold", "true_index", "pred_index"),
    )
    values = _count_values(table)
    if classes is None and not labels_are_indices:
        classes = stated_class_order(table)
    rows = read_keyed_rows(table, run, fold, classes, labels_are_indices=labels_are_indices)
    names, steps, y_true, y_pred = rows.classes, rows.steps, rows.y_true, rows.y_pred
    c = len(names)
    grouping = rows.group(tie_break=y_true * c + y_pred, n_tie=c * c)
    if grouping.duplicate is not None:
        a, b = grouping.duplicate
        run_name, fold_name = grouping.series_names[grouping.series_of_row(b)]
        raise table.error(
            f"duplicate cell: true {names[y_true[b]]!r}, predicted {names[y_pred[b]]!r} of run "
            f"{run_name!r}, fold {fold_name!r} at step {steps[b]:g} is already given on {table.where(a)}",
            row=b,
        )
    check_cells(table.path, grouping, c, max_runs)
    flat = (grouping.group_of_row * c + y_true) * c + y_pred
    flat_cells = np.zeros(grouping.n_groups * c * c, dtype=np.int64)
    flat_cells[flat] = values  # cells are unique (checked above), so assignment is the sum
    cells = flat_cells.reshape(grouping.n_groups, c, c)
    bounds = grouping.series_bounds
    counts = [cells[bounds[s] : bounds[s + 1]] for s in range(len(grouping.series_names))]
    return ParsedCounts(source=Path(path), classes=names, grouping=grouping, counts=tuple(counts))


def import_counts_table(
    path: str | Path,
    logdir: str | Path,
    *,
    run: str | None = None,
    fold: str | None = None,
    classes: Sequence[str] | None = None,
    labels_are_indices: bool = False,
    metadata: Mapping[str, Any] | None = None,
    step_name: str = DEFAULT_STEP_NAME,
    existing_runs: ExistingRuns = "merge",
    required_metadata: Mapping[str, str] | None = None,
    max_runs: int = MAX_RUNS,
) -> ImportSummary:
    """Import a counts table into ``logdir`` (one ``add_counts`` per series and step); returns what was
    written. The source is only read. ``existing_runs`` and ``required_metadata``: what may happen
    to runs ``logdir`` already holds (see :mod:`confusionflow.data_access.importers.writing`)."""
    parsed = parse_counts_table(
        path, run=run, fold=fold, classes=classes, labels_are_indices=labels_are_indices, max_runs=max_runs
    )
    meta = {"imported_from": Path(path).name, "importer": "counts table", **dict(metadata or {})}
    planned = plan_series(parsed.grouping, parsed.classes, parsed.counts, meta, step_name=step_name)

    def write_step(writer: LogWriter, s: int, t: int, step: int | float) -> None:
        writer.add_counts(step, planned[s].fold, parsed.counts[s][t])

    return write_planned(
        Path(path),
        Path(logdir),
        planned,
        write_step,
        kind="counts",
        existing_runs=existing_runs,
        required_metadata=required_metadata,
        max_runs=max_runs,
    )
