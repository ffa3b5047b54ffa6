"""Which hierarchy a series is shown with, and the problems of the ones that cannot be used.

Precedence (docs/hierarchy.md): the global file (``--hierarchy`` / ``CONFUSIONFLOW_HIERARCHY``)
when one is given, else the run's own (``hierarchy.json`` / ``hierarchy.csv`` beside
``run.json``, or ``run.json``'s ``metadata["hierarchy"]``; the same rule for a local folder and for
logs on object storage, whose store lists the files as :class:`OwnFiles`), else the run's
``metadata["superclasses"]`` read as a one-level hierarchy. A file that does not fit a run (unknown
or missing classes, a cycle, ...) is a :class:`~confusionflow.data_access.errors.LoadProblem`
naming the file and the classes; that run then falls back to its own hierarchy, or none. Files
are only read, never written.

Resolutions are memoised per run, its class list, the logs' fingerprint and the version (size and
time, or ETag) of each hierarchy file involved, so a callback does not re-read a file that did not change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from confusionflow.data_access.class_groups import superclass_mapping
from confusionflow.data_access.errors import LoadProblem, LogFormatError
from confusionflow.data_access.file_bytes import read_file_bytes
from confusionflow.data_access.hierarchy import (
    HIERARCHY_FILES,
    MAX_HIERARCHY_BYTES,
    Hierarchy,
    read_hierarchy,
    stored_hierarchy,
)
from confusionflow.data_access.tensor import SeriesInfo

HIERARCHY_PROBLEM = "hierarchy"  # LoadProblem.kind of a hierarchy that cannot be used


@dataclass(frozen=True)
class Resolved:
    """The hierarchy a run is shown with (None: none) and the problems met on the way."""

    hierarchy: Hierarchy | None
    problems: tuple[LoadProblem, ...] = ()


def superclass_hierarchy(info: SeriesInfo) -> Hierarchy | None:
    """``metadata["superclasses"]`` (``{"class": "superclass"}``) as a one-level hierarchy; a class
    it does not name stays a class of its own (the rule the superclass view always had)."""
    mapping = superclass_mapping(info)
    if mapping is None:
        return None
    paths = tuple((mapping[c],) if c in mapping else () for c in info.classes)
    return Hierarchy(f"{info.run}/run.json (metadata.superclasses)", tuple(info.classes), paths)


@dataclass(frozen=True)
class OwnFile:
    """One hierarchy file beside a run's ``run.json``: its name for messages (path or URL), its
    version (changes whenever its content does) and how to read its bytes (size-limited)."""

    shown: str
    version: object
    read: Callable[[], bytes]


@dataclass(frozen=True)
class OwnFiles:
    """Where a run's own hierarchy is looked for: the run (folder path or URL, for messages) and
    those of :data:`HIERARCHY_FILES` that exist beside its ``run.json``."""

    run: str
    files: tuple[OwnFile, ...] = ()


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def local_files(run_dir: Path) -> OwnFiles:
    """The hierarchy files beside ``run_dir/run.json`` on disk (read with the size limit)."""
    found = []
    for name in HIERARCHY_FILES:
        path = run_dir / name
        version = _stat(path) if path.is_file() else None
        if version is not None:
            read = lambda path=path: read_file_bytes(path, MAX_HIERARCHY_BYTES, "a hierarchy")  # noqa: E731
            found.append(OwnFile(str(path), version, read))
    return OwnFiles(str(run_dir), tuple(found))


def resolve_hierarchy(info: SeriesInfo, own: OwnFiles, global_file: Path | None) -> Resolved:
    """The hierarchy ``info``'s run is shown with (see the module docstring); never raises for a
    bad file. ``own``: the run's own hierarchy files (:func:`local_files`, or the object store's)."""
    problems: list[LoadProblem] = []
    if global_file is not None:
        try:
            return Resolved(read_hierarchy(global_file, info.classes))
        except (LogFormatError, OSError) as e:
            problems.append(LoadProblem(str(global_file), f"{e} (run {info.run!r})", HIERARCHY_PROBLEM))
    try:
        files = [(f.shown, f.read) for f in own.files]
        mine = stored_hierarchy(own.run, files, info.classes, info.metadata)
    except (LogFormatError, OSError) as e:
        problems.append(LoadProblem(str(getattr(e, "path", own.run)), str(e), HIERARCHY_PROBLEM))
        mine = None
    return Resolved(mine or superclass_hierarchy(info), tuple(problems))


class HierarchySource:
    """Resolves and memoises the hierarchy of each run for one log folder (thread-safe)."""

    def __init__(self, global_file: str | Path | None = None, size: int = 1024) -> None:
        self.global_file = Path(global_file) if global_file else None
        self.size = size
        self._items: OrderedDict[tuple, Resolved] = OrderedDict()
        self._lock = threading.Lock()

    def resolve(self, info: SeriesInfo, own: OwnFiles, fingerprint: str) -> Resolved:
        """The hierarchy of ``info``'s run, whose own hierarchy files are ``own``."""
        key = (
            fingerprint,
            info.run,
            tuple(info.classes),
            _stat(self.global_file) if self.global_file else None,
            own.run,
            tuple((f.shown, f.version) for f in own.files),
        )
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        value = resolve_hierarchy(info, own, self.global_file)
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def problems(
        self, infos: Iterable[SeriesInfo], own: Callable[[str], OwnFiles], fingerprint: str
    ) -> list[LoadProblem]:
        """The problems of every run's hierarchy (one entry per problem, runs in listing order);
        ``own(run)`` lists a run's own hierarchy files."""
        seen: set[str] = set()
        out: list[LoadProblem] = []
        for info in infos:
            if info.run in seen:
                continue
            seen.add(info.run)
            out.extend(self.resolve(info, own(info.run), fingerprint).problems)
        return out


def path_order(hierarchy: Hierarchy, classes: Sequence[str]) -> np.ndarray:
    """``(C,)`` classes ordered along the hierarchy: each group's members side by side at every
    level (groups in order of their first class), classes as logged inside their deepest group.

    >>> h = Hierarchy("h", ("dog", "car", "eagle", "cat"), (("animal", "mammal"), ("vehicle",),
    ...     ("animal", "bird"), ("animal", "mammal")))
    >>> path_order(h, h.classes).tolist()
    [0, 3, 2, 1]
    """
    path_of = dict(zip(hierarchy.classes, hierarchy.paths, strict=True))
    depth = hierarchy.depth
    first: dict[tuple[str, ...], int] = {}
    keys = np.zeros((depth + 1, len(classes)), dtype=np.int64)
    for i, name in enumerate(classes):
        path = path_of.get(name, ())
        for d in range(depth):
            prefix = path[: d + 1] if d < len(path) else (*path, f"\0{name}")
            keys[d, i] = first.setdefault(prefix, i)
        keys[depth, i] = i
    # np.lexsort sorts by the last key first: top level first, then deeper, then logged order
    return np.lexsort(keys[::-1]).astype(np.intp)
