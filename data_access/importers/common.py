"""What every importer shares: the summary it returns, class lists, name checks, series grouping.

Length (~400 lines): every function here is used by at least two importers (counts table,
predictions table, MLflow run); the grouping and keyed-row readers share the ``Grouping`` type, so
they stay together rather than split into files of a few dozen lines each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from confusionflow.data_access.counting import counts_from_predictions
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.limits import MAX_CLASSES, MAX_RUNS, cells_problem, runs_problem
from confusionflow.data_access.importers.tables import (
    Table,
    codes_to_names,
    encode,
    first_row_with,
    numeric,
    sort_labels,
)
from confusionflow.data_access.logformat import MAX_SERIES_CELLS, check_classes, format_step, validate_name


@dataclass(frozen=True)
class SeriesSummary:
    """One series written by an import: its steps and how many predictions its counts hold."""

    run: str
    fold: str
    classes: tuple[str, ...]
    steps: tuple[float, ...]
    instances: int  # sum of all counts over all steps (= prediction rows for a predictions table)

    @property
    def key(self) -> str:
        return f"{self.run}/{self.fold}"


@dataclass(frozen=True)
class ImportSummary:
    """What an import wrote into ``logdir``."""

    source: str
    logdir: str
    series: tuple[SeriesSummary, ...]

    @property
    def classes(self) -> tuple[str, ...]:
        """Every class written, in order of first appearance (one list unless runs differ)."""
        return tuple(dict.fromkeys(c for s in self.series for c in s.classes))

    @property
    def runs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.run for s in self.series))

    @property
    def folds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.fold for s in self.series))

    @property
    def steps_written(self) -> int:
        """Number of (series, step) confusion matrices written."""
        return sum(len(s.steps) for s in self.series)

    def describe(self) -> str:
        """Human-readable summary, printed by the command line."""
        lines = [
            f"Imported {self.source} into {self.logdir}",
            *self._class_lines(),
            f"  runs ({len(self.runs)}): {_short_list(self.runs)}",
            f"  folds ({len(self.folds)}): {_short_list(self.folds)}",
            f"  series ({len(self.series)}), {self.steps_written} confusion matrices:",
        ]
        for s in self.series:
            span = f"{format_step(s.steps[0])}..{format_step(s.steps[-1])}" if s.steps else "-"
            lines.append(f"    {s.key}: {len(s.steps)} steps ({span}), {s.instances:,} predictions")
        return "\n".join(lines)

    def _class_lines(self) -> list[str]:
        lists = dict.fromkeys(s.classes for s in self.series)
        if len(lists) <= 1:
            return [f"  classes ({len(self.classes)}): {_short_list(self.classes)}"]
        per_run = {s.run: s.classes for s in self.series}
        return [f"  classes of run {r} ({len(c)}): {_short_list(c)}" for r, c in per_run.items()]


def _short_list(items: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... (+{len(items) - limit} more)" if len(items) > limit else "")


def load_class_list(spec: str | Path | Sequence[str]) -> tuple[str, ...]:
    """An ordered class list from a sequence, a file, or comma-separated text.

    A file holds one class per line (blank lines ignored) or, if it ends in ``.json``, a JSON list.
    A string that names an existing file is read as that file; otherwise it is split on commas.
    """
    if isinstance(spec, (str, Path)):
        path = Path(spec)
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise LogFormatError(path, "class list is not UTF-8 text") from None
            if path.suffix.lower() == ".json":
                try:
                    names = json.loads(text)
                except json.JSONDecodeError as e:
                    raise LogFormatError(
                        path, f"not valid JSON ({e.msg})", where=f"line {e.lineno}"
                    ) from None
                if not isinstance(names, list):
                    raise LogFormatError(path, "expected a JSON list of class names")
                names = [str(n) for n in names]
            else:
                names = [line.strip() for line in text.splitlines() if line.strip()]
            return _checked_classes(names, path)
        looks_like_file = "," not in str(spec) and (
            "/" in str(spec) or path.suffix.lower() in (".txt", ".json")
        )
        if isinstance(spec, Path) or looks_like_file:
            raise LogFormatError(path, "class list file not found")
        names = [n.strip() for n in spec.split(",")]
        return _checked_classes(names, "--classes")
    return _checked_classes([str(n) for n in spec], "classes")


def _checked_classes(names: Sequence[str], source: str | Path) -> tuple[str, ...]:
    try:
        return check_classes(list(names))
    except ValueError as e:
        raise LogFormatError(source, f"bad class list: {e}") from None


def name_column(table: Table, role: str, default: str | None, option: str) -> tuple[np.ndarray, list[str]]:
    """Run or fold name per row: ``(codes (N,), names)``; the default when the column is absent."""
    if role in table.columns:
        codes, values = encode(table, role, what=f"{role} name")
        names = [str(v) for v in values]
    else:
        if default is None:
            raise LogFormatError(
                table.path,
                f"no '{role}' column; add one or give a default {role} name ({option} NAME)",
                where="header",
            )
        codes, names = np.zeros(table.n_rows, dtype=np.int64), [default]
    check_names(table.path, role, names)
    return codes, names


def check_names(table_path: str | Path, kind: str, names: Sequence[str]) -> None:
    """Refuse a run/fold name that could escape the log folder or is not a valid name."""
    for name in names:
        try:
            validate_name(kind, name)
        except ValueError as e:
            raise LogFormatError(table_path, str(e)) from None


def resolve_label_codes(
    table: Table,
    true_codes: np.ndarray,
    true_labels: list[str],
    pred_codes: np.ndarray,
    pred_labels: list[str],
    classes: Sequence[str] | None,
    *,
    labels_are_indices: bool = False,
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Map both label columns onto one class list: ``(classes, y_true (N,), y_pred (N,))`` as indices.

    Without ``classes`` the list is the sorted union of the labels seen (numerically if all are
    numbers). With ``classes``, every label must be one of them (or, with ``labels_are_indices``,
    an integer position ``0..K-1`` in the list); the first unknown label is reported with its line.
    """
    if classes is None:
        if labels_are_indices:
            raise LogFormatError(table.path, "labels given as indices need a class list (--classes)")
        names = tuple(sort_labels(sorted(set(true_labels) | set(pred_labels))))
        if len(names) < 2:
            raise LogFormatError(
                table.path, f"only one class label found ({names[0]!r}); give the full class list (--classes)"
            )
        try:
            names = check_classes(names)
        except ValueError as e:
            raise LogFormatError(table.path, f"the labels cannot be used as classes: {e}") from None
    else:
        names = tuple(classes)
    if len(names) > MAX_CLASSES:
        raise LogFormatError(
            table.path, f"{len(names):,} classes; an import takes at most {MAX_CLASSES:,} classes"
        )
    lookup = {n: i for i, n in enumerate(names)}
    out = []
    for role, codes, labels in (("y_true", true_codes, true_labels), ("y_pred", pred_codes, pred_labels)):
        if labels_are_indices:
            mapping, unknown = _index_mapping(labels, len(names))
        else:
            mapping = np.asarray([lookup.get(lab, -1) for lab in labels], dtype=np.int64)
            unknown = [i for i, m in enumerate(mapping) if m < 0]
        if unknown:
            row = first_row_with(codes, unknown)
            bad = sorted(labels[i] for i in unknown)
            shown = ", ".join(repr(b) for b in bad[:5]) + (
                f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            )
            expected = (
                f"an index 0..{len(names) - 1}" if labels_are_indices else f"one of {_short_list(names)}"
            )
            raise table.error(
                f"unknown class {shown} (first here); expected {expected}", row=row, column=role
            )
        out.append(mapping[codes] if len(mapping) else np.zeros(0, dtype=np.int64))
    return names, out[0], out[1]


