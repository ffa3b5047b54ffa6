"""``<fold>.counts.jsonl``: one ``{"step": s, "counts": [C*C ints]}`` line per logged step.

Every problem is a :class:`~confusionflow.data_access.errors.LogFormatError` naming the file and line. An
unfinished last line (an interrupted or ongoing append) is skipped with a
:class:`~confusionflow.data_access.file_bytes.LogRecoveryWarning`: only that step is lost.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from confusionflow.data_access import logformat as lf
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.file_bytes import LogRecoveryWarning, read_file_bytes, text_problem


@dataclass(frozen=True)
class CountsFile:
    """A parsed ``<fold>.counts.jsonl``.

    steps: ``(T,)`` float64 sorted; counts: ``(T, C, C)`` int64; ``valid_bytes``: length of the
    prefix made of complete, valid lines (a writer resumes appending there).
    """

    steps: np.ndarray
    counts: np.ndarray
    valid_bytes: int
    size: int


def _bad_line(path: Path, lineno: int, problem: str) -> LogFormatError:
    return LogFormatError(path, problem, where=f"line {lineno}")


def _parse_counts_line(path: Path, lineno: int, line: bytes, n_cells: int) -> tuple[float, np.ndarray]:
    """One JSON line -> (step, flat counts). Raises LogFormatError; JSON syntax errors as ValueError."""
    rec = orjson.loads(line)  # JSONDecodeError (a ValueError) is handled by the caller
    if not isinstance(rec, dict):
        raise _bad_line(path, lineno, f"expected a JSON object, found a JSON {type(rec).__name__}")
    if "step" not in rec or "counts" not in rec:
        raise _bad_line(path, lineno, f'expected keys "step" and "counts", found {sorted(rec)[:5]}')
    try:
        step = lf.validate_step(rec["step"])
    except ValueError as e:
        raise _bad_line(path, lineno, str(e)) from None
    raw = rec["counts"]
    if not isinstance(raw, list):
        raise _bad_line(path, lineno, f'"counts" must be a flat list of integers, found {type(raw).__name__}')
    if len(raw) != n_cells:
        c = round(n_cells**0.5)
        raise _bad_line(
            path,
            lineno,
            f"step {lf.format_step(step)}: {len(raw)} counts, expected {n_cells} "
            f"({c} x {c} classes from run.json, flat and row-major)",
        )
    if (b"true" in line or b"false" in line) and any(type(x) is bool for x in raw):
        raise _bad_line(
            path, lineno, f"step {lf.format_step(step)}: counts must be integers, found a boolean"
        )
    try:
        arr = np.asarray(raw)
    except (ValueError, TypeError, OverflowError):
        arr = np.asarray(raw, dtype=object)
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        bad = next((x for x in raw if type(x) is not int), None)
        if bad is None:  # all ints, but beyond 64 bits
            raise _bad_line(path, lineno, f"step {lf.format_step(step)}: a count is too large ({max(raw)})")
        raise _bad_line(path, lineno, f"step {lf.format_step(step)}: counts must be integers, found {bad!r}")
    if arr.dtype == np.uint64 and int(arr.max()) > np.iinfo(np.int64).max:
        raise _bad_line(path, lineno, f"step {lf.format_step(step)}: a count is too large ({int(arr.max())})")
    if arr.size and int(arr.min()) < 0:
        pos = int(arr.argmin())
        c = round(n_cells**0.5)
        raise _bad_line(
            path,
            lineno,
            f"step {lf.format_step(step)}: negative count {int(arr[pos])} at row {pos // c}, column {pos % c}",
        )
    if arr.size and float(arr.sum(dtype=np.float64)) > lf.MAX_STEP_TOTAL:
        raise _bad_line(
            path, lineno, f"step {lf.format_step(step)}: counts sum to more than 2**53 predictions"
        )
    return step, arr.astype(np.int64, copy=False)


def parse_counts_bytes(path: Path, data: bytes, n_classes: int, *, first_line: int = 1) -> CountsFile:
    """Parse the bytes of a counts file; see :func:`read_counts_file`.

    ``first_line`` numbers the first line of ``data`` in messages (for parsing an appended tail).
    """
    if not data:
        raise LogFormatError(path, "is empty: no step has been logged in it")
    return _parse_counts(path, data, n_classes, first_line, allow_empty=False)


def parse_counts_tail(path: Path, data: bytes, n_classes: int, *, first_line: int) -> CountsFile:
    """Parse bytes appended to a counts file whose earlier lines are already known.

    Like :func:`parse_counts_bytes`, but a tail without any complete step (only an incomplete
    line being written, or nothing) gives zero steps instead of an error.
    """
    return _parse_counts(path, data, n_classes, first_line, allow_empty=True)


def _parse_counts(
    path: Path, data: bytes, n_classes: int, first_line: int, *, allow_empty: bool
) -> CountsFile:
    n_cells = n_classes * n_classes
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the file ends with a newline, as every complete line does
    steps: list[float] = []
    rows: list[np.ndarray] = []
    linenos: list[int] = []
    valid_bytes = 0
    offset = 0
    last = len(lines) - 1
    skipped: str | None = None
    for i, line in enumerate(lines):
        end = offset + len(line) + 1
        lineno = first_line + i
        if not line.strip():
            offset = end
            if i < last:
                valid_bytes = end
            continue
        try:
            step, row = _parse_counts_line(path, lineno, line, n_cells)
        except LogFormatError:
            raise
        except ValueError as e:  # orjson.JSONDecodeError and friends: the line is not JSON
            reason = text_problem(line) or f"is not valid JSON ({e})"
            if i == last:
                skipped = f"line {lineno} {reason}"
                break
            raise _bad_line(path, lineno, reason) from None
        if i == last and not data.endswith(b"\n"):
            end -= 1  # a valid line missing only its newline (hand-written file)
        steps.append(step)
        rows.append(row)
        linenos.append(lineno)
        valid_bytes = min(end, len(data))
        offset = end
    if skipped:
        if not steps and not allow_empty:
            raise LogFormatError(path, f"has no complete step: {skipped}")
        warnings.warn(
            f"{path}: ignoring its last line, which is incomplete or damaged (an interrupted or "
            f"ongoing write): {skipped}",
            LogRecoveryWarning,
            stacklevel=4,
        )
    if not steps:
        if allow_empty:
            empty = np.zeros((0, n_classes, n_classes), dtype=np.int64)
            return CountsFile(steps=np.zeros(0), counts=empty, valid_bytes=valid_bytes, size=len(data))
        raise LogFormatError(path, "has no steps (only blank lines)")
    if len(steps) * n_cells > lf.MAX_SERIES_CELLS:
        raise LogFormatError(path, f"{len(steps)} steps of {n_classes} classes exceed the memory limit")
    step_arr = np.asarray(steps, dtype=np.float64)
    order = np.argsort(step_arr, kind="stable")
    sorted_steps = step_arr[order]
    dup = np.flatnonzero(np.diff(sorted_steps) == 0)
    if dup.size:
        a, b = order[dup[0]], order[dup[0] + 1]
        raise LogFormatError(
            path,
            f"step {lf.format_step(sorted_steps[dup[0]])} is logged twice (lines {linenos[a]} and {linenos[b]})",
        )
    counts = np.stack(rows)[order].reshape(len(steps), n_classes, n_classes)
    return CountsFile(steps=sorted_steps, counts=counts, valid_bytes=valid_bytes, size=len(data))


def read_counts_file(path: str | Path, n_classes: int) -> CountsFile:
    """Read a ``<fold>.counts.jsonl``: one ``{"step": s, "counts": [C*C ints]}`` per line.

    The last line may be incomplete (an interrupted or ongoing append): it is skipped with a
    :class:`LogRecoveryWarning`. An unparseable line anywhere else is an error naming its line.
    """
    path = Path(path)
    data = read_file_bytes(path, lf.MAX_COUNTS_FILE_BYTES, "a counts log")
    return parse_counts_bytes(path, data, n_classes)
