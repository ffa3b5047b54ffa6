"""What the service tests share: small real logs, redis-server, app processes, page probes.

Every process runs on loopback on a free port and is stopped by the ``start_server`` fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from tests.conftest import REPO, ServerProcess, free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
CLASSES = ("bird", "cat", "dog")  # sorted, as an imported table's labels are: one matrix can hold both


def write_logs(logdir: Path, runs: dict[str, int], *, fold: str = "test", n: int = 60, seed: int = 0) -> None:
    """Small real logs with ``LogWriter``: ``runs`` maps run name -> number of steps (1..T).

    Predictions get better with the step, so matrices differ from step to step.
    """
    from confusionflow.data_access.writer import LogWriter

    rng = np.random.default_rng(seed)
    y_true = np.arange(n) % len(CLASSES)
    for run, steps in runs.items():
        with LogWriter(logdir, run, list(CLASSES)) as w:
            for step in range(1, steps + 1):
                wrong = rng.random(n) < 0.6 / step
                y_pred = np.where(wrong, (y_true + 1) % len(CLASSES), y_true)
                w.add(step, fold, y_true, y_pred)


def append_steps(logdir: Path, run: str, first: int, last: int, *, fold: str = "test", n: int = 60) -> None:
    """Append steps ``first..last`` to an existing run, as a training loop would."""
    from confusionflow.data_access.writer import LogWriter

    y_true = np.arange(n) % len(CLASSES)
    with LogWriter(logdir, run, list(CLASSES), mode="resume") as w:
        for step in range(first, last + 1):
            w.add(step, fold, y_true, (y_true + step) % len(CLASSES))


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    d = tmp_path / "logs"
    d.mkdir()
    write_logs(d, {"alpha": 5, "beta": 5})
    return d


def http_json(url: str, timeout: float = 10.0) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_until(check: Callable[[], object], timeout: float, what: str, interval: float = 0.25) -> object:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Redis:
    """A throw-away redis-server on a free loopback port, with no persistence."""

    def __init__(self, start_server: Callable[..., ServerProcess]) -> None:
        import redis

        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = start_server(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ]
        )
        self.client = redis.Redis.from_url(self.url)
        wait_until(self._ping, 20, f"redis-server on port {self.port}")

    def _ping(self) -> bool:
        import redis

        try:
            return bool(self.client.ping())
        except redis.ConnectionError:
            return False

    def key_names(self) -> list[str]:
        keys = cast("list[bytes]", self.client.keys("*"))  # the sync client: a list, not an awaitable
        return sorted(k.decode() for k in keys)


@pytest.fixture
def redis_server(start_server: Callable[..., ServerProcess]) -> Iterator[Redis]:
    if not Path(REDIS_SERVER).exists():
        pytest.fail(f"{REDIS_SERVER} not found: install Debian's redis-server (scripts/test.sh does this)")
    r = Redis(start_server)
    yield r
    r.client.close()


def app_env(logdir: Path, cache_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for an app process: only CONFUSIONFLOW_* from the test, none from the shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFUSIONFLOW_") and k != "REDIS_URL"}
    env.update(
        {
            "CONFUSIONFLOW_LOGDIR": str(logdir),
            "CONFUSIONFLOW_CACHE_DIR": str(cache_dir),
            "PYTHONPATH": str(REPO),
        }
    )
    env.update({f"CONFUSIONFLOW_{k.upper()}": v for k, v in extra.items()})
    return env


def start_app(
    start_server: Callable[..., ServerProcess],
    logdir: Path,
    cache_dir: Path,
    *options: str,
    env: dict[str, str] | None = None,
) -> tuple[ServerProcess, str]:
    """``python -m confusionflow.app`` on a free port; returns the process and its base URL (waits for healthz)."""
    port = free_port()
    proc = start_server(
        [
            sys.executable,
            "-m",
            "confusionflow.app",
            "--port",
            str(port),
            "--logdir",
            str(logdir),
            "--cache-dir",
            str(cache_dir),
            *options,
        ],
        env=env or app_env(logdir, cache_dir),
    )
    prefix = "/"
    if "--prefix" in options:
        prefix = "/" + options[options.index("--prefix") + 1].strip("/") + "/"
    base = f"http://127.0.0.1:{port}{prefix}"
    proc.wait(base + "healthz", timeout=90)
    return proc, base


@pytest.fixture
def confusionflow_serve(
    start_server: Callable[..., ServerProcess],
) -> Callable[..., tuple[ServerProcess, str]]:
    """``serve(logdir, cache_dir, *options)``: ``python -m confusionflow serve`` (gunicorn, the
    deployed path) on a free loopback port; returns the process and its base URL once healthz answers."""

    def serve(logdir: Path, cache_dir: Path, *options: str) -> tuple[ServerProcess, str]:
        port = free_port()
        proc = start_server(
            [sys.executable, "-m", "confusionflow", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--logdir", str(logdir), "--cache-dir", str(cache_dir), *options],
            env=app_env(logdir, cache_dir),
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}/"
        proc.wait(base + "healthz", timeout=120)
        return proc, base

    return serve


# ------------------------------------------------------------------ page probes (ids: confusionflow.components.ids)


def open_app(page, url: str) -> None:
    """Load the app and wait until the series picker and the matrix have rendered."""
    page.goto(url)
    page.wait_for_selector("#series-dropdown", timeout=60_000)
    page.wait_for_function(
        "() => { const g = document.querySelector('#matrix-graph .js-plotly-plot');"
        " return g && g.data && g.data.length > 0; }",
        timeout=60_000,
    )


OPTION = ".dash-dropdown-content .dash-dropdown-option"


def picker_options(page) -> list[str]:
    """The series the picker offers (labels), read from its open menu, which is closed again."""
    page.click("#series-dropdown")
    page.wait_for_selector(OPTION, timeout=10_000)
    texts = page.eval_on_selector_all(OPTION, "els => els.map(e => e.textContent.trim())")
    page.keyboard.press("Escape")
    page.wait_for_selector(OPTION, state="detached", timeout=10_000)
    return texts


def pick_series(page, label: str) -> None:
    """Tick one series in the picker, as a user would, and close the menu."""
    page.click("#series-dropdown")
    page.click(f"{OPTION}:has-text('{label}')")
    page.keyboard.press("Escape")
    page.wait_for_selector(OPTION, state="detached", timeout=10_000)


def figure_json(page, graph_id: str) -> dict:
    """The figure a dcc.Graph currently draws (data and layout as plotly.js holds them)."""
    return page.evaluate(
        """(id) => { const g = document.querySelector('#' + id + ' .js-plotly-plot');
             if (!g || !g.data) return null;
             return JSON.parse(JSON.stringify({data: g.data, layout: g.layout})); }""",
        graph_id,
    )