def _index_mapping(labels: Sequence[str], k: int) -> tuple[np.ndarray, list[int]]:
    mapping = np.full(len(labels), -1, dtype=np.int64)
    for i, lab in enumerate(labels):
        try:
            value = float(lab)
        except ValueError:
            continue
        if value.is_integer() and 0 <= value < k:
            mapping[i] = int(value)
    return mapping, [i for i, m in enumerate(mapping) if m < 0]


@dataclass(frozen=True)
class Grouping:
    """Rows grouped by (series, step), without copying the data.

    A *group* is one step of one series; groups are numbered series by series, steps ascending.
    ``order`` sorts the rows by group (then by the tie break, else keeping file order);
    ``group_bounds`` (G + 1,) are the offsets into ``order`` where each group starts, so group ``g``
    is ``order[group_bounds[g]:group_bounds[g + 1]]``. Series ``s`` owns groups
    ``series_bounds[s]:series_bounds[s + 1]``, its ``(run, fold)`` is ``series_names[s]`` and its
    sorted steps ``steps[s]``. ``duplicate`` is the first pair of rows (file positions, earlier
    first) with equal (series, step, tie break), or None.
    """

    order: np.ndarray
    group_of_row: np.ndarray  # (N,) group number of each row
    group_bounds: np.ndarray
    series_names: tuple[tuple[str, str], ...]
    series_bounds: np.ndarray
    steps: tuple[np.ndarray, ...]
    duplicate: tuple[int, int] | None

    @property
    def n_groups(self) -> int:
        return len(self.group_bounds) - 1

    def rows(self, series: int, step_pos: int) -> np.ndarray:
        """File positions of the rows of one step of one series (in group order)."""
        g = int(self.series_bounds[series]) + step_pos
        return self.order[self.group_bounds[g] : self.group_bounds[g + 1]]

    def series_of_row(self, row: int) -> int:
        return int(np.searchsorted(self.series_bounds, self.group_of_row[row], side="right") - 1)


