"""``create_app``: one ConfusionFlow page, ready to serve alone, on a Flask server, or under a prefix.

The app keeps no per-user state in memory (several workers may serve one user): the view state is
in the page's URL and ``dcc.Store``\\s, the numbers come from the ``LogStore`` and its shared cache.
"""

from __future__ import annotations

from pathlib import Path

import dash
import flask

from confusionflow.app import delivery, early_requests, first_paint, first_view, health, security
from confusionflow.app.background import make_background_manager
from confusionflow.app.callbacks import register_all
from confusionflow.app.callbacks.imports import register_import_callbacks
from confusionflow.app.config import REPO_ROOT, Settings, normalize_prefix
from confusionflow.app.counts_export import install_counts_export
from confusionflow.app.first_request import serialise_first_setup
from confusionflow.app.request_guards import (
    MAX_REQUEST_BYTES,
    install_callback_shape_check,
    install_request_limits,
)
from confusionflow.components.layout import build_layout
from confusionflow.data_access.cache import make_cache
from confusionflow.data_access.storage import StorageError, is_url
from confusionflow.data_access.store import LogStore

ASSETS = REPO_ROOT / "assets"
TITLE = "ConfusionFlow"


def create_app(
    logdir: str | Path | None = None,
    *,
    server: flask.Flask | bool | None = None,
    url_base_pathname: str | None = None,
    requests_pathname_prefix: str | None = None,
    cache=None,
    settings: Settings | None = None,
) -> dash.Dash:
    """A Dash app showing the logs in ``logdir`` (default: ``settings.logdir``, the demo logs).

    ``server``: an existing Flask app to mount on (default: a new one). ``url_base_pathname`` /
    ``requests_pathname_prefix``: serve under a prefix (behind a proxy that strips it, set only
    ``requests_pathname_prefix``); without either, ``settings.prefix`` is used. ``cache``: an
    ``ArrayCache`` for parsed logs (default: from the settings' cache dir or Redis URL).
    """
    settings = settings or Settings()
    if logdir is not None and is_url(str(logdir)):
        settings = Settings(**{**settings.__dict__, "log_url": str(logdir)})
    elif logdir is not None:
        settings = Settings(**{**settings.__dict__, "logdir": Path(logdir), "log_url": None})
    if settings.log_url and settings.allow_upload:
        raise StorageError(
            f"{settings.log_url}: page imports write to a local log folder; they cannot be enabled "
            "for logs on object storage (import locally, then copy the runs to the bucket)"
        )
    if url_base_pathname is None and requests_pathname_prefix is None and settings.prefix != "/":
        url_base_pathname = normalize_prefix(settings.prefix)
    if cache is None:
        cache = make_cache(cache_dir=settings.resolved_cache_dir / "arrays", redis_url=settings.redis_url)
    # a URL reads from object storage; one folder walk serves the requests of fingerprint_ttl_seconds
    store = LogStore(
        settings.log_location,
        cache=cache,
        fingerprint_ttl=settings.fingerprint_ttl_seconds,
        hierarchy_file=settings.hierarchy_file,
    )

    app = dash.Dash(
        __name__,
        server=server if server is not None else True,  # type: ignore[arg-type]  # Dash takes a Flask app
        url_base_pathname=url_base_pathname,
        requests_pathname_prefix=requests_pathname_prefix,
        assets_folder=str(ASSETS),
        assets_ignore=delivery.ASSETS_IGNORE,
        serve_locally=True,
        title=TITLE,
        update_title=None,  # type: ignore[arg-type]  # None: the tab title stays while callbacks run
        suppress_callback_exceptions=False,
        background_callback_manager=make_background_manager(settings),
    )

    # The plotly.js bundle from assets/, compression (on our own server) and cache lifetimes.
    delivery.configure_delivery(app, ASSETS, compress=server is None)

    def fresh_layout():
        return build_layout(
            store.list_series(),
            store.problems(),
            poll_seconds=settings.poll_seconds,
            fingerprint=store.fingerprint(),
            allow_upload=settings.allow_upload,
        )

    def serve_layout():
        # A function, so a reload lists series added since start-up; it carries the first view of
        # the page that asks for it (app/first_view.py), so no callback chain runs before it.
        return first_view.fill_first_view(fresh_layout(), store, settings.max_view_cells)

    def first_view_for(query: str):
        # the same first view for the page's own HTML (app/first_paint.py), from its query
        return first_view.fill_first_view_for(fresh_layout(), store, settings.max_view_cells, query)

    # set first: Dash would otherwise keep a full built layout to send with every page
    # (the first view's two stores included; the series chips are pattern-matched: none needed)
    app.validation_layout = delivery.validation_skeleton(first_view.apply_props(fresh_layout(), {}))
    app.layout = serve_layout
    first_paint.install_first_paint(app, first_view_for)
    early_requests.install_early_requests(app)
    register_all(app, store, settings)
    first_view.register_fallback(app)
    first_view.install_referrer_policy(app.server, app.config.routes_pathname_prefix)
    register_import_callbacks(app, settings)
    install_counts_export(app.server, store, settings, app.config.routes_pathname_prefix)
    health.register_health(app.server, store, settings, route_prefix=app.config.routes_pathname_prefix)
    security.register_security_headers(app.server, settings, route_prefix=app.config.routes_pathname_prefix)
    if server is None and app.server.config.get("MAX_CONTENT_LENGTH") is None:
        # Our own server: no route reads a body larger than the biggest allowed upload (base64 in
        # a JSON callback grows it by a third). A host portal's server keeps its own ceiling.
        app.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    # and per route: callbacks get a small limit, only an upload (when enabled) the large one
    install_request_limits(app.server, settings, app.config.routes_pathname_prefix)
    install_callback_shape_check(app.server, app.callback_map, app.config.routes_pathname_prefix)
    serialise_first_setup(app)
    return app
