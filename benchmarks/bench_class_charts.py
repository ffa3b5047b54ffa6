"""The class charts' callbacks on a range change and on an added series: server time and bytes,
before (a checkout of ``--before``, default: where this branch left ``main``) and after (this
tree), in one run.

Run: ``.venv/bin/python benchmarks/bench_class_charts.py`` (options ``--classes 10 20 40
--series 2 --steps 100 --repeat 15 --rounds 2 --before REF``). Prints markdown tables.

How it measures:

* synthetic logs (``write_logs`` of ``bench_browser``: one run per series, fold "test", steps
  1..``--steps``), written with ``LogWriter`` into a temporary folder;
* ``--before`` is exported with ``git archive`` into a temporary folder; each tree runs in its own
  process (``--worker``), with ``create_app`` on the logs and Flask's test client: the real
  ``POST _dash-update-component`` of the class-performance and the class-sizes callbacks, the
  request built from the app's own ``_dash-dependencies`` (so it fits either version);
* events: **range** — ``--series`` series, the range goes from every step to the middle half;
  **add a series** — from ``--series`` series to one more (appended, as the series picker does).
  Each callback is first answered for the view before the event (which also warms the logs'
  cache); its answer's chart description (``*-meta`` store, this tree only) goes back with the
  event, as the page sends it. ``after, rebuilt`` is the same event with no description (what this
  tree sends when it cannot patch: a new figure);
* **server time**: wall time of the test client's request (the callback, JSON encoding, brotli),
  median of ``--repeat`` requests per round, median over ``--rounds`` rounds that alternate the
  trees; **bytes**: the response body without and with ``Accept-Encoding: br`` (the browser's).

Only the app's own process and a temporary folder are used; nothing listens on a port.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

EVENTS = ("range", "add a series")
CHARTS = {"class performance": "class-performance-graph", "class sizes": "class-distribution-graph"}


# ----------------------------------------------------------------------------- worker (one tree)
def outputs_of(output: str) -> Any:
    """The ``outputs`` field of a request for a dependency's ``output`` string."""
    if output.startswith(".."):
        parts = output.strip(".").split("...")
        return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    cid, prop = output.rsplit(".", 1)
    return {"id": cid, "property": prop}


def request_body(dep: dict, values: dict[tuple[str, str], Any], changed: list[str]) -> dict:
    """A ``_dash-update-component`` body for dependency ``dep``, values by ``(id, property)``."""

    def fill(items: list[dict]) -> list[dict]:
        return [{**i, "value": values.get((i["id"], i["property"]))} for i in items]

    return {
        "output": dep["output"],
        "outputs": outputs_of(dep["output"]),
        "inputs": fill(dep["inputs"]),
        "state": fill(dep.get("state", [])),
        "changedPropIds": changed,
    }


def worker(repo: Path, logdir: Path, keys: list[str], n_series: int, n_steps: int, repeat: int) -> dict:
    """Time both class-chart callbacks for both events in the tree at ``repo``; returns
    ``{event: {chart: {"patched" | "rebuilt": {"ms": median, "bytes": n, "br": n, "patch": bool}}}}``."""
    sys.path.insert(0, str(repo))
    from confusionflow.app.callbacks.common import Selection
    from confusionflow.app.config import Settings
    from confusionflow.app.factory import create_app
    from confusionflow.components import ids

    app = create_app(
        logdir, settings=Settings(cache_dir=logdir.parent / f"cache-{os.getpid()}", poll_seconds=0)
    )
    client = app.server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    steps = [float(s) for s in range(1, n_steps + 1)]
    middle = [float(n_steps // 4 + 1), float(3 * n_steps // 4)]
    meta_of = {
        ids.CLASS_PERF_GRAPH: ids.CLASS_PERF_META,
        ids.DISTRIBUTION_GRAPH: getattr(ids, "DISTRIBUTION_META", None),
    }

    def view(series: list[str], step_range: list[float] | None) -> dict[tuple[str, str], Any]:
        return {
            (ids.SELECTION, "data"): Selection(series=tuple(series), steps=tuple(steps)).to_store(),
            (ids.SLOTS, "data"): {k: i for i, k in enumerate(series)},
            (ids.RANGE_STORE, "data"): step_range,
            (ids.EPOCH_STORE, "data"): None,
        }

    def post(body: dict, encoding: str = "identity") -> tuple[float, bytes]:
        start = time.perf_counter()
        response = client.post("/_dash-update-component", json=body, headers={"Accept-Encoding": encoding})
        data = response.get_data()
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"callback answered {response.status_code}: {data[:300]!r}")
        return elapsed, data

    base = keys[:n_series]
    events = {
        "range": (view(base, None), view(base, middle), [f"{ids.RANGE_STORE}.data"]),
        "add a series": (
            view(base, None),
            view(keys[: n_series + 1], None),
            [f"{ids.SELECTION}.data", f"{ids.SLOTS}.data"],
        ),
    }
    out: dict[str, dict] = {}
    for event, (before, after, changed) in events.items():
        out[event] = {}
        for chart, graph in CHARTS.items():
            dep = next(d for d in deps if f"{graph}.figure" in d["output"])
            meta = meta_of[graph]
            _, first = post(request_body(dep, before, [f"{ids.SELECTION}.data"]))
            drawn = json.loads(first)["response"].get(meta, {}).get("data") if meta else None
            results = {}
            described: dict[tuple[str, str], Any] = {**after, (str(meta), "data"): drawn}
            for label, values in (("patched", described), ("rebuilt", after)):
                body = request_body(dep, values, changed)
                post(body)  # warm
                times = [post(body)[0] for _ in range(repeat)]
                _, raw = post(body)
                _, br = post(body, "br")
                answer = json.loads(raw)["response"][graph]["figure"]
                results[label] = {
                    "ms": 1000 * statistics.median(times),
                    "bytes": len(raw),
                    "br": len(br),
                    "patch": isinstance(answer, dict) and "__dash_patch_update" in answer,
                }
            out[event][chart] = results
    return out


# ----------------------------------------------------------------------------- the run
def export_tree(ref: str, into: Path) -> Path:
    """``git archive ref`` of this repository unpacked into ``into`` (symlinks kept)."""
    data = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="tar")
    return into