def sorted_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` by hashing (pandas.factorize): O(N), not a sort."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.asarray(uniques), codes.astype(np.int64, copy=False)


def _compact(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys in ``0..n_keys-1`` renumbered densely in sorted order: ``(present keys, new code per row)``."""
    present = np.bincount(keys, minlength=n_keys) > 0
    lut = np.cumsum(present) - 1
    return np.flatnonzero(present), lut[keys]


def group_rows(
    run_codes: np.ndarray,
    runs: Sequence[str],
    fold_codes: np.ndarray,
    folds: Sequence[str],
    steps: np.ndarray,
    *,
    tie_break: np.ndarray | None = None,
    n_tie: int = 1,
) -> Grouping:
    """Group rows by (run, fold, step) with one stable sort; ``tie_break`` (codes < ``n_tie``) orders
    rows within a step and finds duplicates. Without it rows keep their file order within a step."""
    n_folds = len(folds)
    combos, series_of_row = _compact(run_codes * n_folds + fold_codes, len(runs) * n_folds)
    step_values, step_codes = sorted_codes(steps)
    n_steps, n_tie = len(step_values), max(int(n_tie), 1)
    n_series = len(combos)
    if n_series * n_steps * n_tie >= 2**62:
        raise ValueError("too many series x steps x instances to group")
    group_ids, group_of_row = _compact(series_of_row * n_steps + step_codes, n_series * n_steps)
    duplicate = None
    if tie_break is None:
        order = np.argsort(group_of_row, kind="stable")
    else:
        key = group_of_row * n_tie + tie_break
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        same = np.flatnonzero(sorted_key[1:] == sorted_key[:-1])
        if len(same):
            # report the duplicate that appears earliest in the file
            pairs = np.stack([order[same], order[same + 1]], axis=1)
            first = pairs[np.argmin(pairs.max(axis=1))]
            duplicate = (int(first.min()), int(first.max()))
    group_sizes = np.bincount(group_of_row, minlength=len(group_ids))
    group_bounds = np.r_[0, np.cumsum(group_sizes)]
    group_series = group_ids // n_steps
    group_steps = step_values[group_ids % n_steps].astype(np.float64)
    series_bounds = np.searchsorted(group_series, np.arange(n_series + 1))
    return Grouping(
        order=order,
        group_of_row=group_of_row,
        group_bounds=group_bounds,
        series_names=tuple((runs[int(c) // n_folds], folds[int(c) % n_folds]) for c in combos),
        series_bounds=series_bounds,
        steps=tuple(group_steps[series_bounds[s] : series_bounds[s + 1]] for s in range(n_series)),
        duplicate=duplicate,
    )


def check_cells(path: Path, grouping: Grouping, n_classes: int, max_runs: int = MAX_RUNS) -> None:
    """Refuse, before counting, more than ``max_runs`` runs, or series whose matrices exceed the
    import limits (see ``limits``)."""
    problem = runs_problem(len({r for r, _ in grouping.series_names}), max_runs)
    if problem:
        raise LogFormatError(path, problem)
    total = 0
    for s, names in enumerate(grouping.series_names):
        n_steps = len(grouping.steps[s])
        problem = cells_problem("/".join(names), n_steps, n_classes, total)
        if problem:
            raise LogFormatError(path, problem)
        total += n_steps * n_classes * n_classes


def count_groups(
    grouping: Grouping, y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> tuple[np.ndarray, ...]:
    """``(T_s, C, C)`` confusion counts of every series: one ``bincount`` over all rows when it fits
    the memory limit, else one per series."""
    b = grouping.series_bounds
    n_series = len(grouping.series_names)
    if grouping.n_groups * n_classes * n_classes <= MAX_SERIES_CELLS:
        cells = counts_from_predictions(grouping.group_of_row, y_true, y_pred, grouping.n_groups, n_classes)
        return tuple(cells[b[s] : b[s + 1]] for s in range(n_series))
    out = []
    for s in range(n_series):
        rows = grouping.order[grouping.group_bounds[b[s]] : grouping.group_bounds[b[s + 1]]]
        local = grouping.group_of_row[rows] - b[s]
        out.append(
            counts_from_predictions(local, y_true[rows], y_pred[rows], int(b[s + 1] - b[s]), n_classes)
        )
    return tuple(out)


@dataclass(frozen=True)
class KeyedRows:
    """What both table importers read first: each row's run, fold, step and class indices."""

    run_codes: np.ndarray
    runs: list[str]
    fold_codes: np.ndarray
    folds: list[str]
    steps: np.ndarray
    classes: tuple[str, ...]
    y_true: np.ndarray
    y_pred: np.ndarray

    def group(self, *, tie_break: np.ndarray | None = None, n_tie: int = 1) -> Grouping:
        """These rows grouped by (run, fold, step); see :func:`group_rows`."""
        return group_rows(
            self.run_codes,
            self.runs,
            self.fold_codes,
            self.folds,
            self.steps,
            tie_break=tie_break,
            n_tie=n_tie,
        )


def read_keyed_rows(
    table: Table,
    run: str | None,
    fold: str | None,
    classes: Sequence[str] | None,
    *,
    labels_are_indices: bool,
) -> KeyedRows:
    """Run/fold names (column or ``--run``/``--fold`` default), steps and labels, validated."""
    run_codes, runs = name_column(table, "run", run, "--run")
    fold_codes, folds = name_column(table, "fold", fold, "--fold")
    steps = numeric(table, "step", what="step")
    true_codes, true_labels = codes_to_names(table, "y_true", what="true label")
    pred_codes, pred_labels = codes_to_names(table, "y_pred", what="predicted label")
    names, y_true, y_pred = resolve_label_codes(
        table,
        true_codes,
        true_labels,
        pred_codes,
        pred_labels,
        classes,
        labels_are_indices=labels_are_indices,
    )
    return KeyedRows(run_codes, runs, fold_codes, folds, steps, tuple(names), y_true, y_pred)
