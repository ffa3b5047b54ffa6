"""Response headers that keep the page from being sniffed into another type or framed by strangers.

Every response under the app's prefix gets ``X-Content-Type-Options: nosniff`` and a
``Content-Security-Policy: frame-ancestors ...`` naming who may show the page in a frame
(``Settings.frame_ancestors``, env ``CONFUSIONFLOW_FRAME_ANCESTORS``; default ``'self'``: the
same origin only, which is what a portal serving the tool under a prefix needs). For ``'self'``
and ``'none'`` the older ``X-Frame-Options`` (``SAMEORIGIN`` / ``DENY``) is sent too; it cannot
name other origins, so with a list of origins only the CSP applies (every current browser reads
it). Headers a host portal already set on a response are left as they are.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request

from confusionflow.app.config import Settings, normalize_prefix

_SOURCE = re.compile(
    r"^(?:'self'|'none'|\*|[a-z][a-z0-9+.-]*:|(?:[a-z][a-z0-9+.-]*://)?[A-Za-z0-9*.-]+(?::(?:\d+|\*))?)$"
)


def frame_ancestors(value: str) -> str:
    """The checked source list of ``frame-ancestors``: space-separated CSP sources, nothing else.

    ``'self'``, ``'none'``, ``https:`` or origins such as ``https://portal.example.org``; a value
    that could inject another directive (``;``, quotes, newlines) raises ValueError.
    """
    sources = value.split()
    if not sources:
        raise ValueError("frame_ancestors is empty; use 'self', 'none' or a list of origins")
    for source in sources:
        if not _SOURCE.match(source):
            raise ValueError(f"frame_ancestors: {source!r} is not a CSP source ('self', 'none' or an origin)")
    if "'none'" in sources and len(sources) > 1:
        raise ValueError("frame_ancestors: 'none' cannot be combined with other sources")
    return " ".join(sources)


def register_security_headers(server: Flask, settings: Settings, *, route_prefix: str | None = None) -> None:
    """Add the headers to every response of ``server`` under ``route_prefix`` (default: the settings')."""
    ancestors = frame_ancestors(settings.frame_ancestors)
    frame_options = {"'self'": "SAMEORIGIN", "'none'": "DENY"}.get(ancestors)
    prefix = normalize_prefix(route_prefix if route_prefix is not None else settings.prefix)

    def add_headers(response: Response) -> Response:
        if not request.path.startswith(prefix):
            return response  # a host portal's own pages keep their own policy
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        csp = headers.get("Content-Security-Policy")
        if csp is None:
            headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        elif "frame-ancestors" not in csp:
            headers["Content-Security-Policy"] = f"{csp.rstrip('; ')}; frame-ancestors {ancestors}"
        if frame_options:
            headers.setdefault("X-Frame-Options", frame_options)
        return response

    server.after_request(add_headers)
