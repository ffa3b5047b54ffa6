"""The Celery entry point: ``celery -A confusionflow.app.worker worker`` runs the page's background jobs.

Start it with the same ``CONFUSIONFLOW_*``/``REDIS_URL`` environment as the web processes and the
log folder mounted at the same path. At start-up the worker builds the app once, so Dash registers
every background callback as a Celery task under the same name the web processes use (a hash of
the callback's outputs and source).

This is the only module that reads the environment at import time (Celery looks for ``celery``
on the module named by ``-A``); the web processes never import it.
"""

from __future__ import annotations

import sys
from typing import Any

from celery.signals import worker_init

from confusionflow.app.background import celery_app_for
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app

ENTRY = "celery -A confusionflow.app.worker worker"

_ENV_REDIS_URL = Settings.from_env().redis_url
celery_app = celery_app_for(_ENV_REDIS_URL or "redis://127.0.0.1:6379/0")
celery = celery_app


@worker_init.connect
def _build_app_in_worker(sender: Any = None, **_: Any) -> None:
    """Register the app's background callbacks as tasks before this worker takes any.

    A worker that cannot do so would take jobs it cannot run, so it stops instead (SystemExit:
    Celery logs and swallows ordinary exceptions raised by signal handlers).
    """
    if getattr(sender, "app", None) is not celery_app:
        return
    if not _ENV_REDIS_URL:
        sys.stderr.write(
            f"{ENTRY}: set REDIS_URL (or CONFUSIONFLOW_REDIS_URL) to the Redis the web processes use\n"
        )
        raise SystemExit(2)
    try:
        create_app(settings=Settings.from_env())
    except Exception as e:  # noqa: BLE001 - reported, then the worker stops
        sys.stderr.write(f"{ENTRY}: cannot build the app to register its jobs: {e!r}\n")
        raise SystemExit(1) from e
