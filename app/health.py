"""``GET <prefix>healthz``: is this instance able to serve its log folder, and how is its cache doing.

Load balancers, Docker's HEALTHCHECK and the service tests call it. It answers 200 with
``status: "ok"`` when the log folder is readable (even if some series failed to load: those are
listed under ``problems`` and the others are still served) and 503 with ``status: "error"`` when
the folder itself is missing or unreadable, or the shared cache (Redis) does not answer.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

from flask import Flask, Response, jsonify

from app.config import Settings, normalize_prefix


def _as_dict(stats: Any) -> dict[str, Any]:
    """Cache/store statistics as plain JSON-able values, whatever shape the store exposes."""
    if stats is None:
        return {}
    if dataclasses.is_dataclass(stats) and not isinstance(stats, type):
        return dataclasses.asdict(stats)
    if isinstance(stats, dict):
        return dict(stats)
    if hasattr(stats, "_asdict"):
        return dict(stats._asdict())
    return {k: v for k, v in vars(stats).items() if not k.startswith("_")}


def health_report(store: Any, settings: Settings) -> tuple[dict[str, Any], int]:
    """The health payload and its HTTP status code."""
    started = time.perf_counter()
    errors: list[str] = []
    logdir = settings.logdir
    series: list[str] = []
    problems: list[dict[str, str]] = []
    if not logdir.is_dir():
        errors.append(f"{logdir}: log folder does not exist")
    elif not os.access(logdir, os.R_OK | os.X_OK):
        errors.append(f"{logdir}: log folder is not readable by this process")
    else:
        try:
            series = [info.key for info in store.list_series()]
            problems = [{"source": p.source, "message": p.message} for p in store.problems()]
        except OSError as e:
            errors.append(f"{logdir}: cannot list the log folder: {e}")
    cache: dict[str, Any] = {"backend": "redis" if settings.redis_url else "disk"}
    cache.update(_as_dict(getattr(store, "stats", None)))
    if settings.redis_url:
        cache["redis"] = _ping_redis(settings.redis_url)
        if cache["redis"] != "ok":
            errors.append(f"redis: {cache['redis']}")
    body = {
        "status": "error" if errors else "ok",
        "errors": errors,
        "logdir": str(logdir),
        "series": len(series),
        "series_keys": series,
        "problems": problems,
        "cache": cache,
        "pid": os.getpid(),
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return body, 503 if errors else 200


def _ping_redis(url: str) -> str:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as e:
        return f"unreachable ({e})"
    return "ok"


def register_health(
    server: Flask, store: Any, settings: Settings, *, route_prefix: str | None = None
) -> None:
    """Add ``GET <route_prefix>healthz`` to ``server`` (default prefix: ``settings.prefix``).

    ``route_prefix`` is the prefix Flask itself routes under; it differs from the public one when
    a WSGI dispatcher strips the mount point (``requests_pathname_prefix`` embedding).
    """
    prefix = normalize_prefix(route_prefix if route_prefix is not None else settings.prefix)

    def healthz() -> tuple[Response, int]:
        body, status = health_report(store, settings)
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response, status

    server.add_url_rule(f"{prefix}healthz", endpoint=f"confusionflow_healthz_{prefix}", view_func=healthz)
