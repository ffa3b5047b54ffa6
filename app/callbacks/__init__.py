"""Callbacks, one module per view; ``register_all`` wires them onto one app."""

from __future__ import annotations

import dash

from confusionflow.app.callbacks import (
    class_charts,
    detail,
    export,
    live,
    matrix,
    matrix_views,
    overview,
    selection,
    series,
    timeline,
    url,
)
from confusionflow.app.callbacks.instances import register_instance_callbacks
from confusionflow.app.config import Settings
from confusionflow.data_access.store import LogStore


def register_all(app: dash.Dash, store: LogStore, settings: Settings | None = None) -> None:
    """Register every callback of the page on ``app`` (never module-level ``dash.callback``)."""
    settings = settings or Settings()
    for module in (url, series, selection, overview, matrix_views, class_charts, detail, timeline, live):
        module.register(app, store)
    matrix.register(app, store, settings)
    export.register(app, store, settings)
    register_instance_callbacks(app, store)
