"""A cheap digest of a log folder that changes whenever a log file is added, changed or removed.

Only ``os.scandir`` and ``stat``: no file is opened, so polling it every few seconds per page is
cheap. Hidden (temporary) files are ignored until they are renamed into place. Step files of
per-instance folds are tracked by name (they are never rewritten; a new step is a new name), so
their number costs one directory listing, not one ``stat`` each.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from confusionflow.data_access import logformat as lf


def log_fingerprint(root: str | Path) -> str:
    """32 hex digits; ``"missing"`` when the folder cannot be listed. Never raises for the folder's
    content (an unreadable entry is hashed as such, so becoming readable again is a change)."""
    h = hashlib.blake2b(digest_size=16)
    try:
        with os.scandir(root) as it:
            runs = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError:
        return "missing"
    for run in runs:
        try:
            if not run.is_dir():
                continue
            h.update(b"R" + run.name.encode(errors="surrogateescape") + b"\0")
            _hash_dir(h, run.path, depth=1)
        except OSError:
            h.update(b"E\0")  # unreadable now: a change from readable, and back
    return h.hexdigest()


def _hash_dir(h: Any, path: str, depth: int) -> None:
    with os.scandir(path) as it:
        entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    for entry in entries:
        name = entry.name.encode(errors="surrogateescape")
        if entry.is_dir():
            # a folder's own mtime changes with hidden temp files: hash its visible entries instead
            h.update(b"D" + name + b"\0")
            if depth > 0 and entry.name.endswith(lf.PREDICTIONS_SUFFIX):
                _hash_dir(h, entry.path, depth - 1)
            continue
        if depth == 0:
            # step files are written once and renamed into place: a new name is the change.
            # Names alone need no stat per file, which keeps folders of thousands of steps cheap.
            h.update(b"N" + name + b"\0")
            continue
        st = entry.stat()
        h.update(b"F" + name + f"\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\0".encode())
