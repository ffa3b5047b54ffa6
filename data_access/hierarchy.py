"""Class hierarchies: a class -> group mapping with any number of levels, read from CSV or JSON.

A hierarchy gives every class a *group path*, root first: ``("animal", "mammal")`` for ``dog``.
Accepted inputs (see docs/log-format.md, "Class hierarchies"):

- CSV with a header: columns ``class,group`` (``group`` = the path, ``/``-separated, e.g.
  ``dog,animal/mammal``), or one column ``path`` holding full paths ``animal/mammal/dog``.
- JSON: an object ``{"dog": "animal/mammal", ...}`` or a list of full paths
  ``["animal/mammal/dog", ...]``; the same value may be stored as ``run.json``'s
  ``metadata["hierarchy"]``.

Validation names the file and the classes: classes unknown to the run, classes missing from the
mapping, a class in two groups, a group inside two groups, a cycle, a name that is both a class
and a group. Group names are unique in the tree (each has one parent), so a group is named by
its last segment (``mammal``) in labels.

:meth:`Hierarchy.mapping` and :meth:`Hierarchy.drill` produce the ``class -> group`` mapping that
``ConfusionTensor.aggregate`` / ``SparseCounts.aggregate`` consume (a class absent from it stays
a class of its own).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import read_file_bytes

HIERARCHY_FILES = ("hierarchy.json", "hierarchy.csv")  # looked for beside run.json
METADATA_KEY = "hierarchy"
SEPARATOR = "/"
MAX_HIERARCHY_BYTES = 16 * 1024**2


class HierarchyError(LogFormatError):
    """A hierarchy that cannot be used; the message starts with its file (or run.json key)."""


def _names(items: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(repr(x) for x in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _split(source: str, text: object, where: str) -> tuple[str, ...]:
    if not isinstance(text, str):
        raise HierarchyError(source, f"expected a text path, found {type(text).__name__}", where=where)
    parts = tuple(text.split(SEPARATOR)) if text else ()
    if any(not p.strip() for p in parts):
        raise HierarchyError(source, f"path {text!r} has an empty level", where=where)
    return parts


def _entries(source: str, value: Any) -> list[tuple[str, tuple[str, ...], str]]:
    """``[(class, group path, where)]`` from a parsed JSON value."""
    out = []
    if isinstance(value, dict):
        for cls_name, group in value.items():
            out.append((cls_name, _split(source, group, f"key {cls_name!r}"), f"key {cls_name!r}"))
    elif isinstance(value, list):
        for n, full in enumerate(value):
            path = _split(source, full, f"item {n}")
            if len(path) < 1:
                raise HierarchyError(source, "an empty path", where=f"item {n}")
            out.append((path[-1], path[:-1], f"item {n}"))
    else:
        raise HierarchyError(
            source,
            f"expected a JSON object (class -> group path) or a list of paths, found {type(value).__name__}",
        )
    return out


def _csv_entries(source: str, text: str) -> list[tuple[str, tuple[str, ...], str]]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise HierarchyError(source, "is empty")
    header = [h.strip().lower() for h in rows[0]]
    out = []
    if header[:2] == ["class", "group"]:
        for n, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < 2:
                raise HierarchyError(source, "expected two columns: class,group", where=f"line {n}")
            out.append((row[0], _split(source, row[1], f"line {n}"), f"line {n}"))
    elif header[:1] == ["path"]:
        for n, row in enumerate(rows[1:], start=2):
            if not row or not row[0]:
                continue
            path = _split(source, row[0], f"line {n}")
            out.append((path[-1], path[:-1], f"line {n}"))
    else:
        raise HierarchyError(
            source, f"first line must be the header 'class,group' or 'path', found {','.join(rows[0])!r}"
        )
    return out


def _find_cycle(up: Mapping[str, set[str]]) -> list[str] | None:
    """A cycle of the child -> parent graph ``up``, as the list of its nodes, or None."""
    done: set[str] = set()
    for start in up:
        if start in done:
            continue
        trail: list[str] = []
        on_trail: set[str] = set()
        stack: list[tuple[str, bool]] = [(start, True)]
        while stack:
            node, entering = stack.pop()
            if not entering:
                trail.pop()
                on_trail.discard(node)
                done.add(node)
                continue
            if node in on_trail:
                return trail[trail.index(node) :]
            if node in done:
                continue
            trail.append(node)
            on_trail.add(node)
            stack.append((node, False))
            stack.extend((p, True) for p in sorted(up.get(node, ())))
    return None


def _check_tree(source: str, paths: Mapping[str, tuple[str, ...]]) -> None:
    """Cycles, a group inside two groups, a name that is both a class and a group."""
    parents: dict[str, set[str | None]] = {}
    for cls_name, path in paths.items():
        chain = (*path, cls_name)
        for depth, node in enumerate(chain):
            if node in chain[:depth]:
                raise HierarchyError(
                    source, f"cycle: {node!r} is its own ancestor in {SEPARATOR.join(chain)!r}"
                )
            parents.setdefault(node, set()).add(chain[depth - 1] if depth else None)
    groups = {g for path in paths.values() for g in path}
    both = sorted(set(paths) & groups)
    if both:
        raise HierarchyError(source, f"names used both as a class and as a group: {_names(both)}")
    up = {n: {p for p in ps if p is not None} for n, ps in parents.items()}
    cycle = _find_cycle(up)
    if cycle:
        raise HierarchyError(source, f"cycle between groups: {' -> '.join(map(repr, [*cycle, cycle[0]]))}")
    for node in sorted(groups):
        if len(parents[node]) > 1:
            where = sorted("(top level)" if p is None else repr(p) for p in parents[node])
            raise HierarchyError(source, f"group {node!r} is in more than one group: {', '.join(where)}")


@dataclass(frozen=True)
class Hierarchy:
    """Group paths of a run's classes. ``paths[i]`` is the path of ``classes[i]``, root first."""

    source: str
    classes: tuple[str, ...]
    paths: tuple[tuple[str, ...], ...]

    @classmethod
    def from_entries(
        cls, source: str, entries: Sequence[tuple[str, tuple[str, ...], str]], classes: Sequence[str]
    ) -> Hierarchy:
        """Validate ``(class, group path, where)`` entries against the run's ``classes``."""
        found: dict[str, tuple[str, ...]] = {}
        for name, path, where in entries:
            if name in found and found[name] != path:
                raise HierarchyError(
                    source,
                    f"class {name!r} is in two groups: {SEPARATOR.join(found[name])!r} and "
                    f"{SEPARATOR.join(path)!r}",
                    where=where,
                )
            found[name] = path
        known = set(classes)
        unknown = [n for n in found if n not in known]
        if unknown:
            raise HierarchyError(
                source, f"names {len(unknown)} classes the run does not have: {_names(unknown)}"
            )
        missing = [c for c in classes if c not in found]
        if missing:
            raise HierarchyError(
                source, f"does not place {len(missing)} of the run's classes: {_names(missing)}"
            )
        _check_tree(source, found)
        return cls(source, tuple(classes), tuple(found[c] for c in classes))

    @property
    def depth(self) -> int:
        """Number of group levels (1 for superclasses only)."""
        return max((len(p) for p in self.paths), default=0)

    def groups(self, level: int) -> tuple[str, ...]:
        """Group names at ``level`` (1 = top), in order of their first class."""
        self._check_level(level)
        return tuple(dict.fromkeys(p[level - 1] for p in self.paths if len(p) >= level))

    def _check_level(self, level: int) -> None:
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= self.depth:
            raise ValueError(f"{self.source}: level must be 0..{self.depth}, got {level!r}")

    def mapping(self, level: int) -> dict[str, str]:
        """``class -> group`` at ``level`` (1 = top; 0 = no grouping). A class whose path is
        shorter than ``level`` stays a class (absent from the mapping)."""
        self._check_level(level)
        if level == 0:
            return {}
        return {c: p[level - 1] for c, p in zip(self.classes, self.paths, strict=True) if len(p) >= level}

    def drill(self, group: str, level: int, *, member_level: int | None = None) -> dict[str, str]:
        """Mapping with ``group``'s members expanded and every other class aggregated at ``level``.

        Members are shown as classes, or as their groups at ``member_level`` (deeper than
        ``group``). ``group`` must be at ``level`` or above it (an ancestor is never split).
        """
        self._check_level(level)
        depth = next((p.index(group) + 1 for p in self.paths if group in p), None)
        if depth is None:
            raise ValueError(f"{self.source}: no group named {group!r}")
        if depth > level:
            raise ValueError(
                f"{self.source}: group {group!r} is at level {depth}, below the aggregation level {level}"
            )
        if member_level is not None and not depth < member_level <= self.depth:
            raise ValueError(f"{self.source}: member_level must be {depth + 1}..{self.depth}")
        out = {}
        for c, p in zip(self.classes, self.paths, strict=True):
            inside = len(p) >= depth and p[depth - 1] == group
            lvl = (member_level or 0) if inside else level
            if lvl and len(p) >= lvl:
                out[c] = p[lvl - 1]
        return out


