"""A worker's first requests, arriving together, all wait for Dash's set-up (app/first_request.py).

Dash marks its first-request set-up done before it registers the component scripts' paths; a
script request arriving meanwhile was answered 404. Here the set-up is slowed (its script
registration takes 0.5 s), the page is requested in one thread and, while the set-up runs, a
component script in another: the script must be served, not refused.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from confusionflow.app.factory import create_app
from confusionflow.data_access.writer import LogWriter

SCRIPT = "/_dash-component-suites/dash/html/dash_html_components.min.js"


def _app(tmp_path: Path):
    with LogWriter(tmp_path / "logs", "run", ["a", "b"]) as log:
        log.add_counts(1, "test", np.array([[3, 1], [0, 4]]))
    return create_app(tmp_path / "logs", cache=None)


def _slowed(app, started: threading.Event) -> None:
    original = app._generate_scripts_html

    def slow():
        started.set()
        time.sleep(0.5)
        return original()

    app._generate_scripts_html = slow


def test_a_script_asked_for_during_the_first_requests_set_up_is_served(tmp_path: Path) -> None:
    app = _app(tmp_path)
    started = threading.Event()
    _slowed(app, started)
    statuses: dict[str, int] = {}

    def get(path: str) -> None:
        statuses[path] = app.server.test_client().get(path).status_code

    page = threading.Thread(target=get, args=("/",))
    page.start()
    assert started.wait(10)  # the page's request is inside Dash's set-up now
    get(SCRIPT)
    page.join(30)
    assert statuses == {"/": 200, SCRIPT: 200}


def test_a_failed_set_up_does_not_hold_the_requests_after_it(tmp_path: Path) -> None:
    app = _app(tmp_path)

    def broken():
        raise RuntimeError("set-up failed")

    app._generate_scripts_html = broken
    client = app.server.test_client()
    assert client.get("/").status_code == 500
    answered = threading.Event()

    def health() -> None:
        if client.get("/healthz").status_code == 200:
            answered.set()

    threading.Thread(target=health, daemon=True).start()
    assert answered.wait(10)  # not waiting at the set-up's lock
