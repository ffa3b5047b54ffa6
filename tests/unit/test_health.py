"""GET <prefix>healthz on a real LogStore: 200 with counts, 503 when the log folder is gone."""

from __future__ import annotations

from pathlib import Path

import flask
import numpy as np

from app.config import Settings
from app.health import register_health
from data_access.cache import make_cache
from data_access.store import LogStore
from tests.factories import write_broken_run, write_run


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


def test_healthy_folder_reports_series_problems_and_cache_counters(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    _logs(root)
    r = _client(root, load="alpha/test").get("/healthz")
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["status"] == "ok" and body["errors"] == []
    assert body["series"] == 1 and body["series_keys"] == ["alpha/test"]
    assert (
        len(body["problems"]) == 1
        and "broken" in body["problems"][0]["source"] + body["problems"][0]["message"]
    )
    assert body["cache"]["backend"] == "disk"
    assert body["cache"]["parsed"] == 1


def test_prefix_is_honoured(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    client = _client(root, prefix="tools/cf")
    assert client.get("/tools/cf/healthz").status_code == 200
    assert client.get("/healthz").status_code == 404


def test_missing_log_folder_is_503(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    client = _client(root)
    root.rmdir()
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "error"
    assert body["errors"] == [f"{root}: log folder does not exist"]


def test_unreachable_redis_is_503(tmp_path: Path) -> None:
    root = tmp_path / "logs"
    root.mkdir()
    settings = Settings(logdir=root, redis_url="redis://127.0.0.1:1/0")
    server = flask.Flask("t")
    register_health(server, LogStore(root), settings)
    r = server.test_client().get("/healthz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["cache"]["backend"] == "redis"
    assert body["cache"]["redis"].startswith("unreachable")
    assert body["errors"][0].startswith("redis: unreachable")
