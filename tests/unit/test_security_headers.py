"""Every response of the app says nosniff and who may frame it; a host portal's pages are left alone."""

from __future__ import annotations

from pathlib import Path

import flask
import pytest

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.app.security import frame_ancestors, register_security_headers


def test_page_assets_and_health_carry_the_headers(tmp_path: Path) -> None:
    client = create_app(tmp_path, settings=Settings(logdir=tmp_path, poll_seconds=0)).server.test_client()
    for url in ("/", "/healthz/live", "/_dash-layout", "/no-such-page"):
        r = client.get(url)
        assert r.headers["X-Content-Type-Options"] == "nosniff", url
        assert r.headers["Content-Security-Policy"] == "frame-ancestors 'self'", url
        assert r.headers["X-Frame-Options"] == "SAMEORIGIN", url


def test_portal_origins_are_configurable_and_drop_x_frame_options(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"CONFUSIONFLOW_FRAME_ANCESTORS": "'self' https://portal.example.org"},
        logdir=tmp_path,
        poll_seconds=0,
    )
    r = create_app(settings=settings).server.test_client().get("/")
    assert r.headers["Content-Security-Policy"] == "frame-ancestors 'self' https://portal.example.org"
    assert "X-Frame-Options" not in r.headers  # it cannot name another origin: the CSP decides
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_only_the_tool_prefix_of_a_host_portal_is_touched() -> None:
    server = flask.Flask("portal")
    server.add_url_rule("/", "home", lambda: "portal")

    @server.route("/tools/cf/page")
    def tool() -> flask.Response:
        response = flask.Response("tool")
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        return response

    register_security_headers(server, Settings(prefix="/tools/cf/", frame_ancestors="'none'"))
    client = server.test_client()
    home = client.get("/")
    assert "X-Frame-Options" not in home.headers and "Content-Security-Policy" not in home.headers
    page = client.get("/tools/cf/page")
    assert page.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert page.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "value", ["", "'self'; script-src *", "https://a.example\r\nSet-Cookie: x=1", "'none' 'self'", '"self"']
)
def test_a_frame_ancestors_value_that_could_inject_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="frame_ancestors"):
        frame_ancestors(value)
