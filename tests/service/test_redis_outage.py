"""Redis stops and restarts under a running instance and a running Celery worker.

While Redis is away the page keeps serving from the log files, ``/healthz`` says degraded (not
503), an import (of a server path) is refused at once with words on the page, and the logs say so
once rather than per request. When Redis returns, on the same port, an import succeeds without
restarting the web process or the worker.
"""

from __future__ import annotations

import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from confusionflow.app.importing import QUEUE_DOWN
from tests.service.conftest import REDIS_SERVER, app_env, http_json, open_app, start_app, wait_until

pytestmark = [pytest.mark.service, pytest.mark.browser, pytest.mark.timeout(420)]

OUTAGE_SECONDS = 20
# Access-log lines of the development server are one per request by design; faults are the rest.
ACCESS_LINE = re.compile(r'"(GET|POST|HEAD) \S+ HTTP/1\.[01]" \d{3}')
MAX_APP_FAULT_LINES = 40  # per outage: the cache and the job queue each say it a few times at most
# The worker logs the lost connection once (its traceback, with chained causes, may run to ~150
# lines) and then one record per reconnect attempt, backing off 2, 4, 6... s.
WORKER_RECORD = re.compile(r"^\[\d{4}-\d\d-\d\d ")
MAX_WORKER_RECORDS = 20
MAX_WORKER_LINES = 400


def _table(path: Path, offset: int) -> None:
    """A predictions table: 2 steps x 30 instances, class names as labels."""
    classes = ["bird", "cat", "dog"]
    rows = ["step,fold,instance_id,y_true,y_pred"]
    for step in (1, 2):
        for i in range(30):
            true = classes[i % 3]
            pred = true if (i + step + offset) % 4 else classes[(i + 1) % 3]
            rows.append(f"{step},test,{i},{true},{pred}")
    path.write_text("\n".join(rows) + "\n")


def _fault_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not ACCESS_LINE.search(line)]


def _start_redis(start_server, port: int):
    args = [REDIS_SERVER, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
    return start_server(args)


def _import(page, path: Path) -> None:
    """Import a table by its server path, as a user types it and presses Import."""
    page.fill("#import-path", str(path))
    page.click("#import-button")


def test_redis_restart_under_a_running_instance_and_worker(
    start_server, page, redis_server, logdir: Path, tmp_path: Path
) -> None:
    cache, tables = tmp_path / "cache", tmp_path / "tables"
    tables.mkdir()
    for name, offset in (("during-outage", 0), ("after-restart", 1)):
        _table(tables / f"{name}.csv", offset)
    env = app_env(
        logdir, cache, REDIS_URL=redis_server.url, ALLOW_UPLOAD="1", POLL_SECONDS="2", IMPORT_DIRS=str(tables)
    )
    worker = start_server(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "confusionflow.app.worker",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
        ],
        env=env,
    )
    wait_until(lambda: "ready." in worker.output(), 90, "the Celery worker to be ready", interval=0.5)
    app, base = start_app(
        start_server, logdir, cache, "--allow-upload", "--redis-url", redis_server.url, env=env
    )

    open_app(page, base)
    page.click("#import-toggle")

    # ---- Redis goes away under the running instance and worker
    app_lines, worker_lines = len(app.output().splitlines()), len(worker.output().splitlines())
    redis_server.client.close()
    redis_server.proc.stop()
    stopped = time.monotonic()

    asked = time.monotonic()
    _import(page, tables / "during-outage.csv")
    page.wait_for_selector(f"#import-status:has-text('{QUEUE_DOWN[:40]}')", timeout=15_000)
    refused_after = time.monotonic() - asked
    assert not (logdir / "during-outage").exists()

    while time.monotonic() - stopped < OUTAGE_SECONDS:  # the page keeps serving from disk throughout
        with urllib.request.urlopen(base, timeout=10) as r:
            assert r.status == 200
        status, body = http_json(base + "healthz")
        assert status == 200 and body["status"] == "degraded", body
        time.sleep(1.0)
    assert page.locator("#matrix-graph .js-plotly-plot").count() == 1

    app_faults = _fault_lines("\n".join(app.output().splitlines()[app_lines:]))
    worker_out = worker.output().splitlines()[worker_lines:]
    worker_records = [line for line in worker_out if WORKER_RECORD.match(line)]
    print(
        f"\nRedis outage of {OUTAGE_SECONDS} s: import refused after {refused_after:.2f} s; "
        f"web process {len(app_faults)} fault lines, worker {len(worker_out)} lines "
        f"in {len(worker_records)} records"
    )
    assert len(app_faults) <= MAX_APP_FAULT_LINES, "\n".join(app_faults[-60:])
    assert len(worker_records) <= MAX_WORKER_RECORDS, "\n".join(worker_records)
    assert len(worker_out) <= MAX_WORKER_LINES, "\n".join(worker_out[-60:])

    # ---- Redis comes back on the same port; neither the web process nor the worker restarts
    _start_redis(start_server, redis_server.port)
    wait_until(redis_server._ping, 20, "redis-server to answer again")
    wait_until(
        lambda: worker.output().count("Connected to redis://") >= 2,
        90,
        "the worker to reconnect",
        interval=0.5,
    )
    _import(page, tables / "after-restart.csv")
    page.wait_for_selector("#import-status:has-text('Imported after-restart.csv')", timeout=90_000)
    assert (logdir / "after-restart").is_dir()
    assert "] succeeded in" in worker.output()
    status, body = http_json(base + "healthz")
    assert status == 200
    assert app.proc.poll() is None and worker.proc.poll() is None