def parse_hierarchy(source: str, data: bytes, classes: Sequence[str], *, kind: str) -> Hierarchy:
    """Parse ``data`` (``kind`` "csv" or "json") and validate it against ``classes``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HierarchyError(source, f"is not UTF-8 text ({e})") from None
    if kind == "csv":
        return Hierarchy.from_entries(source, _csv_entries(source, text), classes)
    if kind == "json":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise HierarchyError(source, f"is not valid JSON: {e}") from None
        return Hierarchy.from_entries(source, _entries(source, value), classes)
    raise ValueError(f"unknown hierarchy kind {kind!r}; expected 'csv' or 'json'")


def read_hierarchy(path: str | Path, classes: Sequence[str]) -> Hierarchy:
    """Read a ``.csv`` or ``.json`` hierarchy file (never modified) and validate it."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("csv", "json"):
        raise HierarchyError(path, "a hierarchy file must end in .csv or .json")
    return parse_hierarchy(
        str(path), read_file_bytes(path, MAX_HIERARCHY_BYTES, "a hierarchy"), classes, kind=kind
    )


def run_hierarchy(
    run_dir: str | Path, classes: Sequence[str], metadata: Mapping[str, Any]
) -> Hierarchy | None:
    """The hierarchy stored with a run: ``hierarchy.json`` / ``hierarchy.csv`` beside ``run.json``,
    or ``metadata["hierarchy"]``; None if there is none. Two of them at once is an error."""
    run_dir = Path(run_dir)
    found = [run_dir / name for name in HIERARCHY_FILES if (run_dir / name).is_file()]
    files = [(str(f), lambda f=f: read_file_bytes(f, MAX_HIERARCHY_BYTES, "a hierarchy")) for f in found]
    return stored_hierarchy(str(run_dir), files, classes, metadata)


