"""How the page reaches the browser: plotly.js from assets/, compressed answers, cache lifetimes,
the callback requests a first view needs, at the site root and under a URL prefix.

Logs: synthetic (the benchmark's ``write_logs``: 10 classes, 2 series, 20 steps, via ``LogWriter``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs_version

from benchmarks.bench_browser import write_logs
from benchmarks.bench_first_view import QUIET_JS, NetLog
from tests.browser.delivery import COMPRESSED, DASH_PLOTLY, TIMEOUT_MS, Response, load_and_probe
from tests.browser.pages import serve_app
from tests.conftest import ServerProcess, free_port

pytestmark = pytest.mark.browser

# ``_dash-update-component`` requests of a first view (none of them before the matrix shows: the
# page's HTML already holds its picture). The layout
# carries the first view (app/first_view.py: URL state, series, selection, range, epoch, detail
# target), so only the views' callbacks run, all at once: the five figures, the address written
# back, the rotate control, the instance panel's series and (chained on those) its table. The
# chain before it (URL -> series -> selection -> range/epoch -> views) needed 15 or 16.
FIRST_VIEW_CALLBACKS = 0
IMMUTABLE = "max-age=31536000"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("delivery-logs")
    return root, write_logs(root, n_classes=10, n_series=2, n_steps=20, seed=0)


@pytest.fixture(scope="module")
def app_url(logdir, tmp_path_factory: pytest.TempPathFactory):
    root, keys = logdir
    with serve_app(root, tmp_path_factory.mktemp("delivery-cache"), "--poll-seconds", "0") as url:
        yield url + "?" + "&".join(f"s={k}" for k in keys)


def check_bundle_and_compression(probe, base: str) -> None:
    """plotly.js came from assets/ (once, versioned, compressed, immutable) and Dash's did not."""
    assert not [r.url for r in probe.responses if DASH_PLOTLY.search(r.url)]
    bundles = probe.matching(r"plotly-cartesian")
    assert [r.url.split("?")[0] for r in bundles] == [base + "assets/vendor/plotly-cartesian-4.1.1.min.js"]
    assert "?v=" in bundles[0].url
    assert bundles[0].encoding in COMPRESSED
    assert IMMUTABLE in bundles[0].cache_control and "immutable" in bundles[0].cache_control
    assert probe.plotly_version == get_plotlyjs_version()
    # every trace type the page drew is one this bundle registers
    assert probe.drawn_traces and set(probe.drawn_traces) <= set(probe.known_traces)
    layout = probe.matching(r"/_dash-layout$")
    assert len(layout) == 1 and layout[0].encoding in COMPRESSED
    assert layout[0].cache_control == "no-cache" and layout[0].headers.get("etag", "").startswith("W/")


def check_callback_answers(page) -> None:
    """A change of the values shown (every view redrawn) is answered uncached and compressed."""
    seen: list = []
    page.on("response", lambda r: seen.append(r) if "_dash-update-component" in r.url else None)
    page.get_by_text("% of true class (row)").click()
    page.evaluate(QUIET_JS, {"quiet": 1000, "timeout": TIMEOUT_MS})
    callbacks = [Response(r.url, r.status, r.all_headers()) for r in seen]
    assert callbacks and all(r.cache_control == "no-store" for r in callbacks)
    # every callback answer worth compressing (flask-compress leaves bodies under 500 bytes alone)
    big = [r for r in callbacks if int(r.headers.get("content-length", "0")) > 2000]
    assert big and all(r.encoding in COMPRESSED for r in big)


