"""Where background callbacks run: a ``diskcache`` folder locally, Celery on Redis when configured.

Locally (no Redis) background callbacks run in a child process and keep their results in a
``diskcache`` folder under the cache dir, which every gunicorn worker on the machine shares. With
``settings.redis_url`` they go to Celery on that Redis, so any worker on any machine can run them
and any web instance can collect the result: nothing a later request needs stays in one process.

Every job gets a result key of its own (:func:`job_key`). Dash keys a job by its callback's
arguments and source only, but what an import job returns also depends on what is not among them:
who the portal's header says sent it (``Settings.import_user_header``), and which app (log folder,
URL prefix) started it when several share one Redis or one cache dir. Two requests that differ only
there (two users, two tabs, two apps) would write to one key, and whichever page polled first would
read, and delete, the other's result. Nothing is memoized (no ``cache_by``): an import has effects.

Importing this module reads no environment and connects to nothing; the Celery entry point that
does read the environment is :mod:`confusionflow.app.worker`.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import dash
from celery import Celery

from confusionflow.app.broker_probe import BrokerProbe
from confusionflow.app.config import Settings

# Result keys of finished jobs are read once and deleted; this only bounds abandoned ones.
RESULT_TTL_SECONDS = 3600
REDIS_TIMEOUT_SECONDS = 5.0  # connect/read timeout of every broker and result-backend socket
HEALTH_CHECK_SECONDS = 10  # an idle broker socket is PINGed this often, so a dead one is noticed

# How Celery talks to Redis, for web processes and workers alike (see docs/deployment.md, "Redis
# outage"). Kombu before 5.4 left a worker "Connected" but deaf after a Redis restart; the pinned
# Celery/Kombu re-register the consumer's socket after every reconnect. The settings below make a
# lost connection noticed within seconds and retried for as long as the outage lasts.
CELERY_REDIS_SETTINGS: dict[str, Any] = {
    "broker_connection_retry": True,
    "broker_connection_retry_on_startup": True,
    "broker_connection_max_retries": None,  # a worker keeps retrying however long Redis is away
    "broker_connection_timeout": REDIS_TIMEOUT_SECONDS,
    "broker_heartbeat": 0,  # AMQP-only; Redis sockets are checked by health_check_interval
    "broker_transport_options": {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS + HEALTH_CHECK_SECONDS,  # longer than the idle BRPOP
        "socket_keepalive": True,
        "health_check_interval": HEALTH_CHECK_SECONDS,
        "retry_on_timeout": True,
        "visibility_timeout": RESULT_TTL_SECONDS,  # an unacknowledged import is redelivered after 1 h
    },
    # a task that lost its broker connection cannot be acknowledged: cancel it, it is redelivered
    "worker_cancel_long_running_tasks_on_connection_loss": True,
    "redis_socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "redis_socket_timeout": REDIS_TIMEOUT_SECONDS,
    "redis_socket_keepalive": True,
    "redis_retry_on_timeout": True,
    "redis_backend_health_check_interval": HEALTH_CHECK_SECONDS,
    # A web request never waits ~20 s for a Redis that is down (the page asks BrokerProbe first):
    # one quick retry for a publish or a result read, then the error.
    "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2},
    "result_backend_transport_options": {"retry_policy": {"max_retries": 1, "interval_start": 0.2}},
}

_celery_apps: dict[str, Celery] = {}
_managers: dict[tuple[str, str], Any] = {}
_probes: dict[str, BrokerProbe] = {}


def job_key(inputs_key: str) -> str:
    """The result key of one job: Dash's key of its inputs (hex) and 128 random bits, hashed (hex).

    Random because a job's result belongs to the one request that started it; a key derived from
    anything the request sends can be sent again by another request.
    """
    return hashlib.sha256(f"{inputs_key}:{secrets.token_hex(16)}".encode()).hexdigest()


class OwnKeyDiskcacheManager(dash.DiskcacheManager):
    """Dash's diskcache manager, each job under a result key of its own (:func:`job_key`)."""

    def build_cache_key(self, fn: Any, args: Any, cache_args_to_ignore: Any, triggered: Any) -> str:
        return job_key(super().build_cache_key(fn, args, cache_args_to_ignore, triggered))


def broker_probe_for(redis_url: str) -> BrokerProbe:
    """The one :class:`BrokerProbe` for ``redis_url`` in this process."""
    if redis_url not in _probes:
        _probes[redis_url] = BrokerProbe(redis_url)
    return _probes[redis_url]


class GuardedCeleryManager(dash.CeleryManager):
    """Dash's Celery manager that refuses a job at once when the broker does not answer, each job
    under a result key of its own (:func:`job_key`).

    ``call_job_fn`` raises :class:`confusionflow.app.broker_probe.BrokerUnavailable` within the probe's timeout
    instead of letting kombu retry the publish, and so do the progress and result reads of a job
    already sent; the callback's ``on_error`` turns it into words.
    """

    def __init__(self, celery_app: Celery, probe: BrokerProbe, **kwargs: Any) -> None:
        super().__init__(celery_app, **kwargs)
        self.probe = probe

    def build_cache_key(self, fn: Any, args: Any, cache_args_to_ignore: Any, triggered: Any) -> str:
        return job_key(super().build_cache_key(fn, args, cache_args_to_ignore, triggered))

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        self.probe.require()
        return super().call_job_fn(key, job_fn, args, context)

    # The page polls a sent job's progress and result about once a second; while Redis is away
    # each poll is answered from the probe (one line in the log per outage, not a traceback per
    # poll) and the callback's on_error says the outcome is not known here.
    def get_progress(self, key: str) -> Any:
        self.probe.require(running=True)
        return super().get_progress(key)

    def get_result(self, key: str, job: Any) -> Any:
        self.probe.require(running=True)
        return super().get_result(key, job)


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
            worker_prefetch_multiplier=1,  # imports are long: don't let one worker hoard them
            task_acks_late=True,  # a worker that dies mid-import leaves the task for another
            **CELERY_REDIS_SETTINGS,
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
            _managers[key] = GuardedCeleryManager(
                celery_app_for(settings.redis_url), broker_probe_for(settings.redis_url)
            )
        return _managers[key]
    folder = settings.resolved_cache_dir / "jobs"
    key = ("diskcache", str(folder))
    if key not in _managers:
        import diskcache

        folder.mkdir(parents=True, exist_ok=True)
        _managers[key] = OwnKeyDiskcacheManager(diskcache.Cache(str(folder)), expire=RESULT_TTL_SECONDS)
    return _managers[key]
