"""The vendored plotly.js bundle stays in step with the plotly package and has every trace type used,
and the app's own server sends it (and its other answers) compressed with the right cache lifetime."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import brotli
import pytest
from plotly.offline import get_plotlyjs_version

from confusionflow.app import delivery
from confusionflow.app.config import REPO_ROOT, Settings
from confusionflow.app.factory import ASSETS, create_app
from confusionflow.data_access.writer import LogWriter

BUNDLE = ASSETS / delivery.PLOTLY_BUNDLE
SHA256 = "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a"  # see docs/plotly-bundle.md
FULL_BUNDLE = Path(__import__("plotly").__path__[0]) / "package_data" / "plotly.min.js"
TRACE_MODULE = re.compile(rb'moduleType:"trace",name:"([a-z0-9]+)"')


def test_vendored_bundle_is_the_plotly_js_version_the_plotly_package_bundles():
    assert delivery.bundle_version(BUNDLE) == get_plotlyjs_version() == delivery.PLOTLY_BUNDLE_VERSION
    assert BUNDLE.name == f"plotly-cartesian-{get_plotlyjs_version()}.min.js"
    assert hashlib.sha256(BUNDLE.read_bytes()).hexdigest() == SHA256  # unchanged since it was vendored


def test_bundle_registers_every_trace_type_the_components_use():
    every_trace = set(TRACE_MODULE.findall(FULL_BUNDLE.read_bytes()))
    in_bundle = set(TRACE_MODULE.findall(BUNDLE.read_bytes()))
    assert {b"heatmap", b"scatter", b"bar"} <= in_bundle < every_trace
    used: set[bytes] = set()
    sources = sorted((REPO_ROOT / "components").rglob("*.py"))
    assert sources
    for source in sources:
        text = source.read_text()
        names = re.findall(r"""["']type["']\s*:\s*["'](\w+)["']|\btype\s*=\s*["'](\w+)["']""", text)
        used |= {n.encode() for pair in names for n in pair if n}
        used |= {n.lower().encode() for n in re.findall(r"\bgo\.(\w+)\(", text)}
    used_traces = used & every_trace  # axis, shape and input "type"s are not trace types
    assert {b"heatmap", b"scatter", b"bar"} <= used_traces
    assert used_traces <= in_bundle, used_traces - in_bundle


def test_bundle_version_rejects_a_file_that_is_not_the_cartesian_bundle(tmp_path: Path):
    other = tmp_path / "x.js"
    other.write_text("/** plotly.js v4.1.1 */")
    with pytest.raises(ValueError, match="cartesian"):
        delivery.bundle_version(other)


@pytest.fixture
def client(tmp_path: Path):
    logs = tmp_path / "logs"
    with LogWriter(logs, "run", ["a", "b"]) as w:
        w.add_counts(1, "test", [[3, 1], [0, 4]])
    settings = Settings(logdir=logs, cache_dir=tmp_path / "cache", poll_seconds=0)
    app = create_app(settings=settings, url_base_pathname="/cf/")
    return app.server.test_client(), app


def test_page_names_the_bundle_as_a_deferred_versioned_asset(client):
    c, app = client
    page = c.get("/cf/").get_data(as_text=True)
    (tag,) = re.findall(r"<script[^>]*plotly-cartesian[^>]*>", page)
    digest = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:12]
    assert f'src="/cf/assets/{delivery.PLOTLY_BUNDLE}?v={digest}"' in tag and 'defer="defer"' in tag
    assert "package_data/plotly.min.js" not in page
    # the fallback-URL guard is a normal asset, before the renderer starts
    assert page.index("plotly_bundle_url.js") < page.index("dash_renderer")


def test_answers_are_compressed_and_cached_as_their_urls_allow(client):
    c, _ = client
    br = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    page = c.get("/cf/", headers=br)
    assert page.headers["Content-Encoding"] == "br" and page.headers["Cache-Control"] == "no-cache"
    src = re.search(r'src="(/cf/assets/vendor/[^"]+)"', brotli.decompress(page.data).decode()).group(1)
    bundle = c.get(src, headers=br)
    assert bundle.headers["Content-Encoding"] == "br"
    assert bundle.headers["Cache-Control"] == delivery.IMMUTABLE
    assert brotli.decompress(bundle.get_data()) == BUNDLE.read_bytes()
    gz = c.get(src, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    unversioned = c.get(src.split("?")[0], headers=br)
    assert unversioned.headers["Cache-Control"] == "no-cache"
    layout = c.get("/cf/_dash-layout", headers=br)
    assert layout.headers["Content-Encoding"] == "br" and layout.headers["Cache-Control"] == "no-cache"
    again = c.get("/cf/_dash-layout", headers={**br, "If-None-Match": layout.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    health = c.get("/cf/healthz", headers=br)
    assert "ETag" not in health.headers
