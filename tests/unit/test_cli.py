"""``python -m confusionflow.app``: options over environment, clear errors for bad values, the printed URL."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from confusionflow.app.__main__ import build_parser, parse_settings, public_url
from confusionflow.app.config import Settings

REPO = Path(__file__).resolve().parents[2]


def test_every_option_reaches_settings(tmp_path: Path) -> None:
    argv = [
        "--logdir", str(tmp_path),
        "--host", "0.0.0.0",
        "--port", "9123",
        "--prefix", "tools/confusionflow",
        "--cache-dir", str(tmp_path / "c"),
        "--redis-url", "redis://127.0.0.1:6390/0",
        "--poll-seconds", "1",
        "--allow-upload",
        "--debug",
    ]  # fmt: skip
    s = parse_settings(argv, environ={})
    assert s == Settings(
        logdir=tmp_path,
        cache_dir=tmp_path / "c",
        redis_url="redis://127.0.0.1:6390/0",
        prefix="/tools/confusionflow/",
        host="0.0.0.0",
        port=9123,
        poll_seconds=1.0,
        allow_upload=True,
        debug=True,
    )


def test_environment_fills_what_the_command_line_leaves_out(tmp_path: Path) -> None:
    env = {
        "CONFUSIONFLOW_LOGDIR": str(tmp_path),
        "CONFUSIONFLOW_PORT": "9200",
        "CONFUSIONFLOW_ALLOW_UPLOAD": "1",
        "REDIS_URL": "redis://127.0.0.1:6391/0",
    }
    s = parse_settings(["--port", "9300"], environ=env)
    assert s.port == 9300  # command line wins
    assert s.logdir == tmp_path
    assert s.allow_upload is True
    assert s.redis_url == "redis://127.0.0.1:6391/0"


def test_negative_flags_override_environment(tmp_path: Path) -> None:
    env = {
        "CONFUSIONFLOW_LOGDIR": str(tmp_path),
        "CONFUSIONFLOW_ALLOW_UPLOAD": "1",
        "CONFUSIONFLOW_DEBUG": "1",
    }
    s = parse_settings(["--no-allow-upload", "--no-debug"], environ=env)
    assert (s.allow_upload, s.debug) == (False, False)


def test_missing_log_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(SystemExit) as exc:
        parse_settings(["--logdir", str(missing)], environ={})
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"log folder {missing} does not exist" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--port", "0"], {}, "--port must be between 1 and 65535, not 0"),
        (["--port", "70000"], {}, "--port must be between 1 and 65535, not 70000"),
        (["--poll-seconds", "-1"], {}, "--poll-seconds must be 0 (off) or positive, not -1.0"),
        ([], {"CONFUSIONFLOW_PORT": "http"}, "bad CONFUSIONFLOW_* environment value"),
        (["--port", "http"], {}, "argument --port: invalid int value: 'http'"),
    ],
)
def test_bad_values_exit_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], env: dict[str, str], message: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_settings(["--logdir", str(tmp_path), *argv], environ=env)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "port", "prefix", "url"),
    [
        ("127.0.0.1", 8050, "/", "http://127.0.0.1:8050/"),
        ("0.0.0.0", 80, "/tools/cf/", "http://127.0.0.1:80/tools/cf/"),
        ("::", 8050, "/", "http://127.0.0.1:8050/"),
        ("::1", 8051, "/", "http://[::1]:8051/"),
        ("cf.internal", 8050, "/x/", "http://cf.internal:8050/x/"),
    ],
)
def test_public_url(host: str, port: int, prefix: str, url: str) -> None:
    assert public_url(Settings(host=host, port=port, prefix=prefix)) == url


def test_help_lists_every_option_and_the_environment_rule() -> None:
    text = build_parser().format_help()
    for option in [
        "--logdir", "--host", "--port", "--prefix", "--cache-dir", "--redis-url", "--poll-seconds",
        "--allow-upload", "--debug",
    ]:  # fmt: skip
        assert option in text
    assert "CONFUSIONFLOW_" in " ".join(text.split())


def test_module_runs_as_a_command_and_reports_errors_without_traceback(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "confusionflow.app", "--logdir", str(tmp_path / "missing")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "does not exist" in r.stderr
    assert "Traceback" not in r.stderr


def test_prefix_option_serves_the_page_assets_and_healthz_under_it(tmp_path: Path) -> None:
    from confusionflow.app.factory import create_app

    settings = parse_settings(
        ["--logdir", str(tmp_path), "--prefix", "tools/cf", "--cache-dir", str(tmp_path / "c")], environ={}
    )
    client = create_app(settings=settings).server.test_client()
    page = client.get("/tools/cf/")
    assert page.status_code == 200
    scripts = re.findall(r'src="([^"]+)"', page.data.decode())
    assert scripts and all(src.startswith("/tools/cf/") for src in scripts), scripts
    health = client.get("/tools/cf/healthz")
    assert health.status_code == 200 and health.get_json()["series"] == 0
    assert client.get("/healthz").status_code == 404
    assert client.get("/").status_code == 404


def test_own_server_refuses_request_bodies_larger_than_an_upload(tmp_path) -> None:
    from confusionflow.app.factory import MAX_REQUEST_BYTES, create_app
    from confusionflow.components.import_panel import MAX_UPLOAD_BYTES

    app = create_app(tmp_path, cache=None)
    assert app.server.config["MAX_CONTENT_LENGTH"] == MAX_REQUEST_BYTES > MAX_UPLOAD_BYTES * 4 // 3
    client = app.server.test_client()
    too_big = b"x" * (MAX_REQUEST_BYTES + 1)
    response = client.post("/_dash-update-component", data=too_big, content_type="application/json")
    assert response.status_code == 413


def test_a_host_portal_keeps_its_own_request_limit(tmp_path) -> None:
    import flask

    from confusionflow.app.factory import create_app

    portal = flask.Flask("portal")
    portal.config["MAX_CONTENT_LENGTH"] = 1234
    create_app(tmp_path, server=portal, url_base_pathname="/tools/cf/")
    assert portal.config["MAX_CONTENT_LENGTH"] == 1234


def test_import_folders_and_the_request_limit_are_options(tmp_path: Path) -> None:
    from confusionflow.app.__main__ import parse_settings

    s = parse_settings(
        ["--logdir", str(tmp_path), "--import-dir", str(tmp_path / "a"), "--import-dir", str(tmp_path / "b")]
        + ["--max-request-bytes", "4096"],
        environ={},
    )
    assert s.import_dirs == (tmp_path / "a", tmp_path / "b")
    assert s.max_request_bytes == 4096
