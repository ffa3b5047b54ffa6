"""A component-script URL that Dash never registered is a short 404, with or without a URL prefix.

Without the guard in ``confusionflow.app.delivery`` Dash raises ``DependencyException`` (a 500 whose
log lists every registered path) for an unknown package or file, and answers a path with no file
part with the page itself.
"""

from __future__ import annotations

from pathlib import Path

import flask
import pytest

from confusionflow.app import delivery
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.data_access.writer import LogWriter

UNKNOWN = (
    "_dash-component-suites/no_such_package/bundle.js",
    "_dash-component-suites/dash/no/such/file.js",
    "_dash-component-suites/dash/deps/react@99.0.0.min.js",
    "_dash-component-suites/dash/../../../etc/passwd",
    "_dash-component-suites/dash/",
    "_dash-component-suites/no_such_package",
)


def _settings(tmp_path: Path) -> Settings:
    logs = tmp_path / "logs"
    with LogWriter(logs, "run", ["a", "b"]) as w:
        w.add_counts(1, "test", [[3, 1], [0, 4]])
    return Settings(logdir=logs, cache_dir=tmp_path / "cache", poll_seconds=0)


def _script_url(page: str) -> str:
    """The URL of Dash's own renderer script as the page names it."""
    start = page.index("_dash-component-suites/dash/dash-renderer/")
    return page[start : page.index('"', start)]


@pytest.mark.parametrize("prefix", ["/", "/cf/"])
def test_unknown_component_script_paths_are_a_short_404(tmp_path: Path, prefix: str) -> None:
    app = create_app(settings=_settings(tmp_path), url_base_pathname=prefix)
    client = app.server.test_client()
    for path in UNKNOWN:
        r = client.get(prefix + path)
        body = r.get_data(as_text=True)
        assert r.status_code == 404, (path, r.status_code, body[:200])
        assert body == delivery.NOT_FOUND_BODY and r.mimetype == "text/plain"
    # the scripts the page names are still served
    page = client.get(prefix).get_data(as_text=True)
    script = client.get(prefix + _script_url(page))
    assert script.status_code == 200 and script.mimetype.endswith("javascript") and script.get_data()


def test_on_a_host_server_only_the_apps_own_script_paths_are_guarded(tmp_path: Path) -> None:
    host = flask.Flask("portal")

    @host.route("/_dash-component-suites/<path:rest>")
    def host_route(rest: str) -> str:  # a portal's own route of the same name outside the prefix
        return f"host {rest}"

    create_app(settings=_settings(tmp_path), server=host, url_base_pathname="/cf/")
    client = host.test_client()
    r = client.get("/cf/_dash-component-suites/no_such_package/x.js")
    assert r.status_code == 404 and r.get_data(as_text=True) == delivery.NOT_FOUND_BODY
    other = client.get("/_dash-component-suites/anything.js")
    assert other.status_code == 200 and other.get_data(as_text=True) == "host anything.js"


def test_a_moved_dash_route_is_an_error_not_silently_unguarded() -> None:
    with pytest.raises(LookupError, match="component-script route"):
        delivery.guard_component_suites(flask.Flask("bare"), "/")
