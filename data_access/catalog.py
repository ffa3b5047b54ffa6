"""The catalogue of a log folder: every series it holds and every entry that cannot be used.

Only ``run.json`` files are read (no count data). Every entry of the folder is isolated: a run
whose folder name is not valid UTF-8, whose ``run.json`` is damaged or hostile (nested a thousand
levels deep, far too large), or that is a symbolic link leading outside the log folder becomes a
:class:`~confusionflow.data_access.errors.LoadProblem`, and the scan goes on. :func:`scan_log_folder` never raises.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.containment import REFUSED_LINK, escapes, real_root
from confusionflow.data_access.errors import LoadProblem, LogFormatError
from confusionflow.data_access.run_file import RunFile, read_run, series_info
from confusionflow.data_access.tensor import SeriesInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanResult:
    """Every series found under the root (sorted by run, then fold) and what could not be scanned."""

    series: tuple[SeriesInfo, ...]
    problems: tuple[LoadProblem, ...]


def scan_log_folder(root: str | Path, *, follow_symlinks: bool = False) -> ScanResult:
    """Read every ``run.json`` under ``root`` and list the folds (see the module docstring)."""
    root = Path(root)
    try:
        with os.scandir(root) as it:
            entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except FileNotFoundError:
        return ScanResult((), (LoadProblem(str(root), f"{root}: log folder does not exist"),))
    except OSError as e:
        return ScanResult((), (LoadProblem(str(root), f"{root}: cannot be listed: {e.strerror}"),))
    top = real_root(root)
    infos: list[SeriesInfo] = []
    problems: list[LoadProblem] = []
    for entry in entries:
        try:
            infos.extend(_scan_run(root, top, entry, problems, follow_symlinks))
        except OSError as e:
            problems.append(LoadProblem(entry.path, f"{entry.path}: cannot be read: {e.strerror or e}"))
        except RecursionError:
            problems.append(LoadProblem(entry.path, f"{entry.path}: nests too deeply to be read"))
        except Exception as e:  # noqa: BLE001 - one entry must never stop the listing of the others
            log.exception("unexpected error scanning %r", entry.path)
            problems.append(LoadProblem(entry.path, f"{entry.path}: cannot be read ({type(e).__name__})"))
    infos.sort(key=lambda i: (i.run, i.fold))
    return ScanResult(tuple(infos), tuple(problems))


def _scan_run(
    root: Path, top: str, entry: os.DirEntry[str], problems: list[LoadProblem], follow_symlinks: bool
) -> list[SeriesInfo]:
    if not entry.is_dir():
        return []
    run_path = Path(entry.path)
    if not follow_symlinks and entry.is_symlink() and escapes(top, run_path):
        problems.append(LoadProblem(str(run_path), f"{run_path}: {REFUSED_LINK}"))
        return []
    folds = sorted(lf.fold_entries(run_path))
    run_json = run_path / lf.RUN_FILE
    if not run_json.exists():
        if folds:
            problems.append(LoadProblem(str(run_path), f"{run_path}: has fold logs but no {lf.RUN_FILE}"))
        return []
    try:
        lf.validate_name("run", entry.name)
        if not follow_symlinks and escapes(top, run_json):
            raise LogFormatError(run_json, REFUSED_LINK)
        run_file = read_run(root, entry.name)
    except LogFormatError as e:
        problems.append(LoadProblem(e.path, str(e)))
        return []
    except ValueError as e:
        problems.append(LoadProblem(str(run_path), f"{run_path}: {e}"))
        return []
    if not follow_symlinks:
        inside = []
        for fold in folds:
            if os.path.islink(fold[2]) and escapes(top, fold[2]):
                problems.append(LoadProblem(str(fold[2]), f"{fold[2]}: {REFUSED_LINK}"))
            else:
                inside.append(fold)
        folds = inside
    return fold_infos(run_file, folds, problems)


def fold_infos(
    run_file: RunFile, folds: list[tuple[str, lf.FoldKind, Path]], problems: list[LoadProblem]
) -> list[SeriesInfo]:
    """The series of one run from its fold entries; bad names and kind clashes become problems."""
    kinds: dict[str, list[tuple[lf.FoldKind, Path]]] = {}
    for name, kind, path in folds:
        kinds.setdefault(name, []).append((kind, path))
    out = []
    for name, found in kinds.items():
        path = found[0][1]
        try:
            lf.validate_name("fold", name)
        except ValueError as e:
            problems.append(LoadProblem(str(path), f"{path}: {e}"))
            continue
        if len(found) > 1:
            problems.append(
                LoadProblem(
                    f"{run_file.run}/{name}",
                    f"{path.parent}: fold {name!r} exists both as counts and as predictions; keep one",
                )
            )
            continue
        out.append(series_info(run_file, name, found[0][0]))
    return out
