"""Reading prediction/count tables (CSV or Parquet) into validated numpy columns.

Shared by the predictions and counts importers. Everything is vectorised through Arrow: a 10
million row table is read, dictionary-encoded and checked without a Python loop over rows. Every
problem becomes a :class:`~confusionflow.data_access.errors.LogFormatError` naming the file, the column and the
first offending line (CSV, counting the header as line 1) or row (Parquet, counting from 0).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers.limits import MAX_ROWS

# role -> accepted column names (matched case-insensitively, surrounding spaces ignored)
ALIASES: dict[str, tuple[str, ...]] = {
    "run": ("run",),
    "fold": ("fold",),
    "step": ("step", "epoch"),
    "y_true": ("y_true", "target", "label", "actual"),
    "y_pred": ("y_pred", "preds", "prediction", "predicted"),
    "instance_id": ("instance_id",),
    "count": ("count",),
    "true_index": ("true_index",),
    "pred_index": ("pred_index",),
}

PARQUET_SUFFIXES = (".parquet", ".pq")
MAX_HEADER_BYTES = 64 * 1024  # a CSV header (column names) longer than this is refused unread
# roles whose values are names/labels: read as text when Arrow's type guess fails on them
_TEXT_ROLES = ("run", "fold", "y_true", "y_pred", "instance_id")


@dataclass(frozen=True)
class Table:
    """The columns of one table, keyed by role, plus how to point at a row in error messages."""

    path: Path
    columns: Mapping[str, pa.ChunkedArray]
    names: Mapping[str, str]  # role -> the column name as the user wrote it (e.g. 'Epoch')
    n_rows: int
    is_csv: bool

    def where(self, row: int) -> str:
        """'line 7' for CSV (header is line 1, so row 0 is line 2) or 'row 5' for Parquet."""
        return f"line {row + 2}" if self.is_csv else f"row {row}"

    def error(self, problem: str, row: int | None = None, column: str | None = None) -> LogFormatError:
        parts = []
        if column is not None:
            parts.append(f"column '{self.column_name(column)}'")
        if row is not None:
            parts.append(self.where(row))
        return LogFormatError(self.path, problem, where=", ".join(parts) or None)

    def column_name(self, role: str) -> str:
        return self.names.get(role, role)


def read_table(path: Path, *, required: Sequence[str], optional: Sequence[str] = ()) -> Table:
    """Read ``path`` and pick the columns playing each role.

    ``required`` roles missing from the file raise a LogFormatError that names the accepted
    aliases; ``optional`` roles are returned when present. Other columns are ignored.
    """
    path = Path(path)
    if not path.is_file():
        # a FIFO would block the read forever, a device (/dev/zero) never end
        raise LogFormatError(path, "is not a regular file; refused" if path.exists() else "file not found")
    if path.stat().st_size == 0:
        raise LogFormatError(path, "the file is empty")
    is_csv = not path.name.lower().endswith(PARQUET_SUFFIXES)
    header = _read_header(path, is_csv)
    roles = _match_columns(path, header, required, optional)
    _check_row_limit(path, is_csv)
    table = _read_csv(path, roles) if is_csv else _read_parquet(path, roles)
    if table.num_rows == 0:
        raise LogFormatError(path, "the table has a header but no rows")
    columns: dict[str, pa.ChunkedArray] = {}
    for role, name in roles.items():
        col = table.column(name)
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            raise _not_utf8(path)
        columns[role] = col
    return Table(path=path, columns=columns, names=roles, n_rows=table.num_rows, is_csv=is_csv)


def _read_header(path: Path, is_csv: bool) -> list[str]:
    if not is_csv:
        try:
            return list(pq.read_schema(path).names)
        except (pa.ArrowException, OSError) as e:
            raise LogFormatError(path, f"not a readable Parquet file ({e})") from None
    with _open_bytes(path) as f:
        # bounded: a small .gz can hold a gigabyte-long first line
        first = f.readline(MAX_HEADER_BYTES + 1)
    if len(first) > MAX_HEADER_BYTES:
        raise LogFormatError(
            path,
            f"the first line (the header) is longer than {MAX_HEADER_BYTES:,} bytes; is this a table?",
            where="line 1",
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    if not text.strip():
        raise LogFormatError(path, "the first line (the header) is empty", where="line 1")
    try:
        return next(csv.reader([text.rstrip("\r\n")], delimiter=_delimiter(path)))
    except csv.Error as e:
        raise LogFormatError(path, f"the header cannot be read as CSV ({e})", where="line 1") from None


def _check_row_limit(path: Path, is_csv: bool) -> None:
    """Refuse a table of more than ``limits.MAX_ROWS`` rows before parsing it: Parquet from its
    footer, CSV by counting line ends in 1 MiB chunks (stopping at the limit; memory stays flat)."""
    if not is_csv:
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except (pa.ArrowException, OSError) as e:
            raise LogFormatError(path, f"not a readable Parquet file ({e})") from None
    else:
        rows = -1  # the header
        try:
            with _open_bytes(path) as f:
                while rows <= MAX_ROWS and (chunk := f.read(1 << 20)):
                    rows += chunk.count(b"\n")
        except (OSError, EOFError, zlib.error) as e:
            raise LogFormatError(path, f"cannot be read: {e}") from None
    if rows > MAX_ROWS:
        shown = f"{rows:,}" if not is_csv else f"more than {MAX_ROWS:,}"
        raise LogFormatError(
            path, f"has {shown} rows; an import takes at most {MAX_ROWS:,} (split the table)"
        )


def _open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed for ``.gz`` (Arrow decompresses it by the same rule)."""
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")  # type: ignore[return-value]


