"""gunicorn with three workers: plotly.js from assets/, compressed, one URL whichever worker answers."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from tests.browser.delivery import load_and_probe
from tests.browser.test_delivery import check_bundle_and_compression
from tests.service.conftest import app_env
from tests.service.test_gunicorn_workers import start_gunicorn

pytestmark = [pytest.mark.service, pytest.mark.browser]


def test_gunicorn_workers_serve_the_bundle_from_assets(start_server, page, logdir: Path, tmp_path: Path):
    _, base = start_gunicorn(
        start_server, env=app_env(logdir, tmp_path / "cache", POLL_SECONDS="0"), workers=3
    )
    # every worker names the same versioned bundle URL (a cached copy stays valid across workers)
    urls = set()
    for _ in range(12):
        with urllib.request.urlopen(base, timeout=30) as r:
            urls |= set(re.findall(r'src="([^"]*plotly-cartesian[^"]*)"', r.read().decode()))
    assert len(urls) == 1 and next(iter(urls)).startswith("/assets/vendor/plotly-cartesian-")
    probe = load_and_probe(page, base + "?s=alpha/test&s=beta/test")
    check_bundle_and_compression(probe, base)
