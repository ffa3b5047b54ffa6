"""Caches of parsed arrays, shared by threads, worker processes and (with Redis) machines.

Values are stored as one bytes blob: ``b"CFA1"``, a 4-byte little-endian header length, a JSON
header listing each array's name, dtype and shape, then the arrays' raw bytes in that order. Only
plain numeric dtypes are accepted, so reading a cache never runs code: no pickles, ever. (diskcache
unpickles non-bytes values it finds in its folder; :class:`DiskArrayCache` stores bytes only and
refuses to unpickle anything.) A blob that does not decode is treated as a miss.

Cache errors must never break loading: callers (``LogStore``) fall back to parsing the files.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

import diskcache
import numpy as np
import orjson

log = logging.getLogger(__name__)

MAGIC = b"CFA1"
_ALLOWED_KINDS = set("biuf")  # bool, signed, unsigned, float: no objects, strings or records


@runtime_checkable
class ArrayCache(Protocol):
    """A key -> named arrays store. Keys are short ASCII strings built by the caller."""

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None: ...

    def set_arrays(self, key: str, arrays: Mapping[str, np.ndarray]) -> None: ...


# ----------------------------------------------------------------------------- encoding
def encode_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """Named numeric arrays -> one bytes blob (see the module docstring)."""
    entries = []
    chunks = []
    for name, value in arrays.items():
        arr = np.ascontiguousarray(value)
        if arr.dtype.kind not in _ALLOWED_KINDS or arr.dtype.hasobject:
            raise TypeError(
                f"array {name!r} has dtype {arr.dtype}; only bool/int/uint/float arrays are cached"
            )
        entries.append({"name": str(name), "dtype": arr.dtype.str, "shape": list(arr.shape)})
        chunks.append(arr.tobytes())
    header = orjson.dumps({"arrays": entries})
    return b"".join([MAGIC, struct.pack("<I", len(header)), header, *chunks])


def decode_arrays(blob: object) -> dict[str, np.ndarray] | None:
    """Inverse of :func:`encode_arrays`; None for anything that is not a valid blob.

    Arrays are read-only views on the blob (no copy); copy them before modifying.
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        return None
    buf = memoryview(blob).cast("B")
    if len(buf) < 8 or bytes(buf[:4]) != MAGIC:
        return None
    (hlen,) = struct.unpack("<I", buf[4:8])
    if 8 + hlen > len(buf):
        return None
    try:
        header = orjson.loads(bytes(buf[8 : 8 + hlen]))
        out: dict[str, np.ndarray] = {}
        offset = 8 + hlen
        for entry in header["arrays"]:
            dtype = np.dtype(entry["dtype"])
            if dtype.kind not in _ALLOWED_KINDS or dtype.hasobject:
                return None
            shape = tuple(int(n) for n in entry["shape"])
            if any(n < 0 for n in shape):
                return None
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if offset + nbytes > len(buf):
                return None
            out[str(entry["name"])] = np.frombuffer(
                buf, dtype=dtype, count=nbytes // dtype.itemsize, offset=offset
            ).reshape(shape)
            offset += nbytes
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    if offset != len(buf):
        return None
    return out


