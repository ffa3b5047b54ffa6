"""Two LogStores (think: two machines) sharing parsed logs through a real Redis on loopback."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.cache import RedisArrayCache
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter

pytestmark = pytest.mark.service

REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(start_server) -> str:
    if not Path(REDIS_SERVER).exists():
        pytest.fail(f"{REDIS_SERVER} not found: install Debian's redis-server")
    port = free_port()
    server = start_server(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if server.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{server.output()}") from None
            time.sleep(0.1)
    client.close()
    return url


def test_second_store_is_served_from_redis_with_identical_arrays(tmp_path, redis_url):
    rng = np.random.default_rng(7)
    classes = [f"c{i}" for i in range(10)]
    with LogWriter(tmp_path, "run", classes) as w:
        truth = rng.integers(0, 10, 1000)
        for step in range(1, 6):
            w.add(step, "test", truth, rng.integers(0, 10, 1000))
            w.add_counts(step, "val", rng.integers(0, 300, (10, 10)))

    first = LogStore(tmp_path, cache=RedisArrayCache(redis_url))
    a = first.load(["run/test", "run/val"])
    assert first.stats["parsed"] == 2 and first.stats["cache_hits"] == 0

    second = LogStore(tmp_path, cache=RedisArrayCache(redis_url))
    b = second.load(["run/test", "run/val"])
    assert second.stats["parsed"] == 0 and second.stats["cache_hits"] == 2
    assert b.problems == () and a.problems == ()
    np.testing.assert_array_equal(a.tensor.counts, b.tensor.counts)
    np.testing.assert_array_equal(a.tensor.steps, b.tensor.steps)
    np.testing.assert_array_equal(a.tensor.mask, b.tensor.mask)
    assert b.tensor.counts[0].sum() == 5 * 1000  # 1000 test instances at each of 5 steps

    # values in Redis are our byte blobs, with the configured expiry
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = client.keys("confusionflow:arrays:cf-series-v1:*")
    assert len(keys) == 2
    assert all(client.get(k).startswith(b"CFA1") for k in keys)
    assert all(0 < client.ttl(k) <= 7 * 24 * 3600 for k in keys)

    # an appended step is a new key: picked up, not served stale
    with LogWriter(tmp_path, "run", classes, mode="resume") as w:
        w.add_counts(6, "val", np.eye(10, dtype=int))
    c = second.load_series("run/val")
    assert c.steps.tolist() == [1, 2, 3, 4, 5, 6] and second.stats["parsed"] == 1


def test_unreachable_redis_does_not_break_loading_or_slow_it_down(tmp_path):
    with LogWriter(tmp_path, "run", ["a", "b"]) as w:
        w.add_counts(1, "val", [[3, 1], [0, 2]])
    cache = RedisArrayCache("redis://127.0.0.1:1/0", timeout=0.5)
    store = LogStore(tmp_path, cache=cache)
    series = store.load_series("run/val")
    np.testing.assert_array_equal(series.counts[0], [[3, 1], [0, 2]])
    assert cache.status()["state"] == "degraded"  # Redis down is a miss, reported by the cache
    started = time.perf_counter()
    for _ in range(20):
        store.load_series("run/val")
    assert time.perf_counter() - started < 2.0  # no connection attempt per call while Redis is down
    assert store.stats["parsed"] == 21
