"""How fast the ConfusionFlow matrix is built, sent and drawn.

Run: ``.venv/bin/python benchmarks/bench_matrix.py`` (add ``--no-browser`` for the server part only,
``--repeat N`` for more runs). Prints markdown tables:

1. server: ``build_matrix_figure`` time, JSON serialisation time (``plotly.io.json.to_json_plotly``, the encoder Dash uses)
   and payload, for 10/20/25/50/100 classes, absolute and relative values, heatmap and lines (lines
   only up to ``LINES_MAX_CLASSES``);
2. the size of the ``dash.Patch`` payloads for moving the epoch and for a gamma/log change;
3. browser: ``Plotly.newPlot`` of the matrix in headless Debian Chromium (loading the
   ``plotly.min.js`` shipped in the installed plotly package, no network), plus the time to apply
   the epoch-marker and colour-scale updates with ``Plotly.relayout``/``Plotly.restyle``;
4. ``--regions``: the heatmap matrix as built (every region on one pair of axes) against the same
   bricks as subplots per region (matrix | FN column / FP row | accuracy corner: a 2 x 2 grid of
   axes with hand-set domains, one hue and one value heatmap per region; see
   :func:`region_subplots`), drawn alternately in one browser session; ratios are subplots / one
   pair. It also times ``make_subplots`` for the 2 x 2 grid (hand-set domains cost nothing).

Data are random counts with the given shape (the figure's cost does not depend on the values).
Times are medians over the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import plotly
from plotly.io.json import to_json_plotly

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from confusionflow.components.colors import PALETTE  # noqa: E402
from confusionflow.components.matrix import (  # noqa: E402
    LINES_MAX_CLASSES,
    MatrixGeometry,
    MatrixStyle,
    build_matrix_figure,
    colorscale_update,
    epoch_marker_update,
    matrix_geometry,
)
from confusionflow.data_access.tensor import ConfusionTensor, SeriesInfo  # noqa: E402
from confusionflow.data_access.views import MatrixValues, matrix_values  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

CASES = [(10, 3, 50), (20, 3, 50), (25, 3, 100), (50, 3, 100), (100, 3, 100)]


def make_values(c: int, s: int, t: int, normalization: str | None, seed: int = 0) -> MatrixValues:
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 60, size=(s, t, c, c))
    idx = np.arange(c)
    counts[:, :, idx, idx] += 500  # a trained classifier: big diagonal
    mask = np.ones((s, t), dtype=bool)
    mask[-1, t // 3] = False  # one missing step, as in real logs
    names = tuple(f"class {i}" for i in range(c))
    series = tuple(SeriesInfo(f"run{i}", "test", names) for i in range(s))
    tensor = ConfusionTensor(
        np.where(mask[:, :, None, None], counts, 0), mask, np.arange(t, dtype=float), names, series
    )
    return matrix_values(tensor, normalization)  # type: ignore[arg-type]


T = TypeVar("T")


def median_ms(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    """(median wall time in ms, last result) of ``repeat`` (at least 1) calls of ``fn``."""
    times: list[float] = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), out


def server_rows(repeat: int) -> tuple[list[str], dict]:
    rows, figures = [], {}
    for c, s, t in CASES:
        for norm in (None, "true"):
            for enc in ("heatmap", "lines"):
                if enc == "lines" and c > LINES_MAX_CLASSES:
                    continue
                values = make_values(c, s, t, norm)
                style = MatrixStyle(encoding=enc, epoch=float(t // 2))
                build_ms, fig = median_ms(partial(build_matrix_figure, values, PALETTE, style), repeat)
                ser_ms, payload = median_ms(partial(to_json_plotly, fig), repeat)
                geo = matrix_geometry(c, s, t, style)
                epoch_payload = len(to_json_plotly(epoch_marker_update(values, style, geo)))
                cs = colorscale_update(values, MatrixStyle(scale="log", gamma=0.5), geo)
                cs_payload = len(json.dumps(cs)) if cs else None
                cells = sum(np.asarray(tr.z).size for tr in fig.data if tr.type == "heatmap")
                rows.append(
                    f"| {c} | {s} | {t} | {enc} | {'relative' if norm else 'counts'} | {len(fig.data)} | "
                    f"{cells / 1e6:.2f} | {build_ms:.0f} | {ser_ms:.0f} | {len(payload) / 1e6:.2f} | "
                    f"{epoch_payload / 1e3:.1f} | {'' if cs_payload is None else f'{cs_payload / 1e3:.1f}'} |"
                )
                if norm is None:
                    figures[(c, s, t, enc)] = (
                        payload,
                        json.dumps(
                            epoch_marker_update(values, MatrixStyle(encoding=enc, epoch=float(t // 4)), geo)[
                                "shapes"
                            ]
                        ),
                        json.dumps(cs) if cs else None,
                    )
    return rows, figures


PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="plotly.min.js"></script></head>
<body><div id="g" style="width:1400px"></div></body></html>"""

