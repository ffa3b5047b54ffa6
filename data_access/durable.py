"""Durable file creation: complete, fsynced files that never overwrite what someone else created."""

from __future__ import annotations

import os
from pathlib import Path

from confusionflow.data_access.tempfiles import temp_name


def fsync_dir(path: Path) -> None:
    """Make a new directory entry durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def create_exclusive(path: Path, data: bytes) -> bool:
    """Create ``path`` holding ``data``, complete and durable, or return False if it already exists.

    Written to a hidden temporary file, fsynced, then hard-linked into place: readers never see it
    empty or half written, and a file created meanwhile by someone else is never overwritten.
    """
    tmp = path.with_name(temp_name(path.name))
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # file systems without hard links: a tiny race remains, no torn file
            if path.exists():
                return False
            os.replace(tmp, path)
        fsync_dir(path.parent)
        return True
    finally:
        tmp.unlink(missing_ok=True)
