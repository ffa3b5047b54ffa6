"""Durable file creation: complete, fsynced files that never overwrite what someone else created."""

from __future__ import annotations

import errno
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


def rename_new(src: Path, dst: Path) -> None:
    """Move the folder ``src`` to ``dst`` in one ``rename``, or raise FileExistsError if ``dst``
    already holds something (a run another import or writer created meanwhile).

    ``rename(2)`` of a folder onto a non-empty folder fails on POSIX (``ENOTEMPTY``/``EEXIST``) and
    onto anything at all on Windows, so two imports racing for one name cannot both succeed and a
    reader sees either nothing or the whole folder. Onto an *empty* folder it succeeds on POSIX; a
    writer that had just made that folder then finds our ``run.json`` and refuses the run (its
    ``run.json`` is created exclusively), so nothing is mixed either way.
    """
    try:
        os.rename(src, dst)
    except OSError as e:
        if e.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR) or (
            isinstance(e, FileExistsError)
        ):
            raise FileExistsError(errno.EEXIST, "already exists", str(dst)) from None
        raise
    fsync_dir(dst.parent)
