"""A table uploaded from the page is imported by a Celery worker on Redis, with progress to 100%."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from tests.service.conftest import app_env, open_app, picker_options, start_app, wait_until

pytestmark = [pytest.mark.service, pytest.mark.browser]


def _predictions_csv(path: Path) -> None:
    """A predictions table: 3 steps x 30 instances, class names as labels."""
    classes = ["bird", "cat", "dog"]
    rows = ["step,fold,instance_id,y_true,y_pred"]
    for step in (1, 2, 3):
        for i in range(30):
            true = classes[i % 3]
            pred = true if (i + step) % 4 else classes[(i + 1) % 3]
            rows.append(f"{step},test,{i},{true},{pred}")
    path.write_text("\n".join(rows) + "\n")


def test_upload_is_imported_by_a_celery_worker_and_the_new_series_appears(
    start_server, page, redis_server, logdir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    env = app_env(logdir, cache, REDIS_URL=redis_server.url, ALLOW_UPLOAD="1", POLL_SECONDS="0")
    worker = start_server(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "confusionflow.app.worker",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
        ],
        env=env,
    )
    wait_until(lambda: "ready." in worker.output(), 90, "the Celery worker to be ready", interval=0.5)
    # At start-up the worker built the app, so the import callback is one of its tasks.
    assert ". background_callback_" in worker.output()
    _, base = start_app(
        start_server, logdir, cache, "--allow-upload", "--redis-url", redis_server.url, env=env
    )

    table = tmp_path / "upload" / "resnet-preds.csv"
    table.parent.mkdir()
    _predictions_csv(table)
    digest = hashlib.sha256(table.read_bytes()).hexdigest()

    open_app(page, base)
    assert "resnet-preds / test" not in picker_options(page)
    page.click("#import-toggle")
    page.set_input_files("#import-upload input[type=file]", str(table))
    # Choosing a file only readies it; the Import button starts the job.
    page.wait_for_selector("#import-status:has-text('press Import')", timeout=30_000)
    page.click("#import-button")

    page.wait_for_function(
        "() => document.querySelector('#import-progress').getAttribute('value') === '100'", timeout=60_000
    )
    assert page.get_attribute("#import-progress", "max") == "100"
    page.wait_for_selector("#import-status:has-text('Imported')", timeout=30_000)
    status = page.inner_text("#import-status")
    assert "resnet-preds/test" in status

    # The worker, not the web process, ran the job.
    wait_until(
        lambda: "] succeeded in" in worker.output(), 10, "the worker to log the finished task", interval=0.2
    )
    assert (logdir / "resnet-preds").is_dir()
    assert hashlib.sha256(table.read_bytes()).hexdigest() == digest  # the source is untouched
    # The new series is chosen at once (a chip) and offered by the picker.
    page.wait_for_selector("#series-chips :text('resnet-preds')", timeout=30_000)
    wait_until(lambda: "resnet-preds / test" in picker_options(page), 30, "the new series in the picker")