def test_first_view_bundle_compression_cache_and_callbacks(page, app_url):
    probe = load_and_probe(page, app_url, "gd.data.length > 0")
    base = app_url.split("?")[0]
    check_bundle_and_compression(probe, base)
    # the page revalidates; Dash's fingerprinted scripts are immutable
    (html,) = [r for r in probe.responses if r.url == app_url]
    assert html.cache_control == "no-cache" and html.encoding in COMPRESSED
    suites = probe.matching(r"_dash-component-suites/dash/dash-renderer/.*\.v\d")
    assert suites and all("immutable" in r.cache_control for r in suites)
    # dcc's chunks come from the page's own tags at fingerprinted URLs, never a second time from dcc
    chunks = probe.matching(r"_dash-component-suites/dash/dcc/async-")
    assert sorted(re.sub(r"\.v[0-9_m]+\.js$", ".js", r.url.rsplit("/", 1)[1]) for r in chunks) == [
        "async-dropdown.js",
        "async-graph.js",
        "async-slider.js",
        "async-upload.js",
    ]
    assert all("immutable" in r.cache_control for r in chunks)
    # the matrix is on screen from the page's HTML before any callback request (app/first_paint.py)
    assert probe.callbacks_before_matrix == 0, probe.callback_outputs_before_matrix
    # and the load asks for nothing at all: every view came with the layout (FIRST_VIEW_CALLBACKS)
    assert len(probe.callback_outputs) <= FIRST_VIEW_CALLBACKS, probe.callback_outputs
    assert [t for t in ("heatmap", "scatter", "bar") if t not in probe.drawn_traces] == []
    check_callback_answers(page)


@pytest.mark.parametrize("referrer", [True, False], ids=["layout-from-referrer", "no-referrer-fallback"])
def test_a_shared_view_opens_as_linked(page, app_url, referrer):
    """A link with a range and an epoch opens on them: built into the layout from the layout
    request's Referer, or, when no referrer reaches the server, restored by the URL callback."""
    if not referrer:

        def strip(route):
            headers = {k: v for k, v in route.request.headers.items() if k.lower() != "referer"}
            route.continue_(headers=headers)

        page.route("**/_dash-layout", strip)
    load_and_probe(page, app_url + "&from=5&to=15&epoch=10")
    assert page.inner_text("#epoch-label") == "step 10"
    assert page.inner_text("#step-range-label").startswith("Steps 5–15")
    assert "from=5" in page.url and "epoch=10" in page.url


def test_returning_visit_fetches_no_script_or_stylesheet(page, app_url):
    load_and_probe(page, app_url)
    again = page.context.new_page()
    net = NetLog()
    net.attach(again)
    try:
        load_and_probe(again, app_url)
    finally:
        again.close()
    statics = [r for r in net.requests.values() if r["url"].split("?")[0].endswith((".js", ".css", ".ico"))]
    fingerprinted = [r for r in statics if "?" in r["url"] or ".v4_" in r["url"] or ".v7_" in r["url"]]
    assert fingerprinted and len(fingerprinted) >= 10
    assert [r["url"] for r in fingerprinted if not r["cached"]] == []
    # what does reach the server: the page, the revalidated layout (304, headers only), callbacks
    layout = [r for r in net.requests.values() if r["url"].endswith("/_dash-layout")]
    assert len(layout) == 1 and layout[0]["wire"] < 1000


@pytest.fixture(scope="module")
def prefixed_url(logdir, tmp_path_factory: pytest.TempPathFactory):
    root, keys = logdir
    port = free_port()
    server = ServerProcess(
        [
            sys.executable,
            "-m",
            "confusionflow.app",
            "--logdir",
            str(root),
            "--port",
            str(port),
            "--poll-seconds",
            "0",
        ]
        + ["--cache-dir", str(tmp_path_factory.mktemp("prefix-cache")), "--prefix", "/tools/cf/"]
    )
    url = f"http://127.0.0.1:{port}/tools/cf/"
    try:
        server.wait(url, timeout=90)
        yield url + "?" + "&".join(f"s={k}" for k in keys)
    finally:
        server.stop()


def test_under_a_url_prefix_plotly_comes_from_the_prefixed_assets(page, prefixed_url):
    probe = load_and_probe(page, prefixed_url)
    base = prefixed_url.split("?")[0]
    check_bundle_and_compression(probe, base)
    assert probe.callback_outputs == []
    check_callback_answers(page)
    outside = [r.url for r in probe.responses if not r.url.startswith(base)]
    assert outside == []
