"""Predictions or counts tables logged as artifacts of an MLflow run.

    confusionflow import mlflow 52ad60489b0740fbae1a0f7c21dce519 --tracking-uri file:./mlruns --logdir logs

The run is read through MLflow's own client (``mlflow`` or ``mlflow-skinny``), so any tracking
store works: a local file store (``file:./mlruns``), SQLite (``sqlite:///mlflow.db``, needs the full
``mlflow``) or a tracking server. Every table artifact of the run (or of ``artifact=``, a file or a
folder of the run's artifacts) is read: ``mlflow.log_table`` JSON files (``{"columns": [...],
"data": [...]}``), CSV and Parquet files. They are joined in artifact-path order into one table,
which is then imported exactly like a predictions table (``y_true``, ``y_pred``, a step or epoch
column, optional ``fold``/``instance_id``) or, when it has a ``count`` column, a counts table
(docs/importing.md). The run's name is the run name, its metadata the run's parameters.

Artifacts are copied to a temporary folder and read there; the tracking store is only read. A
missing run, a run without table artifacts or a bad table stops the import with a
:class:`LogFormatError` before anything is written.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.common import ImportSummary, load_class_list
from confusionflow.data_access.importers.counts_table import import_counts_table
from confusionflow.data_access.importers.predictions_table import import_predictions_table

TABLE_SUFFIXES = (".json", ".csv", ".tsv", ".csv.gz", ".parquet", ".pq")
MAX_ARTIFACT_BYTES = 1024**3


class NotALoggedTable(LogFormatError):
    """A JSON artifact that is not an ``mlflow.log_table`` file."""


def _client(tracking_uri: str | None) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise LogFormatError(
            tracking_uri or "MLflow", "reading MLflow runs needs the mlflow (or mlflow-skinny) package"
        ) from None
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    if uri.startswith("file:") or (uri and "://" not in uri):
        # Reading runs from an existing file store: MLflow 3 asks for this opt-in before opening one.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MlflowClient(tracking_uri=tracking_uri)


def _is_table(path: str) -> bool:
    return path.lower().endswith(TABLE_SUFFIXES)


def _artifact_files(client: Any, run_id: str, path: str | None) -> Iterator[tuple[str, int | None]]:
    """``(artifact path, size)`` of every file under ``path`` (a folder, a file, or the whole run)."""
    entries = client.list_artifacts(run_id, path) if path else client.list_artifacts(run_id)
    if path and not entries:
        return  # the caller checks whether ``path`` itself is a file
    for entry in entries:
        if entry.is_dir:
            yield from _artifact_files(client, run_id, entry.path)
        else:
            yield entry.path, entry.file_size


def _read_table(local: Path, artifact: str) -> pd.DataFrame:
    name = artifact.lower()
    try:
        if name.endswith(".json"):
            import json

            body = json.loads(local.read_bytes())
            if not (
                isinstance(body, dict)
                and isinstance(body.get("columns"), list)
                and isinstance(body.get("data"), list)
            ):
                raise NotALoggedTable(
                    artifact, 'not an mlflow.log_table file (expected {"columns": [...], "data": [...]})'
                )
            return pd.DataFrame(body["data"], columns=body["columns"])
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(local)
        return pd.read_csv(
            local, sep="\t" if name.endswith(".tsv") else ",", dtype=str, keep_default_na=False
        )
    except LogFormatError:
        raise
    except (ValueError, OSError) as e:
        raise LogFormatError(artifact, f"cannot read the table: {e}") from None


def collect_tables(
    run_id: str, *, tracking_uri: str | None = None, artifact: str | None = None, into: Path
) -> tuple[Any, list[str], Path]:
    """Download the run's table artifacts and join them; ``(run, artifact paths, joined Parquet file)``."""
    client = _client(tracking_uri)
    source = f"MLflow run {run_id}"
    try:
        info = client.get_run(run_id)
    except Exception as e:  # noqa: BLE001 - MLflow raises its own exception types per store
        raise LogFormatError(
            source, f"not found at {tracking_uri or 'the default tracking URI'}: {e}"
        ) from None
    files = list(_artifact_files(client, run_id, artifact))
    if artifact and not files:  # a single file named directly, if the run has it
        parent = posixpath.dirname(artifact.rstrip("/"))
        siblings = client.list_artifacts(run_id, parent) if parent else client.list_artifacts(run_id)
        files = [(e.path, e.file_size) for e in siblings if not e.is_dir and e.path == artifact]
    tables = [(p, size) for p, size in files if _is_table(p) or p == artifact]
    if not tables:
        where = f"under {artifact!r}" if artifact else "among its artifacts"
        raise LogFormatError(source, f"no table ({', '.join(TABLE_SUFFIXES)}) {where}")
    frames: list[pd.DataFrame] = []
    skipped: list[str] = []
    for path, size in sorted(tables):
        if size is not None and size > MAX_ARTIFACT_BYTES:
            raise LogFormatError(
                f"{source}: {path}", f"artifact of {size} bytes is larger than {MAX_ARTIFACT_BYTES}"
            )
        try:
            local = Path(client.download_artifacts(run_id, path, str(into)))
        except Exception as e:  # noqa: BLE001
            raise LogFormatError(f"{source}: {path}", f"cannot be downloaded: {e}") from None
        try:
            frames.append(_read_table(local, f"{source}: {path}"))
        except NotALoggedTable:
            if artifact and path == artifact:
                raise
            skipped.append(path)  # e.g. an mlflow.log_dict file beside the tables
    if not frames:
        raise LogFormatError(
            source, f"no table among its artifacts (JSON files that are not tables: {skipped[:3]})"
        )
    columns = {tuple(f.columns) for f in frames}
    if len({frozenset(c) for c in columns}) > 1:
        raise LogFormatError(source, f"its tables have different columns: {sorted(map(list, columns))[:3]}")
    joined = into / f"{run_id}-tables.parquet"
    table = pd.concat(frames, ignore_index=True)
    for column in table.columns:  # mixed Python objects (a label column of ints and text): as text
        if table[column].dtype == object:
            table[column] = table[column].astype(str)
    table.to_parquet(joined, index=False)
    return info, [p for p, _ in sorted(tables) if p not in skipped], joined


