"""Names of the hidden temporary files and folders writers use, and removal of abandoned ones.

A writer (``LogWriter``, an import) creates its temporary entries under names that say who made
them: ``.<final name>.<pid>@<host tag>.<random>.tmp`` for a file, ``.import-<pid>@<host tag>-<random>``
for an import's staging folder inside the log folder. ``<host tag>`` is 8 hex digits of a hash of
the machine's host name, so a log folder shared over NFS by several machines never has one
machine delete another's work in progress.

An entry is *provably abandoned* when it was made on this machine, the process that made it is no
longer alive, and it has not been modified for ``min_age_seconds`` (so a pid reused by a new
process within that time does not matter: the entry is old, its writer is gone). Entries in the
older format without a host tag (``.<name>.<pid>.<random>.tmp``) are only removed when their pid is
not alive here and they are older than a day. Nothing else is ever deleted.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import shutil
import socket
import time
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MIN_AGE_SECONDS = 10 * 60
LEGACY_MIN_AGE_SECONDS = 24 * 3600
STAGING_PREFIX = ".import-"

_TEMP_FILE = re.compile(r"^\..+\.(?P<pid>\d+)(?:@(?P<host>[0-9a-f]{8}))?\.[0-9a-f]+\.tmp$")
_STAGING = re.compile(r"^\.import-(?P<pid>\d+)@(?P<host>[0-9a-f]{8})-[0-9a-f]+$")


def host_tag() -> str:
    """8 hex digits naming this machine (a hash of its host name: nothing readable leaks)."""
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def owner_tag() -> str:
    """``<pid>@<host tag>`` of this process, as written into temporary names and lock files."""
    return f"{os.getpid()}@{host_tag()}"


def temp_name(final_name: str) -> str:
    """Hidden temporary name for a file that will be renamed to ``final_name``."""
    return f".{final_name}.{owner_tag()}.{secrets.token_hex(4)}.tmp"


def staging_name() -> str:
    """Hidden name of an import's staging folder inside the log folder."""
    return f"{STAGING_PREFIX}{owner_tag()}-{secrets.token_hex(4)}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine (permission denied counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def _abandoned(path: Path, pid: int, host: str | None, min_age_seconds: float, now: float) -> bool:
    if host is not None and host != host_tag():
        return False  # another machine's: it alone can tell whether its writer is alive
    if pid == os.getpid() or pid_alive(pid):
        return False
    age_limit = min_age_seconds if host is not None else max(min_age_seconds, LEGACY_MIN_AGE_SECONDS)
    try:
        mtime = path.lstat().st_mtime
    except OSError:
        return False
    return now - mtime >= age_limit


def remove_abandoned_temp_files(
    folder: str | Path, *, min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS
) -> list[Path]:
    """Delete the provably abandoned temporary files directly in ``folder``; return what was deleted.

    Also removes abandoned import staging folders (whole) when ``folder`` is a log folder. Never
    raises for a missing or unreadable folder (returns what it managed to delete).
    """
    folder = Path(folder)
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith("."):
            continue
        path = Path(entry.path)
        match = _TEMP_FILE.match(name)
        is_dir = False
        if match is None:
            match = _STAGING.match(name)
            is_dir = True
        if match is None:
            continue
        try:
            if is_dir != entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        if not _abandoned(path, int(match["pid"]), match["host"], min_age_seconds, now):
            continue
        try:
            if is_dir:
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError as e:
            log.warning("could not remove abandoned temporary entry %s: %s", path, e)
            continue
        removed.append(path)
    if removed:
        log.info(
            "removed %d abandoned temporary entr%s in %s",
            len(removed),
            "y" if len(removed) == 1 else "ies",
            folder,
        )
    return removed
