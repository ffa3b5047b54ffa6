"""Log folders on object storage (``s3://bucket/prefix`` or any fsspec URL), for reading.

A small :class:`LogStorage` protocol is what the object-storage store needs from a backend: one
listing of every object under the root (sizes and versions, no content), a ``stat`` of one
object, reading an object's bytes with a size limit, and ``exists``. :class:`FsspecStorage`
implements it with fsspec (``s3fs`` for ``s3://``). Local folders never come here: they keep the
``os.scandir``/``os.stat`` code path of ``catalog``, ``fingerprint`` and ``series_cache``.

Writing stays local-only: an object store has no atomic rename, so a log could be seen half
written; :func:`refuse_url_for_writing` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from confusionflow.data_access.errors import LogFormatError

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


class StorageError(ValueError):
    """The log location cannot be used: unknown scheme, missing package or credentials, no bucket."""


@dataclass(frozen=True)
class Entry:
    """One object under the root: ``name`` relative to the root (``/``-separated), ``size`` in
    bytes, ``version`` (ETag, else modification time): changes whenever the content does."""

    name: str
    size: int
    version: str


class LogStorage(Protocol):
    """What reading a log folder on object storage needs (see the module docstring)."""

    url: str

    def list_entries(self) -> dict[str, Entry]:
        """Every object under the root by relative name, from one (paginated) listing."""
        ...

    def stat(self, name: str) -> Entry | None:
        """One object's size and version, None if there is none."""
        ...

    def read_bytes(self, name: str, limit: int, what: str) -> bytes:
        """The object's bytes; LogFormatError if it is missing or larger than ``limit``."""
        ...

    def read_many(self, names: list[str], limit: int, what: str) -> dict[str, bytes]:
        """Several objects' bytes, fetched concurrently where the backend can (each as read_bytes)."""
        ...

    def read_tails(self, sizes: dict[str, int], n: int) -> dict[str, bytes]:
        """The last ``n`` bytes of each object (``sizes``: name -> listed size), fetched
        concurrently where the backend can; an object that cannot be read is left out."""
        ...

    def exists(self, name: str) -> bool:
        """Whether the root (``name=""``) or an object under it exists."""
        ...


def url_scheme(location: object) -> str | None:
    """The scheme of a URL (``"s3"``), None for a local path (``file://`` counts as local).

    >>> url_scheme("s3://b/p"), url_scheme("/logs"), url_scheme("file:///logs")
    ('s3', None, None)
    """
    m = _URL.match(str(location)) if isinstance(location, str) else None
    if m is None or m.group(1).lower() == "file":
        return None
    return m.group(1).lower()


def is_url(location: object) -> bool:
    """True for a log location served through :class:`FsspecStorage`."""
    return url_scheme(location) is not None


def refuse_url_for_writing(location: object) -> None:
    """StorageError for a URL: logs are written locally (atomic renames), then copied/synced."""
    if is_url(location):
        raise StorageError(
            f"{location}: logs can only be written to a local folder (object storage has no atomic "
            "rename, so readers could see half-written files); write locally and copy the folder "
            "to the bucket (e.g. `aws s3 sync`)"
        )


def _filesystem_class(scheme: str) -> Any:
    try:
        import fsspec
    except ImportError:
        raise StorageError(
            f"a {scheme}:// log location needs fsspec: pip install 'confusionflow-dash[s3]'"
        ) from None
    from fsspec.registry import known_implementations

    try:
        return fsspec.get_filesystem_class(scheme)
    except ValueError:
        raise StorageError(
            f"unknown URL scheme {scheme!r}: no fsspec filesystem handles {scheme}:// "
            "(use s3://bucket/prefix, a local folder, or install the fsspec backend for it)"
        ) from None
    except ImportError:
        hint = str(known_implementations.get(scheme, {}).get("err") or "")
        named = re.search(r"[Ii]nstall (?:the )?'?([A-Za-z0-9_.\-\[\]]+)'?", hint)
        package = "s3fs" if scheme in ("s3", "s3a") else named.group(1) if named else None
        if package is None:
            raise StorageError(
                f"a {scheme}:// log location needs its fsspec backend installed ({hint})"
            ) from None
        raise StorageError(
            f"a {scheme}:// log location needs the package {package}: pip install {package}"
        ) from None


def _explain(url: str, e: BaseException) -> str:
    """A one-line reason for a failed listing or read, credentials named when they are missing."""
    name = type(e).__name__
    text = str(e)
    if "NoCredentials" in name or "Unable to locate credentials" in text or "credentials" in text.lower():
        return (
            f"{url}: no credentials for object storage ({text or name}); set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), and AWS_ENDPOINT_URL_S3 for a non-AWS server"
        )
    if isinstance(e, FileNotFoundError):
        return f"{url}: no such bucket or prefix"
    if isinstance(e, PermissionError):
        return f"{url}: access denied ({text or name})"
    return f"{url}: cannot be listed ({name}: {text[:200]})"


