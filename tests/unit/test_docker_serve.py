"""The container runs the project's own production server: the Dockerfile's command is
``confusionflow serve``, and with the environment the image sets it gives the gunicorn settings
docs/deployment.md promises (workers, threads, timeout, the trusted proxies, heartbeat files in
memory, the quiet access log). Docker is not needed: the Dockerfile is read as text."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from confusionflow.app.config import REPO_ROOT
from confusionflow.cli import serve_plan
from confusionflow.serving import DEFAULT_KEEPALIVE_SECONDS, ConfusionFlowServer, QuietAccessLogger

DOCKERFILE = REPO_ROOT / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of a Dockerfile, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        current += (
            " " + stripped.removesuffix("\\").strip() if current else stripped.removesuffix("\\").strip()
        )
        if not stripped.endswith("\\"):
            word, _, rest = current.partition(" ")
            out.append((word.upper(), rest.strip()))
            current = ""
    return out


def env_of(args: str) -> dict[str, str]:
    """The variables of one ``ENV a=1 b="2"`` instruction."""
    found = {}
    for item in shlex.split(args):
        name, sep, value = item.partition("=")
        assert sep, f"ENV {args!r}: only the name=value form is used here"
        found[name] = value
    return found


def image() -> tuple[list[str], dict[str, str]]:
    """The container's command (exec form) and the environment the Dockerfile sets."""
    steps = instructions(DOCKERFILE.read_text())
    assert not [a for i, a in steps if i == "ENTRYPOINT"], "an ENTRYPOINT would wrap the command"
    env: dict[str, str] = {}
    for word, args in steps:
        if word == "ENV":
            env.update(env_of(args))
    (cmd,) = [json.loads(a) for i, a in steps if i == "CMD"]
    return cmd, env


def test_the_dockerfile_is_read_as_docker_reads_it() -> None:
    steps = instructions('FROM x\n# c\nENV A=1 \\\n    B="two words"\nCMD ["a", "b"]\n')
    assert steps == [("FROM", "x"), ("ENV", 'A=1 B="two words"'), ("CMD", '["a", "b"]')]
    assert env_of(steps[1][1]) == {"A": "1", "B": "two words"}


def test_the_container_runs_confusionflow_serve_in_exec_form() -> None:
    cmd, _ = image()
    assert isinstance(cmd, list) and cmd[:4] == ["python", "-m", "confusionflow", "serve"]
    assert "sh" not in cmd and not any("gunicorn" in part for part in cmd)


def _gunicorn_settings(environ: dict[str, str]) -> dict[str, object]:
    cmd, _ = image()
    plan = serve_plan(cmd[4:], environ)
    assert not plan.dev
    cfg = ConfusionFlowServer(plan.settings, plan.options).cfg  # configured, not started
    return {
        "bind": cfg.bind,
        "workers": cfg.workers,
        "threads": cfg.threads,
        "timeout": cfg.timeout,
        "forwarded_allow_ips": cfg.forwarded_allow_ips,
        "worker_tmp_dir": cfg.worker_tmp_dir,
        "logger_class": cfg.logger_class,
        "accesslog": cfg.accesslog,
        "errorlog": cfg.errorlog,
        "logdir": str(plan.settings.log_location),
        "cache_dir": str(plan.settings.cache_dir),
    }


def _image_env(tmp_path: Path) -> dict[str, str]:
    """The image's environment, with its /logs (the demo logs copied in) and /cache made local."""
    _, env = image()
    assert env["CONFUSIONFLOW_LOGDIR"] == "/logs" and env["CONFUSIONFLOW_CACHE_DIR"] == "/cache"
    logs = tmp_path / "logs"
    shutil.copytree(REPO_ROOT / "demo_logs", logs)
    return {**env, "CONFUSIONFLOW_LOGDIR": str(logs), "CONFUSIONFLOW_CACHE_DIR": str(tmp_path / "cache")}


