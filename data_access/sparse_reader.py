"""Read series straight into :class:`~confusionflow.data_access.sparse_counts.SparseCounts`, cached sparsely.

A 1000-class counts file holds a million numbers per line. Parsing the whole file into a dense
``(T, C, C)`` int64 array first (what :func:`confusionflow.data_access.counts_file.read_counts_file` does) costs
8 MB per step before anything is dropped; here the file is parsed ``chunk_steps`` lines at a time
with the same validation (:func:`confusionflow.data_access.counts_file.parse_counts_tail`), and each chunk is turned
into COO entries at once, so at most ``chunk_steps`` dense matrices exist at any moment.
Per-instance folds are counted one step file at a time.

The cache holds the combined :meth:`SparseCounts.to_arrays` blob, keyed by a digest of the
identity (path, inode, size, mtime) of every file read, so any append or rewrite is a new key;
beneath it, each series' entries are cached on their own, so a change in one series re-reads
only that series. A live counts file grows by appended lines: a *resume* entry (keyed by the
file's path and inode) records how many bytes were parsed, their CRC-32 and where their entries
are cached; if the file still starts with exactly those bytes only the appended lines are parsed,
otherwise (an edit, a duplicated step) the whole file is parsed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.cache import ArrayCache
from confusionflow.data_access.counts_file import parse_counts_tail
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning, read_file_bytes
from confusionflow.data_access.reader import fold_source
from confusionflow.data_access.run_file import RunFile, read_run, series_info
from confusionflow.data_access.sparse_counts import SparseCounts, SparseSeries, _smallest_uint
from confusionflow.data_access.step_files import checked_step_files, read_step_counts
from confusionflow.data_access.tensor import SeriesInfo

SPARSE_CACHE_VERSION = "sparse1"
_SERIES_FIELDS = ("steps", "step", "true", "pred", "count")


def _parse_lines(
    path: Path, data: bytes, n_classes: int, chunk_steps: int, *, first_line: int = 1
) -> tuple[np.ndarray, list, int]:
    """``(steps (T,) in file order, [(t, true, pred, count) per chunk], bytes of complete lines)``.

    ``data`` is the file (or the part after ``first_line - 1`` known lines); only its last line
    may be an interrupted write (skipped with a LogRecoveryWarning).
    """
    starts = [0]
    pos = data.find(b"\n")
    while pos != -1:
        starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    if starts[-1] == len(data):
        starts.pop()
    starts.append(len(data))
    n_lines = len(starts) - 1 if data else 0
    steps: list[np.ndarray] = []
    parts: list[tuple[np.ndarray, ...]] = []
    n_before, valid = 0, 0
    for first in range(0, n_lines, chunk_steps):
        last = min(first + chunk_steps, n_lines)
        chunk = data[starts[first] : starts[last]]
        final = last == n_lines
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LogRecoveryWarning)
            parsed = parse_counts_tail(path, chunk, n_classes, first_line=first_line + first)
        for w in caught:
            if not final:  # only the file's own last line may be an interrupted write
                raise LogFormatError(path, "is not valid JSON", where=f"line {first_line + last - 1}")
            warnings.warn(w.message, LogRecoveryWarning, stacklevel=3)
        valid = starts[first] + parsed.valid_bytes
        t, i, j = np.nonzero(parsed.counts)
        parts.append((t + n_before, i, j, parsed.counts[t, i, j]))
        steps.append(parsed.steps)
        n_before += len(parsed.steps)
    return (np.concatenate(steps) if steps else np.zeros(0)), parts, valid


def _series(info: SeriesInfo, path: Path, raw_steps: np.ndarray, parts: list) -> SparseSeries:
    """Sort the steps (a step logged twice is an error naming ``path``) and assemble the entries."""
    if raw_steps.size == 0:
        raise LogFormatError(path, "has no steps (only blank lines)")
    uniq, n_seen = np.unique(raw_steps, return_counts=True)
    if (n_seen > 1).any():
        raise LogFormatError(path, f"step {lf.format_step(uniq[np.argmax(n_seen > 1)])} is logged twice")
    order = np.argsort(raw_steps, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    t, i, j, n = (np.concatenate([p[k] for p in parts]) for k in range(4))
    return SparseSeries(info, raw_steps[order], rank[t.astype(np.intp)], i, j, n)


def _info(run_file: RunFile, source: lf.FoldSource) -> SeriesInfo:
    return series_info(run_file, source.fold, source.kind)


def counts_bytes_sparse(info: SeriesInfo, path: Path, data: bytes, *, chunk_steps: int = 8) -> SparseSeries:
    """A counts log's bytes (``data``, already size-checked; ``path`` names it in errors) as
    non-zero entries, parsed ``chunk_steps`` lines at a time."""
    if not data:  # blank lines only: "has no steps" below
        raise LogFormatError(path, "is empty: no step has been logged in it")
    raw_steps, parts, _ = _parse_lines(path, data, len(info.classes), max(1, int(chunk_steps)))
    return _series(info, path, raw_steps, parts)


def step_counts_sparse(
    info: SeriesInfo, where: Path, steps: Sequence[float], matrices: Iterable[np.ndarray]
) -> SparseSeries:
    """A per-instance fold as non-zero entries: ``matrices`` yields each step's ``(C, C)`` counts
    in the order of ``steps``, one at a time (only one dense matrix is held at once)."""
    parts = []
    for k, m in enumerate(matrices):
        i, j = np.nonzero(m)
        parts.append((np.full(len(i), k), i, j, m[i, j]))
    return _series(info, where, np.asarray(steps, dtype=np.float64), parts)


def read_series_sparse(run_file: RunFile, source: lf.FoldSource, *, chunk_steps: int = 8) -> SparseSeries:
    """One fold of a parsed run as non-zero entries. LogFormatError names the file on any problem."""
    c = len(run_file.classes)
    info = _info(run_file, source)
    if source.kind == "counts":
        data = read_file_bytes(source.path, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
        return counts_bytes_sparse(info, source.path, data, chunk_steps=chunk_steps)
    files = checked_step_files(source.path, c)
    matrices = (read_step_counts(path, c) for _, path in files)
    return step_counts_sparse(info, source.path, [s for s, _ in files], matrices)


def series_arrays(series: SparseSeries) -> dict[str, np.ndarray]:
    return {
        "steps": series.steps,
        "step": series.step.astype(np.int32),
        "true": series.true.astype(np.uint16),
        "pred": series.pred.astype(np.uint16),
        "count": _smallest_uint(np.asarray(series.count)),
    }


def series_from_arrays(info: SeriesInfo, arrays: dict[str, np.ndarray] | None) -> SparseSeries | None:
    if arrays is None or any(k not in arrays for k in _SERIES_FIELDS):
        return None
    n = arrays["step"].shape
    if arrays["steps"].ndim != 1 or any(arrays[k].shape != n for k in ("true", "pred", "count")):
        return None
    return SparseSeries(info, *(arrays[k] for k in _SERIES_FIELDS))


def cache_get(cache: ArrayCache | None, key: str) -> dict[str, np.ndarray] | None:
    if cache is None:
        return None
    try:
        return cache.get_arrays(key)
    except Exception:  # noqa: BLE001 - a failing cache must never break loading
        return None


def cache_set(cache: ArrayCache | None, key: str, arrays: dict[str, np.ndarray]) -> None:
    if cache is not None:
        with contextlib.suppress(Exception):  # a failing cache must never break loading
            cache.set_arrays(key, arrays)


def _resume(
    cache: ArrayCache | None,
    info: SeriesInfo,
    path: Path,
    data: bytes,
    c: int,
    resume_key: str,
    chunk_steps: int,
) -> tuple[SparseSeries, int, int, int] | None:
    """``(series, bytes parsed, lines parsed, their CRC-32)`` parsing only the appended lines."""
    point = cache_get(cache, resume_key)
    if point is None or "meta" not in point or "key" not in point or point["meta"].shape != (3,):
        return None
    valid, lines, crc = (int(v) for v in point["meta"])
    if not 0 < valid <= len(data) or data[valid - 1 : valid] != b"\n":
        return None
    if zlib.crc32(memoryview(data)[:valid]) != crc:
        return None  # not an append: the known part changed
    prev = series_from_arrays(info, cache_get(cache, bytes(point["key"]).decode("ascii", "replace")))
    if prev is None:
        return None
    tail_steps, parts, tail_valid = _parse_lines(path, data[valid:], c, chunk_steps, first_line=lines + 1)
    steps = np.concatenate([prev.steps, tail_steps])
    if len(np.unique(steps)) != len(steps):
        return None  # a duplicated step: the full parse names it
    parts = [(prev.step, prev.true, prev.pred, prev.count)] + [
        (p[0] + len(prev.steps), *p[1:]) for p in parts
    ]
    end = valid + tail_valid
    crc = zlib.crc32(memoryview(data)[valid:end], crc)
    return _series(info, path, steps, parts), end, lines + data.count(b"\n", valid, end), crc


def _load_series(
    run_file: RunFile,
    source: lf.FoldSource,
    files: Sequence[Path],
    cache: ArrayCache | None,
    chunk_steps: int,
) -> SparseSeries:
    """One series from its own cache entry, by parsing only appended lines, or from its files."""
    c = len(run_file.classes)
    info = _info(run_file, source)
    key = digest(f"{SPARSE_CACHE_VERSION}-series", f"{c}", _file_identity(files))
    cached = series_from_arrays(info, cache_get(cache, key))
    if cached is not None:
        return cached
    if source.kind != "counts" or cache is None:
        series = read_series_sparse(run_file, source, chunk_steps=chunk_steps)
        cache_set(cache, key, series_arrays(series))
        return series
    path = source.path
    data = read_file_bytes(path, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
    if not data:  # blank lines only: "has no steps" below
        raise LogFormatError(path, "is empty: no step has been logged in it")
    resume_key = digest(
        f"{SPARSE_CACHE_VERSION}-resume", os.path.abspath(path), f"{os.stat(path).st_ino}", f"{c}"
    )
    resumed = _resume(cache, info, path, data, c, resume_key, max(1, int(chunk_steps)))
    if resumed is None:
        raw_steps, parts, valid = _parse_lines(path, data, c, max(1, int(chunk_steps)))
        series, lines = _series(info, path, raw_steps, parts), data.count(b"\n", 0, valid)
        crc = zlib.crc32(memoryview(data)[:valid])
    else:
        series, valid, lines, crc = resumed
    cache_set(cache, key, series_arrays(series))
    if valid > 0 and data[valid - 1 : valid] == b"\n":
        meta = np.array([valid, lines, crc], np.int64)
        cache_set(cache, resume_key, {"meta": meta, "key": np.frombuffer(key.encode("ascii"), np.uint8)})
    return series


def digest(prefix: str, *parts: str) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.encode(errors="surrogateescape") + b"\0")
    return f"{prefix}:{h.hexdigest()}"


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
    infos = [_info(rf, src) for rf, src, _ in located]
    cache_key = digest(
        SPARSE_CACHE_VERSION, *(f"{len(rf.classes)}\0{_file_identity(files)}" for rf, _, files in located)
    )
    return combined_sparse(
        cache,
        cache_key,
        infos,
        lambda: [_load_series(rf, src, files, cache, chunk_steps) for rf, src, files in located],
    )


def combined_sparse(
    cache: ArrayCache | None,
    cache_key: str,
    infos: Sequence[SeriesInfo],
    load: Callable[[], list[SparseSeries]],
) -> SparseCounts:
    """The series as one :class:`SparseCounts`: from the combined cache entry ``cache_key`` when it
    holds one of the right shape, else ``load()`` (each series from its own entry or its files),
    combined and cached. Shared by local folders and object storage."""
    arrays = cache_get(cache, cache_key)
    if arrays is not None:
        try:
            return SparseCounts.from_arrays(arrays, infos[0].classes, list(infos))
        except (KeyError, ValueError, TypeError):
            pass  # an entry of another shape: build it again
    counts = SparseCounts.from_series(load())
    cache_set(cache, cache_key, counts.to_arrays())
    return counts
