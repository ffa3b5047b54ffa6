"""The native log format: names, paths, limits. See ``docs/log-format.md`` for the full description.

Layout of a log folder (``logdir``)::

    <logdir>/<run>/run.json                               the run: class list + metadata
    <logdir>/<run>/<fold>.counts.jsonl                    counts-only fold: one line per step
    <logdir>/<run>/<fold>.predictions/step-<step>.parquet per-instance fold: one file per step

Names that start with a dot are never log files: writers use them for temporary files (renamed into
place when complete), so readers skip them. Nothing in this module reads file contents.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from confusionflow.data_access.vocabulary import format_step  # noqa: F401 - steps in file names are written this way

FORMAT_NAME = "confusionflow-dash-log"
FORMAT_VERSION = 1

RUN_FILE = "run.json"
COUNTS_SUFFIX = ".counts.jsonl"
PREDICTIONS_SUFFIX = ".predictions"
STEP_PREFIX = "step-"
STEP_SUFFIX = ".parquet"
TEMP_PREFIX = "."  # temporary files are hidden, e.g. ".step-3.parquet.1234.ab12cd.tmp"

# Parquet columns of a per-instance step file.
COL_INSTANCE = "instance_id"
COL_TRUE = "y_true"
COL_PRED = "y_pred"
COL_SCORES = "scores"

# Limits: a file beyond them is refused before it is read, so a huge or sparse file fails fast
# instead of filling memory. They are generous for real training logs.
MAX_NAME_CHARS = 128
MAX_CLASSES = 4096
MAX_CLASS_NAME_CHARS = 256
MAX_RUN_FILE_BYTES = 16 * 1024**2  # run.json: classes + metadata
MAX_COUNTS_FILE_BYTES = 1024**3  # 1 GiB of JSON lines, e.g. 100 classes x ~20,000 steps
MAX_STEP_FILE_BYTES = 4 * 1024**3  # one step's Parquet predictions
MAX_INSTANCES_PER_STEP = 500_000_000
MAX_SERIES_CELLS = 250_000_000  # steps x C x C of one series held in memory (2 GB as int64)
MAX_EXACT_STEP = 2**53  # larger steps would not round-trip through float64
MAX_METADATA_DEPTH = 32  # nesting of run metadata: deeper documents are refused, never recursed into
MAX_STEP_TOTAL = 2**53  # predictions in one matrix: every sum stays exact in int64 and float64

_NAME_EXTRA = set("._=+-,@ ")
_STEP_TEXT = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")

FoldKind = Literal["counts", "predictions"]


def validate_name(kind: str, name: object) -> str:
    """Check a run or fold name and return it; raise ValueError saying what is wrong.

    Allowed: letters, digits, ``._=+-,@`` and spaces inside the name (not at either end), at most
    128 characters. Refused: ``/``, ``\\``, ``..``, a leading dot (hidden/temporary files), NUL and
    other control characters. These names become file and folder names and URL parts, so they must
    never escape the log folder.
    """
    if not isinstance(name, str):
        raise ValueError(f"{kind} name must be a string, got {type(name).__name__}")
    if not name:
        raise ValueError(f"{kind} name is empty")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"{kind} name is {len(name)} characters long; at most {MAX_NAME_CHARS} allowed")
    if "/" in name or "\\" in name:
        raise ValueError(f"{kind} name {name!r} contains a path separator")
    if ".." in name:
        raise ValueError(f"{kind} name {name!r} contains '..'")
    if name.startswith("."):
        raise ValueError(f"{kind} name {name!r} starts with a dot")
    if name != name.strip(" "):
        raise ValueError(f"{kind} name {name!r} starts or ends with a space")
    for ch in name:
        if ch.isalnum() or ch in _NAME_EXTRA:
            continue
        if ch == "\0" or not ch.isprintable():
            raise ValueError(f"{kind} name {name!r} contains a control character")
        raise ValueError(
            f"{kind} name {name!r} contains {ch!r}; use letters, digits, spaces and ._=+-,@ only"
        )
    return name


def validate_step(step: object) -> float:
    """A step as float64: a finite real number (int or float, not bool), exactly representable."""
    is_real = isinstance(step, (int, float, np.integer, np.floating))
    if isinstance(step, (bool, np.bool_)) or not is_real:
        raise ValueError(f"step must be a number (int or float), got {type(step).__name__} {step!r}")
    value = float(step)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise ValueError(f"step must be finite, got {step!r}")
    if abs(value) > MAX_EXACT_STEP:
        raise ValueError(f"step {step!r} is too large (at most 2**53)")
    return value


def parse_step_text(text: str) -> float | None:
    """Inverse of :func:`format_step`; None if ``text`` is not a plain finite decimal number."""
    if not _STEP_TEXT.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def run_dir(logdir: str | Path, run: str) -> Path:
    return Path(logdir) / validate_name("run", run)


def run_file(logdir: str | Path, run: str) -> Path:
    return run_dir(logdir, run) / RUN_FILE


def counts_file(logdir: str | Path, run: str, fold: str) -> Path:
    return run_dir(logdir, run) / (validate_name("fold", fold) + COUNTS_SUFFIX)


def predictions_dir(logdir: str | Path, run: str, fold: str) -> Path:
    return run_dir(logdir, run) / (validate_name("fold", fold) + PREDICTIONS_SUFFIX)


def fold_file_name(run: str, fold: str, kind: FoldKind) -> str:
    """Where a fold's counts are, relative to the log folder (in object storage: to the bucket
    prefix), as messages name it: ``run/fold.counts.jsonl``, or the ``run/fold.predictions/``
    folder of per-instance step files. What a user recognises in their logs, and no more of the
    server's file system than that."""
    suffix = COUNTS_SUFFIX if kind == "counts" else PREDICTIONS_SUFFIX + "/"
    return f"{run}/{fold}{suffix}"


