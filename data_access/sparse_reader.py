"""Read series straight into :class:`~data_access.sparse_counts.SparseCounts`, cached sparsely.

A 1000-class counts file holds a million numbers per line. Parsing the whole file into a dense
``(T, C, C)`` int64 array first (what :func:`data_access.reader.read_counts_file` does) costs
8 MB per step before anything is dropped; here the file is parsed ``chunk_steps`` lines at a time
with the same validation (:func:`data_access.reader.parse_counts_tail`), and each chunk is turned
into COO entries at once, so at most ``chunk_steps`` dense matrices exist at any moment.
Per-instance folds are counted one step file at a time.

The cache holds the combined :meth:`SparseCounts.to_arrays` blob, keyed by a digest of the
identity (path, inode, size, mtime) of every file read, so any append or rewrite is a new key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from data_access import logformat as lf
from data_access.cache import ArrayCache
from data_access.errors import LogFormatError
from data_access.reader import (
    LogRecoveryWarning,
    RunFile,
    checked_step_files,
    fold_source,
    parse_counts_tail,
    read_file_bytes,
    read_run,
    read_step_counts,
)
from data_access.sparse_counts import SparseCounts, SparseSeries
from data_access.tensor import SeriesInfo

SPARSE_CACHE_VERSION = "sparse1"


def _counts_file_sparse(path: Path, n_classes: int, chunk_steps: int) -> tuple[np.ndarray, list]:
    """``(steps (T,) unsorted, [(t, true, pred, count) per chunk])`` of one counts file."""
    data = read_file_bytes(path, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
    if not data.strip():
        raise LogFormatError(path, "is empty: no step has been logged in it")
    starts = [0]
    pos = data.find(b"\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    if starts[-1] == len(data):
        starts.pop()
    starts.append(len(data))
    n_lines = len(starts) - 1
    steps: list[np.ndarray] = []
    parts: list[tuple[np.ndarray, ...]] = []
    n_before = 0
    for first in range(0, n_lines, chunk_steps):
        last = min(first + chunk_steps, n_lines)
        chunk = data[starts[first] : starts[last]]
        final = last == n_lines
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LogRecoveryWarning)
            parsed = parse_counts_tail(path, chunk, n_classes, first_line=first + 1)
        for w in caught:
            if not final:  # only the file's own last line may be an interrupted write
                raise LogFormatError(path, "is not valid JSON", where=f"line {last}")
            warnings.warn(w.message, LogRecoveryWarning, stacklevel=3)
        t, i, j = np.nonzero(parsed.counts)
        parts.append((t + n_before, i, j, parsed.counts[t, i, j]))
        steps.append(parsed.steps)
        n_before += len(parsed.steps)
    all_steps = np.concatenate(steps) if steps else np.zeros(0)
    if all_steps.size == 0:
        raise LogFormatError(path, "has no steps (only blank lines)")
    uniq, first_pos, n_seen = np.unique(all_steps, return_index=True, return_counts=True)
    if (n_seen > 1).any():
        raise LogFormatError(path, f"step {lf.format_step(uniq[np.argmax(n_seen > 1)])} is logged twice")
    return all_steps, parts


def read_series_sparse(run_file: RunFile, source: lf.FoldSource, *, chunk_steps: int = 8) -> SparseSeries:
    """One fold of a parsed run as non-zero entries. LogFormatError names the file on any problem."""
    c = len(run_file.classes)
    info = SeriesInfo(
        run=run_file.run,
        fold=source.fold,
        classes=run_file.classes,
        metadata=run_file.metadata,
        has_instances=source.kind == "predictions",
    )
    if source.kind == "counts":
        raw_steps, parts = _counts_file_sparse(source.path, c, max(1, int(chunk_steps)))
    else:
        files = checked_step_files(source.path, c)
        raw_steps = np.asarray([s for s, _ in files], dtype=np.float64)
        parts = []
        for k, (_, path) in enumerate(files):
            i, j = np.nonzero(m := read_step_counts(path, c))
            parts.append((np.full(len(i), k), i, j, m[i, j]))
    order = np.argsort(raw_steps, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    t, i, j, n = (np.concatenate([p[k] for p in parts]) for k in range(4))
    return SparseSeries(info, raw_steps[order], rank[t.astype(np.intp)], i, j, n)


def _file_identity(paths: Sequence[Path]) -> str:
    parts = []
    for path in paths:
        st = os.stat(path)
        parts.append(f"{os.path.abspath(path)}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}")
    return "\0".join(parts)


def _sources(logdir: Path, key: str) -> tuple[RunFile, lf.FoldSource, list[Path]]:
    run, fold = lf.split_key(key)
    run_file = read_run(logdir, run)
    source = fold_source(logdir, run, fold)
    if source is None:
        raise LogFormatError(run_file.path.parent, f"run {run!r} has no fold {fold!r}")
    files = [run_file.path]
    if source.kind == "counts":
        files.append(source.path)
    else:
        found, _, _ = lf.step_entries(source.path)
        files.extend(sorted(p for _, p in found))
    return run_file, source, files


def load_sparse(
    logdir: str | Path, keys: Sequence[str], *, cache: ArrayCache | None = None, chunk_steps: int = 8
) -> SparseCounts:
    """The named series (``run/fold`` keys, in that order) as one :class:`SparseCounts`.

    All series must share one class list. With ``cache``, a hit decodes without copying; a cache
    that fails is bypassed (the files are parsed). Raises LogFormatError / ValueError naming the
    file or series that cannot be read.
    """
    logdir = Path(logdir)
    located = [_sources(logdir, k) for k in keys]
    infos = [
        SeriesInfo(rf.run, src.fold, rf.classes, rf.metadata, src.kind == "predictions")
        for rf, src, _ in located
    ]
    h = hashlib.blake2b(digest_size=20)
    h.update(SPARSE_CACHE_VERSION.encode())
    for rf, _, files in located:
        h.update(f"\0{len(rf.classes)}\0".encode() + _file_identity(files).encode(errors="surrogateescape"))
    cache_key = f"{SPARSE_CACHE_VERSION}:{h.hexdigest()}"
    if cache is not None:
        try:
            arrays = cache.get_arrays(cache_key)
        except Exception:  # noqa: BLE001 - a failing cache must never break loading
            arrays = None
        if arrays is not None:
            try:
                return SparseCounts.from_arrays(arrays, infos[0].classes, infos)
            except (KeyError, ValueError, TypeError):
                pass  # an entry of another shape: parse again
    items = [read_series_sparse(rf, src, chunk_steps=chunk_steps) for rf, src, _ in located]
    counts = SparseCounts.from_series(items)
    if cache is not None:
        with contextlib.suppress(Exception):  # a failing cache must never break loading
            cache.set_arrays(cache_key, counts.to_arrays())
    return counts
