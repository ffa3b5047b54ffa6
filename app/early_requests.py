"""The layout and the callback graph requested from the page's ``<head>``, before Dash's scripts run.

Why: Dash's renderer asks for ``_dash-layout`` and ``_dash-dependencies`` only once it has started,
which (measured in Chromium 156, 10 classes) is after every blocking script and after the deferred
plotly.js bundle has been evaluated: ~1.2 s after navigation, and the layout then takes ~150 ms on
the server (it carries every view's first figure, ``app/first_figures.py``) while the page waits.
A small script at the top of the page starts both requests at once, so the server builds the
layout while the browser evaluates the scripts; when the renderer then calls ``fetch`` for either
URL (once, with GET), it gets that response, once the document has been parsed (so the deferred
plotly.js bundle and dcc's chunks have run before any graph mounts, as before). Anything else — a later request for the same URL, a
failed early request, another method — goes to the network as before.

The early request is the renderer's own: same URL, same origin, so the same ``Referer`` (the
page's address, which ``app/first_view.py`` reads the view from) and the same cache rules.
"""

from __future__ import annotations

import json
from typing import Any

import dash

# Runs at once, in <head>. ``URLS``: path-absolute URLs, as the renderer builds them.
EARLY_JS = """
(function () {
    "use strict";
    if (!window.fetch || !window.Promise || !window.URL) {
        return;
    }
    var early = {};
    URLS.forEach(function (path) {
        var url = new URL(path, window.location.href).href;
        early[url] = window.fetch(url, {credentials: "same-origin"}).catch(function () { return null; });
    });
    // handed over only once the document has been parsed and its deferred scripts (plotly.js,
    // dcc's chunks) have run, as when the renderer asks by itself: a graph mounted before them
    // would fetch plotly.js and the chunks a second time
    var parsed = new Promise(function (resolve) {
        if (document.readyState !== "loading" && document.readyState !== "interactive") {
            resolve();
        } else {
            document.addEventListener("DOMContentLoaded", function () { resolve(); }, {once: true});
        }
    });
    var network = window.fetch;
    window.fetch = function (input, init) {
        var raw = typeof input === "string" ? input : (input && input.url);
        var method = ((init && init.method) || (input && input.method) || "GET").toUpperCase();
        var url = raw ? new URL(raw, window.location.href).href : "";
        var answer = method === "GET" && early[url];
        if (!answer) {
            return network.apply(this, arguments);
        }
        delete early[url];
        var self = this, args = arguments;
        return Promise.all([answer, parsed]).then(function (both) {
            var response = both[0];
            return response && response.ok ? response : network.apply(self, args);
        });
    };
}());
"""


def early_requests_html(prefix: str) -> str:
    """The ``<script>`` that requests ``<prefix>_dash-layout`` and ``<prefix>_dash-dependencies``
    (``prefix``: the app's ``requests_pathname_prefix``, ``/`` or ``/tools/cf/``)."""
    urls = json.dumps([prefix + "_dash-layout", prefix + "_dash-dependencies"])
    return "<script>" + EARLY_JS.replace("URLS", urls, 1).replace("</", "<\\/") + "</script>"


def install_early_requests(app: dash.Dash) -> None:
    """Put the script of :func:`early_requests_html` first in ``app``'s page ``<head>`` (before the
    style sheets: the requests start before anything else is fetched)."""
    interpolate = app.interpolate_index
    script = early_requests_html(app.config.requests_pathname_prefix)

    def interpolate_index(**kwargs: Any) -> str:
        kwargs["metas"] = script + kwargs.get("metas", "")
        return interpolate(**kwargs)

    app.interpolate_index = interpolate_index  # type: ignore[method-assign,assignment]
