"""Array caches: exact round trips, bytes only (never pickles), private folders."""

from __future__ import annotations

import logging
import pickle
import sqlite3
import stat
import subprocess
import time
from pathlib import Path

import diskcache
import numpy as np
import pytest

from confusionflow.data_access.cache import (
    MAGIC,
    ArrayCache,
    DiskArrayCache,
    MemoryArrayCache,
    RedisArrayCache,
    decode_arrays,
    encode_arrays,
    make_cache,
)
from tests.conftest import free_port
from tests.service.conftest import REDIS_SERVER

ARRAYS = {
    "steps": np.array([0.0, 1.5, 7.0]),
    "counts": np.arange(3 * 4 * 4, dtype=np.uint16).reshape(3, 4, 4),
    "empty": np.zeros((0, 5), dtype=np.int64),
    "flags": np.array([True, False]),
}


def assert_same(got: dict[str, np.ndarray] | None, want: dict[str, np.ndarray]) -> None:
    assert got is not None
    assert list(got) == list(want)
    for name, arr in want.items():
        assert got[name].dtype == arr.dtype and got[name].shape == arr.shape, name
        np.testing.assert_array_equal(got[name], arr)


def test_encode_decode_round_trip_keeps_dtype_shape_and_values():
    blob = encode_arrays(ARRAYS)
    assert blob.startswith(MAGIC)
    assert_same(decode_arrays(blob), ARRAYS)


def test_decoded_arrays_are_read_only_views():
    out = decode_arrays(encode_arrays({"a": np.arange(4)}))
    with pytest.raises(ValueError, match="read-only"):
        out["a"][0] = 9


def test_object_arrays_are_refused():
    with pytest.raises(TypeError, match="dtype object"):
        encode_arrays({"bad": np.array([{"x": 1}], dtype=object)})


def test_non_blobs_decode_to_none():
    good = encode_arrays({"a": np.arange(10)})
    assert decode_arrays(pickle.dumps({"a": np.arange(10)})) is None
    assert decode_arrays(good[:-1]) is None  # truncated
    assert decode_arrays(good + b"x") is None  # trailing bytes
    assert decode_arrays(b"XXXX" + good[4:]) is None  # wrong magic
    assert decode_arrays("a string") is None
    forged = good.replace(b'"<i8"', b'"|O8"')  # a header claiming Python objects
    assert decode_arrays(forged) is None


def test_memory_cache_round_trip_and_evicts_least_recently_used():
    blob_size = len(encode_arrays({"a": np.zeros(100)}))
    cache = MemoryArrayCache(max_bytes=2 * blob_size)
    cache.set_arrays("k1", {"a": np.zeros(100)})
    cache.set_arrays("k2", {"a": np.ones(100)})
    assert cache.get_arrays("k1") is not None  # k1 is now the most recent
    cache.set_arrays("k3", {"a": np.full(100, 2.0)})
    assert cache.get_arrays("k2") is None
    np.testing.assert_array_equal(cache.get_arrays("k1")["a"], np.zeros(100))
    np.testing.assert_array_equal(cache.get_arrays("k3")["a"], np.full(100, 2.0))
    assert cache.get_arrays("missing") is None


def test_disk_cache_folder_is_private(tmp_path):
    DiskArrayCache(tmp_path / "new" / "cache").close()
    assert stat.S_IMODE((tmp_path / "new" / "cache").stat().st_mode) == 0o700
    existing = tmp_path / "open"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    DiskArrayCache(existing).close()
    assert stat.S_IMODE(existing.stat().st_mode) == 0o700


def test_disk_cache_stores_bytes_not_pickles(tmp_path):
    cache = DiskArrayCache(tmp_path / "c")
    small = {"a": np.arange(3)}
    big = {"counts": np.arange(200_000, dtype=np.int64)}  # above diskcache's file threshold
    cache.set_arrays("small", small)
    cache.set_arrays("big", big)
    assert_same(cache.get_arrays("small"), small)
    assert_same(cache.get_arrays("big"), big)
    cache.close()
    with sqlite3.connect(tmp_path / "c" / "cache.db") as db:
        rows = db.execute("SELECT key, raw, mode, filename, value FROM Cache").fetchall()
    assert sorted(r[0] for r in rows) == ["big", "small"]
    for key, raw, mode, filename, value in rows:
        assert raw == 1, key  # keys stored as text, not pickled
        assert mode in (diskcache.core.MODE_RAW, diskcache.core.MODE_BINARY), key
        data = bytes(value) if value is not None else (tmp_path / "c" / filename).read_bytes()
        assert data.startswith(MAGIC), key
        assert decode_arrays(data) is not None


class _Explode:
    """Unpickling this creates a marker file: proof that a cache read ran foreign code."""

    marker: Path

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_disk_cache_never_unpickles_values_planted_in_its_folder(tmp_path):
    marker = tmp_path / "unpickled"
    _Explode.marker = marker
    planted = diskcache.Cache(str(tmp_path / "c"))
    planted.set("key", _Explode())
    planted.close()
    cache = DiskArrayCache(tmp_path / "c")
    assert cache.get_arrays("key") is None
    assert not marker.exists()
    with pytest.raises(TypeError, match="only bytes"):
        cache._cache.set("other", {"not": "bytes"})


def test_make_cache_picks_the_backend(tmp_path):
    assert isinstance(make_cache(), MemoryArrayCache)
    disk = make_cache(cache_dir=tmp_path / "d")
    assert isinstance(disk, DiskArrayCache) and disk.directory == tmp_path / "d"
    disk.close()
    redis_cache = make_cache(cache_dir=tmp_path / "d", redis_url="redis://127.0.0.1:1/0")
    assert isinstance(redis_cache, RedisArrayCache)  # connects lazily, on first use
    for c in (make_cache(), redis_cache):
        assert isinstance(c, ArrayCache)


def start_redis(port: int) -> subprocess.Popen:
    """A throw-away redis-server on 127.0.0.1:``port`` (no persistence), answering when returned."""
    import redis

    if not Path(REDIS_SERVER).exists():
        pytest.fail(f"{REDIS_SERVER} not found: install Debian's redis-server (scripts/test.sh does this)")
    proc = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(10)


def test_redis_outage_is_a_miss_logged_once_and_the_cache_reconnects_by_itself(caplog):
    port = free_port()
    server = start_redis(port)
    cache = RedisArrayCache(f"redis://127.0.0.1:{port}/0", timeout=0.3, retry_seconds=0.5)
    try:
        cache.set_arrays("k", ARRAYS)
        assert cache.get_arrays("k")["counts"].tolist() == ARRAYS["counts"].tolist()
        assert cache.check() == {"state": "ok"}
        stop(server)
        caplog.set_level(logging.INFO, logger="confusionflow.data_access.cache")
        started = time.monotonic()
        for _ in range(200):  # 200 requests during the outage: misses, fast, one warning
            assert cache.get_arrays("k") is None
            cache.set_arrays("k", ARRAYS)
        assert time.monotonic() - started < 5  # never the ~19 s connection wait per request
        warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(warnings) == 1 and "127.0.0.1" in warnings[0].getMessage()
        status = cache.check()
        assert status["state"] == "degraded" and "Connection" in status["error"]
        server = start_redis(port)  # Redis returns (empty: it kept nothing)
        time.sleep(0.6)  # past the retry pause
        cache.set_arrays("k", ARRAYS)
        assert cache.get_arrays("k") is not None
        assert cache.status() == {"state": "ok"} and cache.outages == 1
        assert [r for r in caplog.records if "is back after" in r.getMessage()]
    finally:
        cache.close()
        stop(server)
