"""ConfusionFlow mounted in a host Flask portal under /tools/confusionflow/, both ways."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.service.conftest import app_env, figure_json, http_json, open_app, pick_series, wait_until

pytestmark = [pytest.mark.service, pytest.mark.browser]

MOUNT = "tools/confusionflow/"


@pytest.mark.parametrize("mode", ["server", "dispatcher"])
def test_embedded_app_stays_under_its_prefix_and_works(
    start_server, page, logdir: Path, tmp_path: Path, mode: str
) -> None:
    port = free_port()
    proc = start_server(
        [
            sys.executable,
            "-m",
            "examples.portal",
            "--port",
            str(port),
            "--logdir",
            str(logdir),
            "--mode",
            mode,
        ],
        env=app_env(logdir, tmp_path / "cache", POLL_SECONDS="0"),
    )
    root = f"http://127.0.0.1:{port}/"
    tool = root + MOUNT
    proc.wait(tool + "healthz", timeout=90)
    status, health = http_json(tool + "healthz")
    assert status == 200 and health["series"] == 2

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(root)
    assert page.inner_text("#mode").startswith(
        "server=portal" if mode == "server" else "DispatcherMiddleware"
    )
    page.click("#tool-link")
    page.wait_for_url(tool)
    open_app(page, tool + "?s=alpha/test")
    wait_until(lambda: page.inner_text("#series-chips").count("/ test") == 1, 30, "one chip (alpha)")
    before = figure_json(page, "matrix-graph")

    # Interactions go through the server under the prefix: add a series with the picker.
    pick_series(page, "beta / test")
    wait_until(lambda: "beta" in page.inner_text("#series-chips"), 30, "a chip for the series just picked")
    wait_until(
        lambda: figure_json(page, "matrix-graph") != before, 30, "the matrix to redraw with two series"
    )

    network = [u for u in requests if u.startswith("http")]
    assert any(u.startswith(tool + "_dash-update-component") for u in network), network
    outside = [u for u in network if u != root and not u.startswith(tool)]
    assert outside == [], f"requests outside {tool}: {outside}"
