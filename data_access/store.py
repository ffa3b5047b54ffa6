"""``LogStore``: the app's one door to a log folder. Lists series, loads them (cached), and tells
cheaply when anything on disk changed.

Series are addressed by keys ``"run/fold"``. A series that cannot be loaded never stops the others:
:meth:`LogStore.load` returns what loaded plus a :class:`LoadProblem` per failure, and listing
(:meth:`LogStore.catalog`) never raises. The work is done by one module per job: ``catalog``
(listing), ``fingerprint`` (change detection), ``series_cache`` (cached, incremental parsing),
``containment`` (symbolic links). The store keeps no mutable state besides its counters and two
memos keyed by the folder's fingerprint, so one instance can serve every thread of a web server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.cache import ArrayCache
from confusionflow.data_access.catalog import ScanResult, scan_log_folder
from confusionflow.data_access.containment import check_inside, real_root
from confusionflow.data_access.errors import LoadProblem, LogFormatError
from confusionflow.data_access.fingerprint import log_fingerprint
from confusionflow.data_access.hierarchy import Hierarchy
from confusionflow.data_access.hierarchy_source import HierarchySource, OwnFiles, local_files
from confusionflow.data_access.reader import fold_source, series_from_run, step_file
from confusionflow.data_access.run_file import RunFile, read_run, series_info
from confusionflow.data_access.series_cache import SeriesParser, series_cache_key, source_paths
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.sparse_reader import load_sparse
from confusionflow.data_access.step_files import read_step_table
from confusionflow.data_access.storage import is_url
from confusionflow.data_access.tensor import ConfusionTensor, SeriesCounts, SeriesInfo
from confusionflow.data_access.walltime import fold_wall_times

__all__ = ["LoadResult", "LogStore", "ScanResult", "UnknownSeriesError"]


class UnknownSeriesError(LookupError):
    """The key names no series under the store's root (or is not a valid ``run/fold`` key)."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class LoadResult:
    """Series that loaded, as one tensor (None if none did), and what failed."""

    tensor: ConfusionTensor | None
    problems: tuple[LoadProblem, ...] = ()


def assemble(items: list[tuple[SeriesInfo, np.ndarray, np.ndarray]]) -> ConfusionTensor:
    """``ConfusionTensor.from_series`` without the intermediate int64 copy of each series.

    Cached counts arrive in a compact dtype; they are widened straight into the tensor's
    ``(S, T, C, C)`` int64 array (one pass instead of two, ~2x faster for 100 classes).
    """
    steps = np.unique(np.concatenate([s for _, s, _ in items]))
    classes = items[0][0].classes
    c = len(classes)
    counts = np.zeros((len(items), len(steps), c, c), dtype=np.int64)
    mask = np.zeros((len(items), len(steps)), dtype=bool)
    for i, (_, s, cnt) in enumerate(items):
        if len(s) == len(steps):  # the usual case: this series has every step
            counts[i] = cnt
            mask[i] = True
        else:
            pos = np.searchsorted(steps, s)
            counts[i, pos] = cnt
            mask[i, pos] = True
    return ConfusionTensor(
        counts=counts, mask=mask, steps=steps, classes=classes, series=tuple(i for i, _, _ in items)
    )


