"""Writing parsed series through :class:`~confusionflow.data_access.writer.LogWriter`, after checking the destination.

An import writes everything or nothing. Before anything is written, every step, count total and
run metadata is checked, and the destination is checked for runs with another class list and for
steps that already exist (a logged step is never overwritten). Then every run is written into a
hidden staging folder inside the log folder (``.import-<pid>@<host>-<random>``, invisible to
readers) and, only when all of it was written and read back, moved into place under the log
folder's import lock (``import_lock``): a new run by one ``rename`` of its folder that fails if the
run exists by then (two imports racing for one run: one wins, the other is told the run already
exists), a new fold of an existing run by one ``rename`` of its file or folder (under that fold's
writer lock). Steps added to a fold that already exists are appended one whole step at a time (a
crash there keeps a prefix of them). A failure or a ``kill -9`` before the move leaves the log
folder as it was; the staging folder of a killed import is removed by a later one.

What may happen to runs that already exist is the caller's choice (``existing_runs``): ``"merge"``
(new folds and new steps; the command line), ``"new_folds"`` (new folds only, never a byte of an
existing file rewritten; optionally only for runs whose ``run.json`` metadata holds
``required_metadata``, such as the uploader who created them) or ``"refuse"`` (new runs only).

Length (~400 lines): the checks, the staged write and the move are one all-or-nothing sequence
over the same ``PlannedSeries``; split, the order a reader must keep in mind would span files.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.counts_file import read_counts_file
from confusionflow.data_access.durable import rename_new
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning
from confusionflow.data_access.foldlock import FoldBusyError
from confusionflow.data_access.importers.common import Grouping, ImportSummary, SeriesSummary
from confusionflow.data_access.importers.import_lock import import_lock
from confusionflow.data_access.importers.limits import MAX_RUNS, runs_problem
from confusionflow.data_access.reader import read_series
from confusionflow.data_access.run_file import read_run
from confusionflow.data_access.tempfiles import remove_abandoned_temp_files, staging_name
from confusionflow.data_access.vocabulary import DEFAULT_STEP_NAME, check_step_name
from confusionflow.data_access.writer import LogWriter

ExistingRuns = Literal["merge", "new_folds", "refuse"]
EXISTING_RUNS = ("merge", "new_folds", "refuse")


def run_exists_message(run: str) -> str:
    """Why a run planned as new was not created: it appeared while the import was being written."""
    return (
        f"run {run!r} already exists in the log folder: another import or writer created it while "
        "this import was being written; nothing was written"
    )


@dataclass(frozen=True)
class PlannedSeries:
    """One series an importer is about to write: ``steps (T,)`` float64 and ``counts (T, C, C)``."""

    run: str
    fold: str
    classes: tuple[str, ...]
    steps: np.ndarray
    counts: np.ndarray
    metadata: Mapping[str, Any]
    step_name: str = DEFAULT_STEP_NAME  # what a step counts, stored in a new run's run.json


def plan_series(
    grouping: Grouping,
    classes: tuple[str, ...],
    counts: Sequence[np.ndarray],
    metadata: Mapping[str, Any],
    *,
    step_name: str = DEFAULT_STEP_NAME,
) -> list[PlannedSeries]:
    """One :class:`PlannedSeries` per (run, fold) group of a parsed table, in the grouping's order."""
    return [
        PlannedSeries(
            run=r,
            fold=f,
            classes=classes,
            steps=grouping.steps[s],
            counts=counts[s],
            metadata=metadata,
            step_name=step_name,
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


def check_planned(source: Path, planned: Sequence[PlannedSeries], max_runs: int = MAX_RUNS) -> None:
    """Refuse, before writing anything, more than ``max_runs`` runs, and steps, counts or metadata
    the writer would refuse half-way."""
    problem = runs_problem(len({p.run for p in planned}), max_runs)
    if problem:
        raise LogFormatError(source, problem)
    for p in planned[:1]:
        try:
            check_step_name(p.step_name)
        except ValueError as e:
            raise LogFormatError(source, str(e)) from None
    for p in planned:
        for step in p.steps.tolist():
            try:
                lf.validate_step(step)
            except ValueError as e:
                raise LogFormatError(source, f"run {p.run!r}, fold {p.fold!r}: {e}") from None
        if p.counts.size:
            totals = p.counts.reshape(len(p.counts), -1).sum(axis=1, dtype=np.float64)
            bad = np.flatnonzero(totals > lf.MAX_STEP_TOTAL)
            if len(bad):
                raise LogFormatError(
                    source,
                    f"run {p.run!r}, fold {p.fold!r}, step {lf.format_step(p.steps[bad[0]])}: the counts "
                    f"sum to {totals[bad[0]]:.4g}; at most 2**53 predictions per step are allowed",
                )
        try:
            orjson.dumps(dict(p.metadata), option=orjson.OPT_SERIALIZE_NUMPY)
        except (TypeError, orjson.JSONEncodeError) as e:
            raise LogFormatError(
                source, f"run {p.run!r}: its metadata cannot be stored as JSON ({e})"
            ) from None


def _check_existing_run(
    logdir: Path,
    run: str,
    classes: tuple[str, ...],
    existing_runs: ExistingRuns,
    required_metadata: Mapping[str, str],
) -> None:
    run_path = lf.run_file(logdir, run)
    if existing_runs == "refuse":
        raise LogFormatError(
            lf.run_dir(logdir, run), f"run {run!r} already exists in the log folder; nothing was written"
        )
    existing = read_run(logdir, run)
    if existing.classes != tuple(classes):
        raise LogFormatError(
            run_path,
            f"run {run!r} already exists with classes {list(existing.classes)[:10]}, the import "
            f"has {list(classes)[:10]}; pass the same class list (--classes) or use another run name",
        )
    if any(existing.metadata.get(k) != v for k, v in required_metadata.items()):
        keys = ", ".join(repr(k) for k in required_metadata)
        raise LogFormatError(
            run_path,
            f"run {run!r} already exists and its import record ({keys}) is not this import's; "
            "nothing was written",
        )


def check_destination(
    logdir: Path,
    planned: Sequence[PlannedSeries],
    *,
    kind: lf.FoldKind,
    existing_runs: ExistingRuns = "merge",
    required_metadata: Mapping[str, str] | None = None,
    new_runs: frozenset[str] | None = None,
) -> frozenset[str]:
    """Refuse, before writing anything, an import that would clash with what ``logdir`` holds.

    Returns the runs that do not exist yet (the import creates them). Given ``new_runs`` (what an
    earlier check returned), a run planned as new that exists now is refused too.
    """
    required = dict(required_metadata or {})
    checked_runs: set[str] = set()
    absent: set[str] = set()
    for p in planned:
        if p.run not in checked_runs:
            checked_runs.add(p.run)
            if not lf.run_dir(logdir, p.run).exists():
                absent.add(p.run)
                continue
            if new_runs is not None and p.run in new_runs:
                raise LogFormatError(lf.run_dir(logdir, p.run), run_exists_message(p.run))
            _check_existing_run(logdir, p.run, p.classes, existing_runs, required)
        if p.run in absent:
            continue
        counts_path = lf.counts_file(logdir, p.run, p.fold)
        pred_dir = lf.predictions_dir(logdir, p.run, p.fold)
        if existing_runs == "new_folds" and (counts_path.exists() or pred_dir.exists()):
            raise LogFormatError(
                lf.run_dir(logdir, p.run),
                f"fold {p.fold!r} of run {p.run!r} already exists; this import adds new folds only "
                "and never rewrites a fold (use another fold name); nothing was written",
            )
        existing_steps: set[float] = set()
        if counts_path.is_file():
            if kind != "counts":
                raise LogFormatError(
                    counts_path,
                    f"fold {p.fold!r} of run {p.run!r} already holds counts only; import per-instance "
                    "predictions into another fold or run",
                )
            existing_steps = _logged_counts_steps(counts_path, len(p.classes))
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
    return frozenset(absent)


def write_planned(
    source: Path,
    logdir: Path,
    planned: Sequence[PlannedSeries],
    write_step: StepWriter,
    *,
    kind: lf.FoldKind,
    existing_runs: ExistingRuns = "merge",
    required_metadata: Mapping[str, str] | None = None,
    max_runs: int = MAX_RUNS,
) -> ImportSummary:
    """Check everything, write it all into a staging folder, then move it into place (see above).

    More than ``max_runs`` runs (``limits.MAX_RUNS`` by default) are refused with the rest."""
    if existing_runs not in EXISTING_RUNS:
        raise ValueError(f"existing_runs must be one of {EXISTING_RUNS}, not {existing_runs!r}")
    logdir = Path(logdir)
    check_planned(source, planned, max_runs)
    policy: dict[str, Any] = {
        "kind": kind,
        "existing_runs": existing_runs,
        "required_metadata": required_metadata,
    }
    new_runs = check_destination(logdir, planned, **policy)
    by_run: dict[str, list[int]] = {}
    for i, p in enumerate(planned):
        by_run.setdefault(p.run, []).append(i)
    for run, indices in by_run.items():
        if any(planned[i].classes != planned[indices[0]].classes for i in indices):
            raise LogFormatError(source, f"run {run!r}: its folds have different class lists")
    logdir.mkdir(parents=True, exist_ok=True)
    remove_abandoned_temp_files(logdir)
    stage = logdir / staging_name()
    stage.mkdir()
    try:
        for run, indices in by_run.items():
            _write_run(stage, run, [planned[i] for i in indices], indices, write_step, kind)
        _read_back(stage, planned)
        with import_lock(logdir):
            # again, under the lock: another import or a writer may have written meanwhile
            check_destination(logdir, planned, new_runs=new_runs, **policy)
            _move_new_runs(stage, logdir, [r for r in by_run if r in new_runs])
            for run, indices in by_run.items():
                if run not in new_runs:
                    _move_into_place(
                        stage, logdir, run, [planned[i] for i in indices], indices, write_step, kind
                    )
    finally:
        shutil.rmtree(stage, ignore_errors=True)
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


def _write_run(
    root: Path,
    run: str,
    series: Sequence[PlannedSeries],
    indices: Sequence[int],
    write_step: StepWriter,
    kind: lf.FoldKind,
) -> None:
    first = series[0]
    try:
        with LogWriter(
            root,
            run,
            first.classes,
            metadata=first.metadata,
            store_instances=kind == "predictions",
            step_name=first.step_name,
        ) as writer:
            for p, i in zip(series, indices, strict=True):
                for t, step in enumerate(p.steps):
                    write_step(writer, i, t, step_value(step))
    except LogFormatError:
        raise
    except (ValueError, FoldBusyError) as e:
        raise LogFormatError(root / run, f"import stopped before changing the log folder: {e}") from None


def _read_back(stage: Path, series: Sequence[PlannedSeries]) -> None:
    """Every staged series read as the app will read it: same steps, same counts."""
    for p in series:
        got = read_series(stage, p.run, p.fold)
        if got.steps.tolist() != p.steps.tolist() or not np.array_equal(got.counts, p.counts):
            raise LogFormatError(stage / p.run, f"fold {p.fold!r} did not read back as written")


def _fold_path(root: Path, run: str, fold: str) -> Path:
    counts = lf.counts_file(root, run, fold)
    return counts if counts.exists() else lf.predictions_dir(root, run, fold)


def _move_new_runs(stage: Path, logdir: Path, runs: Sequence[str]) -> None:
    """Each new run appears whole, by one rename that fails if the run exists by now; if one
    fails, the runs this import already moved are moved back (all or nothing)."""
    moved: list[str] = []
    try:
        for run in runs:
            dest = lf.run_dir(logdir, run)
            try:
                rename_new(lf.run_dir(stage, run), dest)
            except FileExistsError:
                raise LogFormatError(dest, run_exists_message(run)) from None
            moved.append(run)
    except BaseException:
        for run in reversed(moved):
            # one that cannot be moved back stays in place, whole
            with contextlib.suppress(OSError):
                os.rename(lf.run_dir(logdir, run), lf.run_dir(stage, run))
        raise


def _move_into_place(
    stage: Path,
    logdir: Path,
    run: str,
    series: Sequence[PlannedSeries],
    indices: Sequence[int],
    write_step: StepWriter,
    kind: lf.FoldKind,
) -> None:
    """New folds of an existing run (same classes, checked) move in whole; steps for folds that
    exist are appended through a resuming writer, one whole step each. Every fold's writer lock is
    taken before anything moves, so a busy fold stops the import with nothing of this run moved."""
    dest = lf.run_dir(logdir, run)
    first = series[0]
    with LogWriter(logdir, run, first.classes, store_instances=kind == "predictions", mode="resume") as w:
        for p in series:
            try:
                w.last_step(p.fold)  # takes the fold's lock
            except FoldBusyError as e:
                raise LogFormatError(dest, f"import not written: {e}") from None
        existing = []
        for p, i in zip(series, indices, strict=True):
            if _fold_path(logdir, run, p.fold).exists():
                existing.append((p, i))
                continue
            staged = _fold_path(stage, run, p.fold)
            os.rename(staged, dest / staged.name)
        for p, i in existing:
            for t, step in enumerate(p.steps):
                write_step(w, i, t, step_value(step))