def _delimiter(path: Path) -> str:
    return "\t" if path.name.lower().endswith((".tsv", ".tsv.gz", ".tab")) else ","


def _match_columns(
    path: Path, header: Sequence[str], required: Sequence[str], optional: Sequence[str]
) -> dict[str, str]:
    roles: dict[str, str] = {}
    missing = []
    for role in (*required, *optional):
        found = [name for name in header if name.strip().lower() in ALIASES[role]]
        if len(found) > 1:
            raise LogFormatError(
                path,
                f"columns {found} all mean '{role}'; keep one of them",
                where="header",
            )
        if found:
            roles[role] = found[0]
        elif role in required:
            missing.append(role)
    if missing:
        wanted = "; ".join(f"'{r}' (accepted names: {', '.join(ALIASES[r])})" for r in missing)
        raise LogFormatError(
            path,
            f"missing column {wanted}. Columns found: {list(header)}",
            where="header",
        )
    return roles


def _read_csv(path: Path, roles: Mapping[str, str]) -> pa.Table:
    read = pcsv.ReadOptions(block_size=1 << 24)
    parse = pcsv.ParseOptions(delimiter=_delimiter(path))
    wanted = list(dict.fromkeys(roles.values()))

    def attempt(text_columns: Sequence[str]) -> pa.Table:
        convert = pcsv.ConvertOptions(
            include_columns=wanted,
            strings_can_be_null=True,
            column_types={c: pa.string() for c in text_columns},
        )
        return pcsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)

    try:
        return attempt([])
    except pa.ArrowInvalid as first:
        # Arrow guesses a column's type from its first block; a label column that looks numeric at
        # the top and holds text further down fails. Read the name/label columns as text instead.
        text_cols = [roles[r] for r in _TEXT_ROLES if r in roles]
        try:
            return attempt(text_cols)
        except pa.ArrowInvalid as e:
            raise _csv_error(path, e) from None
        except pa.ArrowException:
            raise _csv_error(path, first) from None


def _csv_error(path: Path, e: Exception) -> LogFormatError:
    message = str(e)
    if "UTF8" in message or "UTF-8" in message:
        return _not_utf8(path)
    if "Expected" in message and "columns" in message:
        line = _first_ragged_line(path)
        if line is not None:
            return LogFormatError(path, f"wrong number of fields ({message})", where=f"line {line}")
    return LogFormatError(path, f"cannot be read as CSV: {message}")


def _first_ragged_line(path: Path) -> int | None:
    """Only on the error path: the first line whose field count differs from the header's."""
    with _open_bytes(path) as f:
        text = (line.decode("utf-8-sig", errors="replace") for line in f)
        rows = csv.reader(text, delimiter=_delimiter(path))
        width = None
        for row in rows:
            if width is None:
                width = len(row)
            elif row and len(row) != width:
                return rows.line_num
    return None