class LogStore:
    """A log folder (``root``) of runs; see the module docstring. ``root`` may be a URL
    (``s3://bucket/prefix``): the logs are then read from object storage (``object_store``).

    cache:           shared array cache; None disables caching.
    follow_symlinks: serve run folders, fold files and step files that are symbolic links leading
                     outside ``root`` (refused, as a listed problem, by default).
    fingerprint_ttl: seconds a computed :meth:`fingerprint` is reused (0: every call walks the
                     folder). A server polling many times a second sets ~1 s: changes then show
                     at most that much later, and listing costs one walk per second, not per call.
    """

    def __new__(cls, root: str | Path, **_: object) -> LogStore:
        """A URL root (``s3://bucket/prefix``, any fsspec URL) gives an
        :class:`~confusionflow.data_access.object_store.ObjectLogStore`; a local path this class."""
        if cls is LogStore and is_url(root):
            from confusionflow.data_access.object_store import ObjectLogStore  # imports this module

            return super().__new__(ObjectLogStore)
        return super().__new__(cls)

    def __init__(
        self,
        root: str | Path,
        *,
        cache: ArrayCache | None = None,
        follow_symlinks: bool = False,
        fingerprint_ttl: float = 0.0,
        hierarchy_file: str | Path | None = None,
    ) -> None:
        self.root = Path(root)
        self.hierarchies = HierarchySource(hierarchy_file)
        self.cache = cache
        self.follow_symlinks = follow_symlinks
        self.fingerprint_ttl = max(0.0, float(fingerprint_ttl))
        self._stats = {
            "parsed": 0,
            "incremental": 0,
            "cache_hits": 0,
            "cache_misses": 0,
            "cache_errors": 0,
        }
        self._scans = 0
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self._resolved_root: str | None = None
        self._catalog: tuple[str, ScanResult] | None = None
        self._fingerprint: tuple[float, str] | None = None
        self._parser = SeriesParser(cache, self._count) if cache is not None else None

    # ------------------------------------------------------------------ counters
    @property
    def stats(self) -> dict[str, int]:
        """Counters since creation: series parsed from files, cache hits/misses, cache errors."""
        with self._lock:
            return dict(self._stats)

    @property
    def scans(self) -> int:
        """How many times the folder was scanned (``run.json`` files read) since creation."""
        with self._lock:
            return self._scans

    def _count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1

    # ------------------------------------------------------------------ listing
    def scan(self) -> ScanResult:
        """Read every ``run.json`` and list the folds now (no count data is read; never raises)."""
        with self._lock:
            self._scans += 1
        return scan_log_folder(self.root, follow_symlinks=self.follow_symlinks)

    def catalog(self) -> ScanResult:
        """The scan of the folder as it is now, scanned once per change of :meth:`fingerprint`."""
        fingerprint = self.fingerprint()
        with self._scan_lock:  # threads arriving during a scan wait for it instead of repeating it
            memo = self._catalog
            if memo is not None and memo[0] == fingerprint:
                return memo[1]
            result = self.scan()
            self._catalog = (fingerprint, result)
            return result

    def list_series(self) -> list[SeriesInfo]:
        """Every series under the root, sorted by run then fold (see :meth:`catalog`)."""
        return list(self.catalog().series)

    def problems(self) -> list[LoadProblem]:
        """Runs and folds the scan could not use, and hierarchies that do not fit their runs,
        each with its file and what is wrong."""
        catalog = self.catalog()
        return list(catalog.problems) + self.hierarchies.problems(
            catalog.series, self.hierarchy_files, self.fingerprint()
        )

    def hierarchy(self, info: SeriesInfo) -> Hierarchy | None:
        """The class hierarchy ``info``'s run is shown with (``confusionflow.data_access.hierarchy_source``),
        or None; a file that does not fit is one of :meth:`problems`, never an exception."""
        return self.hierarchies.resolve(info, self.hierarchy_files(info.run), self.fingerprint()).hierarchy

    def hierarchy_files(self, run: str) -> OwnFiles:
        """The hierarchy files beside ``run``'s ``run.json`` (``hierarchy.json`` / ``.csv``)."""
        return local_files(self.root / run)

    # ------------------------------------------------------------------ loading
    def _real_root(self) -> str:
        """The root with links resolved, computed once it exists (links inside it are checked
        against this; re-pointing the root itself needs a new store)."""
        if self._resolved_root is None:
            if not self.root.exists():
                return real_root(self.root)
            self._resolved_root = real_root(self.root)
        return self._resolved_root

    def check_inside(self, *paths: str | Path) -> None:
        """Raise LogFormatError for the first path leading outside the root (unless links are followed)."""
        if not self.follow_symlinks:
            check_inside(self._real_root(), *paths)

    def _locate(self, key: str) -> tuple[RunFile, lf.FoldSource]:
        try:
            run, fold = lf.split_key(key)
        except ValueError as e:
            raise UnknownSeriesError(f"unknown series {key!r}: {e}") from None
        if not (self.root / run / lf.RUN_FILE).is_file():
            raise UnknownSeriesError(f"unknown series {key!r}: no run {run!r} in {self.root}")
        self.check_inside(self.root / run / lf.RUN_FILE)  # resolving it covers its run folder too
        run_file = read_run(self.root, run)
        source = fold_source(self.root, run, fold)
        if source is None:
            raise UnknownSeriesError(f"unknown series {key!r}: run {run!r} has no fold {fold!r}")
        self.check_inside(source.path)
        return run_file, source

    def _load_raw(self, key: str) -> tuple[SeriesInfo, np.ndarray, np.ndarray]:
        """``(info, steps, counts)``; counts may be in a compact unsigned dtype when cached."""
        run_file, source = self._locate(key)
        try:
            paths = source_paths(run_file, source)
            inside = None if self.follow_symlinks else self._real_root()  # refuses step-file links
            cache_key = series_cache_key(paths, len(run_file.classes), inside=inside)
        except OSError as e:
            raise LogFormatError(source.path, f"cannot be read: {e.strerror or e}") from None
        info = series_info(run_file, source.fold, source.kind)
        if self._parser is None:
            series = series_from_run(run_file, source)
            self._count("parsed")
            return series.info, series.steps, series.counts
        cached = self._parser.cached_series(cache_key, len(info.classes))
        if cached is not None:
            self._count("cache_hits")
            return info, cached[0], cached[1]
        self._count("cache_misses")
        steps, counts = self._parser.parse_series(info, source, cache_key)
        self._count("parsed")
        return info, steps, counts

    def load_series(self, key: str) -> SeriesCounts:
        """One series, from the cache when its files are unchanged, else parsed (and cached).

        Raises :class:`UnknownSeriesError` for a key with no series, LogFormatError for bad files.
        The arrays are the caller's own (writable int64 copies).
        """
        info, steps, counts = self._load_raw(key)
        return SeriesCounts(
            info=info, steps=np.array(steps, dtype=np.float64), counts=np.array(counts, dtype=np.int64)
        )

    def load(self, keys: Iterable[str]) -> LoadResult:
        """Load several series into one tensor; failures become problems, the rest still load.

        All series of a tensor share one class list: a series whose classes differ from the first
        loaded one's is left out with a problem saying so.
        """
        loaded: list[tuple[SeriesInfo, np.ndarray, np.ndarray]] = []
        problems: list[LoadProblem] = []
        for key in dict.fromkeys(keys):
            try:
                info, steps, counts = self._load_raw(key)
            except (UnknownSeriesError, LogFormatError) as e:
                problems.append(LoadProblem(str(key), str(e)))
                continue
            except (OSError, ValueError) as e:
                problems.append(LoadProblem(str(key), f"{key}: {e}"))
                continue
            if loaded and info.classes != loaded[0][0].classes:
                first = loaded[0][0]
                problems.append(
                    LoadProblem(
                        key,
                        f"{key}: its {len(info.classes)} classes differ from the "
                        f"{len(first.classes)} classes of {first.key} (shown first); series with different "
                        "class lists cannot share one matrix, so it is left out",
                    )
                )
                continue
            loaded.append((info, steps, counts))
        return LoadResult(tensor=assemble(loaded) if loaded else None, problems=tuple(problems))

    def load_sparse(self, keys: Sequence[str], *, chunk_steps: int = 8) -> SparseCounts:
        """The named series (sharing one class list) as one :class:`SparseCounts`, never dense:
        how series of many classes are read (``confusionflow.data_access.sparse_reader``), through
        the store's cache. Raises LogFormatError / ValueError naming what cannot be read."""
        return load_sparse(self.root, keys, cache=self.cache, chunk_steps=chunk_steps)

    def wall_times(self, key: str) -> dict[float, float]:
        """``{step: Unix seconds}`` of the series' steps that carry a wall-clock time (for hovers;
        ``confusionflow.data_access.walltime``). A step file leading outside the root is skipped."""
        _, source = self._locate(key)
        times = fold_wall_times(source)
        if source.kind == "predictions" and not self.follow_symlinks:
            files = {step: path for step, path in lf.step_entries(source.path)[0]}
            for step in list(times):
                try:
                    self.check_inside(files[step])
                except LogFormatError:
                    del times[step]
        return times

    def instances(self, key: str, step: float) -> pd.DataFrame | None:
        """Per-instance predictions of one step (see ``reader.read_instances``); None if not logged."""
        try:
            run, fold = lf.split_key(key)
        except ValueError:
            return None
        if not (self.root / run / lf.RUN_FILE).is_file():
            return None
        try:
            run_file, source = self._locate(key)
        except UnknownSeriesError:
            return None
        path = step_file(source, step)
        if path is None:
            return None
        self.check_inside(path)
        return read_step_table(path, len(run_file.classes))

    # ------------------------------------------------------------------ change detection
    def fingerprint(self) -> str:
        """A short digest that changes whenever a log file under the root is added, changed or
        removed (``confusionflow.data_access.fingerprint``), reused for ``fingerprint_ttl`` seconds."""
        if self.fingerprint_ttl > 0:
            now = time.monotonic()
            with self._lock:
                memo = self._fingerprint
            if memo is not None and now - memo[0] < self.fingerprint_ttl:
                return memo[1]
            value = log_fingerprint(self.root)
            with self._lock:
                self._fingerprint = (now, value)
            return value
        return log_fingerprint(self.root)
