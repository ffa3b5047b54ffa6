"""Serving the dashboard: gunicorn (the default) or Flask's single-process server (``--dev``).

Both keep the access log quiet: an open page asks ``/_dash-update-component`` every few seconds for
new steps, and a page load fetches dozens of ``/_dash-component-suites/`` scripts. Those requests
are logged only when they fail (status 400 or more); page loads, health probes and every error are
logged as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from confusionflow.app.config import Settings

# Path segments (after the URL prefix) of the requests a page makes by itself.
ROUTINE_SEGMENTS = (
    "_dash-update-component",
    "_dash-component-suites/",
    "_dash-layout",
    "_dash-dependencies",
    "_reload-hash",
    "_favicon.ico",
    "assets/",
)


def is_routine(path: str, status: int) -> bool:
    """True for a successful request a page makes by itself (a callback, a script, the live poll)."""
    if status >= 400:
        return False
    return any(f"/{segment}" in path for segment in ROUTINE_SEGMENTS)


class QuietAccessLogger(Logger):
    """gunicorn's logger, with routine successful Dash requests left out of the access log."""

    def access(self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any) -> None:
        status = getattr(resp, "status_code", None) or int(str(getattr(resp, "status", "0")).split()[0])
        if is_routine(str(environ.get("PATH_INFO", "")), int(status)):
            return
        super().access(resp, req, environ, request_time)


class _WerkzeugQuietFilter(logging.Filter):
    """The same rule for Flask's development server, whose lines read ``"POST /path HTTP/1.1" 200 -``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        try:
            request, status = message.split('"')[1], int(message.split('"')[2].split()[0])
        except (IndexError, ValueError):
            return True
        parts = request.split()
        return not (len(parts) >= 2 and is_routine(parts[1], status))


def quiet_werkzeug_log() -> None:
    """Install the quiet rule on the ``werkzeug`` request log (idempotent)."""
    log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _WerkzeugQuietFilter) for f in log.filters):
        log.addFilter(_WerkzeugQuietFilter())


DEFAULT_KEEPALIVE_SECONDS = 75


@dataclass(frozen=True)
class ServerOptions:
    """How gunicorn runs: worker processes, threads per worker, request timeout (s), access log,
    the reverse proxies whose ``X-Forwarded-*`` headers are trusted (comma-separated addresses or
    ``*``), where workers keep their heartbeat files (None: ``/dev/shm`` where it exists), and how
    long (s) an idle connection is kept open for the client's next request (``keepalive``).

    ``keepalive`` is longer than the idle timeout of the proxies in front of the app (nginx's and
    most load balancers' 60 s), so the client side closes an idle connection first. With gunicorn's
    own 2 s a request sent on a connection just as the worker closes it is reset: 10 and 25 of
    ~6,200 requests of 50 simulated users (users pause 1-4 s) got a connection reset, none with 75 s
    (docs/PERFORMANCE.md, "Fifty users on gunicorn"). A proxy does not resend such a POST: its user
    would get a 502.
    """

    workers: int = 2
    threads: int = 4
    timeout: int = 120
    access_log: str = "quiet"  # "quiet" (routine requests left out), "all", or "none"
    forwarded_allow_ips: str = "127.0.0.1,::1"
    worker_tmp_dir: str | None = None
    keepalive: int = DEFAULT_KEEPALIVE_SECONDS


class ConfusionFlowServer(BaseApplication):
    """gunicorn running ``create_app(settings=...)``, built in each worker after it starts."""

    def __init__(self, settings: Settings, options: ServerOptions) -> None:
        self.settings = settings
        self.options = options
        super().__init__(prog="confusionflow serve")

    def gunicorn_config(self) -> dict[str, Any]:
        s, o = self.settings, self.options
        host = f"[{s.host}]" if ":" in s.host else s.host
        config: dict[str, Any] = {
            "bind": [f"{host}:{s.port}"],
            "workers": o.workers,
            "threads": o.threads,
            "timeout": o.timeout,
            "keepalive": o.keepalive,
            "errorlog": "-",
            # memory, not disk: a slow or full disk never gets a busy worker's heartbeat missed
            "worker_tmp_dir": o.worker_tmp_dir or ("/dev/shm" if Path("/dev/shm").is_dir() else None),
            "forwarded_allow_ips": o.forwarded_allow_ips,
            "proc_name": "confusionflow",
            # One control socket per user by default: two servers on one machine would share it.
            "control_socket_disable": True,
        }
        if o.access_log != "none":
            config["accesslog"] = "-"
        if o.access_log == "quiet":
            config["logger_class"] = QuietAccessLogger
        return config

    def load_config(self) -> None:
        for key, value in self.gunicorn_config().items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from confusionflow.app.factory import create_app

        return create_app(settings=self.settings).server


def serve_gunicorn(settings: Settings, options: ServerOptions) -> None:
    """Run gunicorn in this process until it is stopped (Ctrl-C or SIGTERM)."""
    ConfusionFlowServer(settings, options).run()


def serve_dev(settings: Settings) -> None:
    """Flask's threaded development server, one process (``--dev``); ``--debug`` adds Dash's dev tools."""
    from confusionflow.app.factory import create_app

    quiet_werkzeug_log()
    app = create_app(settings=settings)
    # Dev tools would ask plotly.com for the newest Dash version: this app never calls out.
    app.run(
        host=settings.host,
        port=settings.port,
        debug=settings.debug,
        use_reloader=False,
        dev_tools_disable_version_check=True,
    )
