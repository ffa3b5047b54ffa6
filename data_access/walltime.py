"""Wall-clock time of each logged step: ``{step: Unix seconds}`` of one fold, for hovers.

Writers store it as ``"time"`` in each counts line (right after ``"step"``, so it is picked up
here by a pattern over the line's start without parsing the counts) and in the ``confusionflow``
schema metadata of each step's Parquet file (read from the footer only). Logs written before the
time was stored, or by hand, simply have no entry for their steps.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.file_bytes import read_file_bytes
from confusionflow.data_access.reader import fold_source

_NUMBER = rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_LINE_START = re.compile(rb'^\{"step":(' + _NUMBER + rb'),"time":(' + _NUMBER + rb"),", re.MULTILINE)


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def counts_wall_times(data: bytes) -> dict[float, float]:
    """``{step: time}`` from the bytes of a counts file (lines without a time are skipped)."""
    out: dict[float, float] = {}
    for m in _LINE_START.finditer(data):
        step, t = float(m.group(1)), float(m.group(2))
        if math.isfinite(step) and math.isfinite(t):
            out[step] = t
    return out


def step_file_wall_time(path: Path) -> float | None:
    """The time stored in a step file's footer, or None (no time, or not readable)."""
    try:
        meta = pq.read_schema(path).metadata or {}
        info = orjson.loads(meta.get(b"confusionflow", b"{}"))
    except (OSError, pa.ArrowException, orjson.JSONDecodeError):
        return None
    return _finite(info.get("time")) if isinstance(info, dict) else None


def read_wall_times(logdir: str | Path, run: str, fold: str) -> dict[float, float]:
    """``{step: Unix seconds}`` of the logged steps of ``run/fold`` that carry a time."""
    source = fold_source(logdir, run, fold)
    if source is None:
        return {}
    if source.kind == "counts":
        return counts_wall_times(read_file_bytes(source.path, lf.MAX_COUNTS_FILE_BYTES, "a counts log"))
    out: dict[float, float] = {}
    steps, _, _ = lf.step_entries(source.path)
    for step, path in steps:
        t = step_file_wall_time(path)
        if t is not None:
            out[step] = t
    return out
