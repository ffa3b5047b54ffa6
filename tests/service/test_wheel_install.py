"""The built wheel in a fresh virtualenv outside the checkout: log a run, serve it, load the page.

The wheel is built from a copy of the tracked files (so it holds only what a clone has). The fresh
venv is made without system site-packages and the wheel is installed into it without an index; its
third-party dependencies are the versions pinned in requirements.txt that the test environment
already has, made visible through a ``.pth`` file (so the test needs no network), and
``pip check`` confirms the wheel's declared dependency ranges accept exactly those versions.
Everything then runs from a temporary folder, with no ``PYTHONPATH``: nothing of the checkout is
importable, and a user's own top-level ``app`` package is not shadowed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import zipfile
from pathlib import Path

import pytest

from confusionflow.data_access.store import LogStore
from tests.conftest import REPO, free_port

pytestmark = [pytest.mark.service, pytest.mark.slow]

TRAINING_SCRIPT = """
import confusionflow
from confusionflow import LogWriter

print("confusionflow from", confusionflow.__file__)
classes = ["cat", "dog", "bird"]
y_true = [0, 1, 2, 0, 1, 2, 0, 1, 2]
with LogWriter("logs", "installed run", classes) as log:
    for epoch in (1, 2, 3):
        y_pred = [t if i < 3 * epoch else (t + 1) % 3 for i, t in enumerate(y_true)]
        log.add(epoch, "test", y_true, y_pred)
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONFUSIONFLOW_", "PYTHON", "VIRTUAL_ENV", "GUNICORN_")) and k != "REDIS_URL"
    }
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        args, cwd=cwd, env=_clean_env(**env), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, (
        f"{args} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def _copy_tracked_tree(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for rel in filter(None, listed):
        src = REPO / rel
        if rel.startswith(".venv") or not src.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("source")
    out = tmp_path_factory.mktemp("wheelhouse")
    _copy_tracked_tree(src)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(out), str(src)],
        cwd=src,
    )  # fmt: skip
    (built,) = out.glob("confusionflow_dash-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    root = tmp_path_factory.mktemp("fresh") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=root.parent)
    site = Path(
        subprocess.run(
            [str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True, text=True, check=True, env=_clean_env(),
        ).stdout.strip()
    )  # fmt: skip
    # The pinned dependencies (and pip itself) from the test environment, after the venv's own packages.
    (site / "zz-pinned-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [str(root / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        cwd=root,
    )
    return root


def test_the_wheel_holds_one_top_level_package_with_its_assets_and_demo(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        top_level = z.read(next(n for n in names if n.endswith(".dist-info/top_level.txt"))).decode().split()
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert top_level == ["confusionflow"]
    assert {n.split("/")[0] for n in names} == {
        "confusionflow",
        wheel.name.split("-")[0] + "-0.1.0.dist-info",
    }
    assert "confusionflow = confusionflow.cli:main" in entry_points
    for folder in ("app", "components", "data_access"):
        tracked = {p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob("*.py")}
        packaged = {
            n.removeprefix("confusionflow/") for n in names if n.startswith(f"confusionflow/{folder}/")
        }
        assert tracked <= packaged, f"missing from the wheel: {sorted(tracked - packaged)}"
    assets = [p for p in (REPO / "assets").rglob("*") if p.is_file()]  # the vendored bundle is in a subfolder
    assert assets and all(f"confusionflow/{p.relative_to(REPO).as_posix()}" in names for p in assets)
    demo = [p for p in (REPO / "demo_logs").rglob("*") if p.is_file()]
    assert demo and all(f"confusionflow/{p.relative_to(REPO).as_posix()}" in names for p in demo)


def test_installed_wheel_logs_serves_and_lists_the_run(venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    python, command = str(venv / "bin" / "python"), str(venv / "bin" / "confusionflow")

    checked = _run([python, "-m", "pip", "check"], cwd=work)
    assert "No broken requirements" in checked.stdout

    # A user's own `app` package beside their script stays theirs.
    (work / "app").mkdir()
    (work / "app" / "__init__.py").write_text("WHOSE = 'the user'\n")
    probe = _run(
        [python, "-c", "import app, confusionflow.app; print(app.WHOSE, confusionflow.app.__file__)"],
        cwd=work,
    )
    assert probe.stdout.startswith("the user ") and str(venv) in probe.stdout
    # With no --logdir the bundled demo logs are found in the installed package, not the folder.
    demo = _run(
        [python, "-c", "from confusionflow.app.config import Settings; from confusionflow.data_access.store "
         "import LogStore; d = Settings().logdir; print(d); print(len(LogStore(d).list_series()))"],
        cwd=work,
    )  # fmt: skip
    demo_dir, n_demo = demo.stdout.split()
    assert demo_dir.startswith(str(venv)) and demo_dir.endswith("confusionflow/demo_logs"), demo_dir
    assert int(n_demo) == len(LogStore(REPO / "demo_logs").list_series()) > 0

    (work / "train.py").write_text(TRAINING_SCRIPT)
    logged = _run([python, "train.py"], cwd=work)
    assert f"confusionflow from {venv}" in logged.stdout
    assert json.loads((work / "logs" / "installed run" / "run.json").read_text())["classes"] == [
        "cat",
        "dog",
        "bird",
    ]

    # The installed command imports a table from this folder too.
    (work / "preds.csv").write_text(
        "run,fold,epoch,target,prediction\nimported,test,1,cat,dog\nimported,test,1,dog,dog\n"
    )
    imported = _run([command, "import", "predictions", "preds.csv", "--logdir", "logs"], cwd=work)
    assert "imported" in imported.stdout
    assert json.loads((work / "logs" / "imported" / "run.json").read_text())["classes"] == ["cat", "dog"]

    port = free_port()
    server = subprocess.Popen(
        [command, "serve", "--logdir", "logs", "--port", str(port), "--workers", "1",
         "--cache-dir", str(tmp_path / "cache"), "--poll-seconds", "0"],
        cwd=work, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/"
        _wait_for(base + "healthz", server)
        with urllib.request.urlopen(base, timeout=30) as r:
            assert r.headers["Server"].startswith("gunicorn")
            page = r.read().decode()
        assert "<title>ConfusionFlow</title>" in page
        # The stylesheet comes from the installed package data.
        with urllib.request.urlopen(base + "assets/confusionflow.css", timeout=30) as r:
            assert r.read() == (REPO / "assets" / "confusionflow.css").read_bytes()
        with urllib.request.urlopen(base + "_dash-layout", timeout=30) as r:
            layout = r.read().decode()
        assert {"installed run / test", "imported / test"} <= option_labels(layout)
    finally:
        os.killpg(server.pid, 15)
        out = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "Booting worker" in out, out[-3000:]


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode() if proc.stdout is not None else ""
            raise AssertionError(f"server exited with {proc.returncode}:\n{output[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def option_labels(layout_json: str) -> set[str]:
    """Every dropdown option label in a ``/_dash-layout`` answer (the series picker's among them)."""
    labels: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "options" and isinstance(value, list):
                    labels.update(
                        o["label"] for o in value if isinstance(o, dict) and isinstance(o.get("label"), str)
                    )
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(layout_json))
    return labels
