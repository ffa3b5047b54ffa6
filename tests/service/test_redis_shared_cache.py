"""Two app instances sharing one Redis and one log folder: one parses, the other reads Redis."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.factories import layout_props
from tests.service.conftest import app_env, figure_json, http_json, open_app, start_app, wait_until

pytestmark = [pytest.mark.service, pytest.mark.browser]

VIEW = "?s=alpha/test&s=beta/test"


def _chip_count(page: Any, n: int) -> bool:
    """Whether the page shows exactly ``n`` series chips."""
    return len(page.query_selector_all("#series-chips > *")) == n


def _strip_uids(obj: object) -> object:
    """plotly.js stamps random trace uids; everything else must match exactly."""
    if isinstance(obj, dict):
        return {k: _strip_uids(v) for k, v in obj.items() if k != "uid"}
    if isinstance(obj, list):
        return [_strip_uids(v) for v in obj]
    return obj


def test_two_instances_share_parsed_logs_through_redis_and_draw_the_same_view(
    start_server, browser, redis_server, logdir: Path, tmp_path: Path
) -> None:
    # Separate cache folders: whatever the second instance does not parse itself must come from Redis.
    instances = []
    for name in ("a", "b"):
        cache = tmp_path / f"cache-{name}"
        env = app_env(logdir, cache, REDIS_URL=redis_server.url, POLL_SECONDS="0")
        instances.append(start_app(start_server, logdir, cache, "--redis-url", redis_server.url, env=env)[1])
    url_a, url_b = instances

    drawn, served = [], []
    for url in (url_a, url_b):
        context = browser.new_context(viewport={"width": 1600, "height": 1100})
        page = context.new_page()
        errors: list[str] = []
        responses: list = []
        page.on("console", lambda m, errors=errors: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on(
            "response",
            lambda r, responses=responses: (
                ("_dash-update-component" in r.url or r.url.endswith("_dash-layout"))
                and r.status == 200
                and responses.append(r)
            ),
        )
        open_app(page, url + VIEW)
        wait_until(partial(_chip_count, page, 2), 30, "two chips")
        page.wait_for_load_state("networkidle")
        drawn.append(_strip_uids(figure_json(page, "matrix-graph")["data"]))
        # The matrix figure exactly as the server sent it (the last answer that carried one: the
        # layout holds the first view's, app/first_figures.py; a callback answer any later one).
        figures = [
            (layout_props(r.json(), "matrix-graph") or {}).get("figure")
            if r.url.endswith("_dash-layout")
            else r.json()["response"]["matrix-graph"]["figure"]
            for r in responses
            if '"matrix-graph"' in r.text()
        ]
        assert figures and figures[-1] is not None, f"no matrix figure answered by {url}"
        served.append(figures[-1])
        context.close()
        assert not errors, f"console errors on {url}: {errors}"

        if url == url_a:
            # The first instance parsed both series and put them into Redis.
            _, health_a = http_json(url_a + "healthz")
            assert health_a["cache"]["backend"] == "redis"
            assert health_a["cache"]["redis"] == "ok"
            assert health_a["cache"]["parsed"] >= 2, health_a
            arrays = [k for k in redis_server.key_names() if k.startswith("confusionflow:arrays:")]
            assert len(arrays) >= 2, redis_server.key_names()

    _, health_b = http_json(url_b + "healthz")
    assert health_b["cache"]["parsed"] == 0, health_b  # never read a log file itself...
    assert health_b["cache"]["cache_hits"] >= 2, health_b  # ...both series came from Redis
    assert served[0] == served[1]
    assert served[0] is not None and len(served[0]["data"]) >= 1
    assert drawn[0] == drawn[1]