def stored_hierarchy(
    run: str,
    files: Sequence[tuple[str, Callable[[], bytes]]],
    classes: Sequence[str],
    metadata: Mapping[str, Any],
) -> Hierarchy | None:
    """The hierarchy stored with the run at ``run`` (a local folder or an object-storage URL, for
    messages): ``files`` are ``(shown name, read its bytes)`` of the :data:`HIERARCHY_FILES` that
    exist beside its ``run.json``, so a local folder and a bucket follow one rule (this one).
    One file or ``metadata["hierarchy"]``; None without either; two at once is an error."""
    sources = [name for name, _ in files] + ([f"{run}/run.json metadata"] if METADATA_KEY in metadata else [])
    if len(sources) > 1:
        raise HierarchyError(run, f"has more than one hierarchy ({_names(sources)}); keep one")
    if files:
        name, read = files[0]
        return parse_hierarchy(name, read(), classes, kind=name.rsplit(".", 1)[-1].lower())
    if METADATA_KEY in metadata:
        return metadata_hierarchy(f"{run}/run.json (metadata.{METADATA_KEY})", metadata, classes)
    return None


def metadata_hierarchy(source: str, metadata: Mapping[str, Any], classes: Sequence[str]) -> Hierarchy | None:
    """``metadata["hierarchy"]`` (the JSON forms) validated against ``classes``; None without one."""
    if METADATA_KEY not in metadata:
        return None
    return Hierarchy.from_entries(source, _entries(source, metadata[METADATA_KEY]), classes)


def check_hierarchy_file(path: str | Path) -> Hierarchy:
    """Read a hierarchy file on its own (its classes are the ones it names): the checks that need
    no run (the file exists, is CSV or JSON, a tree without cycles). Raises HierarchyError (or
    LogFormatError for an unreadable file) naming the file; the classes are checked per run."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("csv", "json"):
        raise HierarchyError(path, "a hierarchy file must end in .csv or .json")
    if not path.is_file():
        raise HierarchyError(path, "no such file")
    data = read_file_bytes(path, MAX_HIERARCHY_BYTES, "a hierarchy")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HierarchyError(path, f"is not UTF-8 text ({e})") from None
    if kind == "csv":
        entries = _csv_entries(str(path), text)
    else:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as e:
            raise HierarchyError(path, f"is not valid JSON: {e}") from None
        entries = _entries(str(path), value)
    return Hierarchy.from_entries(str(path), entries, list(dict.fromkeys(name for name, _, _ in entries)))
