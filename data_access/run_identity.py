"""Run identity: what to do when a run name is already logged (``mode``), checked without writing.

``mode="new"`` (the default) refuses an existing run, ``mode="resume"`` appends to it (same class
list), ``mode="version"`` starts ``<run>-v2`` (``-v3``, ...). :class:`~confusionflow.data_access.writer.LogWriter`
applies the mode when it is constructed; :func:`check_run_identity` applies the same rules
without writing anything, for callers that open their writer later (the framework callbacks open
it when the first step is logged, on the main process only) but must fail before any training.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.file_bytes import read_file_bytes
from confusionflow.data_access.run_file import RunFile, parse_run_file
from confusionflow.data_access.storage import refuse_url_for_writing
from confusionflow.data_access.write_inputs import class_names

__all__ = ["MODES", "RunExistsError", "WriteMode", "check_run_identity"]

WriteMode = Literal["new", "resume", "version"]
MODES = ("new", "resume", "version")


class RunExistsError(ValueError):
    """``LogWriter(..., mode="new")`` on a run name that is already logged."""


def exists_message(run: str, logdir: str | Path) -> str:
    return (
        f"run {run!r} already exists in {logdir}; nothing was written. Pass "
        f"mode='resume' to append to it (after its last logged step), mode='version' to "
        f"start {run + '-v2'!r}, or choose another run name"
    )


def existing_run_with(target: Path, run: str, classes: tuple[str, ...]) -> RunFile:
    """The parsed ``run.json`` at ``target``; ``ValueError`` if it has another class list."""
    existing = parse_run_file(target, read_file_bytes(target, lf.MAX_RUN_FILE_BYTES, "a run.json"), run)
    if existing.classes != classes:
        raise ValueError(
            f"{target}: run {run!r} was logged with classes {list(existing.classes)}, "
            f"not {list(classes)}; use a new run name for a different class list"
        )
    return existing


def check_run_identity(
    logdir: str | Path, run: str, classes: Sequence[str] | Sequence[int], *, mode: WriteMode = "new"
) -> None:
    """Refuse now what ``LogWriter(logdir, run, classes, mode=mode)`` would refuse; writes nothing.

    For callers that open their writer only when the first step is logged (the framework
    callbacks): calling this when they are constructed makes a script run twice fail before any
    training, as ``LogWriter(...)`` itself does. Raises :class:`RunExistsError` for an existing run
    under ``mode="new"``, ``ValueError`` for a bad mode, run name or class list, or (under
    ``mode="resume"``) an existing run logged with other classes, and ``StorageError`` for a URL.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    refuse_url_for_writing(logdir)
    name = lf.validate_name("run", run)
    names = lf.check_classes(class_names(classes))
    target = lf.run_dir(Path(logdir), name) / lf.RUN_FILE
    if mode == "version" or not target.exists():
        return
    if mode == "new":
        raise RunExistsError(exists_message(name, logdir))
    existing_run_with(target, name, names)
