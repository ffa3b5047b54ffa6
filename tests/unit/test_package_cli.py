"""The ``confusionflow`` package: its public names, the command's dispatch, the quiet access-log rule."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import confusionflow
from confusionflow import cli
from confusionflow.serving import (
    ConfusionFlowServer,
    QuietAccessLogger,
    ServerOptions,
    is_routine,
    quiet_werkzeug_log,
)


def test_public_names_are_the_modules_objects() -> None:
    from confusionflow.data_access.writer import LogWriter

    assert confusionflow.LogWriter is LogWriter
    assert "LightningCallback" in dir(confusionflow)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = confusionflow.Nope


def test_in_a_checkout_the_subpackages_are_the_folders_beside_it() -> None:
    import confusionflow.app.config as config

    root = Path(confusionflow.__file__).resolve().parent.parent
    assert Path(config.__file__).resolve() == root / "app" / "config.py"
    assert root / "demo_logs" == config.DEMO_LOGDIR


@pytest.mark.parametrize(
    ("path", "status", "routine"),
    [
        ("/_dash-update-component", 200, True),
        ("/tools/cf/_dash-update-component", 204, True),
        ("/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js", 200, True),
        ("/assets/confusionflow.css", 304, True),
        ("/_dash-update-component", 500, False),
        ("/_dash-component-suites/x.js", 404, False),
        ("/", 200, False),
        ("/healthz", 503, False),
        ("/tools/cf/", 200, False),
    ],
)
def test_routine_requests_are_successful_dash_requests(path: str, status: int, routine: bool) -> None:
    assert is_routine(path, status) is routine


def test_werkzeug_filter_drops_routine_lines_only(caplog: pytest.LogCaptureFixture) -> None:
    quiet_werkzeug_log()
    quiet_werkzeug_log()  # idempotent: one filter
    log = logging.getLogger("werkzeug")
    assert sum(type(f).__name__ == "_WerkzeugQuietFilter" for f in log.filters) == 1
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        for request, status in (
            ("POST /_dash-update-component HTTP/1.1", "200"),
            ("GET / HTTP/1.1", "200"),
            ("POST /_dash-update-component HTTP/1.1", "500"),
        ):
            log.info('%s - - [%s] "%s" %s -', "127.0.0.1", "now", request, status)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and '"GET / HTTP/1.1" 200' in lines[0] and " 500 " in lines[1]


def test_gunicorn_config_from_settings_and_options(tmp_path: Path) -> None:
    from confusionflow.app.config import Settings

    settings = Settings(logdir=tmp_path, host="::1", port=9000)
    server = ConfusionFlowServer.__new__(ConfusionFlowServer)  # no gunicorn config loading
    server.settings, server.options = settings, ServerOptions(workers=3, threads=2, timeout=30)
    config = server.gunicorn_config()
    assert config["bind"] == ["[::1]:9000"]
    assert (config["workers"], config["threads"], config["timeout"]) == (3, 2, 30)
    assert config["accesslog"] == "-" and config["logger_class"] is QuietAccessLogger
    server.options = ServerOptions(access_log="none")
    assert "accesslog" not in server.gunicorn_config()
    server.options = ServerOptions(access_log="all")
    assert "logger_class" not in server.gunicorn_config()


def test_command_dispatch_help_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0 and f"confusionflow {confusionflow.__version__}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main([])
    assert done.value.code == 2 and "COMMAND" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        cli.main(["serve", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith("usage: confusionflow serve")
    assert "--logdir" in out and "--dev" in out and "--workers" in out
    with pytest.raises(SystemExit) as done:
        cli.main(["serve", "--no-such-option"])
    assert done.value.code == 2 and "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_import_command_is_the_importers_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "preds.csv"
    table.write_text("run,fold,step,y_true,y_pred\nr,test,1,a,a\nr,test,1,b,a\n")
    assert cli.main(["import", "predictions", str(table), "--logdir", str(tmp_path / "logs")]) == 0
    assert (tmp_path / "logs" / "r" / "run.json").is_file()
    assert (
        cli.main(["import", "counts", str(tmp_path / "missing.csv"), "--logdir", str(tmp_path / "logs")]) == 2
    )
    assert "import failed" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["import", "nonsense"])
    assert "usage: confusionflow import" in capsys.readouterr().err