def step_file_name(step: float) -> str:
    return f"{STEP_PREFIX}{format_step(step)}{STEP_SUFFIX}"


def split_key(key: str) -> tuple[str, str]:
    """``"run/fold"`` -> ``(run, fold)``, both validated; ValueError otherwise."""
    if not isinstance(key, str) or key.count("/") != 1:
        raise ValueError(f"series key {key!r} is not of the form 'run/fold'")
    run, fold = key.split("/")
    return validate_name("run", run), validate_name("fold", fold)


@dataclass(frozen=True)
class FoldSource:
    """Where one fold of a run lives: a counts file or a folder of per-step Parquet files."""

    fold: str
    kind: FoldKind
    path: Path


def fold_entries(run_path: Path) -> Iterator[tuple[str, FoldKind, Path]]:
    """Raw (name, kind, path) of every fold-looking entry of a run folder, hidden names skipped.

    Names are *not* validated here so callers can report bad ones; one ``os.scandir``, no reads.
    """
    with os.scandir(run_path) as it:
        for entry in it:
            name = entry.name
            if name.startswith(TEMP_PREFIX):
                continue
            if name.endswith(COUNTS_SUFFIX) and entry.is_file():
                yield name[: -len(COUNTS_SUFFIX)], "counts", Path(entry.path)
            elif name.endswith(PREDICTIONS_SUFFIX) and entry.is_dir():
                yield name[: -len(PREDICTIONS_SUFFIX)], "predictions", Path(entry.path)


def step_entries(pred_dir: Path) -> tuple[list[tuple[float, Path]], list[Path], list[Path]]:
    """Scan a predictions folder: ``(steps as (step, path) unsorted, leftover temp files, stray files)``.

    Leftover temp files are what an interrupted writer leaves behind (the step they belong to was
    never completed); stray files are anything else that is not ``step-<number>.parquet``.
    """
    steps: list[tuple[float, Path]] = []
    temps: list[Path] = []
    strays: list[Path] = []
    with os.scandir(pred_dir) as it:
        for entry in it:
            name = entry.name
            if name.startswith(TEMP_PREFIX):
                if name.endswith(".tmp"):
                    temps.append(Path(entry.path))
                continue
            if name.startswith(STEP_PREFIX) and name.endswith(STEP_SUFFIX):
                value = parse_step_text(name[len(STEP_PREFIX) : -len(STEP_SUFFIX)])
                if value is not None and entry.is_file():
                    steps.append((value, Path(entry.path)))
                    continue
            strays.append(Path(entry.path))
    return steps, temps, strays


def check_classes(classes: object) -> tuple[str, ...]:
    """The class list as a tuple: 2..MAX_CLASSES unique, non-empty, printable strings.

    Order matters: it fixes the rows and columns of every matrix, and integer labels index it.
    """
    if isinstance(classes, (str, bytes)) or not hasattr(classes, "__iter__"):
        raise ValueError(f"classes must be a list of strings, got {type(classes).__name__}")
    out = tuple(classes)
    if len(out) < 2:
        raise ValueError(f"need at least 2 classes, got {len(out)}")
    if len(out) > MAX_CLASSES:
        raise ValueError(f"{len(out)} classes is more than the limit of {MAX_CLASSES}")
    for i, name in enumerate(out):
        if not isinstance(name, str):
            raise ValueError(f"class {i} must be a string, got {type(name).__name__} {name!r}")
        if not name.strip():
            raise ValueError(f"class {i} has an empty name")
        if len(name) > MAX_CLASS_NAME_CHARS:
            raise ValueError(f"class {i} name is {len(name)} characters; at most {MAX_CLASS_NAME_CHARS}")
        if not name.isprintable():
            raise ValueError(f"class {i} name {name!r} contains a control character")
    if len(set(out)) != len(out):
        seen: set[str] = set()
        dup = next(n for n in out if n in seen or seen.add(n))  # type: ignore[func-returns-value]
        raise ValueError(f"class {dup!r} appears more than once")
    return out
