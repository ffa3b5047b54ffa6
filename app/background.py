"""Where background callbacks run: a ``diskcache`` folder locally, Celery on Redis when configured.

Locally (no Redis) background callbacks run in a child process and keep their results in a
``diskcache`` folder under the cache dir, which every gunicorn worker on the machine shares. With
``settings.redis_url`` they go to Celery on that Redis, so any worker on any machine can run them
and any web instance can collect the result: nothing a later request needs stays in one process.

Importing this module reads no environment and connects to nothing; the Celery entry point that
does read the environment is :mod:`app.worker`.
"""

from __future__ import annotations

from typing import Any

import dash
from celery import Celery

from app.config import Settings

# Result keys of finished jobs are read once and deleted; this only bounds abandoned ones.
RESULT_TTL_SECONDS = 3600

_celery_apps: dict[str, Celery] = {}
_managers: dict[tuple[str, str], Any] = {}


def celery_app_for(redis_url: str) -> Celery:
    """The one Celery app for ``redis_url`` in this process (broker and result backend alike).

    Creating it connects to nothing; the first task sent or taken does.
    """
    if redis_url not in _celery_apps:
        capp = Celery("confusionflow", broker=redis_url, backend=redis_url)
        capp.conf.update(
            task_serializer="json",
            result_serializer="json",
            accept_content=["json"],
            result_expires=RESULT_TTL_SECONDS,
            broker_connection_retry_on_startup=True,
            worker_prefetch_multiplier=1,  # imports are long: don't let one worker hoard them
            task_acks_late=True,  # a worker that dies mid-import leaves the task for another
        )
        _celery_apps[redis_url] = capp
    return _celery_apps[redis_url]


def make_background_manager(settings: Settings) -> Any:
    """A Dash background-callback manager: Celery on Redis if configured, else diskcache.

    One manager per destination and process, because Dash keeps every manager alive and registers
    every background callback on each of them.
    """
    if settings.redis_url:
        key = ("celery", settings.redis_url)
        if key not in _managers:
            _managers[key] = dash.CeleryManager(celery_app_for(settings.redis_url))
        return _managers[key]
    folder = settings.resolved_cache_dir / "jobs"
    key = ("diskcache", str(folder))
    if key not in _managers:
        import diskcache

        folder.mkdir(parents=True, exist_ok=True)
        _managers[key] = dash.DiskcacheManager(diskcache.Cache(str(folder)), expire=RESULT_TTL_SECONDS)
    return _managers[key]