# ----------------------------------------------------------------------------- in memory
class MemoryArrayCache:
    """Per-process LRU cache of blobs, bounded by ``max_bytes``. The default when nothing is configured.

    Each gunicorn worker gets its own copy: use :class:`DiskArrayCache` or :class:`RedisArrayCache`
    to share parsed logs between workers.
    """

    def __init__(self, max_bytes: int = 512 * 1024**2) -> None:
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        with self._lock:
            blob = self._items.get(key)
            if blob is None:
                return None
            self._items.move_to_end(key)
        return decode_arrays(blob)

    def set_arrays(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        blob = encode_arrays(arrays)
        if len(blob) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = blob
            self._size += len(blob)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


# ----------------------------------------------------------------------------- on disk
class _BytesOnlyDisk(diskcache.Disk):
    """diskcache storage that accepts and returns bytes only and never unpickles."""

    def put(self, key):  # type: ignore[no-untyped-def]
        if type(key) is not str:
            raise TypeError("cache keys must be str")
        return super().put(key)

    def get(self, key, raw):  # type: ignore[no-untyped-def]
        if not raw:
            raise OSError("refusing to unpickle a cache key")
        return super().get(key, raw)

    def store(self, value, read, key=diskcache.core.UNKNOWN):  # type: ignore[no-untyped-def]
        if type(value) is not bytes:
            raise TypeError("only bytes values are stored in this cache")
        return super().store(value, read, key=key)

    def fetch(self, mode, filename, value, read):  # type: ignore[no-untyped-def]
        if mode not in (diskcache.core.MODE_RAW, diskcache.core.MODE_BINARY):
            # diskcache treats IOError as "missing": a foreign (e.g. pickled) value becomes a miss
            raise OSError("refusing to load a cache value that is not plain bytes")
        return super().fetch(mode, filename, value, read)


class DiskArrayCache:
    """A folder of cached arrays (diskcache/SQLite), shared by the processes of one machine.

    The folder is created (or tightened) to mode 0700: cached logs stay private to the user.
    ``size_limit`` in bytes; the least recently stored entries are evicted beyond it.
    """

    def __init__(self, directory: str | Path, *, size_limit: int = 2 * 1024**3) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.directory.stat().st_mode & 0o077:
            os.chmod(self.directory, 0o700)
        self._cache = diskcache.Cache(
            str(self.directory),
            disk=_BytesOnlyDisk,
            size_limit=int(size_limit),
            eviction_policy="least-recently-stored",
        )

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        blob = self._cache.get(key, default=None)
        arrays = decode_arrays(blob) if blob is not None else None
        if blob is not None and arrays is None:
            log.warning("cache %s: ignoring an undecodable entry for %s", self.directory, key)
        return arrays

    def set_arrays(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        self._cache.set(key, encode_arrays(arrays))

    def close(self) -> None:
        self._cache.close()


# ----------------------------------------------------------------------------- redis
def _where(url: str) -> str:
    """``host:port/db`` of a Redis URL, without its password, for messages."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname or '?'}:{parts.port or 6379}{parts.path or ''}"


class RedisArrayCache:
    """Arrays in Redis, shared by every worker and machine that points at the same server.

    Entries expire after ``ttl_seconds`` (a week by default); keys are namespaced by ``prefix``.
    Redis being down is not an error for callers: a read is a miss and a write is dropped, so
    views are served from the log files. Each call waits at most ``timeout`` seconds; after a
    failure, calls skip Redis for ``retry_seconds`` and then try again, so the cache reconnects by
    itself when Redis returns. An outage is logged once when it starts and once when it ends, not
    per request; :meth:`status` says how the cache is doing (for ``/healthz``).
    """

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: int = 7 * 24 * 3600,
        prefix: str = "confusionflow:arrays:",
        timeout: float = 0.5,
        retry_seconds: float = 5.0,
    ) -> None:
        import redis

        self.url = url
        self.where = _where(url)
        self.ttl_seconds = int(ttl_seconds)
        self.prefix = prefix
        self.retry_seconds = float(retry_seconds)
        self._errors = redis.RedisError
        self._client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._state = threading.Lock()
        self._down_until = 0.0  # monotonic time before which Redis is not tried again
        self._down_since: float | None = None  # wall time the current outage started
        self._last_error = ""
        self.outages = 0

    def _call(self, fn, *args, **kwargs) -> tuple[bool, object]:  # type: ignore[no-untyped-def]
        """``(reached, result)``: never raises for a Redis fault."""
        if time.monotonic() < self._down_until:
            return False, None
        try:
            result = fn(*args, **kwargs)
        except self._errors as e:
            self._went_down(e)
            return False, None
        if self._down_since is not None:
            self._came_back()
        return True, result

    def _went_down(self, error: Exception) -> None:
        with self._state:
            self._down_until = time.monotonic() + self.retry_seconds
            self._last_error = f"{type(error).__name__}: {error}"[:200]
            if self._down_since is not None:
                return
            self._down_since = time.time()
            self.outages += 1
        log.warning(
            "Redis cache at %s is unreachable (%s); serving from the log files, retrying every %g s",
            self.where,
            self._last_error,
            self.retry_seconds,
        )

    def _came_back(self) -> None:
        with self._state:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.warning("Redis cache at %s is back after %.0f s", self.where, time.time() - since)

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        reached, blob = self._call(self._client.get, self.prefix + key)
        return decode_arrays(blob) if reached and blob is not None else None

    def set_arrays(self, key: str, arrays: Mapping[str, np.ndarray]) -> None:
        self._call(self._client.set, self.prefix + key, encode_arrays(arrays), ex=self.ttl_seconds or None)

    def check(self) -> dict[str, object]:
        """Ping Redis (unless it failed within ``retry_seconds``) and return :meth:`status`."""
        self._call(self._client.ping)
        return self.status()

    def status(self) -> dict[str, object]:
        """``{"state": "ok"}`` or ``{"state": "degraded", "down_seconds": s, "error": text}``; no I/O."""
        since = self._down_since
        if since is None:
            return {"state": "ok"}
        return {"state": "degraded", "down_seconds": round(time.time() - since, 1), "error": self._last_error}

    def close(self) -> None:
        self._client.close()


def make_cache(cache_dir: str | Path | None = None, redis_url: str | None = None) -> ArrayCache:
    """Redis if ``redis_url`` is given, else a disk cache in ``cache_dir``, else an in-memory LRU."""
    if redis_url:
        return RedisArrayCache(redis_url)
    if cache_dir:
        return DiskArrayCache(cache_dir)
    return MemoryArrayCache()