class FsspecStorage:
    """:class:`LogStorage` over an fsspec filesystem; ``url`` is the log folder's URL.

    ``listings`` counts the listings made (each is one or more LIST requests, 1000 keys a page).
    """

    def __init__(self, url: str, **options: Any) -> None:
        scheme = url_scheme(url)
        if scheme is None:
            raise StorageError(f"{url}: not a URL (local folders are read without fsspec)")
        cls = _filesystem_class(scheme)
        self.url = url.rstrip("/")
        try:
            self.fs = cls(skip_instance_cache=True, **options)
        except Exception as e:  # noqa: BLE001 - any backend set-up failure becomes one clear line
            raise StorageError(_explain(self.url, e)) from None
        self.root = cls._strip_protocol(self.url).rstrip("/")
        self.listings = 0

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}" if name else self.root

    def show(self, name: str) -> str:
        """The URL of ``name``, for messages."""
        return f"{self.url}/{name}" if name else self.url

    def list_entries(self) -> dict[str, Entry]:
        self.listings += 1
        self.fs.invalidate_cache(self.root)  # a poll must see what changed since the last one
        try:
            found = self.fs.find(self.root, detail=True, withdirs=False)
        except Exception as e:  # noqa: BLE001 - listing errors become StorageError with a reason
            raise StorageError(_explain(self.url, e)) from None
        out: dict[str, Entry] = {}
        prefix = self.root + "/"
        for path, info in found.items():
            if not path.startswith(prefix) or info.get("type") == "directory":
                continue
            name = path[len(prefix) :]
            out[name] = _entry(name, info)
        if not out and not self.fs.exists(self.root):
            raise StorageError(f"{self.url}: no such bucket or prefix")
        return out

    def stat(self, name: str) -> Entry | None:
        try:
            return _entry(name, self.fs.info(self._path(name)))
        except FileNotFoundError:
            return None

    def read_bytes(self, name: str, limit: int, what: str) -> bytes:
        shown = self.show(name)
        try:
            data = self.fs.cat_file(self._path(name), start=0, end=limit + 1)
        except FileNotFoundError:
            raise LogFormatError(shown, f"does not exist (expected {what})") from None
        except Exception as e:  # noqa: BLE001 - network and permission errors name the object
            raise LogFormatError(shown, f"cannot be read: {_explain(self.url, e)}") from None
        if len(data) > limit:
            raise LogFormatError(shown, f"is larger than the {limit:,}-byte limit for {what}")
        return bytes(data)

    def read_many(self, names: list[str], limit: int, what: str) -> dict[str, bytes]:
        if len(names) < 2:
            return {n: self.read_bytes(n, limit, what) for n in names}
        paths = {self._path(n): n for n in names}
        try:
            found = self.fs.cat(list(paths), on_error="return")
        except Exception as e:  # noqa: BLE001 - the whole batch failed: name the first object
            raise LogFormatError(self.show(names[0]), f"cannot be read: {_explain(self.url, e)}") from None
        out: dict[str, bytes] = {}
        for path, name in paths.items():
            data = found.get(path) if isinstance(found, dict) else None
            if isinstance(data, FileNotFoundError) or data is None:
                raise LogFormatError(self.show(name), f"does not exist (expected {what})")
            if isinstance(data, BaseException):
                raise LogFormatError(self.show(name), f"cannot be read: {_explain(self.url, data)}")
            if len(data) > limit:
                raise LogFormatError(self.show(name), f"is larger than the {limit:,}-byte limit for {what}")
            out[name] = bytes(data)
        return out

    def read_tails(self, sizes: dict[str, int], n: int) -> dict[str, bytes]:
        if not sizes:
            return {}
        names = list(sizes)
        starts = [max(0, int(sizes[name]) - n) for name in names]
        ends = [int(sizes[name]) for name in names]
        try:
            found = self.fs.cat_ranges([self._path(name) for name in names], starts, ends, on_error="return")
        except Exception:  # noqa: BLE001 - tails are optional (wall times): none rather than an error
            return {}
        return {name: bytes(data) for name, data in zip(names, found, strict=True) if isinstance(data, bytes)}

    def exists(self, name: str) -> bool:
        try:
            return bool(self.fs.exists(self._path(name)))
        except Exception as e:  # noqa: BLE001
            raise StorageError(_explain(self.url, e)) from None


def _entry(name: str, info: dict[str, Any]) -> Entry:
    version = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified") or ""
    return Entry(name=name, size=int(info.get("size") or 0), version=str(version))


def check_location(location: str) -> FsspecStorage:
    """Open ``location`` and list it once: StorageError with a clear reason if it is unusable."""
    storage = FsspecStorage(location)
    storage.list_entries()
    return storage
