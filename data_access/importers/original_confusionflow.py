"""Import a log folder written by the original ConfusionFlow (its Python logging API, v0.1.x).

Its layout (all JSON)::

    runs/<runId>.json            {runId, trainfoldId, hyperparam, foldlogs: [{foldlogId, foldId,
                                  foldlogdataId, numepochs, description}]}
    foldlogs/<foldlogId>.json    the same fold log entries, one per file
    foldlogdata/<foldlogdataId>.json   {foldlogId, numepochs, epochdata: [{epochId, confmat}]}
    datasets/<datasetId>.json    {datasetId, classes, folds: [{foldId, numinstances, classcounts}]}
    runs/index.json, datasets/index.json   lists repeating the files above

``confmat`` is the K x K matrix flattened row by row (rows = ground truth). A run's class list is
that of the dataset whose folds contain the run's ``trainfoldId``. Steps are the logged
``epochId`` values (the original logger numbers epochs from 1). Each run becomes a run of the same
name, each fold log a fold named by its ``foldId``; the run's hyperparameters and other fields are
kept as run metadata. The source folder is only read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.common import ImportSummary, check_names
from confusionflow.data_access.importers.limits import MAX_CLASSES, MAX_RUNS, cells_problem
from confusionflow.data_access.importers.writing import PlannedSeries, write_planned
from confusionflow.data_access.writer import LogWriter

MAX_JSON_BYTES = lf.MAX_COUNTS_FILE_BYTES


@dataclass(frozen=True)
class Dataset:
    dataset_id: str
    classes: tuple[str, ...]
    folds: Mapping[str, Mapping[str, Any]]  # foldId -> the fold's entry (numinstances, ...)
    path: Path


def _load_json(path: Path) -> Any:
    try:
        size = path.stat().st_size
    except OSError as e:
        raise LogFormatError(path, f"cannot be read ({e.strerror})") from None
    if size > MAX_JSON_BYTES:
        raise LogFormatError(path, f"is {size:,} bytes; the limit is {MAX_JSON_BYTES:,}")
    data = path.read_bytes()
    if not data.strip():
        raise LogFormatError(path, "the file is empty")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise LogFormatError(path, f"is not valid JSON: {e}") from None


def _json_files(folder: Path) -> list[Path]:
    """The per-item JSON files of a folder, without its ``index.json`` (hidden files skipped)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix == ".json" and p.name != "index.json" and not p.name.startswith(".")
    )


def _items(folder: Path) -> list[tuple[Path, dict]]:
    """Every object of a folder: its own files, else the entries of its ``index.json``."""
    files = _json_files(folder)
    if files:
        out = []
        for p in files:
            obj = _load_json(p)
            if not isinstance(obj, dict):
                raise LogFormatError(p, f"expected a JSON object, found a JSON {type(obj).__name__}")
            out.append((p, obj))
        return out
    index = folder / "index.json"
    if not index.is_file():
        return []
    entries = _load_json(index)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise LogFormatError(index, "expected a JSON list of objects")
    return [(index, e) for e in entries]


