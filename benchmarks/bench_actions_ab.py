"""Add a series, range change and epoch move, timed alternately on two checkouts of the app.

Run: ``.venv/bin/python benchmarks/bench_actions_ab.py --before /tmp/base --rounds 4 --classes 10 20``
(``--before``: another checkout, e.g. ``git worktree add /tmp/base <commit>`` with the venv
linked; the current tree is "after"). Both trees' apps serve the same synthetic logs side by side
and one browser drives them in turn (which goes first alternates per round), so the machine's
load falls on both alike. Per round and tree: a fresh profile opens the page with the first
series, adds the second through the picker, opens the page again for two range changes and two
▶ epoch moves. The clock and conditions are ``bench_first_view.py``'s (input to the last DOM
change before 1 s of quiet, every graph drawn, nothing pending). The first round warms both
servers and is not counted. Prints the medians and every run, in ms. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchmarks.bench_browser as bench_browser  # noqa: E402
from benchmarks.bench_first_view import Board, attempt, new_context, write_logs  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def start_app(tree: Path, logdir: Path, root: Path, name: str) -> bench_browser.AppProcess:
    """``bench_browser.AppProcess`` run from ``tree`` (it starts ``python -m confusionflow.app``
    with that tree as its working directory)."""
    bench_browser.REPO = tree
    try:
        return bench_browser.AppProcess(logdir, root / f"cache-{name}", root / f"app-{name}.log")
    finally:
        bench_browser.REPO = REPO


def one_round(browser, url: str, added: str) -> tuple[float, list[float], list[float]]:
    context = new_context(browser)
    try:
        board = Board(context, url, 1)
        board.load()
        add = attempt(lambda: board.add_series(added.replace("/", " / ")))
        board.close()
        board = Board(context, url, 1)
        board.load()
        ranges = [
            attempt(lambda: (board.range_step_left(), board.settled_after_input())[1]) for _ in range(2)
        ]
        epochs = [attempt(lambda i=i: (board.epoch_move(i), board.settled_after_input())[1]) for i in (1, 2)]
        board.close()
    finally:
        context.close()
    return add, ranges, epochs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--classes", type=int, nargs="+", default=[10, 20])
    args = ap.parse_args()
    trees = {"before": args.before.resolve(), "after": REPO}
    from playwright.sync_api import sync_playwright

    print(f"started {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cf-bench-ab-") as tmp, sync_playwright() as p:
        root = Path(tmp)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for c in args.classes:
                keys = write_logs(root / f"logs{c}", c, 2, 100, seed=0)
                apps = {n: start_app(t, root / f"logs{c}", root, f"{n}{c}") for n, t in trees.items()}
                runs: dict[str, dict[str, list[float]]] = {
                    n: {"add": [], "range": [], "epoch": []} for n in trees
                }
                try:
                    for app in apps.values():
                        app.wait_ready()
                    for r in range(args.rounds + 1):
                        for n in list(trees) if r % 2 == 0 else list(trees)[::-1]:
                            add, ranges, epochs = one_round(browser, apps[n].url + "?s=" + keys[0], keys[1])
                            if r:
                                runs[n]["add"].append(add)
                                runs[n]["range"] += ranges
                                runs[n]["epoch"] += epochs
                    for n in trees:
                        summary = {
                            k: (round(statistics.median(v)), [round(x) for x in v])
                            for k, v in runs[n].items()
                        }
                        print(c, n, summary, flush=True)
                finally:
                    for app in apps.values():
                        app.stop()
        finally:
            browser.close()
    print(f"ended {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
