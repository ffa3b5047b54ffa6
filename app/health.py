"""Health probes for load balancers, Docker's HEALTHCHECK and the service tests.

- ``GET <prefix>healthz/live``: liveness. The process answers requests; no I/O at all.
- ``GET <prefix>healthz/ready`` (and ``<prefix>healthz``): readiness. 200 while this instance can
  serve views: ``status`` is ``"ok"``, or ``"degraded"`` when the shared cache (Redis) is down
  (views are then served from the log files, slower) or some series failed to load (counted under
  ``problems``; the others are served). 503 with ``status: "error"`` only when the log folder
  itself is missing or unreadable, so a load balancer never removes every instance because Redis
  restarted.

The answers hold counts, states and this process's id: no series names and no file paths.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify

from confusionflow.app.config import Settings, normalize_prefix

if TYPE_CHECKING:
    from confusionflow.data_access.store import LogStore


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


def _cache_report(store: LogStore, settings: Settings) -> dict[str, Any]:
    cache: dict[str, Any] = {"backend": "redis" if settings.redis_url else "disk"}
    cache.update(
        {k: v for k, v in _as_dict(getattr(store, "stats", None)).items() if isinstance(v, (int, float))}
    )
    if settings.redis_url:
        backend = getattr(store, "cache", None)
        check = getattr(backend, "check", None)
        status = check() if callable(check) else _ping_redis(settings.redis_url)
        cache["redis"] = "ok" if status.get("state") == "ok" else "unreachable"
        if status.get("state") != "ok":
            cache["redis_down_seconds"] = status.get("down_seconds")
    return cache


def health_report(store: LogStore, settings: Settings) -> tuple[dict[str, Any], int]:
    """The readiness payload and its HTTP status code (see the module docstring)."""
    started = time.perf_counter()
    errors: list[str] = []
    degraded: list[str] = []
    logdir = settings.logdir
    n_series = n_problems = 0
    if settings.log_url:
        try:
            n_series = len(store.list_series())  # object storage: one listing, reused for a while
            n_problems = len(store.problems())
        except OSError as e:
            errors.append(f"the log location cannot be listed ({type(e).__name__})")
    elif not logdir.is_dir():
        errors.append("the log folder does not exist")
    elif not os.access(logdir, os.R_OK | os.X_OK):
        errors.append("the log folder is not readable by this process")
    else:
        try:
            n_series = len(store.list_series())
            n_problems = len(store.problems())
        except OSError as e:
            errors.append(f"the log folder cannot be listed ({e.strerror or type(e).__name__})")
    if n_problems:
        degraded.append(f"{n_problems} log entr{'y' if n_problems == 1 else 'ies'} could not be read")
    cache = _cache_report(store, settings)
    if cache.get("redis") == "unreachable":
        degraded.append("the shared cache (Redis) is unreachable: views are served from the log files")
    status = "error" if errors else "degraded" if degraded else "ok"
    body = {
        "status": status,
        "errors": errors,
        "degraded": degraded,
        "series": n_series,
        "problems": n_problems,
        "cache": cache,
        "pid": os.getpid(),
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return body, 503 if errors else 200


def _ping_redis(url: str) -> dict[str, Any]:
    """For a cache that cannot report its own state: one ping with a short timeout."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError:
        return {"state": "degraded"}
    return {"state": "ok"}


def register_health(
    server: Flask, store: LogStore, settings: Settings, *, route_prefix: str | None = None
) -> None:
    """Add ``<route_prefix>healthz``, ``healthz/ready`` and ``healthz/live`` to ``server``
    (default prefix: ``settings.prefix``).

    ``route_prefix`` is the prefix Flask itself routes under; it differs from the public one when
    a WSGI dispatcher strips the mount point (``requests_pathname_prefix`` embedding).
    """
    prefix = normalize_prefix(route_prefix if route_prefix is not None else settings.prefix)

    def ready() -> tuple[Response, int]:
        body, status = health_report(store, settings)
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        return response, status

    def live() -> tuple[Response, int]:
        response = jsonify({"status": "alive", "pid": os.getpid()})
        response.headers["Cache-Control"] = "no-store"
        return response, 200

    name = f"confusionflow_healthz_{prefix}"
    server.add_url_rule(f"{prefix}healthz", endpoint=name, view_func=ready)
    server.add_url_rule(f"{prefix}healthz/ready", endpoint=f"{name}_ready", view_func=ready)
    server.add_url_rule(f"{prefix}healthz/live", endpoint=f"{name}_live", view_func=live)
