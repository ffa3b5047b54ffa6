"""Log lines per minute of a Redis outage, under a running web instance and a Celery worker.

Starts ``redis-server``, ``gunicorn confusionflow.app.wsgi:application`` (2 workers) and ``celery -A confusionflow.app.worker
worker`` on small generated logs, all on loopback, with a headless Chromium page open (live poll
every 2 s) and 4 client threads asking for ``/`` and ``/healthz`` without pause. Then Redis is
stopped for ``--seconds`` (default 20), during which the page imports a table by its server path;
the lines each process writes during the outage are counted (the web process's request log is
off), and Redis is started again on the same port. Prints a markdown row per process with the
machine, date and load.

Run: ``.venv/bin/python benchmarks/bench_redis_outage.py [--seconds 20] [--repo PATH] [--show N]``.
``--repo`` measures another checkout of the project (e.g. an older commit in a git worktree) with
this virtualenv; ``--site`` puts a folder of other package versions first on the path, e.g. one
made by ``pip install --no-deps --target /tmp/old celery==5.3.6 kombu==5.3.7 redis==5.0.4``.
About a minute; needs /usr/bin/redis-server and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.service.conftest import write_logs  # noqa: E402

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
CLIENTS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis(port: int, log: Path) -> subprocess.Popen:
    args = [REDIS_SERVER, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
    return subprocess.Popen(args, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _wait_http(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (OSError, urllib.error.URLError):
            time.sleep(0.5)
    raise TimeoutError(url)


def _lines(path: Path) -> int:
    return len(path.read_text(errors="replace").splitlines())


def _hammer(base: str, stop: threading.Event, counts: list[int]) -> None:
    while not stop.is_set():
        for url in (base, base + "healthz"):
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    r.read()
                    counts.append(r.status)
            except urllib.error.HTTPError as e:
                counts.append(e.code)
            except OSError:
                counts.append(0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the outage")
    ap.add_argument("--repo", type=Path, default=REPO, help="checkout of the project to run")
    ap.add_argument("--site", type=Path, help="folder of packages put before the virtualenv's")
    ap.add_argument("--worker-option", action="append", default=[], help="extra celery worker option")
    ap.add_argument("--show", type=int, default=0, help="print the first N outage lines of each process")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cf-bench-outage-") as tmp_name:
        tmp = Path(tmp_name)
        logdir, cache, upload = tmp / "logs", tmp / "cache", tmp / "outage.csv"
        logdir.mkdir()
        write_logs(logdir, {"alpha": 5, "beta": 5})
        upload.write_text("step,fold,instance_id,y_true,y_pred\n1,test,0,cat,dog\n1,test,1,dog,dog\n")
        rport, wport = _free_port(), _free_port()
        url = f"redis://127.0.0.1:{rport}/0"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CONFUSIONFLOW_")},
            "CONFUSIONFLOW_LOGDIR": str(logdir),
            "CONFUSIONFLOW_CACHE_DIR": str(cache),
            "CONFUSIONFLOW_ALLOW_UPLOAD": "1",
            "CONFUSIONFLOW_POLL_SECONDS": "2",
            "CONFUSIONFLOW_IMPORT_DIRS": str(tmp),
            "REDIS_URL": url,
            "PYTHONPATH": os.pathsep.join(str(p) for p in (args.site, args.repo) if p),
            "PYTHONUNBUFFERED": "1",
        }
        logs = {name: tmp / f"{name}.log" for name in ("redis", "web", "worker")}
        procs = [_redis(rport, logs["redis"])]
        bindir = Path(sys.executable).parent
        web = [
            str(bindir / "gunicorn"),
            "confusionflow.app.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{wport}",
        ]
        worker = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "confusionflow.app.worker",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            *args.worker_option,
        ]
        for name, cmd in (("web", web), ("worker", worker)):
            out = logs[name].open("ab")
            procs.append(subprocess.Popen(cmd, cwd=args.repo, env=env, stdout=out, stderr=subprocess.STDOUT))
        base = f"http://127.0.0.1:{wport}/"
        try:
            _wait_http(base + "healthz")
            deadline = time.monotonic() + 90
            while "ready." not in logs["worker"].read_text(errors="replace") and time.monotonic() < deadline:
                time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(base)
                page.wait_for_selector("#matrix-graph .js-plotly-plot", timeout=60_000)
                stop = threading.Event()
                statuses: list[int] = []
                threads = [
                    threading.Thread(target=_hammer, args=(base, stop, statuses)) for _ in range(CLIENTS)
                ]
                for t in threads:
                    t.start()
                time.sleep(2)
                before = {n: _lines(logs[n]) for n in ("web", "worker")}
                statuses.clear()
                procs[0].terminate()
                procs[0].wait(10)
                started = time.monotonic()
                if page.locator("#import-toggle").count():  # import the table by its server path
                    page.click("#import-toggle")
                    page.fill("#import-path", str(upload))
                    page.click("#import-button")
                time.sleep(max(0.0, args.seconds - (time.monotonic() - started)))
                lasted = time.monotonic() - started
                after = {n: _lines(logs[n]) for n in ("web", "worker")}
                written = {
                    n: logs[n].read_text(errors="replace").splitlines()[before[n] : after[n]]
                    for n in ("web", "worker")
                }
                served = list(statuses)
                procs[0] = _redis(rport, logs["redis"])
                stop.set()
                for t in threads:
                    t.join(30)
                browser.close()
        finally:
            for proc in reversed(procs):
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(
            f"{platform.node()} {os.cpu_count()} cores, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {' '.join(load)}"
        )
        print(
            f"checkout {args.repo}; outage {lasted:.1f} s; {len(served)} requests during it, "
            f"{sum(1 for s in served if s == 200)} answered 200, {sum(1 for s in served if s >= 500)} 5xx"
        )
        print("| process | log lines in the outage | lines per minute |")
        print("|---|---|---|")
        for name in ("web", "worker"):
            n = after[name] - before[name]
            print(f"| {name} | {n} | {n * 60 / lasted:,.0f} |")
        for name, lines in written.items():
            if args.show:
                print(f"--- {name}, first {args.show} of {len(lines)} lines", *lines[: args.show], sep="\n")


if __name__ == "__main__":
    main()
