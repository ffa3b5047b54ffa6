"""Regenerate the README's dashboard screenshots from the bundled demo logs.

Serves the app on ``demo_logs/`` (127.0.0.1, polling off, a temporary cache), opens each view in
headless Chromium (the tests' launcher, ``tests/chromium.py``) at 1600x1000 and saves the whole
page as a PNG under ``docs/screenshots/``. Each shot is a link (the view's URL query), so a shot
shows what a user opening that link sees.

    .venv/bin/python scripts/screenshots.py [--only dashboard-cifar100-superclasses]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.pages import serve_app, wait_stable_plot  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

VIEWPORT = {"width": 1600, "height": 1000}
GRAPHS = ("matrix-graph", "detail-graph", "timeline-graph", "class-performance-graph")
SHOTS: dict[str, str] = {
    # the 100-class demo aggregated to its 20 CIFAR-100 superclasses (Level control)
    "dashboard-cifar100-superclasses": "?"
    + "&".join(
        f"s={quote(k)}" for k in ("synthetic-cifar100 baseline/test", "synthetic-cifar100 regularized/test")
    )
    + "&level=1",
    # the three Fashion-MNIST pruning runs, heatmap, a cell chosen at step 12
    "dashboard-pruning-heatmap": "?"
    + "&".join(f"s={quote(f'fmnist-mlp 6x200 {r}/test')}" for r in ("dense", "pruned", "lottery ticket"))
    + "&epoch=12&detail=cell&dt=Shirt&dp=T-shirt%2Ftop",
    # the same runs in the line encoding: four classes plus "(other)", rows normalised, steps 3-20
    "dashboard-lines-epoch-zoom": "?"
    + "&".join(f"s={quote(f'fmnist-mlp 6x200 {r}/test')}" for r in ("dense", "pruned", "lottery ticket"))
    + "&c=T-shirt%2Ftop&c=Pullover&c=Coat&c=Shirt&other=1&enc=lines&norm=true&from=3&to=20&epoch=9",
    # the first screen (the window only) of the distribution-shift runs, rows normalised
    "dashboard-shift-first-view": "?"
    + "&".join(f"s={quote(f'fmnist-mlp 256-128/{f}')}" for f in ("test", "test-shifted", "train"))
    + "&norm=true",
}
FIRST_SCREEN_ONLY = {"dashboard-shift-first-view"}  # the window, not the whole page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(SHOTS), help="one shot (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    names = args.only or sorted(SHOTS)
    with (
        tempfile.TemporaryDirectory(prefix="cf-shots-") as tmp,
        serve_app(ROOT / "demo_logs", Path(tmp), "--poll-seconds", "0") as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        for name in names:
            page.goto(url + SHOTS[name])
            for graph in GRAPHS:
                wait_stable_plot(page, graph, timeout=120_000)
            page.evaluate("() => window.scrollTo(0, 0)")
            path = args.out / f"{name}.png"
            page.screenshot(path=str(path), full_page=name not in FIRST_SCREEN_ONLY)
            print(f"wrote {path}")
        browser.close()


if __name__ == "__main__":
    main()
