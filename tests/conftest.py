"""Fixtures shared by every test layer: free ports, real server processes, headless Chromium.

Browser tests use Debian's Chromium through Playwright (never a downloaded browser), with the
flags that keep it off the network (``tests/chromium.py``), and a fresh profile per browser.
When a test that uses ``page`` fails, its screenshot and console log are saved under
``tests/.artifacts/`` (or ``$CONFUSIONFLOW_TEST_ARTIFACTS``); passing tests leave nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # one definition of how Chromium starts

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Error, Page

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers 200, failing early (with its output) if ``proc`` dies."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}:\n{out[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except Exception as e:  # noqa: BLE001 - any failure means "not up yet"
            last = e
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


class ServerProcess:
    """A real server process on loopback, stopped (and its output kept) at teardown."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None, cwd: Path = REPO) -> None:
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=full_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def wait(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.proc.args!r} exited with {self.proc.returncode}:\n{self.output()[-4000:]}"
                )
            try:
                wait_http(url, timeout=1.0)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} not up after {timeout}s:\n{self.output()[-4000:]}") from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(10)
        self.log.close()


@pytest.fixture
def start_server() -> Iterator:
    """Start processes with ``start_server(args, env=...)``; all are stopped after the test."""
    started: list[ServerProcess] = []

    def start(args: Sequence[str], env: dict[str, str] | None = None) -> ServerProcess:
        sp = ServerProcess(args, env)
        started.append(sp)
        return sp

    yield start
    for sp in reversed(started):
        sp.stop()


PYTHON = sys.executable


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the session; tests open their own pages/contexts.

    Playwright's ``launch`` already runs Chromium on a fresh, empty temporary profile (it refuses a
    ``--user-data-dir`` argument and deletes the profile on close), so every run starts clean.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (the test command does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


ARTIFACTS = Path(os.environ.get("CONFUSIONFLOW_TEST_ARTIFACTS", REPO / "tests" / ".artifacts"))
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item, so fixtures can tell in teardown whether it failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def failed_so_far(item: pytest.Item) -> bool:
    """Whether the setup or the call of ``item`` failed (teardown has not been reported yet)."""
    reports = item.stash.get(_REPORTS, {})
    return any(r.failed for r in reports.values())


def save_failure_artifacts(page: Page, name: str, console: list[str], folder: Path = ARTIFACTS) -> list[Path]:
    """Save ``page``'s screenshot and ``console`` (one message a line) as ``folder/<name>.png|.log``.

    The folder ignores itself in git. Returns the paths written (no screenshot if the page is gone).
    """
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150]
    log = folder / f"{stem}.log"
    log.write_text(f"url: {page.url}\n" + "".join(f"{line}\n" for line in console))
    written = [log]
    with contextlib.suppress(Exception):  # a crashed page cannot be photographed; keep the log
        shot = folder / f"{stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        written.append(shot)
    return written


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page that records its console; any error there (a failed request is one) fails the test.

    If the test failed (or the page logged an error), the screenshot and the whole console log are
    saved under ``ARTIFACTS`` before the page closes.
    """
    context = browser.new_context(viewport={"width": 1600, "height": 1100})
    pg = context.new_page()
    console: list[str] = []
    errors: list[str] = []

    def on_console(m: ConsoleMessage) -> None:
        console.append(f"[{m.type}] {m.text}")
        if m.type == "error":
            errors.append(m.text)

    def on_page_error(e: Error) -> None:
        console.append(f"[pageerror] {e}")
        errors.append(str(e))

    pg.on("console", on_console)
    pg.on("pageerror", on_page_error)
    yield pg
    if errors or failed_so_far(request.node):
        saved = save_failure_artifacts(pg, request.node.nodeid, console)
        print(f"saved after failure: {', '.join(str(p) for p in saved)}")
    context.close()
    assert not errors, f"browser console errors: {errors}"
