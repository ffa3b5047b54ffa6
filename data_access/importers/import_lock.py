"""One import at a time moves runs into a log folder: an OS lock held while it checks and moves.

Imports stage their runs without the lock (the long part: parsing, writing, reading back), then
take ``<logdir>/.imports.lock`` (a :class:`~confusionflow.data_access.foldlock.FoldLock`: released by
the kernel however its holder dies, removed on release, skipped by every reader), check the
destination again and move into place. So of two imports creating the same run at once, the one
that takes the lock second finds the run there and refuses with "already exists" before moving
anything, and a many-run import is never half moved because another one moved a run in between.
The lock is held for renames and, when merging into existing folds, appends: milliseconds to
seconds; a second import waits for it (polling), at most ``timeout_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.foldlock import FoldBusyError, FoldLock

LOCK_NAME = "imports"  # the lock file is ".imports.lock" in the log folder
WAIT_SECONDS = 120.0
POLL_SECONDS = 0.01


@contextmanager
def import_lock(logdir: Path, *, timeout_seconds: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the log folder's import lock for the ``with`` block; LogFormatError after waiting
    ``timeout_seconds`` for another import (nothing of this import has been moved then)."""
    lock = FoldLock(logdir, "(log folder)", LOCK_NAME)
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            lock.acquire()
            break
        except FoldBusyError:
            if time.monotonic() >= deadline:
                raise LogFormatError(
                    logdir,
                    f"another import has been moving its runs into this log folder for over "
                    f"{timeout_seconds:.0f} s; nothing was written, try again later",
                ) from None
            time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        lock.release()
