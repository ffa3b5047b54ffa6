"""Health probes on a real LogStore: liveness without I/O; readiness 200 (ok or degraded) while views
serve, 503 only when the log folder is gone; no series names or paths in the answers."""

from __future__ import annotations

import time
from pathlib import Path

import flask
import numpy as np
import pytest

from confusionflow.app.config import Settings
from confusionflow.app.health import register_health
from confusionflow.data_access.cache import RedisArrayCache, make_cache
from confusionflow.data_access.store import LogStore
from tests.conftest import free_port
from tests.factories import write_broken_run, write_run
from tests.unit.test_cache import start_redis, stop


def _logs(root: Path) -> None:
    """One good run (two steps of three predictions) and one broken one."""
    y_true, y_pred = np.array([0, 1, 1]), np.array([0, 1, 0])
    write_run(root, "alpha", ["a", "b"], predictions={"test": {1: (y_true, y_pred), 2: (y_true, y_pred)}})
    write_broken_run(root)


def _client(root: Path, prefix: str = "/", *, load: str | None = None) -> flask.testing.FlaskClient:
    settings = Settings(logdir=root, prefix=prefix)
    store = LogStore(root, cache=make_cache(cache_dir=root.parent / "cache"))
    server = flask.Flask("t")
    register_health(server, store, settings)
    if load:
        store.load_series(load)
    return server.test_client()


def test_healthy_folder_reports_counts_without_names_or_paths(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    _logs(root)
    client = _client(root, load="alpha/test")
    for url in ("/healthz", "/healthz/ready"):
        r = client.get(url)
        assert r.status_code == 200
        assert r.headers["Cache-Control"] == "no-store"
        body = r.get_json()
        assert body["status"] == "degraded" and body["errors"] == []  # the broken run is counted
        assert body["series"] == 1 and body["problems"] == 1
        assert body["degraded"] == ["1 log entry could not be read"]
        assert body["cache"]["backend"] == "disk" and body["cache"]["parsed"] == 1
        text = r.get_data(as_text=True)
        assert "alpha" not in text and "broken" not in text and str(tmp_path) not in text


def test_liveness_does_no_io(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    client = _client(root)
    root.rmdir()  # even without its log folder the process is alive
    monkeypatch.setattr(LogStore, "list_series", lambda self: pytest.fail("liveness listed the logs"))
    r = client.get("/healthz/live")
    assert r.status_code == 200 and r.get_json()["status"] == "alive"


def test_prefix_is_honoured(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    client = _client(root, prefix="tools/cf")
    assert client.get("/tools/cf/healthz").status_code == 200
    assert client.get("/tools/cf/healthz/live").status_code == 200
    assert client.get("/healthz").status_code == 404


def test_missing_log_folder_is_503_without_its_path(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    client = _client(root)
    root.rmdir()
    r = client.get("/healthz/ready")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "error"
    assert body["errors"] == ["the log folder does not exist"]
    assert str(tmp_path) not in r.get_data(as_text=True)


def test_redis_down_is_degraded_not_503_and_recovers(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    _logs(root)
    (root / "broken").rename(tmp_path / "broken-elsewhere")
    port = free_port()
    redis_proc = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    settings = Settings(logdir=root, redis_url=url)
    cache = RedisArrayCache(url, timeout=0.3, retry_seconds=0.3)
    store = LogStore(root, cache=cache)
    server = flask.Flask("t")
    register_health(server, store, settings)
    client = server.test_client()
    try:
        body = client.get("/healthz").get_json()
        assert body["status"] == "ok" and body["cache"]["redis"] == "ok"
        stop(redis_proc)
        r = client.get("/healthz")
        assert r.status_code == 200  # a load balancer keeps the instance: views still serve
        body = r.get_json()
        assert body["status"] == "degraded" and body["cache"]["redis"] == "unreachable"
        assert "Redis" in body["degraded"][0]
        assert store.load_series("alpha/test").counts.shape == (2, 2, 2)  # served from the files
        redis_proc = start_redis(port)
        time.sleep(0.4)
        body = client.get("/healthz").get_json()
        assert body["status"] == "ok" and body["cache"]["redis"] == "ok"
    finally:
        cache.close()
        stop(redis_proc)
