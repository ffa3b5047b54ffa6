"""Parsing series through the shared array cache, incrementally.

Parsed arrays are cached under a key made of every source file's path, inode, size and mtime
(:func:`series_cache_key`), so an appended step or a rewritten file is a new key (never a stale
hit) and no invalidation is needed. A live run grows by one step at a time; on a cache miss only
what is new is parsed (see :class:`SeriesParser`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.cache import ArrayCache
from confusionflow.data_access.containment import REFUSED_LINK, escapes
from confusionflow.data_access.counts_file import parse_counts_bytes, parse_counts_tail
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import read_file_bytes
from confusionflow.data_access.run_file import RunFile
from confusionflow.data_access.step_files import checked_step_files, read_step_counts
from confusionflow.data_access.tensor import SeriesCounts, SeriesInfo

log = logging.getLogger(__name__)

CACHE_KEY_VERSION = "cf-series-v1"


def _digest_key(prefix: str, *parts: object) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(str(part).encode(errors="surrogateescape") + b"\0")
    return f"{prefix}:{h.hexdigest()}"


def compact(counts: np.ndarray) -> np.ndarray:
    """Counts in the smallest unsigned dtype that holds them: cached blobs 2-8x smaller."""
    if counts.dtype.kind == "u" and counts.dtype.itemsize < 8:
        return counts  # already compact
    top = int(counts.max()) if counts.size else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return counts.astype(dtype)
    return counts


def source_paths(run_file: RunFile, source: lf.FoldSource) -> list[Path]:
    """Every file a series is read from: its run.json, then its counts file or its step files."""
    paths = [run_file.path]
    if source.kind == "counts":
        paths.append(source.path)
    else:
        steps, _, _ = lf.step_entries(source.path)
        paths.extend(sorted(p for _, p in steps))
    return paths


def series_cache_key(paths: list[Path], n_classes: int, *, inside: str | None = None) -> str:
    """Digest of every source file's identity: any append, rewrite or new step changes it.

    With ``inside`` (a resolved log folder), a path that is a symbolic link leading outside it is
    refused with LogFormatError; the check costs nothing for paths that are not links (the
    ``lstat`` is the one the key needs anyway).
    """
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{CACHE_KEY_VERSION}\0{n_classes}\0".encode())
    for path in paths:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            if inside is not None and escapes(inside, path):
                raise LogFormatError(path, REFUSED_LINK)
            st = os.stat(path)
        h.update(f"{os.path.abspath(path)}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return f"{CACHE_KEY_VERSION}:{h.hexdigest()}"


class SeriesParser:
    """Reads series through ``cache``; ``count(name)`` is told of every parse, hit and error."""

    def __init__(self, cache: ArrayCache, count: Callable[[str], None]) -> None:
        self.cache = cache
        self._count = count

    def cached_series(self, cache_key: str, n_classes: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(steps, compact counts)`` from the cache if present and well-formed, else None."""
        cached = self._cache_get(cache_key)
        if cached is None:
            return None
        steps, counts = cached.get("steps"), cached.get("counts")
        c = n_classes
        if (
            steps is not None
            and counts is not None
            and steps.dtype == np.float64
            and steps.ndim == 1
            and bool(np.all(np.diff(steps) > 0))
            and counts.dtype.kind in "iu"
            and counts.shape == (len(steps), c, c)
        ):
            return steps, counts
        self._count("cache_errors")
        return None

    def cached_step(self, key: str, n_classes: int) -> np.ndarray | None:
        """One step's cached ``(C, C)`` counts, or None if absent or of another shape."""
        cached = self._cache_get(key)
        counts = cached.get("counts") if cached is not None else None
        if counts is None or counts.shape != (n_classes, n_classes) or counts.dtype.kind not in "iu":
            return None
        return counts

    def parse_series(
        self, info: SeriesInfo, source: lf.FoldSource, cache_key: str
    ) -> tuple[np.ndarray, np.ndarray]:
        """Parse a series on a cache miss (only what is new, when possible) and cache it."""
        c = len(info.classes)
        if source.kind == "counts":
            steps, counts = self._parse_counts(source.path, c, cache_key)
        else:
            steps, counts = self._parse_predictions(source.path, c)
        SeriesCounts(info=info, steps=steps, counts=counts)  # validates the shapes before caching
        self._cache_set(cache_key, {"steps": steps, "counts": compact(counts)})  # no copy if compact
        return steps, counts

    # ------------------------------------------------------------------ incremental parsing
    # A live run grows by one step at a time. Re-parsing a long counts file for every new line (or
    # every step file for every new step) would make each update cost as much as the whole run, so
    # on a cache miss the store parses only what is new:
    # - counts file: a small "resume" entry, keyed by the file's path and inode, remembers how many
    #   bytes were parsed, their CRC-32, and the cache key of the series parsed from them. If the
    #   file still starts with exactly those bytes (an append), only the bytes after them are
    #   parsed; anything else (a rewrite, a duplicate step) falls back to a full parse.
    # - predictions folder: each step file's (C, C) counts are cached under its own identity
    #   (path, inode, size, mtime), so only new or replaced step files are read.
    def _parse_counts(self, path: Path, c: int, cache_key: str) -> tuple[np.ndarray, np.ndarray]:
        data = read_file_bytes(path, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
        resume_key = _digest_key("cf-resume-v1", os.path.abspath(path), os.stat(path).st_ino, c)
        resumed = self._resume_counts(path, data, c, resume_key)
        if resumed is None:
            parsed = parse_counts_bytes(path, data, c)
            steps, counts, valid = parsed.steps, compact(parsed.counts), parsed.valid_bytes
            lines, crc = data.count(b"\n", 0, valid), zlib.crc32(memoryview(data)[:valid])
        else:
            steps, counts, valid, lines, crc = resumed
            self._count("incremental")
        if valid > 0 and data[valid - 1 : valid] == b"\n":
            key_bytes = np.frombuffer(cache_key.encode("ascii"), dtype=np.uint8)
            self._cache_set(resume_key, {"meta": np.array([valid, lines, crc], np.int64), "key": key_bytes})
        return steps, counts

    def _resume_counts(
        self, path: Path, data: bytes, c: int, resume_key: str
    ) -> tuple[np.ndarray, np.ndarray, int, int, int] | None:
        """``(steps, compact counts, valid bytes, lines, crc)`` parsing only the appended bytes, or None."""
        point = self._cache_get(resume_key)
        if point is None or "meta" not in point or "key" not in point or point["meta"].shape != (3,):
            return None
        valid, lines, crc = (int(v) for v in point["meta"])
        if not 0 < valid <= len(data) or data[valid - 1 : valid] != b"\n":
            return None
        if zlib.crc32(memoryview(data)[:valid]) != crc:
            return None  # not an append: the known part changed
        previous = self._cache_get(bytes(point["key"]).decode("ascii", errors="replace"))
        if previous is None or "steps" not in previous or "counts" not in previous:
            return None
        old_steps, old_counts = previous["steps"], previous["counts"]
        if (
            old_steps.ndim != 1
            or old_steps.dtype != np.float64
            or old_counts.shape != (len(old_steps), c, c)
            or old_counts.dtype.kind not in "iu"
        ):
            return None
        tail = parse_counts_tail(path, data[valid:], c, first_line=lines + 1)
        end = valid + tail.valid_bytes
        lines += data.count(b"\n", valid, end)
        crc = zlib.crc32(memoryview(data)[valid:end], crc)
        if not len(tail.steps):
            return old_steps, old_counts, end, lines, crc
        dtype = np.promote_types(old_counts.dtype, compact(tail.counts).dtype)
        if len(old_steps) == 0 or tail.steps[0] > old_steps[-1]:  # the usual case: later steps appended
            return (
                np.concatenate([old_steps, tail.steps]),
                np.concatenate([old_counts.astype(dtype, copy=False), tail.counts.astype(dtype)]),
                end,
                lines,
                crc,
            )
        steps = np.concatenate([old_steps, tail.steps])
        order = np.argsort(steps, kind="stable")
        steps = steps[order]
        if np.any(np.diff(steps) == 0):
            return None  # a duplicated step: the full parse names both lines
        counts = np.concatenate([old_counts.astype(dtype, copy=False), tail.counts.astype(dtype)])[order]
        return steps, counts, end, lines, crc

    def _parse_predictions(self, pred_dir: Path, c: int) -> tuple[np.ndarray, np.ndarray]:
        files = checked_step_files(pred_dir, c)
        counts = np.zeros((len(files), c, c), dtype=np.int64)
        reused = 0
        for i, (_, path) in enumerate(files):
            st = os.stat(path)  # before reading: the key never claims newer content than was read
            key = _digest_key("cf-step-v1", os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns, c)
            cached = self._cache_get(key)
            if cached is not None and cached.get("counts", np.empty(0)).shape == (c, c):
                counts[i] = cached["counts"]
                reused += 1
                continue
            counts[i] = read_step_counts(path, c)
            self._cache_set(key, {"counts": compact(counts[i])})
        if reused:
            self._count("incremental")
        return np.array([s for s, _ in files], dtype=np.float64), counts

    def _cache_get(self, cache_key: str) -> dict[str, np.ndarray] | None:
        try:
            return self.cache.get_arrays(cache_key) if self.cache is not None else None
        except Exception as e:  # noqa: BLE001 - a broken cache must never stop loading
            self._count("cache_errors")
            log.warning("cache read failed (%s); parsing the logs instead", e)
            return None

    def _cache_set(self, cache_key: str, arrays: dict[str, np.ndarray]) -> None:
        try:
            if self.cache is not None:
                self.cache.set_arrays(cache_key, arrays)
        except Exception as e:  # noqa: BLE001 - a broken cache must never stop loading
            self._count("cache_errors")
            log.warning("cache write failed: %s", e)
