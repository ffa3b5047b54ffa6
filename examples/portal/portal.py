"""The host portal: a plain Flask site with its own pages, into which ConfusionFlow is mounted.

Two ways, both under ``/tools/confusionflow/``:

``make_portal_shared_server(logdir)``
    ConfusionFlow is built *on the portal's own Flask app* (``server=portal``) with
    ``url_base_pathname``. One WSGI app, one process; the portal's login/session/middleware applies
    to the tool's routes too.

``make_portal_dispatcher(logdir)``
    ConfusionFlow keeps its own Flask app and is mounted with werkzeug's ``DispatcherMiddleware``;
    Dash is told the public prefix with ``requests_pathname_prefix`` while it routes under ``/``.
    Use this to put several independent apps (Dash or not) behind one host.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app

MOUNT = "/tools/confusionflow/"

_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Team portal</title><link rel="icon" href="data:,">
<style>
  body {{ font-family: system-ui, sans-serif; margin: 0; }}
  header {{ background: #223; color: #fff; padding: 10px 16px; }}
  header a {{ color: #fff; margin-right: 16px; }}
  main {{ padding: 16px; }}
</style></head>
<body>
<header><strong>Team portal</strong> &nbsp;
  <a href="/">Home</a> <a id="tool-link" href="{mount}">ConfusionFlow</a></header>
<main>
  <h1>Model reviews</h1>
  <p>Open <a href="{mount}">ConfusionFlow</a> to compare how our classifiers' confusion evolves.</p>
  <p>Mounted with: <code id="mode">{mode}</code></p>
</main>
</body></html>
"""


def _portal(mode: str) -> Flask:
    portal = Flask("portal")

    @portal.get("/")
    def home() -> str:
        return _PAGE.format(mount=MOUNT, mode=mode)

    return portal


def make_portal_shared_server(logdir: Path | str, *, settings: Settings | None = None) -> Flask:
    """The portal with ConfusionFlow built on the portal's own Flask app; returns the Flask app."""
    portal = _portal("server=portal, url_base_pathname")
    settings = Settings.from_env(logdir=logdir, prefix=MOUNT) if settings is None else settings
    create_app(logdir, server=portal, url_base_pathname=MOUNT, settings=settings)
    return portal


def make_portal_dispatcher(logdir: Path | str, *, settings: Settings | None = None) -> DispatcherMiddleware:
    """The portal with ConfusionFlow mounted by ``DispatcherMiddleware``; returns the WSGI app."""
    portal = _portal("DispatcherMiddleware, requests_pathname_prefix")
    settings = Settings.from_env(logdir=logdir, prefix=MOUNT) if settings is None else settings
    tool = create_app(logdir, requests_pathname_prefix=MOUNT, settings=settings)
    return DispatcherMiddleware(portal, {MOUNT.rstrip("/"): tool.server})
