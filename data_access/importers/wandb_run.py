"""Confusion matrices logged with ``wandb.plot.confusion_matrix`` in a local Weights & Biases run folder.

    confusionflow import wandb wandb/offline-run-20260101_120000-abc123 --logdir logs

A run folder (online or ``WANDB_MODE=offline``) holds ``run-<id>.wandb``, the run's record log,
and ``files/media/table/*.table.json``, one file per logged table. The record log says, for every
``wandb.log`` call, which table file belongs to which key and at which step; the tables hold the
counts (columns ``Actual``, ``Predicted``, ``nPredictions``). Each logged key becomes a fold (the
key without its ``_table`` suffix: ``wandb.log({"val_cm": ...})`` -> fold ``val_cm``), the run's
display name the run, its config the run's metadata. The step is the history's ``epoch`` value
when every such row has one, else W&B's ``_step`` (``step_key=`` picks another history key).

The record log is LevelDB's log format (32 KiB blocks of CRC-checked chunks) after a 7-byte
header; its records are the ``Record`` protocol buffers of the installed ``wandb`` package, which
is needed to read them. A header of another version, a failed checksum or a table that is not a
confusion matrix stops the import with a :class:`LogFormatError` naming the file; the run folder
is only read.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.common import ImportSummary, load_class_list
from confusionflow.data_access.importers.writing import PlannedSeries, write_planned
from confusionflow.data_access.writer import LogWriter

HEADER = struct.Struct("<4sHB")  # ident, magic, version
HEADER_IDENT, HEADER_MAGIC, HEADER_VERSION = b":W&B", 0xBEE1, 0
CHUNK = struct.Struct("<IHB")  # crc32, length, type
BLOCK = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
MAX_RECORD_LOG_BYTES = 2 * 1024**3
MAX_TABLE_BYTES = 64 * 1024**2
CONFUSION_COLUMNS = ["Actual", "Predicted", "nPredictions"]


def find_record_log(path: Path) -> Path:
    """The ``run-<id>.wandb`` file of a run folder (or ``path`` itself when it is that file)."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise LogFormatError(path, "no such W&B run folder or .wandb file")
    logs = sorted(path.glob("*.wandb"))
    if len(logs) != 1:
        found = "no" if not logs else f"{len(logs)}"
        raise LogFormatError(path, f"expected one run-<id>.wandb file in the run folder, found {found}")
    return logs[0]


def read_chunks(path: Path) -> list[bytes]:
    """The records' bytes, in order, from a W&B record log (LevelDB log format after the header)."""
    size = path.stat().st_size
    if size > MAX_RECORD_LOG_BYTES:
        raise LogFormatError(path, f"record log of {size} bytes is larger than {MAX_RECORD_LOG_BYTES}")
    data = path.read_bytes()
    if len(data) < HEADER.size:
        raise LogFormatError(path, "too short for a W&B record log header")
    ident, magic, version = HEADER.unpack_from(data)
    if ident != HEADER_IDENT or magic != HEADER_MAGIC:
        raise LogFormatError(path, "not a W&B record log (its header does not start with :W&B)")
    if version != HEADER_VERSION:
        raise LogFormatError(
            path, f"W&B record log version {version} is not supported (only {HEADER_VERSION})"
        )
    records: list[bytes] = []
    pending: bytearray | None = None
    pos = HEADER.size
    while pos < len(data):
        if BLOCK - pos % BLOCK < CHUNK.size:  # the rest of a block too small for a chunk is padding
            pos += BLOCK - pos % BLOCK
            continue
        if pos + CHUNK.size > len(data):
            break  # a chunk header cut short: the writer stopped here
        crc, length, kind = CHUNK.unpack_from(data, pos)
        if kind == 0 and length == 0:
            break  # zero-filled end of a preallocated block
        body = data[pos + CHUNK.size : pos + CHUNK.size + length]
        if len(body) < length:
            break  # the last chunk was being written when the run stopped
        if zlib.crc32(body, zlib.crc32(bytes([kind]))) & 0xFFFFFFFF != crc:
            raise LogFormatError(path, f"checksum mismatch in the record at byte {pos}: the file is damaged")
        pos += CHUNK.size + length
        if kind == FULL:
            records.append(bytes(body))
        elif kind == FIRST:
            pending = bytearray(body)
        elif kind in (MIDDLE, LAST) and pending is not None:
            pending += body
            if kind == LAST:
                records.append(bytes(pending))
                pending = None
        else:
            raise LogFormatError(
                path, f"unexpected record chunk type {kind} at byte {pos - CHUNK.size - length}"
            )
    return records