def import_mlflow_run(
    run_id: str,
    logdir: str | Path,
    *,
    tracking_uri: str | None = None,
    artifact: str | None = None,
    run: str | None = None,
    fold: str | None = None,
    classes: Sequence[str] | str | None = None,
    labels_are_indices: bool = False,
    store_instances: bool = True,
) -> ImportSummary:
    """Import an MLflow run's predictions or counts tables into ``logdir`` (see the module docstring)."""
    class_list = load_class_list(classes) if isinstance(classes, (str, Path)) else classes
    source = f"MLflow run {run_id}"
    with tempfile.TemporaryDirectory(prefix="confusionflow-mlflow-") as tmp:
        info, artifacts, joined = collect_tables(
            run_id, tracking_uri=tracking_uri, artifact=artifact, into=Path(tmp)
        )
        metadata = {"imported_from": "mlflow", "mlflow_run_id": run_id, "params": dict(info.data.params)}
        run_name: str = run or info.info.run_name or run_id
        header = [c.strip().lower() for c in pd.read_parquet(joined).columns]
        try:
            if "count" in header:
                summary = import_counts_table(
                    joined,
                    logdir,
                    run=run_name,
                    fold=fold,
                    classes=class_list,
                    labels_are_indices=labels_are_indices,
                    metadata=metadata,
                )
            else:
                summary = import_predictions_table(
                    joined,
                    logdir,
                    run=run_name,
                    fold=fold,
                    classes=class_list,
                    labels_are_indices=labels_are_indices,
                    store_instances=store_instances,
                    metadata=metadata,
                )
        except LogFormatError as e:
            where = ", ".join(
                filter(None, [e.where, f"rows numbered across {len(artifacts)} artifact(s) in path order"])
            )
            raise LogFormatError(
                f"{source} ({', '.join(artifacts[:3])}{' ...' if len(artifacts) > 3 else ''})",
                e.problem,
                where=where,
            ) from None
    return ImportSummary(
        source=f"{source} ({tracking_uri or 'default tracking URI'})",
        logdir=summary.logdir,
        series=summary.series,
    )
