"""Catalogue and fingerprint of a log folder on object storage, from one listing.

A :class:`Snapshot` is one listing of every object under the root (names, sizes, ETags). Its
:attr:`~Snapshot.fingerprint` changes whenever an object is added, replaced or removed; the
catalogue (:func:`scan_snapshot`) is derived from the same listing plus one read of each
``run.json``. Hidden names (a leading dot at any level) are never log files, as on disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.catalog import ScanResult, fold_infos
from confusionflow.data_access.errors import LoadProblem, LogFormatError
from confusionflow.data_access.run_file import RunFile, parse_run_file
from confusionflow.data_access.storage import Entry, LogStorage
from confusionflow.data_access.tensor import SeriesInfo


@dataclass(frozen=True)
class Snapshot:
    """Every visible object under the root by relative name, as one listing saw it."""

    entries: dict[str, Entry]
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        h = hashlib.blake2b(digest_size=16)
        for name in sorted(self.entries):
            e = self.entries[name]
            h.update(f"{name}\0{e.size}\0{e.version}\0".encode(errors="surrogateescape"))
        object.__setattr__(self, "fingerprint", h.hexdigest())

    @classmethod
    def of(cls, storage: LogStorage) -> Snapshot:
        """One listing of ``storage`` (raises StorageError)."""
        return cls({n: e for n, e in storage.list_entries().items() if not _hidden(n)})

    def runs(self) -> dict[str, list[str]]:
        """Run name -> the names (relative to the run) of its objects."""
        out: dict[str, list[str]] = {}
        for name in self.entries:
            if "/" in name:
                run, rest = name.split("/", 1)
                out.setdefault(run, []).append(rest)
        return out

    def steps(self, run: str, fold: str) -> list[tuple[float, str]]:
        """``(step, object name)`` of a predictions fold, sorted by step (duplicates kept)."""
        prefix = f"{run}/{fold}{lf.PREDICTIONS_SUFFIX}/"
        found = []
        for name in self.entries:
            if name.startswith(prefix) and "/" not in name[len(prefix) :]:
                base = name[len(prefix) :]
                if base.startswith(lf.STEP_PREFIX) and base.endswith(lf.STEP_SUFFIX):
                    value = lf.parse_step_text(base[len(lf.STEP_PREFIX) : -len(lf.STEP_SUFFIX)])
                    if value is not None:
                        found.append((value, name))
        return sorted(found)


def _hidden(name: str) -> bool:
    return any(part.startswith(lf.TEMP_PREFIX) for part in name.split("/"))


def fold_objects(files: list[str]) -> list[tuple[str, lf.FoldKind, Path]]:
    """``(fold, kind, relative path)`` of a run's fold-looking objects (names not validated)."""
    folds: dict[tuple[str, lf.FoldKind], Path] = {}
    for rest in files:
        head = rest.split("/", 1)[0]
        if "/" not in rest and head.endswith(lf.COUNTS_SUFFIX):
            folds[(head[: -len(lf.COUNTS_SUFFIX)], "counts")] = Path(head)
        elif "/" in rest and head.endswith(lf.PREDICTIONS_SUFFIX):
            folds[(head[: -len(lf.PREDICTIONS_SUFFIX)], "predictions")] = Path(head)
    return sorted((name, kind, path) for (name, kind), path in folds.items())


def read_run_object(storage: LogStorage, snapshot: Snapshot, run: str) -> RunFile:
    """Read and validate ``<run>/run.json``; its size limit is checked from the listing first."""
    name = f"{run}/{lf.RUN_FILE}"
    shown = f"{storage.url}/{name}"
    entry = snapshot.entries.get(name)
    if entry is not None and entry.size > lf.MAX_RUN_FILE_BYTES:
        raise LogFormatError(
            shown,
            f"is {entry.size:,} bytes, more than the {lf.MAX_RUN_FILE_BYTES:,}-byte limit for a run.json",
        )
    data = storage.read_bytes(name, lf.MAX_RUN_FILE_BYTES, "a run.json")
    run_file = parse_run_file(Path(name), data, run)
    return run_file


def scan_snapshot(
    storage: LogStorage, snapshot: Snapshot, runs: dict[str, tuple[str, RunFile]] | None = None
) -> ScanResult:
    """The catalogue of a snapshot (never raises). ``runs`` memoises parsed ``run.json`` files by
    run name with their ETag: an unchanged run.json is not read again (updated in place)."""
    memo = runs if runs is not None else {}
    infos: list[SeriesInfo] = []
    problems: list[LoadProblem] = []
    url = storage.url
    for run, files in sorted(snapshot.runs().items()):
        folds = fold_objects(files)
        if lf.RUN_FILE not in files:
            if folds:
                problems.append(
                    LoadProblem(f"{url}/{run}", f"{url}/{run}: has fold logs but no {lf.RUN_FILE}")
                )
            continue
        try:
            lf.validate_name("run", run)
            version = snapshot.entries[f"{run}/{lf.RUN_FILE}"].version
            known = memo.get(run)
            if known is not None and known[0] == version:
                run_file = known[1]
            else:
                run_file = read_run_object(storage, snapshot, run)
                memo[run] = (version, run_file)
        except LogFormatError as e:
            message = str(e) if e.path.startswith(url) else f"{url}/{e}"
            problems.append(LoadProblem(f"{url}/{run}/{lf.RUN_FILE}", message))
            continue
        except ValueError as e:
            problems.append(LoadProblem(f"{url}/{run}", f"{url}/{run}: {e}"))
            continue
        local: list[LoadProblem] = []
        infos.extend(fold_infos(run_file, [(n, k, Path(run) / p) for n, k, p in folds], local))
        problems.extend(LoadProblem(f"{url}/{p.source}", f"{url}/{p.message}") for p in local)
    for gone in set(memo) - set(snapshot.runs()):
        del memo[gone]
    infos.sort(key=lambda i: (i.run, i.fold))
    return ScanResult(tuple(infos), tuple(problems))
