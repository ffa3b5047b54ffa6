"""Whether a path inside the log folder stays there once symbolic links are followed.

A run folder, a fold file or a step file may be a symbolic link. One that leads outside the log
folder would let a log folder expose any readable file of the server, so it is refused unless the
store was created with ``follow_symlinks=True``.
"""

from __future__ import annotations

import os
from pathlib import Path

from confusionflow.data_access.errors import LogFormatError

REFUSED_LINK = (
    "is a symbolic link leading outside the log folder; refused "
    "(allow it with LogStore(..., follow_symlinks=True))"
)


def real_root(root: str | Path) -> str:
    """The log folder with every symbolic link resolved."""
    return os.path.realpath(root)


def escapes(root: str, path: str | Path) -> bool:
    """True if ``path``, with every link resolved, lies outside ``root`` (a :func:`real_root`).

    >>> escapes("/logs", "/logs/run/run.json"), escapes("/logs", "/logs/../etc")
    (False, True)
    """
    real = os.path.realpath(path)
    try:
        return os.path.commonpath([root, real]) != root
    except ValueError:  # different drives
        return True


def check_inside(root: str, *paths: str | Path) -> None:
    """Raise :class:`LogFormatError` naming the first of ``paths`` that escapes ``root``."""
    for path in paths:
        if escapes(root, path):
            raise LogFormatError(path, REFUSED_LINK)
