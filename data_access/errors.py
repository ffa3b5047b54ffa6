"""Errors a user can act on: each names the file and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class LogFormatError(ValueError):
    """A log file that cannot be read as what it claims to be.

    The message always starts with the file so a user can find it, then says where in it
    (line, step, column) and what was expected versus found.
    """

    def __init__(self, path: str | Path, problem: str, *, where: str | None = None) -> None:
        self.path = str(path)
        self.problem = problem
        self.where = where
        location = f"{self.path}" + (f" ({where})" if where else "")
        super().__init__(f"{location}: {problem}")


def printable(text: str) -> str:
    r"""``text`` as valid Unicode: a file name that is not valid UTF-8 arrives from the operating
    system with lone surrogates, which no JSON encoder or page can carry; they become ``\udcxx``.

    >>> printable("run-\udcff"), printable("ok")
    ('run-\\udcff', 'ok')
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


@dataclass(frozen=True)
class LoadProblem:
    """A series (or file) that failed to load, reported next to the ones that did.

    Both fields are always valid Unicode (see :func:`printable`), so any page can show them.
    """

    source: str  # series key or file path
    message: str
    kind: str = "log"  # "log": a run or fold left out; "hierarchy": a class hierarchy not used

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", printable(str(self.source)))
        object.__setattr__(self, "message", printable(str(self.message)))
