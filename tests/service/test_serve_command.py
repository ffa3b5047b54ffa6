"""``confusionflow serve``: gunicorn by default, Flask's server with ``--dev``; both with a quiet access log."""

from __future__ import annotations

import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.service.conftest import app_env
from tests.service.test_wheel_install import option_labels

pytestmark = [pytest.mark.service]


def _get(url: str) -> tuple[int, dict[str, str], str]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, dict(r.headers), r.read().decode(errors="replace")


def _serve(start_server, logdir: Path, cache: Path, *options: str):
    port = free_port()
    proc = start_server(
        [sys.executable, "-m", "confusionflow", "serve", "--port", str(port), "--logdir", str(logdir),
         "--cache-dir", str(cache), "--poll-seconds", "0", *options],
        env=app_env(logdir, cache),
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    proc.wait(base + "healthz", timeout=120)
    return proc, base


def _routine_requests(base: str) -> str:
    """What a page fetches by itself: the layout, the callback graph and one of Dash's scripts."""
    _, _, layout = _get(base + "_dash-layout")
    _get(base + "_dash-dependencies")
    _, _, page = _get(base)
    script = re.search(r'src="(/_dash-component-suites/[^"]+)"', page)
    assert script, page[:2000]
    _get(base.rstrip("/") + script.group(1))
    return layout


def test_serve_runs_gunicorn_with_a_quiet_access_log(start_server, logdir: Path, tmp_path: Path) -> None:
    proc, base = _serve(start_server, logdir, tmp_path / "cache", "--workers", "2")
    status, headers, page = _get(base)
    assert status == 200 and headers["Server"].startswith("gunicorn")
    assert "<title>ConfusionFlow</title>" in page
    layout = _routine_requests(base)
    assert {"alpha / test", "beta / test"} <= option_labels(layout)
    with pytest.raises(urllib.error.HTTPError) as missing:
        _get(base + "assets/no-such-file.css")
    assert missing.value.code == 404

    # gunicorn writes a request's access line after answering it: give the last one a moment
    out = proc.output()
    for _ in range(50):
        if "no-such-file.css" in out:
            break
        time.sleep(0.1)
        out = proc.output()
    assert "with gunicorn (2 workers)" in out
    assert out.count("Booting worker") == 2
    access = [line for line in out.splitlines() if re.search(r'HTTP/1\.1" \d{3} ', line)]
    assert any('"GET / HTTP/1.1" 200' in line for line in access), out[-3000:]
    # Routine successful requests are left out; a failing one is still logged.
    assert not any("_dash-layout" in line or "_dash-dependencies" in line for line in access), access
    assert not any("_dash-component-suites" in line and '" 200 ' in line for line in access), access
    assert any('"GET /assets/no-such-file.css HTTP/1.1" 404' in line for line in access), access


def test_serve_dev_runs_one_flask_process_with_the_same_quiet_log(
    start_server, logdir: Path, tmp_path: Path
) -> None:
    proc, base = _serve(start_server, logdir, tmp_path / "cache", "--dev")
    status, headers, page = _get(base)
    assert status == 200 and headers["Server"].startswith("Werkzeug")
    assert "<title>ConfusionFlow</title>" in page
    _routine_requests(base)
    out = proc.output()
    assert "with Flask's development server" in out and "Booting worker" not in out
    assert '"GET / HTTP/1.1" 200' in out, out[-3000:]
    assert "_dash-layout" not in out and "_dash-dependencies" not in out, out[-3000:]


def test_serve_refuses_bad_server_options(tmp_path: Path) -> None:
    import subprocess

    for bad, message in (
        (["--workers", "0"], "expected 1 to 64"),
        (["--timeout", "soon"], "expected a whole number"),
        (["--logdir", str(tmp_path / "missing")], "does not exist"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "confusionflow", "serve", *bad],
            capture_output=True, text=True, timeout=60, env=app_env(tmp_path, tmp_path / "cache"),
        )  # fmt: skip
        assert (
            done.returncode == 2 and "confusionflow serve: error:" in done.stderr and message in done.stderr
        )


def test_the_demo_script_serves_the_demo_logs_with_gunicorn_and_a_quiet_log(
    start_server, tmp_path: Path
) -> None:
    """README's first command, as it is: its install step finds everything installed, then it serves."""
    from tests.conftest import REPO

    port = free_port()
    env = {
        k: v for k, v in app_env(tmp_path, tmp_path / "cache").items() if not k.startswith("CONFUSIONFLOW_")
    }
    proc = start_server(
        ["bash", str(REPO / "scripts" / "run-demo.sh"), "--port", str(port), "--workers", "1",
         "--cache-dir", str(tmp_path / "cache"), "--poll-seconds", "0"],
        env={**env, "PIP_NO_INDEX": "1"},  # nothing to fetch: every pinned package is installed
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    proc.wait(base + "healthz", timeout=240)
    status, headers, page = _get(base)
    assert status == 200 and headers["Server"].startswith("gunicorn")
    assert "<title>ConfusionFlow</title>" in page
    labels = option_labels(_routine_requests(base))
    assert "fmnist-mlp 6x200 pruned / test" in labels, sorted(labels)[:20]
    out = proc.output()
    for _ in range(50):
        if '"GET / HTTP/1.1" 200' in out:
            break
        time.sleep(0.1)
        out = proc.output()
    assert "==> starting ConfusionFlow on demo_logs/" in out and "with gunicorn (1 worker" in out, out[-3000:]
    assert '"GET / HTTP/1.1" 200' in out and "_dash-layout" not in out and "_dash-dependencies" not in out
