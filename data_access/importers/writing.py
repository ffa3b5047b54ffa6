"""Writing parsed series through :class:`~data_access.writer.LogWriter`, after checking the destination.

An import either writes everything or nothing it can foresee: before the first file is written,
the destination is checked for runs with another class list and for steps that already exist
(the writer never overwrites a logged step, so a second import of the same table would otherwise
fail half-way).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from data_access import logformat as lf
from data_access.errors import LogFormatError
from data_access.importers.common import Grouping, ImportSummary, SeriesSummary
from data_access.reader import LogRecoveryWarning, read_counts_file, read_run
from data_access.writer import LogWriter


@dataclass(frozen=True)
class PlannedSeries:
    """One series an importer is about to write: ``steps (T,)`` float64 and ``counts (T, C, C)``."""

    run: str
    fold: str
    classes: tuple[str, ...]
    steps: np.ndarray
    counts: np.ndarray
    metadata: Mapping[str, Any]


def plan_series(
    grouping: Grouping, classes: tuple[str, ...], counts: Sequence[np.ndarray], metadata: Mapping[str, Any]
) -> list[PlannedSeries]:
    """One :class:`PlannedSeries` per (run, fold) group of a parsed table, in the grouping's order."""
    return [
        PlannedSeries(
            run=r, fold=f, classes=classes, steps=grouping.steps[s], counts=counts[s], metadata=metadata
        )
        for s, (r, f) in enumerate(grouping.series_names)
    ]


# write_step(writer, series_index, step_position, step_value) writes one step of one series
StepWriter = Callable[[LogWriter, int, int, int | float], None]


def step_value(step: float) -> int | float:
    """Integral steps as int, so counts files say ``"step": 3`` rather than ``3.0``."""
    return int(step) if float(step).is_integer() else float(step)


def _logged_counts_steps(path: Path, n_classes: int) -> set[float]:
    """Steps already in a counts file; an empty file or one holding only an interrupted first line
    has none (the writer recovers those the same way)."""
    if path.stat().st_size == 0:
        return set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogRecoveryWarning)
        try:
            return set(read_counts_file(path, n_classes).steps.tolist())
        except LogFormatError as e:
            if "has no complete step" in e.problem:
                return set()
            raise


def check_destination(logdir: Path, planned: Sequence[PlannedSeries], *, kind: lf.FoldKind) -> None:
    """Refuse, before writing anything, an import that would clash with what ``logdir`` holds."""
    checked_runs: set[str] = set()
    for p in planned:
        classes = p.classes
        run_path = lf.run_file(logdir, p.run)
        if p.run not in checked_runs and run_path.exists():
            existing = read_run(logdir, p.run)
            if existing.classes != tuple(classes):
                raise LogFormatError(
                    run_path,
                    f"run {p.run!r} already exists with classes {list(existing.classes)[:10]}, the import "
                    f"has {list(classes)[:10]}; pass the same class list (--classes) or use another run name",
                )
        checked_runs.add(p.run)
        counts_path = lf.counts_file(logdir, p.run, p.fold)
        pred_dir = lf.predictions_dir(logdir, p.run, p.fold)
        existing_steps: set[float] = set()
        if counts_path.is_file():
            if kind != "counts":
                raise LogFormatError(
                    counts_path,
                    f"fold {p.fold!r} of run {p.run!r} already holds counts only; import per-instance "
                    "predictions into another fold or run",
                )
            existing_steps = _logged_counts_steps(counts_path, len(classes))
        elif pred_dir.is_dir():
            if kind != "predictions":
                raise LogFormatError(
                    pred_dir,
                    f"fold {p.fold!r} of run {p.run!r} already holds per-instance predictions; "
                    "import counts into another fold or run",
                )
            existing_steps = {s for s, _ in lf.step_entries(pred_dir)[0]}
        clash = sorted(existing_steps.intersection(p.steps.tolist()))
        if clash:
            shown = ", ".join(lf.format_step(s) for s in clash[:5]) + (" ..." if len(clash) > 5 else "")
            raise LogFormatError(
                counts_path if counts_path.is_file() else pred_dir,
                f"run {p.run!r}, fold {p.fold!r} already has step(s) {shown}; logged steps are never "
                "overwritten (import into a new run name or another log folder)",
            )


def write_planned(
    source: Path,
    logdir: Path,
    planned: Sequence[PlannedSeries],
    write_step: StepWriter,
    *,
    kind: lf.FoldKind,
) -> ImportSummary:
    """Check the destination, then write every series run by run; return what was written."""
    logdir = Path(logdir)
    check_destination(logdir, planned, kind=kind)
    by_run: dict[str, list[int]] = {}
    for i, p in enumerate(planned):
        by_run.setdefault(p.run, []).append(i)
    for run, indices in by_run.items():
        first = planned[indices[0]]
        if any(planned[i].classes != first.classes for i in indices):
            raise LogFormatError(source, f"run {run!r}: its folds have different class lists")
        store = kind == "predictions"
        try:
            with LogWriter(
                logdir, run, first.classes, metadata=first.metadata, store_instances=store
            ) as writer:
                for i in indices:
                    for t, step in enumerate(planned[i].steps):
                        write_step(writer, i, t, step_value(step))
        except LogFormatError:
            raise
        except ValueError as e:
            # the checks above make this unexpected (e.g. another process wrote the same run meanwhile)
            raise LogFormatError(logdir / run, f"import stopped while writing: {e}") from None
    return ImportSummary(
        source=str(source),
        logdir=str(logdir),
        series=tuple(
            SeriesSummary(
                run=p.run,
                fold=p.fold,
                classes=tuple(p.classes),
                steps=tuple(float(s) for s in p.steps),
                instances=int(p.counts.sum()),
            )
            for p in planned
        ),
    )
