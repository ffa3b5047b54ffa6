"""Wall-clock time of each logged step: ``{step: Unix seconds}`` of one fold, for hovers.

Writers store it as ``"time"`` in each counts line (right after ``"step"``, so it is picked up
here by a pattern over the line's start without parsing the counts) and in the ``confusionflow``
schema metadata of each step's Parquet file (read from the footer only; on object storage from
the object's last bytes). Logs written before the time was stored, or by hand, simply have no
entry for their steps.

:func:`series_wall_times` asks a store for each series' times once per change of its fingerprint
(a counts log is read whole to find them); :func:`wall_time_grid` lays them out ``(S, T)`` on a
tensor's steps for the figures, NaN where a step has no time.
"""

from __future__ import annotations

import math
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
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
    start = 0
    while start < len(data):
        # matched at each line's start only (found with memchr): a line holds C² numbers after
        # its time, which a search over the whole file would scan (14 MB at 100 classes x 500
        # steps: 0.4 s, against a few ms line by line)
        m = _LINE_START.match(data, start)
        if m is not None:
            step, t = float(m.group(1)), float(m.group(2))
            if math.isfinite(step) and math.isfinite(t):
                out[step] = t
        end = data.find(b"\n", start)
        if end == -1:
            break
        start = end + 1
    return out


def _schema_time(source: Path | pa.BufferReader) -> float | None:
    try:
        meta = pq.read_schema(source).metadata or {}
        info = orjson.loads(meta.get(b"confusionflow", b"{}"))
    except (OSError, pa.ArrowException, orjson.JSONDecodeError):
        return None
    return _finite(info.get("time")) if isinstance(info, dict) else None


def step_file_wall_time(path: Path) -> float | None:
    """The time stored in a step file's footer, or None (no time, or not readable)."""
    return _schema_time(path)


# Bytes read from the end of a step object to find its footer (the schema and its metadata; a
# step file's footer is a few kilobytes).
STEP_TAIL_BYTES = 64 * 1024
_MAGIC = b"PAR1"


def step_tail_wall_time(tail: bytes) -> float | None:
    """The time in a step file's footer, from the file's last bytes (``tail``, at most
    :data:`STEP_TAIL_BYTES`); None if the footer is not all in ``tail`` or holds no time.

    A Parquet file ends with its footer, the footer's length (4 bytes, little-endian) and
    ``PAR1``: the footer alone, behind a leading ``PAR1``, reads as a file with no data pages.
    """
    if len(tail) < 12 or tail[-4:] != _MAGIC:
        return None
    (length,) = struct.unpack("<I", tail[-8:-4])
    if length + 8 > len(tail):
        return None
    return _schema_time(pa.BufferReader(_MAGIC + tail[-(length + 8) :]))


def fold_wall_times(source: lf.FoldSource) -> dict[float, float]:
    """``{step: Unix seconds}`` of a local fold's steps that carry a time."""
    if source.kind == "counts":
        return counts_wall_times(read_file_bytes(source.path, lf.MAX_COUNTS_FILE_BYTES, "a counts log"))
    out: dict[float, float] = {}
    steps, _, _ = lf.step_entries(source.path)
    for step, path in steps:
        t = step_file_wall_time(path)
        if t is not None:
            out[step] = t
    return out


def read_wall_times(logdir: str | Path, run: str, fold: str) -> dict[float, float]:
    """``{step: Unix seconds}`` of the logged steps of ``run/fold`` that carry a time."""
    source = fold_source(logdir, run, fold)
    return {} if source is None else fold_wall_times(source)


class WallTimeSource(Protocol):
    """What :func:`series_wall_times` needs of a store (``LogStore`` and ``ObjectLogStore``)."""

    def fingerprint(self) -> str: ...

    def wall_times(self, key: str) -> dict[float, float]: ...


_MEMO: OrderedDict[tuple[int, str, str], dict[float, float]] = OrderedDict()
_MEMO_LOCK = threading.Lock()
_MEMO_SIZE = 64  # series; each entry is one float pair per step


def series_wall_times(store: WallTimeSource, keys: Sequence[str]) -> list[dict[float, float]]:
    """Each series' ``{step: Unix seconds}``, read once per fingerprint of ``store``. A series
    whose times cannot be read has none (``{}``): hovers then say nothing about time."""
    fingerprint = store.fingerprint()
    out: list[dict[float, float]] = []
    for key in keys:
        memo_key = (id(store), fingerprint, key)
        with _MEMO_LOCK:
            hit = _MEMO.get(memo_key)
        if hit is None:
            try:
                hit = store.wall_times(key)
            except (OSError, ValueError, LookupError):  # LogFormatError is a ValueError
                hit = {}
            with _MEMO_LOCK:
                _MEMO[memo_key] = hit
                while len(_MEMO) > _MEMO_SIZE:
                    _MEMO.popitem(last=False)
        out.append(hit)
    return out


def wall_time_grid(times: Sequence[Mapping[float, float]], steps: np.ndarray) -> np.ndarray:
    """``(S, T)`` float64 Unix seconds of each series (``times[s]``) at each of ``steps`` ``(T,)``,
    NaN where that series has no time for that step."""
    steps = np.asarray(steps, dtype=np.float64)
    grid = np.full((len(times), steps.size), np.nan)
    for s, by_step in enumerate(times):
        if not by_step or not steps.size:
            continue
        at = np.fromiter(by_step.keys(), dtype=np.float64, count=len(by_step))
        value = np.fromiter(by_step.values(), dtype=np.float64, count=len(by_step))
        pos = np.minimum(np.searchsorted(steps, at), steps.size - 1)
        hit = steps[pos] == at  # a time for a step the tensor does not hold is left out
        grid[s, pos[hit]] = value[hit]
    return grid