def _require(path: Path, obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise LogFormatError(
            path, f"{what}: '{key}' is missing or not a {_type_name(kind)} (found {value!r})"
        )
    return value


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "string", list: "list", dict: "object", int: "number", float: "number"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


def load_datasets(folder: Path) -> dict[str, Dataset]:
    """foldId -> the dataset holding that fold."""
    by_fold: dict[str, Dataset] = {}
    for path, obj in _items(folder / "datasets"):
        dataset_id = str(_require(path, obj, "datasetId", str, "dataset"))
        classes = _require(path, obj, "classes", list, f"dataset {dataset_id!r}")
        try:
            class_names = lf.check_classes([str(c) for c in classes])
        except ValueError as e:
            raise LogFormatError(path, f"dataset {dataset_id!r} classes: {e}") from None
        folds = _require(path, obj, "folds", list, f"dataset {dataset_id!r}")
        entries = {}
        for f in folds:
            if not isinstance(f, dict) or not isinstance(f.get("foldId"), str):
                raise LogFormatError(path, f"dataset {dataset_id!r}: every fold needs a string 'foldId'")
            entries[f["foldId"]] = f
        ds = Dataset(dataset_id, class_names, entries, path)
        for fold_id in entries:
            by_fold.setdefault(fold_id, ds)
    return by_fold


def _fold_logs(folder: Path, run_path: Path, run: Mapping[str, Any], run_id: str) -> list[dict]:
    logs = run.get("foldlogs")
    if logs is None or logs == []:
        # older run files may omit them: collect the run's entries from foldlogs/
        logs = [obj for _, obj in _items(folder / "foldlogs") if obj.get("runId") == run_id]
    if not isinstance(logs, list) or not all(isinstance(e, dict) for e in logs):
        raise LogFormatError(run_path, f"run {run_id!r}: 'foldlogs' must be a list of objects")
    return logs


def _epochs(path: Path, data: Any, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``(steps (T,), counts (T, K, K))`` of one fold log data file, sorted by epoch."""
    if not isinstance(data, dict) or not isinstance(data.get("epochdata"), list):
        raise LogFormatError(path, "expected an object with an 'epochdata' list")
    steps, mats = [], []
    for i, entry in enumerate(data["epochdata"]):
        where = f"epochdata[{i}]"
        if not isinstance(entry, dict):
            raise LogFormatError(path, "expected an object {epochId, confmat}", where=where)
        epoch = entry.get("epochId")
        try:
            step = lf.validate_step(epoch)
        except ValueError as e:
            raise LogFormatError(path, f"epochId: {e}", where=where) from None
        where = f"epoch {lf.format_step(step)}"
        confmat = entry.get("confmat")
        if not isinstance(confmat, list):
            raise LogFormatError(
                path, f"'confmat' must be a list, found {type(confmat).__name__}", where=where
            )
        if len(confmat) != k * k:
            raise LogFormatError(
                path,
                f"confmat has {len(confmat)} values; expected {k}x{k} = {k * k} for the {k} classes of the dataset",
                where=where,
            )
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in confmat):
            raise LogFormatError(path, "confmat must hold numbers only", where=where)
        arr = np.asarray(confmat, dtype=np.float64)
        if arr.size and np.isfinite(arr).all() and arr.sum() > lf.MAX_STEP_TOTAL:
            raise LogFormatError(
                path, f"confmat sums to {arr.sum():.4g}; at most 2**53 predictions per epoch", where=where
            )
        if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.floor(arr)):
            bad = next(v for v in confmat if not (np.isfinite(v) and v >= 0 and float(v).is_integer()))
            raise LogFormatError(
                path, f"confmat must hold non-negative whole numbers, found {bad!r}", where=where
            )
        steps.append(step)
        mats.append(arr.astype(np.int64).reshape(k, k))
    if not steps:
        raise LogFormatError(path, "'epochdata' is empty: no epoch was logged")
    order = np.argsort(steps, kind="stable")
    sorted_steps = np.asarray(steps, dtype=np.float64)[order]
    dup = np.flatnonzero(sorted_steps[1:] == sorted_steps[:-1])
    if len(dup):
        raise LogFormatError(path, f"epochId {lf.format_step(sorted_steps[dup[0]])} appears more than once")
    return sorted_steps, np.stack(mats)[order]


def parse_original_confusionflow(folder: str | Path) -> list[PlannedSeries]:
    """Read and validate an original ConfusionFlow log folder, writing nothing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LogFormatError(folder, "not a folder")
    if not (folder / "runs").is_dir():
        raise LogFormatError(folder, "not an original ConfusionFlow log folder: it has no runs/ folder")
    datasets = load_datasets(folder)
    runs = _items(folder / "runs")
    if not runs:
        raise LogFormatError(folder / "runs", "no run files (runs/<runId>.json or runs/index.json)")
    planned: list[PlannedSeries] = []
    seen_runs: set[str] = set()
    cells_so_far = 0
    for run_path, run in runs:
        run_id = _require(run_path, run, "runId", str, "run")
        check_names(run_path, "run", [run_id])
        if run_id in seen_runs:
            raise LogFormatError(run_path, f"run {run_id!r} is described twice")
        seen_runs.add(run_id)
        train_fold = _require(run_path, run, "trainfoldId", str, f"run {run_id!r}")
        dataset = datasets.get(train_fold)
        if dataset is None:
            raise LogFormatError(
                run_path,
                f"run {run_id!r}: its trainfoldId {train_fold!r} is not a fold of any dataset in "
                f"{folder / 'datasets'} (found folds: {sorted(datasets) or 'none'}), so its classes are unknown",
            )
        k = len(dataset.classes)
        if k > MAX_CLASSES:
            raise LogFormatError(dataset.path, f"{k:,} classes; an import takes at most {MAX_CLASSES:,}")
        logs = _fold_logs(folder, run_path, run, run_id)
        fold_info = {}
        run_series = []
        for entry in logs:
            fold_id = _require(run_path, entry, "foldId", str, f"run {run_id!r} fold log")
            check_names(run_path, "fold", [fold_id])
            if fold_id in fold_info:
                raise LogFormatError(run_path, f"run {run_id!r} has two fold logs for fold {fold_id!r}")
            foldlog_id = entry.get("foldlogId") or f"{run_id}_{fold_id}"
            data_id = entry.get("foldlogdataId") or f"{foldlog_id}_data"
            if not isinstance(data_id, str) or "/" in data_id or "\\" in data_id or data_id.startswith("."):
                raise LogFormatError(run_path, f"run {run_id!r}: bad foldlogdataId {data_id!r}")
            data_path = folder / "foldlogdata" / f"{data_id}.json"
            if not data_path.is_file():
                raise LogFormatError(
                    data_path, f"missing: the data of fold log {foldlog_id!r} (run {run_id!r})"
                )
            steps, counts = _epochs(data_path, _load_json(data_path), k)
            problem = cells_problem(f"{run_id}/{fold_id}", len(steps), k, cells_so_far)
            if problem:
                raise LogFormatError(data_path, problem)
            cells_so_far += len(steps) * k * k
            fold_ds = datasets.get(fold_id)
            fold_info[fold_id] = {
                "foldlogId": foldlog_id,
                "description": entry.get("description", ""),
                "dataset": fold_ds.dataset_id if fold_ds else None,
                "numinstances": fold_ds.folds[fold_id].get("numinstances") if fold_ds else None,
            }
            run_series.append((fold_id, steps, counts))
        metadata = {
            "importer": "original ConfusionFlow",
            "imported_from": folder.name,
            "dataset": dataset.dataset_id,
            **{key: value for key, value in run.items() if key not in ("runId", "foldlogs")},
            "folds": fold_info,
        }
        for fold_id, steps, counts in run_series:
            planned.append(PlannedSeries(run_id, fold_id, dataset.classes, steps, counts, metadata))
    return planned


def import_original_confusionflow(
    folder: str | Path, logdir: str | Path, *, max_runs: int = MAX_RUNS
) -> ImportSummary:
    """Import every run and fold log of an original ConfusionFlow log folder into ``logdir``
    (at most ``max_runs`` runs, checked before anything is written)."""
    planned = parse_original_confusionflow(folder)

    def write_step(writer: LogWriter, s: int, t: int, step: int | float) -> None:
        writer.add_counts(step, planned[s].fold, planned[s].counts[t])

    return write_planned(Path(folder), Path(logdir), planned, write_step, kind="counts", max_runs=max_runs)
