"""How the page reaches the browser: the vendored plotly.js bundle, compression and cache lifetimes.

* **plotly.js.** ``dcc.Graph`` draws with ``window.Plotly`` when a bundle is already on the page and
  otherwise fetches Dash's full ``plotly.min.js`` (4.8 MB) only after the layout has arrived. The
  app needs three trace types (heatmap, scatter, bar), all in plotly.js's official *cartesian*
  bundle (1.5 MB) of the same version as the plotly Python package's: it is vendored in
  ``assets/vendor/`` (origin, version and how to update it: ``docs/plotly-bundle.md``) and loaded
  with a ``defer`` script tag, so the browser downloads it alongside Dash's own scripts and runs it
  after them, while the layout is being requested. ``assets/plotly_bundle_url.js`` points
  ``dcc.Graph``'s fallback URL at the same file, so a graph that mounts before the bundle has run
  waits for this bundle instead of fetching the full one.
* **Compression** (flask-compress) of every text response: brotli, gzip for older clients. Level 2 /
  1: a 4 MB figure costs ~40 ms to compress; higher levels cost 4-10x that for 10-20 % fewer bytes.
  Only on a server the app owns; a host portal chooses its own.
* **Cache lifetimes.** Fingerprinted URLs (Dash's component scripts ``….v4_4_1m….js``, assets with a
  ``?m=``/``?v=`` query) are ``immutable`` for a year: a returning visit asks for none of them. The
  page, the layout and the callback graph are ``no-cache`` with a content ETag (a returning visit
  revalidates them and gets ``304 Not Modified`` while nothing changed); callback answers
  ``no-store``.
* **dcc's lazily loaded chunks.** ``dcc.Graph``, ``Dropdown``, ``Slider`` and ``Upload`` load
  their code (``async-graph.js`` …) only when they first render, i.e. after the layout has
  arrived, from URLs without a version (revalidated on every visit). The page names the chunks it
  always renders as ``defer`` scripts at Dash's own fingerprinted URLs: they download with the
  other scripts, register themselves with dcc's webpack runtime (which then finds them loaded and
  fetches nothing), and a returning visit takes them from the cache.
* **The validation layout.** For a layout *function*, Dash 4 calls it once at start-up and sends
  the whole tree again with every page, as ``validation_layout`` in the page's config: the
  renderer checks each callback's ids and properties against it. With the first view's figures in
  the layout that tree is most of the page (68 kB of 121 kB before the figures, 256 kB with them
  at 10 classes). :func:`validation_skeleton` gives it the same components, each with its id only:
  the same check (every id present, every property one its component type declares) for ~5 kB.
* **Unknown component scripts.** Dash answers a request for a package or file under
  ``_dash-component-suites/`` that it never registered with an exception (a 500 whose log lists
  every registered path), and a path with no file part with the page itself. Both are a short
  ``404 Not Found`` here: a stale or mistyped script URL is a missing file, not a server fault.

Shapes: nothing here touches data; every function takes the Dash app or a Flask response.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import dash
import flask
from dash import html
from dash.exceptions import DependencyException
from dash.fingerprint import check_fingerprint
from flask_compress import Compress

# The vendored plotly.js: file name inside assets/ and the version in its header. Update both with
# the plotly Python package (docs/plotly-bundle.md); tests/unit/test_plotly_bundle.py checks they agree.
PLOTLY_BUNDLE = "vendor/plotly-cartesian-4.1.1.min.js"
PLOTLY_BUNDLE_VERSION = "4.1.1"
# dcc's lazily loaded chunks every first view renders (graphs, dropdowns, sliders, the upload box)
DCC_CHUNKS = ("graph", "dropdown", "slider", "upload")
# Dash would otherwise add every .js under assets/ as a blocking script tag; the bundle gets its own.
ASSETS_IGNORE = r"^plotly-cartesian-[0-9.]+\.min\.js$"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NO_STORE = "no-store"
COMPRESSION = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 2,
    "COMPRESS_LEVEL": 1,
    "COMPRESS_DEFLATE_LEVEL": 1,
    "COMPRESS_MIN_SIZE": 500,
}
SUITES = "_dash-component-suites/"
SUITES_RULE = SUITES + "<string:package_name>/<path:fingerprinted_path>"  # Dash's own route
NOT_FOUND_BODY = "Not found: no such component script.\n"
_HEADER_VERSION = re.compile(rb"plotly\.js \(cartesian - minified\) v(\d+\.\d+\.\d+)")


def bundle_version(path: Path) -> str:
    """The plotly.js version written in the header comment of the bundle at ``path``."""
    with path.open("rb") as f:
        found = _HEADER_VERSION.search(f.read(400))
    if not found:
        raise ValueError(f"{path} does not start with a plotly.js cartesian bundle header")
    return found.group(1).decode()


def bundle_fingerprint(path: Path) -> str:
    """First 12 hex digits of the bundle's SHA-256: its URL's ``?v=``, new whenever the file changes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def configure_delivery(app: dash.Dash, assets_folder: Path, *, compress: bool) -> None:
    """Add the plotly.js script tag, compression (if ``compress``) and cache headers to ``app``.

    Call after ``dash.Dash(..., assets_ignore=ASSETS_IGNORE)``, before the first request.
    """
    bundle = assets_folder / PLOTLY_BUNDLE
    url = app.get_asset_url(PLOTLY_BUNDLE) + "?v=" + bundle_fingerprint(bundle)
    app.config.external_scripts.append({"src": url, "defer": "defer", "data-plotly-bundle": "cartesian"})
    app.config.external_scripts.extend({"src": src, "defer": "defer"} for src in chunk_urls(app))
    server = app.server
    if compress:
        for key, value in COMPRESSION.items():
            server.config.setdefault(key, value)
        # Dash serves assets through a blueprint: answer conditional requests for them too.
        static = [name for name in server.view_functions if name.endswith(".static")]
        server.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", ["static", *static])
        Compress(server)  # registered first, so it runs after the cache headers below are set
    prefix = app.config.routes_pathname_prefix
    assets_path = prefix + app.config.assets_url_path.strip("/") + "/"
    server.after_request(lambda response: cache_headers(response, prefix, assets_path))
    guard_component_suites(server, prefix)


