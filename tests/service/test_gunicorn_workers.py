"""gunicorn with four workers on one log folder, driven in headless Chromium."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.service.conftest import (
    CLASSES,
    app_env,
    figure_json,
    http_json,
    open_app,
    picker_options,
    wait_until,
)

pytestmark = [pytest.mark.service, pytest.mark.browser]


def start_gunicorn(start_server, env: dict[str, str], workers: int = 4):
    """gunicorn serving ``confusionflow.app.wsgi:application`` on a free port; returns the process and base URL."""
    port = free_port()
    proc = start_server(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "confusionflow.app.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],  # fmt: skip
        env=env,
    )
    base = f"http://127.0.0.1:{port}/"
    proc.wait(base + "healthz", timeout=120)
    return proc, base


def test_four_gunicorn_workers_serve_the_page_and_agree(
    start_server, page, logdir: Path, tmp_path: Path
) -> None:
    proc, base = start_gunicorn(
        start_server,
        env=app_env(
            logdir, tmp_path / "cache", POLL_SECONDS="0", ALLOW_UPLOAD="1", IMPORT_DIRS=str(tmp_path)
        ),
    )

    # Every worker answers healthz with the same view of the log folder.
    def four_workers_seen() -> dict[int, dict]:
        for _ in range(40):
            status, body = http_json(base + "healthz")
            assert status == 200, body
            seen[body["pid"]] = body
        return seen if len(seen) == 4 else {}

    seen: dict[int, dict] = {}
    wait_until(four_workers_seen, 60, "healthz answers from four different workers", interval=0.1)
    for body in seen.values():
        assert body["status"] == "ok"
        assert body["series"] == 2
        assert body["problems"] == 0

    open_app(page, base)
    assert set(picker_options(page)) >= {"alpha / test", "beta / test"}
    fig = figure_json(page, "matrix-graph")
    assert fig is not None and len(fig["data"]) >= 1
    assert proc.output().count("Booting worker") == 4

    # A background import with the local (diskcache) job store: started by one worker, its
    # progress polled through whichever workers the requests land on.
    table = tmp_path / "server-side.csv"
    table.write_text(
        "epoch,fold,label,prediction\n" + "".join(f"{s},val,{c},{c}\n" for s in (1, 2) for c in CLASSES)
    )
    page.click("#import-toggle")
    page.fill("#import-path", str(table))
    page.click("#import-button")
    page.wait_for_function(
        "() => document.querySelector('#import-progress').getAttribute('value') === '100'", timeout=60_000
    )
    page.wait_for_selector(
        "#import-status:has-text('Imported server-side.csv as server-side/val')", timeout=30_000
    )
    wait_until(lambda: "server-side / val" in picker_options(page), 30, "the imported series in the picker")


def test_four_gunicorn_workers_serve_the_bundled_demo_logs_read_only(
    start_server, page, tmp_path: Path
) -> None:
    """The team-service set-up on the real demo logs: uploads off, the log folder only read."""
    from confusionflow.app.config import DEMO_LOGDIR
    from confusionflow.data_access.store import LogStore

    before = {p: p.stat().st_mtime_ns for p in DEMO_LOGDIR.rglob("*")}
    expected = [s.key for s in LogStore(DEMO_LOGDIR).list_series()]
    proc, base = start_gunicorn(start_server, env=app_env(DEMO_LOGDIR, tmp_path / "cache", POLL_SECONDS="0"))
    status, body = http_json(base + "healthz")
    assert status == 200 and body["series"] == len(expected) and body["problems"] == 0

    open_app(page, base)
    fig = figure_json(page, "matrix-graph")
    # The first screen is never empty: the default selection draws a 10-class Fashion-MNIST matrix.
    # A diagonal label cut to fit its tile carries the whole class name as its hover text.
    # (a name wrapped onto lines is read back whole: "Ankle<br>boot", "T-<br>shirt/top")
    labels = [
        (a.get("hovertext") or a.get("text") or "").replace("-<br>", "-").replace("<br>", " ")
        for a in fig["layout"].get("annotations", [])
    ]
    assert "Trouser" in labels and "Ankle boot" in labels
    assert proc.output().count("Booting worker") == 4
    assert {p: p.stat().st_mtime_ns for p in DEMO_LOGDIR.rglob("*")} == before
