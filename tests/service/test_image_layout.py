"""The Docker image's files and command, run without Docker: the folders the Dockerfile copies
are laid out in a temporary "image", and its ``CMD`` runs there with its ``ENV`` (the bind address
kept on 127.0.0.1 and the port free; /logs and /cache made local). It must serve the page with
``confusionflow serve`` (gunicorn, the image's worker count, the quiet access log) from those
files alone, and its ``HEALTHCHECK`` command must pass against it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from confusionflow.app.config import REPO_ROOT
from tests.conftest import ServerProcess, free_port
from tests.unit.test_docker_serve import DOCKERFILE, image, instructions

pytestmark = [pytest.mark.service, pytest.mark.timeout(240)]


def lay_out(root: Path) -> tuple[Path, dict[str, Path]]:
    """Copy what the Dockerfile's ``COPY`` lines copy into ``root``: relative destinations under
    the ``WORKDIR`` (``root/app``), absolute ones under ``root``. Returns the work folder and
    the absolute destinations' local paths."""
    steps = instructions(DOCKERFILE.read_text())
    (workdir,) = [a for i, a in steps if i == "WORKDIR"]
    work = root / workdir.strip("/")
    work.mkdir(parents=True)
    absolute: dict[str, Path] = {}
    for word, args in steps:
        if word != "COPY":
            continue
        source, dest = shlex.split(args)
        here = root / dest.strip("/") if dest.startswith("/") else work / dest
        if dest.startswith("/"):
            absolute[dest.rstrip("/")] = here
        if (REPO_ROOT / source).is_dir():
            shutil.copytree(REPO_ROOT / source, here, symlinks=True, dirs_exist_ok=True)
        else:
            target = here / Path(source).name if dest.endswith(("/", ".")) else here
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / source, target)
    return work, absolute


def healthcheck_command() -> list[str]:
    """The ``HEALTHCHECK ... CMD <shell command>`` of the Dockerfile, as an argument list."""
    (args,) = [a for i, a in instructions(DOCKERFILE.read_text()) if i == "HEALTHCHECK"]
    return shlex.split(args[args.index("CMD ") + 4 :])


def test_the_images_command_serves_the_page_from_the_copied_files(tmp_path: Path) -> None:
    work, absolute = lay_out(tmp_path / "image")
    assert (work / "confusionflow" / "app").is_symlink() and absolute["/logs"].is_dir()
    cmd, env = image()
    port = free_port()
    cache = tmp_path / "image" / "cache"
    cache.mkdir()
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFUSIONFLOW_", "GUNICORN_"))}
    run_env.pop("PYTHONPATH", None)  # the image has no checkout on its path: only its own files
    run_env.update(env)
    run_env.update(
        {
            "CONFUSIONFLOW_LOGDIR": str(absolute["/logs"]),
            "CONFUSIONFLOW_CACHE_DIR": str(cache),
            "CONFUSIONFLOW_HOST": "127.0.0.1",  # loopback only in tests (the image binds 0.0.0.0)
            "CONFUSIONFLOW_PORT": str(port),
        }
    )
    assert cmd[0] == "python"
    server = ServerProcess([sys.executable, *cmd[1:]], env=run_env, cwd=work)
    try:
        base = f"http://127.0.0.1:{port}/"
        server.wait(base + "healthz/live", timeout=180)
        with urllib.request.urlopen(base, timeout=30) as r:
            page = r.read().decode()
            assert r.status == 200 and r.headers["Server"].startswith("gunicorn")
        assert "<title>ConfusionFlow</title>" in page
        script = re.search(r'src="(/_dash-component-suites/[^"]+)"', page)
        assert script
        urllib.request.urlopen(base.rstrip("/") + script.group(1), timeout=30).close()
        check = subprocess.run(
            [sys.executable if part == "python" else part for part in healthcheck_command()],
            env=run_env,
            cwd=work,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert check.returncode == 0, check.stderr[-2000:]
        out = server.output()
        assert f"with gunicorn ({env['GUNICORN_WORKERS']} workers)" in out, out[-3000:]
        assert out.count("Booting worker") == int(env["GUNICORN_WORKERS"]), out[-3000:]
        assert '"GET / HTTP/1.1" 200' in out  # the page load is logged ...
        assert "_dash-component-suites" not in out  # ... the page's own script requests are not
    finally:
        server.stop()