@dataclass
class WandbRun:
    """What the importer needs from a record log: names, config and the history rows."""

    run_id: str = ""
    display_name: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[tuple[str, ...], Any]] = field(default_factory=list)  # key path -> JSON value


def parse_records(path: Path, records: Sequence[bytes]) -> WandbRun:
    try:
        from wandb.proto import wandb_internal_pb2 as pb
    except ImportError:
        raise LogFormatError(
            path, "reading a .wandb record log needs the wandb package (pip install wandb)"
        ) from None
    from google.protobuf.message import DecodeError

    out = WandbRun()
    for i, raw in enumerate(records):
        # wandb_internal_pb2 re-exports Record from a protobuf-version folder by a star import mypy cannot follow
        record = pb.Record()  # type: ignore[attr-defined]
        try:
            record.ParseFromString(raw)
        except DecodeError:
            raise LogFormatError(
                path, f"record {i} is not a W&B record (written by another wandb version?)"
            ) from None
        kind = record.WhichOneof("record_type")
        if kind == "run":
            out.run_id, out.display_name = record.run.run_id, record.run.display_name
            _apply_config(out.config, record.run.config.update)
        elif kind == "config":
            _apply_config(out.config, record.config.update)
        elif kind == "history":
            row = {}
            for item in record.history.item:
                key = tuple(item.nested_key) if item.nested_key else (item.key,)
                row[key] = _json(path, item.value_json)
            out.history.append(row)
    return out


def _apply_config(config: dict[str, Any], updates: Any) -> None:
    for item in updates:
        key = item.key or ".".join(item.nested_key)
        if not key.startswith("_"):
            config[key] = json.loads(item.value_json)


def _json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise LogFormatError(path, f"a history value is not JSON: {text[:80]!r}") from None


class NotAConfusionTable(LogFormatError):
    """A logged table whose columns are not those of ``wandb.plot.confusion_matrix``."""


