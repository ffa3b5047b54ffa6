"""``LogStore`` for a log folder on object storage (``LogStore("s3://bucket/prefix")``).

One listing per :meth:`fingerprint` (reused for ``fingerprint_ttl`` seconds, at least
:data:`MIN_FINGERPRINT_TTL`): the fingerprint, the catalogue (scanned once per change of it, by
``LogStore.catalog``) and every load of the same moment come from that one listing, so a page
load costs one listing, not one per call. Parsed series are cached under their objects' sizes
and ETags; unchanged ``run.json`` files are parsed once. Symbolic links do not exist there.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.cache import ArrayCache
from confusionflow.data_access.catalog import ScanResult
from confusionflow.data_access.counts_file import parse_counts_bytes
from confusionflow.data_access.errors import LoadProblem, LogFormatError
from confusionflow.data_access.hierarchy import HIERARCHY_FILES, MAX_HIERARCHY_BYTES
from confusionflow.data_access.hierarchy_source import OwnFile, OwnFiles
from confusionflow.data_access.object_catalog import Snapshot, read_run_object, scan_snapshot
from confusionflow.data_access.run_file import RunFile, series_info
from confusionflow.data_access.series_cache import CACHE_KEY_VERSION, compact
from confusionflow.data_access.sparse_counts import SparseCounts, SparseSeries
from confusionflow.data_access.sparse_reader import (
    SPARSE_CACHE_VERSION,
    cache_get,
    cache_set,
    combined_sparse,
    counts_bytes_sparse,
    digest,
    series_arrays,
    series_from_arrays,
    step_counts_sparse,
)
from confusionflow.data_access.step_files import read_step_counts, read_step_table
from confusionflow.data_access.storage import FsspecStorage, StorageError
from confusionflow.data_access.store import LogStore, UnknownSeriesError
from confusionflow.data_access.tensor import SeriesCounts, SeriesInfo
from confusionflow.data_access.walltime import STEP_TAIL_BYTES, counts_wall_times, step_tail_wall_time

MIN_FINGERPRINT_TTL = 2.0  # seconds: listing a bucket costs a request per 1000 objects
# Step objects fetched at once when a many-class fold is read sparsely: their bytes are held
# together (each at most MAX_STEP_FILE_BYTES), their dense matrices one at a time.
SPARSE_FETCH_BATCH = 16


def _relabel(url: str, e: LogFormatError) -> LogFormatError:
    """The error with its (relative) object name turned into the object's URL."""
    path = e.path if e.path.startswith(url) else f"{url}/{e.path}"
    return LogFormatError(path, e.problem, where=e.where)


