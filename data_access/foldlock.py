"""One writer per fold: an OS file lock held for the writer's life.

The lock is ``fcntl.flock`` on a hidden file beside the fold (``<run>/.<fold>.lock``, skipped by
every reader). ``flock`` locks belong to an open file, so a second ``LogWriter`` in the *same*
process is refused just like one in another process or another rank of a distributed job; the
kernel releases the lock when its holder exits, however it dies (``kill -9`` included), so a
crashed writer never blocks the next run. The lock file holds the holder's ``<pid>@<host tag>``
for the error message. It is deleted on release *while still locked*, and a writer that got the
lock checks the file it locked is still the one at the path (else it retries), so two writers can
never hold locks on two different files of one name. A writer killed with ``kill -9`` leaves the
file behind: harmless, the next writer locks and removes it.

On Linux NFS clients ``flock`` is carried out as a byte-range lock on the server, so writers on
different machines exclude each other too. Where ``fcntl`` does not exist (Windows), the lock is
not available and writing proceeds without it (one writer per fold remains the user's duty).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from confusionflow.data_access.tempfiles import owner_tag

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".lock"


class FoldBusyError(RuntimeError):
    """Another writer holds the fold; the message names the fold and the holder's pid."""


def lock_path(run_path: Path, fold: str) -> Path:
    return Path(run_path) / f".{fold}{LOCK_SUFFIX}"


class FoldLock:
    """An exclusive, non-blocking lock on one fold of one run. ``acquire`` once, ``release`` once."""

    def __init__(self, run_path: Path, run: str, fold: str) -> None:
        self.path = lock_path(run_path, fold)
        self.run = run
        self.fold = fold
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`FoldBusyError` at once (never waits)."""
        if fcntl is None or self._fd is not None:
            return
        for _ in range(100):  # retries only when a holder removed the file between open and flock
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise FoldBusyError(
                    f"fold {self.fold!r} of run {self.run!r} is being written by another writer "
                    f"({holder}, lock file {self.path}); one writer per fold at a time: log this "
                    "fold from one process only (e.g. rank zero), or use another fold or run name"
                ) from None
            except BaseException:
                os.close(fd)
                raise
            if _same_file(fd, self.path):
                break
            os.close(fd)  # we locked a file its holder had just removed: try the current one
        else:  # pragma: no cover - 100 removals in a row
            raise FoldBusyError(f"fold {self.fold!r} of run {self.run!r}: its lock file keeps changing")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{owner_tag()}\n".encode(), 0)
        except OSError:
            pass  # the holder's name is only for messages
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)  # still locked: nobody can be holding another copy
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    pid = text.split("@", 1)[0]
    return f"pid {pid}" if pid.isdigit() else "unknown pid"