def chunk_urls(app: dash.Dash) -> list[str]:
    """Dash's fingerprinted URLs of ``DCC_CHUNKS`` (the route serves them ``immutable``)."""
    resources = [
        {"relative_package_path": f"dcc/async-{name}.js", "namespace": "dash"} for name in DCC_CHUNKS
    ]
    urls = app._collect_and_register_resources(resources)  # noqa: SLF001 - Dash's own URL builder
    return [u if isinstance(u, str) else u["src"] for u in urls]


def validation_skeleton(layout: Any) -> Any:
    """An ``html.Div`` of every component of ``layout`` that has an id, each of the same type with
    its id only (for ``app.validation_layout``, see the module docstring)."""
    found = [layout] if getattr(layout, "id", None) is not None else []
    found += [c for c in layout._traverse() if getattr(c, "id", None) is not None]  # noqa: SLF001 - Dash's own walk
    return html.Div([type(c)(id=c.id) for c in found])


def not_found() -> flask.Response:
    """The short plain-text 404 of a component script that does not exist."""
    return flask.Response(NOT_FOUND_BODY, status=404, mimetype="text/plain")


def missing_script_guard(view: Callable[..., Any]) -> Callable[..., Any]:
    """Dash's component-script view with an unregistered package or path (``DependencyException``)
    or a registered path whose file is missing (``OSError``) answered by :func:`not_found`."""

    @wraps(view)
    def serve(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (DependencyException, OSError):
            return not_found()

    return serve


def guard_component_suites(server: flask.Flask, prefix: str) -> None:
    """Make every unknown path under ``<prefix>_dash-component-suites/`` a 404 (see the module
    docstring). ``prefix``: the app's route prefix (``/`` or ``/cf/``); a host portal's other
    routes are untouched. Raises LookupError if Dash's route is not where this expects it (a Dash
    upgrade that moved it must be noticed, not silently unguarded)."""
    endpoint = prefix + SUITES_RULE
    if endpoint not in server.view_functions:
        raise LookupError(f"Dash's component-script route {endpoint!r} is not registered")
    server.view_functions[endpoint] = missing_script_guard(server.view_functions[endpoint])
    suites = prefix + SUITES

    def unmatched_suites_path() -> flask.Response | None:
        # a path with no file part (``…/dash``, ``…/dash/``) would reach Dash's catch-all page route
        request = flask.request
        if request.path.startswith(suites) and request.endpoint != endpoint:
            return not_found()
        return None

    server.before_request(unmatched_suites_path)


def cache_headers(response: flask.Response, prefix: str, assets_path: str) -> flask.Response:
    """Set ``Cache-Control`` (and a content ETag for the page and Dash's JSON) on the app's responses.

    ``prefix``: the app's route prefix (``/`` or ``/cf/``); responses outside it (a host portal's own
    pages) are left alone. ``assets_path``: where ``assets/`` is served (``/cf/assets/``).
    """
    request = flask.request
    path = request.path
    rest = path[len(prefix) :]
    if not path.startswith(prefix) or rest.startswith("healthz"):
        return response  # a host portal's page, or the health check (it sets its own headers)
    if request.method not in ("GET", "HEAD"):
        response.headers["Cache-Control"] = NO_STORE
        return response
    if response.status_code not in (200, 304):
        return response
    if rest.startswith("_dash-component-suites/"):
        fingerprinted = check_fingerprint(rest)[1]
        response.headers["Cache-Control"] = IMMUTABLE if fingerprinted else REVALIDATE
    elif path.startswith(assets_path) or rest == "_favicon.ico":
        versioned = "m" in request.args or "v" in request.args
        response.headers["Cache-Control"] = IMMUTABLE if versioned else REVALIDATE
    elif response.mimetype in ("text/html", "application/json") and not response.is_streamed:
        response.headers["Cache-Control"] = REVALIDATE
        if response.status_code == 200 and not response.get_etag()[0]:
            response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:20], weak=True)
            response.make_conditional(request)
    return response