class ObjectLogStore(LogStore):
    """A :class:`LogStore` whose root is an fsspec URL; same methods, same results."""

    def __init__(
        self,
        root: str | Path,
        *,
        cache: ArrayCache | None = None,
        follow_symlinks: bool = False,
        fingerprint_ttl: float = 0.0,
        hierarchy_file: str | Path | None = None,
    ) -> None:
        super().__init__(
            root,
            cache=cache,
            follow_symlinks=follow_symlinks,
            hierarchy_file=hierarchy_file,
            fingerprint_ttl=max(MIN_FINGERPRINT_TTL, float(fingerprint_ttl)),
        )
        self.storage = FsspecStorage(str(root))
        self.url = self.storage.url
        self.root = self.url  # type: ignore[assignment]  # a URL, not a local Path
        self._latest: tuple[Snapshot | None, str | None] = (None, None)
        self._runs: dict[str, tuple[str, RunFile]] = {}
        self._runs_lock = threading.Lock()

    # ------------------------------------------------------------------ listing
    def _list(self) -> str:
        try:
            snapshot = Snapshot.of(self.storage)
        except StorageError as e:
            self._latest = (None, str(e))
            return "missing:" + hashlib.blake2b(str(e).encode(), digest_size=8).hexdigest()
        self._latest = (snapshot, None)
        return snapshot.fingerprint

    def _snapshot(self) -> Snapshot:
        snapshot, error = self._latest
        if snapshot is None and error is None:
            self.fingerprint()
            snapshot, error = self._latest
        if snapshot is None:
            raise StorageError(error or f"{self.url}: cannot be listed")
        return snapshot

    def fingerprint(self) -> str:
        """Digest of one listing (names, sizes, ETags), reused for ``fingerprint_ttl`` seconds."""
        now = time.monotonic()
        with self._lock:
            memo = self._fingerprint
        if memo is not None and now - memo[0] < self.fingerprint_ttl:
            return memo[1]
        value = self._list()
        with self._lock:  # reused from when the listing ended: a slow listing is not wasted
            self._fingerprint = (time.monotonic(), value)
        return value

    def scan(self) -> ScanResult:
        with self._lock:
            self._scans += 1
        try:
            snapshot = self._snapshot()
        except StorageError as e:
            return ScanResult((), (LoadProblem(self.url, str(e)),))
        with self._runs_lock:
            return scan_snapshot(self.storage, snapshot, self._runs)

    def hierarchy_files(self, run: str) -> OwnFiles:
        """The hierarchy objects beside ``<run>/run.json`` in the current listing, as on disk (a
        failed listing lists none: the catalogue reports that failure)."""
        try:
            snapshot = self._snapshot()
        except StorageError:
            return OwnFiles(self.storage.show(run))
        found = []
        for base in HIERARCHY_FILES:
            name = f"{run}/{base}"
            entry = snapshot.entries.get(name)
            if entry is not None:
                read = lambda name=name: self._read(snapshot, name, MAX_HIERARCHY_BYTES, "a hierarchy")  # noqa: E731
                found.append(OwnFile(self.storage.show(name), (entry.size, entry.version), read))
        return OwnFiles(self.storage.show(run), tuple(found))

    # ------------------------------------------------------------------ loading
    def check_inside(self, *paths: str | Path) -> None:
        """Nothing to check: object storage has no symbolic links."""

    def _run_file(self, snapshot: Snapshot, run: str) -> RunFile:
        name = f"{run}/{lf.RUN_FILE}"
        version = snapshot.entries[name].version
        with self._runs_lock:
            known = self._runs.get(run)
        if known is not None and known[0] == version:
            return known[1]
        try:
            run_file = read_run_object(self.storage, snapshot, run)
        except LogFormatError as e:
            raise _relabel(self.url, e) from None
        with self._runs_lock:
            self._runs[run] = (version, run_file)
        return run_file

    def _sources(self, key: str) -> tuple[RunFile, str, lf.FoldKind, list[tuple[float, str]], Snapshot]:
        try:
            run, fold = lf.split_key(key)
        except ValueError as e:
            raise UnknownSeriesError(f"unknown series {key!r}: {e}") from None
        try:
            snapshot = self._snapshot()
        except StorageError as e:
            raise LogFormatError(self.url, str(e).removeprefix(f"{self.url}: ")) from None
        if f"{run}/{lf.RUN_FILE}" not in snapshot.entries:
            raise UnknownSeriesError(f"unknown series {key!r}: no run {run!r} in {self.url}")
        run_file = self._run_file(snapshot, run)
        counts = f"{run}/{fold}{lf.COUNTS_SUFFIX}"
        steps = snapshot.steps(run, fold)
        if counts in snapshot.entries and steps:
            raise LogFormatError(
                f"{self.url}/{run}",
                f"fold {fold!r} exists both as counts and as predictions; keep one of them",
            )
        if counts in snapshot.entries:
            return run_file, fold, "counts", [(0.0, counts)], snapshot
        if steps:
            return run_file, fold, "predictions", steps, snapshot
        raise UnknownSeriesError(f"unknown series {key!r}: run {run!r} has no fold {fold!r}")

    def _check_size(self, snapshot: Snapshot, name: str, limit: int, what: str) -> None:
        """Refuse an object from its listed size alone, before any byte is read."""
        entry = snapshot.entries[name]
        if entry.size > limit:
            raise LogFormatError(
                f"{self.url}/{name}",
                f"is {entry.size:,} bytes, more than the {limit:,}-byte limit for {what}",
            )

    def _read(self, snapshot: Snapshot, name: str, limit: int, what: str) -> bytes:
        self._check_size(snapshot, name, limit, what)
        return self.storage.read_bytes(name, limit, what)

    def _load_raw(self, key: str) -> tuple[SeriesInfo, np.ndarray, np.ndarray]:
        run_file, fold, kind, files, snapshot = self._sources(key)
        c = len(run_file.classes)
        info = series_info(run_file, fold, kind)
        names = [f"{run_file.run}/{lf.RUN_FILE}"] + [n for _, n in files]
        h = hashlib.blake2b(digest_size=20)
        h.update(f"{CACHE_KEY_VERSION}\0{self.url}\0{c}\0".encode())
        for name in names:
            e = snapshot.entries[name]
            h.update(f"{name}\0{e.size}\0{e.version}\0".encode(errors="surrogateescape"))
        cache_key = f"{CACHE_KEY_VERSION}:obj:{h.hexdigest()}"
        if self._parser is not None:
            cached = self._parser.cached_series(cache_key, c)
            if cached is not None:
                self._count("cache_hits")
                return info, cached[0], cached[1]
            self._count("cache_misses")
        try:
            steps, counts = self._parse(snapshot, kind, files, c)
        except LogFormatError as e:
            raise _relabel(self.url, e) from None
        SeriesCounts(info=info, steps=steps, counts=counts)  # validates the shapes before caching
        self._count("parsed")
        self._cache_put(cache_key, {"steps": steps, "counts": compact(counts)})
        return info, steps, counts

    def _parse(
        self, snapshot: Snapshot, kind: lf.FoldKind, files: list[tuple[float, str]], c: int
    ) -> tuple[np.ndarray, np.ndarray]:
        if kind == "counts":
            name = files[0][1]
            data = self._read(snapshot, name, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
            parsed = parse_counts_bytes(Path(name), data, c)
            return parsed.steps, parsed.counts
        for (s1, n1), (s2, _n2) in zip(files, files[1:], strict=False):
            if s1 == s2:
                raise LogFormatError(n1.rsplit("/", 1)[0], f"step {lf.format_step(s1)} is logged twice")
        if len(files) * c * c > lf.MAX_SERIES_CELLS:
            raise LogFormatError(files[0][1].rsplit("/", 1)[0], "too many steps to count in memory")
        counts = np.zeros((len(files), c, c), dtype=np.int64)
        # each step's counts are cached under the object's identity: a new step reads one object
        step_keys = {name: self._step_key(snapshot, name, c) for _, name in files}
        missing = []
        for i, (_, name) in enumerate(files):
            cached = self._parser.cached_step(step_keys[name], c) if self._parser is not None else None
            if cached is None:
                missing.append(name)
            else:
                counts[i] = cached
        for name in missing:
            self._check_size(snapshot, name, lf.MAX_STEP_FILE_BYTES, "one step")
        fetched = self.storage.read_many(missing, lf.MAX_STEP_FILE_BYTES, "one step")
        for i, (_, name) in enumerate(files):
            if name in fetched:
                counts[i] = read_step_counts(name, c, fetched[name])
                self._cache_put(step_keys[name], {"counts": compact(counts[i])})
        if missing and len(missing) < len(files):
            self._count("incremental")
        return np.array([s for s, _ in files], dtype=np.float64), counts

    def _step_key(self, snapshot: Snapshot, name: str, c: int) -> str:
        e = snapshot.entries[name]
        h = hashlib.blake2b(f"{self.url}\0{name}\0{e.size}\0{e.version}\0{c}".encode(), digest_size=20)
        return f"cf-step-obj-v1:{h.hexdigest()}"

    def _cache_put(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        if self.cache is None:
            return
        try:
            self.cache.set_arrays(key, arrays)
        except Exception:  # noqa: BLE001 - a broken cache must never stop loading
            self._count("cache_errors")

    def instances(self, key: str, step: float) -> pd.DataFrame | None:
        """Per-instance predictions of one step, None if not logged (see ``LogStore.instances``)."""
        try:
            run_file, _, kind, files, snapshot = self._sources(key)
            wanted = lf.validate_step(step)
        except (UnknownSeriesError, ValueError):
            return None
        match = [n for s, n in files if kind == "predictions" and s == wanted]
        if not match:
            return None
        data = self._read(snapshot, match[0], lf.MAX_STEP_FILE_BYTES, "one step")
        try:
            return read_step_table(match[0], len(run_file.classes), data)
        except LogFormatError as e:
            raise _relabel(self.url, e) from None

    def wall_times(self, key: str) -> dict[float, float]:
        """``{step: Unix seconds}`` of the series' steps that carry a time (see ``LogStore.wall_times``):
        a counts log is read whole; of a step object only its last bytes (its footer)."""
        _, _, kind, files, snapshot = self._sources(key)
        if kind == "counts":
            return counts_wall_times(
                self._read(snapshot, files[0][1], lf.MAX_COUNTS_FILE_BYTES, "a counts log")
            )
        tails = self.storage.read_tails({n: snapshot.entries[n].size for _, n in files}, STEP_TAIL_BYTES)
        times = {step: step_tail_wall_time(tails[name]) for step, name in files if name in tails}
        return {step: t for step, t in times.items() if t is not None}

    # ------------------------------------------------------------------ many classes
    def load_sparse(self, keys: Sequence[str], *, chunk_steps: int = 8) -> SparseCounts:
        """The named series as one :class:`SparseCounts`, read from the same listing and objects as
        :meth:`load` (see ``LogStore.load_sparse``). Cached sparsely: each series under its
        objects' sizes and ETags, and the combination of them; never densified beyond one step."""
        located = [self._sources(k) for k in keys]
        infos = [series_info(rf, fold, kind) for rf, fold, kind, _, _ in located]
        identities = [self._identity(rf, files, snap) for rf, _, _, files, snap in located]
        cache_key = digest(f"{SPARSE_CACHE_VERSION}-obj", self.url, *identities)

        def load() -> list[SparseSeries]:
            return [
                self._sparse_series(info, kind, files, snap, identity, chunk_steps)
                for info, (_, _, kind, files, snap), identity in zip(infos, located, identities, strict=True)
            ]

        return combined_sparse(self.cache, cache_key, infos, load)

    def _identity(self, run_file: RunFile, files: list[tuple[float, str]], snapshot: Snapshot) -> str:
        """The run.json and fold objects of a series with their sizes and ETags, and its class count."""
        names = [f"{run_file.run}/{lf.RUN_FILE}"] + [n for _, n in files]
        parts = [f"{n}\0{snapshot.entries[n].size}\0{snapshot.entries[n].version}" for n in names]
        return f"{len(run_file.classes)}\0" + "\0".join(parts)

    def _sparse_series(
        self,
        info: SeriesInfo,
        kind: lf.FoldKind,
        files: list[tuple[float, str]],
        snapshot: Snapshot,
        identity: str,
        chunk_steps: int,
    ) -> SparseSeries:
        key = digest(f"{SPARSE_CACHE_VERSION}-obj-series", self.url, identity)
        cached = series_from_arrays(info, cache_get(self.cache, key))
        if cached is not None:
            self._count("cache_hits")
            return cached
        self._count("cache_misses")
        try:
            series = self._read_sparse(info, kind, files, snapshot, chunk_steps)
        except LogFormatError as e:
            raise _relabel(self.url, e) from None
        self._count("parsed")
        cache_set(self.cache, key, series_arrays(series))
        return series

    def _read_sparse(
        self,
        info: SeriesInfo,
        kind: lf.FoldKind,
        files: list[tuple[float, str]],
        snapshot: Snapshot,
        chunk_steps: int,
    ) -> SparseSeries:
        if kind == "counts":
            name = files[0][1]
            data = self._read(snapshot, name, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
            return counts_bytes_sparse(info, Path(name), data, chunk_steps=chunk_steps)
        c = len(info.classes)
        folder = files[0][1].rsplit("/", 1)[0]
        for (s1, _), (s2, _) in zip(files, files[1:], strict=False):
            if s1 == s2:
                raise LogFormatError(folder, f"step {lf.format_step(s1)} is logged twice")
        if len(files) * c * c > lf.MAX_SERIES_CELLS:
            raise LogFormatError(folder, f"{len(files)} steps of {c} classes exceed the memory limit")
        for _, name in files:
            self._check_size(snapshot, name, lf.MAX_STEP_FILE_BYTES, "one step")
        return step_counts_sparse(info, Path(folder), [s for s, _ in files], self._step_matrices(files, c))

    def _step_matrices(self, files: list[tuple[float, str]], c: int) -> Iterator[np.ndarray]:
        """Each step object's ``(C, C)`` counts in order, fetched :data:`SPARSE_FETCH_BATCH` at a time."""
        names = [n for _, n in files]
        for first in range(0, len(names), SPARSE_FETCH_BATCH):
            batch = names[first : first + SPARSE_FETCH_BATCH]
            fetched = self.storage.read_many(batch, lf.MAX_STEP_FILE_BYTES, "one step")
            for name in batch:
                yield read_step_counts(name, c, fetched[name])