def run_worker(repo: Path, logdir: Path, keys: list[str], args: argparse.Namespace, n_classes: int) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        str(repo),
        "--logdir",
        str(logdir),
        "--keys",
        json.dumps(keys),
        "--series",
        str(args.series),
        "--steps",
        str(args.steps),
        "--repeat",
        str(args.repeat),
    ]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=repo)
    return json.loads(done.stdout.strip().splitlines()[-1])


def combine(rounds: list[dict]) -> dict:
    """Median time over rounds; bytes are the same in every round."""
    out: dict = {}
    for event in EVENTS:
        out[event] = {}
        for chart in CHARTS:
            out[event][chart] = {}
            for label in ("patched", "rebuilt"):
                cells = [r[event][chart][label] for r in rounds]
                out[event][chart][label] = {**cells[0], "ms": statistics.median(c["ms"] for c in cells)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--classes", type=int, nargs="+", default=[10, 20, 40])
    parser.add_argument("--series", type=int, default=2)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--before", help="git ref measured as 'before' (default: merge-base of HEAD and main)"
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--logdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--keys", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        result = worker(args.worker, args.logdir, json.loads(args.keys), args.series, args.steps, args.repeat)
        print(json.dumps(result))
        return

    sys.path.insert(0, str(REPO))
    from benchmarks.bench_browser import write_logs

    if args.before is None:
        args.before = subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"], check=True, capture_output=True, text=True
        ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", args.before],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    head = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    load_start = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    tables = []
    with tempfile.TemporaryDirectory(prefix="cf-bench-class-charts-") as tmp:
        old_tree = export_tree(args.before, Path(tmp) / "before")
        for n_classes in args.classes:
            logdir = Path(tmp) / f"logs-{n_classes}"
            logdir.mkdir()
            keys = write_logs(logdir, n_classes, args.series + 1, args.steps, seed=1)
            before_rounds, after_rounds = [], []
            for _ in range(args.rounds):
                before_rounds.append(run_worker(old_tree, logdir, keys, args, n_classes))
                after_rounds.append(run_worker(REPO, logdir, keys, args, n_classes))
            tables.append((n_classes, combine(before_rounds), combine(after_rounds)))
    load_end = os.getloadavg()

    import dash
    import plotly

    print(f"## Class charts: range change and added series ({started})\n")
    print(
        f"`{' '.join([Path(sys.executable).name, *sys.argv])}` · before: {commit} · "
        f"after: this tree (HEAD {head}{', uncommitted changes' if dirty else ''}) · "
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, dash "
        f"{dash.__version__}, plotly {plotly.__version__} · {args.series} series (+1 added), {args.steps} steps · "
        f"medians of {args.repeat} requests x {args.rounds} rounds · load average (1/5/15 min) at start "
        f"{' '.join(f'{x:.2f}' for x in load_start)}, at end {' '.join(f'{x:.2f}' for x in load_end)}\n"
    )
    print(
        "| classes | event | chart | before: ms | after: ms | after, rebuilt: ms | time after/before | before: bytes (br) | after: bytes (br) | after, rebuilt: bytes (br) | bytes after/before | after is |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n_classes, before, after in tables:
        for event in EVENTS:
            for chart in CHARTS:
                b = before[event][chart]["rebuilt"]  # the old tree has no description: always this
                a = after[event][chart]["patched"]
                r = after[event][chart]["rebuilt"]
                print(
                    f"| {n_classes} | {event} | {chart} | {b['ms']:.1f} | {a['ms']:.1f} | {r['ms']:.1f} | "
                    f"{a['ms'] / b['ms']:.2f} | {b['bytes']:,} ({b['br']:,}) | {a['bytes']:,} ({a['br']:,}) | "
                    f"{r['bytes']:,} ({r['br']:,}) | {a['bytes'] / b['bytes']:.3f} | "
                    f"{'Patch' if a['patch'] else 'figure'} |"
                )


if __name__ == "__main__":
    main()