def _read_parquet(path: Path, roles: Mapping[str, str]) -> pa.Table:
    try:
        return pq.read_table(path, columns=list(dict.fromkeys(roles.values())))
    except (pa.ArrowException, OSError) as e:
        raise LogFormatError(path, f"not a readable Parquet file ({e})") from None


def _not_utf8(path: Path) -> LogFormatError:
    """Find the first line that is not UTF-8 (only on this error path) so the user can fix it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with _open_bytes(path) as f:
        for raw in f:
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as e:
                return LogFormatError(
                    path,
                    f"not UTF-8 text (byte {raw[e.start : e.start + 1]!r} at position {e.start + 1}); "
                    "save the file as UTF-8",
                    where=f"line {line}",
                )
            line += 1
    return LogFormatError(path, "not UTF-8 text; save the file as UTF-8")


# --------------------------------------------------------------------------- column conversion
def first_null(col: pa.ChunkedArray) -> int | None:
    if col.null_count == 0:
        return None
    return int(np.flatnonzero(pc.is_null(col).to_numpy(zero_copy_only=False))[0])


def encode(table: Table, role: str, *, what: str) -> tuple[np.ndarray, list]:
    """Dictionary-encode a column: ``(codes (N,) int64, uniques)`` with uniques as Python values.

    Empty cells are refused, naming the first one.
    """
    codes, dictionary = encode_arrow(table, role, what=what)
    return codes, dictionary.to_pylist()


def encode_arrow(table: Table, role: str, *, what: str) -> tuple[np.ndarray, pa.Array]:
    """Like :func:`encode`, but the uniques stay an Arrow array (no Python objects for millions of ids)."""
    col = table.columns[role]
    row = first_null(col)
    if row is not None:
        raise table.error(f"empty {what}", row=row, column=role)
    enc = pc.dictionary_encode(col.combine_chunks() if col.num_chunks != 1 else col.chunk(0))
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return codes, enc.dictionary


def numeric(table: Table, role: str, *, what: str) -> np.ndarray:
    """A numeric column as float64 (N,), refusing empty cells, text and non-finite values."""
    col = table.columns[role]
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        if not (
            pa.types.is_null(col.type) or pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        ):
            raise table.error(f"{what} must be a number, found values of type {col.type}", column=role)
        try:
            col = pc.cast(col, pa.float64())
        except pa.ArrowInvalid:
            bad_row, value = _first_non_number(col)
            raise table.error(f"{what} must be a number, found {value!r}", row=bad_row, column=role) from None
    row = first_null(col)
    if row is not None:
        raise table.error(f"empty {what}", row=row, column=role)
    out = col.to_numpy().astype(np.float64, copy=False)
    bad_rows = np.flatnonzero(~np.isfinite(out))
    if len(bad_rows):
        raise table.error(
            f"{what} must be finite, found {out[bad_rows[0]]}", row=int(bad_rows[0]), column=role
        )
    return out


def _first_non_number(col: pa.ChunkedArray) -> tuple[int, object]:
    """Only on the error path: the first value that is not a number, and its row."""
    values = col.to_pylist()
    for i, v in enumerate(values):
        if v is None:
            continue
        try:
            float(v)
        except (TypeError, ValueError):
            return i, v
    return 0, values[0]


def label_strings(uniques: Sequence[object]) -> list[str]:
    """Labels as class names: ints as '3', integral floats as '3' (not '3.0'), text unchanged."""
    out = []
    for u in uniques:
        if isinstance(u, float) and u.is_integer():
            out.append(str(int(u)))
        else:
            out.append(str(u))
    return out


def sort_labels(labels: Sequence[str]) -> list[str]:
    """Sorted class names: numerically when every label is a finite number (so '10' follows '9')."""

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value

    try:
        return sorted(labels, key=lambda s: (number(s), s))
    except ValueError:
        return sorted(labels)


def codes_to_names(table: Table, role: str, *, what: str) -> tuple[np.ndarray, list[str]]:
    codes, uniques = encode(table, role, what=what)
    return codes, label_strings(uniques)


def first_row_with(codes: np.ndarray, bad_codes: Sequence[int]) -> int:
    return int(np.flatnonzero(np.isin(codes, np.asarray(bad_codes)))[0])