NEWPLOT_JS = """async (args) => {
  const fig = JSON.parse(args.fig);
  const gd = document.getElementById('g');
  Plotly.purge(gd);
  const t0 = performance.now();
  await Plotly.newPlot(gd, fig.data, fig.layout);
  const t1 = performance.now();
  let tEpoch = null, tScale = null;
  if (args.shapes) {
    const s = JSON.parse(args.shapes);
    const a = performance.now();
    await Plotly.relayout(gd, {shapes: s});
    tEpoch = performance.now() - a;
  }
  if (args.scale) {
    const upd = JSON.parse(args.scale).data;
    const idx = Object.keys(upd).map(Number);
    const a = performance.now();
    await Plotly.restyle(gd, {colorscale: idx.map(i => upd[i].colorscale)}, idx);
    tScale = performance.now() - a;
  }
  return [t1 - t0, tEpoch, tScale];
}"""


def browser_rows(figures: dict, repeat: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="cf-bench-"))
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", tmp / "plotly.min.js")
    (tmp / "index.html").write_text(PAGE)
    rows = []
    try:
        with sync_playwright() as p:
            # Playwright gives each launch a fresh temporary profile (it rejects --user-data-dir here)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((tmp / "index.html").as_uri())
            page.wait_for_function("window.Plotly !== undefined")
            for (c, s, t, enc), (payload, shapes, scale) in figures.items():
                runs = [
                    page.evaluate(NEWPLOT_JS, {"fig": payload, "shapes": shapes, "scale": scale})
                    for _ in range(repeat)
                ]
                newplot = statistics.median(r[0] for r in runs)
                epoch = statistics.median(r[1] for r in runs)
                sc = statistics.median(r[2] for r in runs) if scale else None
                rows.append(
                    f"| {c} | {s} | {t} | {enc} | {newplot:.0f} | {epoch:.0f} | {'' if sc is None else f'{sc:.0f}'} |"
                )
            browser.close()
            if errors:
                raise RuntimeError(f"browser errors: {errors}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def region_subplots(fig: dict, hue_z: np.ndarray, geo: MatrixGeometry, *, own_categories: bool) -> dict:
    """The same heatmap matrix as Plotly subplots per region (a 2 x 2 grid of axes with hand-set
    domains: matrix ``x``/``y``, FN column ``x2``/``y``, FP row ``x``/``y2``, corner ``x2``/``y2``),
    the one hue grid cut into one hue trace per region.

    ``fig``: ``build_matrix_figure(...).to_dict()`` in heatmap mode (not rotated); ``hue_z``: its
    trace 0's ``z`` ``(rows, cols)``. ``own_categories=False``: every axis keeps the categories of
    the whole grid (positions, clicks and markers mean the same on every subplot);
    ``own_categories=True``: each axis holds only its region's categories (positions on
    ``x2``/``y2`` count from the region's first brick). Domains are the regions' shares of the
    grid, so a brick is the same size on every subplot.
    """
    c = geo.n_classes
    # the colour bars are marker-only scatters ("… scale") outside the geometry's tiles: both
    # variants draw them unchanged on the first pair of axes
    drawn = [t for t in fig["data"] if not str(t.get("name", "")).endswith(" scale")]
    scales = [t for t in fig["data"] if str(t.get("name", "")).endswith(" scale")]
    hue, values = drawn[0], drawn[1:]
    spans = {"x": (0, int(geo.x.main_extent)), "x2": (int(geo.x.start(c)), int(geo.x.total))}
    spans |= {"y": (0, int(geo.y.main_extent)), "y2": (int(geo.y.start(c)), int(geo.y.total))}
    axes = {"cell": ("x", "y"), "fn": ("x2", "y"), "fp": ("x", "y2"), "accuracy": ("x2", "y2")}
    data: list[dict] = []
    for role, trace in zip(geo.traces[1:], values, strict=True):
        xa, ya = axes[role.region]
        (x0, x1), (y0, y1) = spans[xa], spans[ya]
        ox, oy = (0, 0) if own_categories else (x0, y0)
        data.insert(
            len(data) // 2, {**hue, "z": hue_z[y0:y1, x0:x1], "x0": ox, "y0": oy, "xaxis": xa, "yaxis": ya}
        )
        data.append({**trace, "x0": ox, "y0": oy, "xaxis": xa, "yaxis": ya})
    data.extend(scales)
    lay = dict(fig["layout"])
    domains = {
        "x": [0.0, geo.x.main_extent / geo.x.total],
        "x2": [geo.x.start(c) / geo.x.total, 1.0],
        "y": [1 - geo.y.main_extent / geo.y.total, 1.0],
        "y2": [0.0, 1 - geo.y.start(c) / geo.y.total],
    }
    for name in ("x", "x2", "y", "y2"):
        base = fig["layout"][name[0] + "axis"]
        lo, hi = spans[name]
        shift = lo if own_categories else 0
        cats = list(base["categoryarray"])
        rng = [lo - 0.5 - shift, hi - 0.5 - shift]
        tiles = slice(0, c) if name in ("x", "y") else slice(c, c + 1)
        ax = {k: v for k, v in base.items() if k not in ("scaleanchor", "scaleratio", "constrain")}
        ax |= {
            "categoryarray": cats[lo:hi] if own_categories else cats,
            "tickvals": [v - shift for v in list(base["tickvals"])[tiles]],
            "ticktext": list(base["ticktext"])[tiles],
            "range": rng if name[0] == "x" else rng[::-1],
            "domain": domains[name],
            "anchor": "y" if name[0] == "x" else "x",
        }
        if name in ("x2", "y2"):
            ax["title"] = None
        lay[name[0] + "axis" + name[1:]] = ax
    tile = min(110, max(10, int(720 / (c + 1))))
    lay["width"] = int(geo.x.total * tile / geo.x.pitch) + lay["margin"]["l"] + lay["margin"]["r"]
    return {"data": data, "layout": lay}


def region_rows(repeat: int) -> list[str]:
    """newPlot of the heatmap matrix as built (one pair of axes) vs as subplots per region (both
    variants of :func:`region_subplots`), drawn alternately in one browser session, and the server
    cost of ``make_subplots`` (the 2 x 2 grid alone)."""
    from playwright.sync_api import sync_playwright
    from plotly.subplots import make_subplots

    pairs = []
    for c, s, t in CASES:
        style = MatrixStyle()
        geo = matrix_geometry(c, s, t, style)
        built = build_matrix_figure(make_values(c, s, t, None), PALETTE, style)
        built.layout.shapes, built.layout.annotations = (), ()  # the same on every side: left out
        one = built.to_dict()
        hue_z = np.asarray(built.data[0].z)
        grid = region_subplots(one, hue_z, geo, own_categories=False)
        local = region_subplots(one, hue_z, geo, own_categories=True)
        fx = geo.x.main_extent / geo.x.total
        make_ms, _ = median_ms(
            partial(make_subplots, rows=2, cols=2, column_widths=[fx, 1 - fx], row_heights=[fx, 1 - fx],
                    horizontal_spacing=0.01, vertical_spacing=0.01), repeat)  # fmt: skip
        sizes = (len(one["data"]), len(grid["data"]))
        pairs.append(
            ((c, s, t), to_json_plotly(one), to_json_plotly(grid), to_json_plotly(local), *sizes, make_ms)
        )
    tmp = Path(tempfile.mkdtemp(prefix="cf-bench-"))
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", tmp / "plotly.min.js")
    (tmp / "index.html").write_text(PAGE)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((tmp / "index.html").as_uri())
            page.wait_for_function("window.Plotly !== undefined")
            for (c, s, t), one, grid, local, n_one, n_grid, make_ms in pairs:
                a, b, d = [], [], []
                for _ in range(repeat):  # alternate, so drift in the machine's load hits all alike
                    a.append(page.evaluate(NEWPLOT_JS, {"fig": one, "shapes": None, "scale": None})[0])
                    b.append(page.evaluate(NEWPLOT_JS, {"fig": grid, "shapes": None, "scale": None})[0])
                    d.append(page.evaluate(NEWPLOT_JS, {"fig": local, "shapes": None, "scale": None})[0])
                ma, mb, md = statistics.median(a), statistics.median(b), statistics.median(d)
                rows.append(
                    f"| {c} | {s} | {t} | {n_one} / {n_grid} | {len(one) / 1e6:.2f} / {len(grid) / 1e6:.2f} "
                    f"| {ma:.0f} | {mb:.0f} ({mb / ma:.2f}) | {md:.0f} ({md / ma:.2f}) | {make_ms:.0f} |"
                )
            browser.close()
            if errors:
                raise RuntimeError(f"browser errors: {errors}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--regions", action="store_true", help="only: one pair of axes vs subplots per region")
    args = ap.parse_args()
    print(f"# Matrix benchmark ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n")
    print(
        f"python {platform.python_version()}, plotly {plotly.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs\n"
    )
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}\n")
    if args.regions:
        print("## Heatmap matrix: one pair of axes vs subplots per region (headless Chromium, ms)\n")
        print("| C | series | steps | traces (one / regions) | JSON MB (one / regions) | newPlot one pair "
              "| newPlot per region, grid categories (ratio) | per region, own categories (ratio) | make_subplots ms |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(region_rows(args.repeat)))
        return
    rows, figures = server_rows(args.repeat)
    print("## Server: build + serialise (ms), payload (MB); Patch payloads (kB)\n")
    print(
        "| C | series | steps | encoding | values | traces | heatmap cells (M) | build ms | to_json ms "
        "| JSON MB | epoch Patch kB | gamma/log Patch kB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if not args.no_browser:
        print("\n## Browser: headless Chromium, ms\n")
        print(
            "| C | series | steps | encoding | Plotly.newPlot | move epoch (relayout shapes) | gamma/log (restyle colorscale) |"
        )
        print("|---|---|---|---|---|---|---|")
        print("\n".join(browser_rows(figures, args.repeat)))


if __name__ == "__main__":
    main()
