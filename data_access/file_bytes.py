"""Reading a log file's bytes safely: size limits before any read, text checks, recovery warnings.

Shared by the readers of every file kind (``run_file``, ``counts_file``, ``step_files``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from confusionflow.data_access.errors import LogFormatError


class LogRecoveryWarning(UserWarning):
    """Part of a log was skipped because a writer was interrupted (or is still writing) there."""


def read_file_bytes(path: Path, limit: int, what: str) -> bytes:
    """A whole file, refused from its size alone if above ``limit``; LogFormatError naming it."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise LogFormatError(path, f"is not a regular file (expected {what})")
        if st.st_size > limit:
            raise LogFormatError(
                path,
                f"is {st.st_size:,} bytes, more than the {limit:,}-byte limit for {what}; "
                "refusing to read it (is it really a log file?)",
            )
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except LogFormatError:
        raise
    except FileNotFoundError:
        raise LogFormatError(path, f"does not exist (expected {what})") from None
    except OSError as e:
        raise LogFormatError(path, f"cannot be read: {e.strerror or e}") from None
    if len(data) > limit:  # grew while being read
        raise LogFormatError(path, f"is larger than the {limit:,}-byte limit for {what}")
    return data


def text_problem(data: bytes) -> str | None:
    """Why ``data`` is not UTF-8 text without NUL bytes, or None if it is."""
    nul = data.find(b"\0")
    if nul >= 0:
        return f"contains a NUL byte at offset {nul} (binary or damaged data, not JSON text)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})"
    return None