def read_confusion_table(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """``(actual (K,), predicted (K,), counts (K,) int64)`` from a ``wandb.plot.confusion_matrix`` table."""
    if not path.is_file():
        raise LogFormatError(path, "table file named in the run's history is missing")
    if path.stat().st_size > MAX_TABLE_BYTES:
        raise LogFormatError(path, f"table file is larger than {MAX_TABLE_BYTES} bytes")
    try:
        table = json.loads(path.read_bytes())
    except ValueError:
        raise LogFormatError(path, "table file is not JSON") from None
    if (
        not isinstance(table, dict)
        or table.get("columns") != CONFUSION_COLUMNS
        or not isinstance(table.get("data"), list)
    ):
        raise NotAConfusionTable(path, f"not a confusion-matrix table (expected columns {CONFUSION_COLUMNS})")
    actual, predicted, counts = [], [], []
    for i, row in enumerate(table["data"]):
        if not (
            isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and isinstance(row[1], str)
        ):
            raise LogFormatError(path, f"row {i} is not [actual, predicted, count]")
        value = row[2]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 or value != int(value):
            raise LogFormatError(
                path, f"row {i}: count {value!r} is not a whole number (a matrix logged from probs= holds sums of "
                "probabilities; log preds= to import it)",
            )  # fmt: skip
        actual.append(row[0])
        predicted.append(row[1])
        counts.append(int(value))
    return actual, predicted, np.asarray(counts, dtype=np.int64)


def _table_keys(row: dict[tuple[str, ...], Any]) -> dict[str, str]:
    """``{history key: table file path}`` for the table files a history row refers to."""
    return {
        key[0]: row[(key[0], "path")]
        for key, value in row.items()
        if len(key) == 2
        and key[1] == "_type"
        and value == "table-file"
        and isinstance(row.get((key[0], "path")), str)
    }


def parse_wandb_run(
    source: str | Path,
    *,
    run: str | None = None,
    key: str | None = None,
    step_key: str | None = None,
    classes: Sequence[str] | None = None,
) -> list[PlannedSeries]:
    """One :class:`PlannedSeries` per logged confusion-matrix key of a W&B run folder."""
    source = Path(source)
    record_log = find_record_log(source)
    run_dir = record_log.parent
    parsed = parse_records(record_log, read_chunks(record_log))
    rows = [(row, tables) for row in parsed.history if (tables := _table_keys(row))]
    if key is not None:
        wanted = {key, f"{key}_table"}  # wandb.log({"val_cm": plot}) records the table as val_cm_table
        rows = [(row, {k: v for k, v in t.items() if k in wanted}) for row, t in rows]
        rows = [(row, t) for row, t in rows if t]
    steps_by = step_key or ("epoch" if rows and all(("epoch",) in row for row, _ in rows) else "_step")
    series: dict[str, dict[float, tuple[Path, list[str], list[str], np.ndarray]]] = {}
    for row, tables in rows:
        step = row.get((steps_by,))
        if not isinstance(step, (int, float)) or isinstance(step, bool):
            raise LogFormatError(record_log, f"a history row with a table has no numeric {steps_by!r} value")
        for name, rel in tables.items():
            table_path = (run_dir / "files" / rel).resolve()
            if not table_path.is_relative_to((run_dir / "files").resolve()):
                raise LogFormatError(record_log, f"table path {rel!r} leaves the run folder")
            try:
                table = read_confusion_table(table_path)
            except NotAConfusionTable:
                if key is None:
                    continue  # another kind of table (a wandb.Table of samples, ...)
                raise
            by_step = series.setdefault(name, {})
            if float(step) in by_step:
                raise LogFormatError(
                    record_log, f"key {name!r} has two confusion matrices at {steps_by} {step}"
                )
            by_step[float(step)] = (table_path, *table)
    if not series:
        what = f"key {key!r}" if key else "any key"
        raise LogFormatError(
            source,
            f"no confusion-matrix table (wandb.plot.confusion_matrix) was logged under {what} in this run",
        )
    class_list = tuple(classes) if classes else _classes_in_order(series)
    lookup = {name: i for i, name in enumerate(class_list)}
    run_name = run or parsed.display_name or parsed.run_id
    metadata = {"imported_from": "wandb", "wandb_run_id": parsed.run_id, "config": parsed.config}
    planned = []
    for name, by_step in series.items():
        steps = np.array(sorted(by_step), dtype=np.float64)
        counts = np.zeros((len(steps), len(class_list), len(class_list)), dtype=np.int64)
        for t, step in enumerate(steps):
            table_path, actual, predicted, values = by_step[step]
            for a, p, v in zip(actual, predicted, values, strict=True):
                if a not in lookup or p not in lookup:
                    raise LogFormatError(
                        table_path, f"class {a if a not in lookup else p!r} is not in the class list"
                    )
                counts[t, lookup[a], lookup[p]] += v
        fold = name.removesuffix("_table") or name
        planned.append(PlannedSeries(run_name, fold, class_list, steps, counts, metadata))
    return planned


def _classes_in_order(
    series: dict[str, dict[float, tuple[Path, list[str], list[str], np.ndarray]]],
) -> tuple[str, ...]:
    """Class names in the order the tables list them (``class_names`` order of the logging call)."""
    seen: dict[str, None] = {}
    for by_step in series.values():
        for _, actual, predicted, _ in by_step.values():
            seen.update(dict.fromkeys(actual))
            seen.update(dict.fromkeys(predicted))
    return tuple(seen)


def import_wandb_run(
    source: str | Path,
    logdir: str | Path,
    *,
    run: str | None = None,
    key: str | None = None,
    step_key: str | None = None,
    classes: Sequence[str] | str | None = None,
) -> ImportSummary:
    """Import a W&B run folder's confusion matrices into ``logdir`` (see the module docstring)."""
    class_list = load_class_list(classes) if isinstance(classes, (str, Path)) else classes
    planned = parse_wandb_run(source, run=run, key=key, step_key=step_key, classes=class_list)

    def write_step(writer: LogWriter, s: int, t: int, step: int | float) -> None:
        writer.add_counts(step, planned[s].fold, planned[s].counts[t])

    return write_planned(Path(source), Path(logdir), planned, write_step, kind="counts")