def test_the_images_environment_gives_the_documented_gunicorn_settings(tmp_path: Path) -> None:
    env = _image_env(tmp_path)
    got = _gunicorn_settings(env)
    assert got["bind"] == ["0.0.0.0:8050"]
    assert (got["workers"], got["threads"], got["timeout"]) == (4, 2, 120)
    assert got["forwarded_allow_ips"] == ["*"]
    assert got["worker_tmp_dir"] == "/dev/shm"
    assert got["logger_class"] is QuietAccessLogger and got["accesslog"] == "-" and got["errorlog"] == "-"
    assert got["logdir"] == env["CONFUSIONFLOW_LOGDIR"] and got["cache_dir"] == env["CONFUSIONFLOW_CACHE_DIR"]


def test_docker_run_e_overrides_reach_gunicorn(tmp_path: Path) -> None:
    env = {
        **_image_env(tmp_path),
        "GUNICORN_WORKERS": "8",
        "GUNICORN_THREADS": "3",
        "GUNICORN_TIMEOUT": "300",
        "FORWARDED_ALLOW_IPS": "10.0.3.7,10.0.3.8",
        "GUNICORN_WORKER_TMP_DIR": str(tmp_path),
        "CONFUSIONFLOW_PORT": "9000",
    }
    got = _gunicorn_settings(env)
    assert (got["workers"], got["threads"], got["timeout"]) == (8, 3, 300)
    assert got["forwarded_allow_ips"] == ["10.0.3.7", "10.0.3.8"]
    assert got["worker_tmp_dir"] == str(tmp_path) and got["bind"] == ["0.0.0.0:9000"]


def test_outside_the_image_serve_trusts_only_a_local_proxy(tmp_path: Path) -> None:
    plan = serve_plan(["--logdir", str(REPO_ROOT / "demo_logs"), "--cache-dir", str(tmp_path)], {})
    cfg = ConfusionFlowServer(plan.settings, plan.options).cfg
    assert cfg.forwarded_allow_ips == ["127.0.0.1", "::1"] and cfg.bind == ["127.0.0.1:8050"]
    assert (cfg.workers, cfg.threads, cfg.timeout) == (2, 4, 120)
    flag = serve_plan(
        ["--logdir", str(REPO_ROOT / "demo_logs"), "--forwarded-allow-ips", "*", "--workers", "3"],
        {"FORWARDED_ALLOW_IPS": "10.1.1.1"},
    )
    assert flag.options.forwarded_allow_ips == "*" and flag.options.workers == 3  # the command line wins


def test_idle_connections_outlive_a_proxys_idle_timeout(tmp_path: Path) -> None:
    """gunicorn's own 2 s keep-alive resets requests sent just as a worker closes an idle
    connection; a proxy in front closes at 60 s, so the server keeps them 75 s by default."""
    logs = ["--logdir", str(REPO_ROOT / "demo_logs"), "--cache-dir", str(tmp_path)]
    plan = serve_plan(logs, {})
    assert plan.options.keepalive == DEFAULT_KEEPALIVE_SECONDS == 75
    assert ConfusionFlowServer(plan.settings, plan.options).cfg.keepalive == 75
    assert serve_plan(logs, {"GUNICORN_KEEPALIVE": "120"}).options.keepalive == 120
    assert serve_plan([*logs, "--keep-alive", "0"], {"GUNICORN_KEEPALIVE": "120"}).options.keepalive == 0


def test_the_compose_web_service_passes_the_proxy_setting() -> None:
    compose = (REPO_ROOT / "docker-compose.yml").read_text()
    web = compose[compose.index("\n  web:") : compose.index("\n  worker:")]
    assert re.search(r"FORWARDED_ALLOW_IPS: \$\{FORWARDED_ALLOW_IPS:-\*\}", web)
    assert "command:" not in web  # the image's own command: confusionflow serve


@pytest.mark.parametrize(
    "name", ["GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS"]
)
def test_every_server_variable_of_the_image_is_documented(name: str) -> None:
    assert f"`{name}`" in (REPO_ROOT / "docs" / "deployment.md").read_text()
