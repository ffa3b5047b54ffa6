"""``application`` for gunicorn (or any WSGI server), configured from the environment.

    gunicorn --workers 4 --bind 0.0.0.0:8050 confusionflow.app.wsgi:application

Every worker builds the same app from the same ``CONFUSIONFLOW_*`` variables. Workers share
nothing in memory that another needs: parsed logs go to the cache folder (or Redis with
``REDIS_URL``), background jobs to diskcache (or Celery), and view state lives in the page's URL.
"""

from __future__ import annotations

import logging

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app

log = logging.getLogger("confusionflow")

settings = Settings.from_env()
if not settings.log_url and not settings.logdir.is_dir():
    # Keep serving (healthz answers 503 and names the problem) so a late-mounted volume recovers.
    log.error("log folder %s does not exist: set CONFUSIONFLOW_LOGDIR or mount it", settings.logdir)
dash_app = create_app(settings=settings)
application = dash_app.server
