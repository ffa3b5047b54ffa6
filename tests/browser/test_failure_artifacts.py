"""The ``page`` fixture: a failing test leaves its screenshot and console log, a passing one nothing,
and a console error fails a test whose own assertions passed.

Runs a small test file in a child pytest (real Chromium, a page built with ``set_content``, no
server and no network) and reads what it left in the artifacts folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.browser

CHILD_CONFTEST = "from tests.conftest import browser, page, pytest_runtest_makereport  # noqa: F401\n"
CHILD_TESTS = """
def test_fails(page):
    page.set_content("<p id='x'>drawn</p><script>console.log('step one drawn')</script>")
    page.wait_for_selector("#x")
    assert page.text_content("#x") == "something else"


def test_passes(page):
    page.set_content("<p id='x'>drawn</p><script>console.log('all good')</script>")
    assert page.text_content("#x") == "drawn"


def test_logs_an_error(page):
    page.set_content("<p id='x'>drawn</p><script>console.error('broken figure')</script>")
    page.wait_for_selector("#x")
    page.wait_for_timeout(200)
    assert page.text_content("#x") == "drawn"
"""


def test_failed_tests_leave_a_screenshot_and_the_console_log(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CHILD_CONFTEST)
    (tmp_path / "test_child.py").write_text(CHILD_TESTS)
    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "CONFUSIONFLOW_TEST_ARTIFACTS": str(artifacts), "PYTHONPATH": str(REPO)}
    pytest_args = [
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:dash",
        "-o",
        "addopts=",
        "--rootdir",
        str(tmp_path),
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, str(tmp_path / "test_child.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "1 failed, 2 passed, 1 error" in out, out  # the console error fails at teardown

    names = sorted(p.name for p in artifacts.iterdir())
    assert names == [
        ".gitignore",
        "test_child.py_test_fails.log",
        "test_child.py_test_fails.png",
        "test_child.py_test_logs_an_error.log",
        "test_child.py_test_logs_an_error.png",
    ], out
    assert (artifacts / ".gitignore").read_text() == "*\n"
    assert (artifacts / "test_child.py_test_fails.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    log = (artifacts / "test_child.py_test_fails.log").read_text().splitlines()
    assert log == ["url: about:blank", "[log] step one drawn"]
    error_log = (artifacts / "test_child.py_test_logs_an_error.log").read_text()
    assert "[error] broken figure" in error_log
    assert "browser console errors: ['broken figure']" in out
