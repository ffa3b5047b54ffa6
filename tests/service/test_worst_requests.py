"""The worst request each callback's inputs allow, sent to a real gunicorn worker, costs a bounded amount.

Every server callback the running app lists in its callback graph (``/_dash-dependencies``) gets,
built by the load benchmark's model of the page (``benchmarks/bench_load.py``), a request:

* as the page sends it (the first view's values), first;
* the **largest**: every input and state at the largest value its type allows, together a body just
  under the request limit (1 MiB): every list as long as the budget lets it be (the known series
  and classes first, then made-up ones), every number 1e308, every text as long as it fits, the
  query strings at their 16,384-character cap; then, at 64 KiB, with each other input as the one
  that fired;
* the same with every number a **401-digit integer**, and with every number **NaN**;
* **wrong types** in every slot (a 200-deep object, a 100,000-character string, a 50,000-element
  list, ``true``, ``null``, ``-Infinity``), twice, shifted;
* **deep nesting** (100,000 levels) in the first input, and a body **one byte over** the limit:
  both must be refused with a 4xx.

While each runs, the server's process tree (gunicorn's master, its one worker, any background job
it starts) is measured from /proc: CPU seconds (user + system) before and after, and the peak PSS
(proportional set size: pages shared between processes are split between them, so a forked job is
not counted twice) every 20 ms. The bounds are generous, < 5 s of CPU and < 300 MB of memory growth
per request: a callback that sized its work by what the browser sent (``n_steps=1e15``, a list of
100,000 classes) would exceed them by orders of magnitude, or fail. Each request must get a 2xx
or a 4xx, never a 5xx; afterwards the page and its first view still answer, and the server has
logged no traceback. A dependency without a builder here fails the first test, so a new callback
input is covered as soon as it is registered.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_load import (
    Browser,
    Callback,
    PageModel,
    PeakMemory,
    call,
    cpu_seconds,
    dash_config,
    id_key,
    option_values,
    parse_callbacks,
    process_tree,
    settle,
)
from confusionflow.app.callbacks.inputs import MAX_QUERY
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.app.request_guards import MAX_PATTERN_ITEMS
from confusionflow.components import ids

pytestmark = [pytest.mark.service]

LIMIT = Settings().max_request_bytes  # the callback body limit of a default server
CPU_BOUND_SECONDS = 5.0
MEMORY_BOUND_BYTES = 300 * 1000 * 1000
SMALL_BUDGET = 64 * 1024  # bytes per request of the cases that are not about size
BIG_INT = 10**400  # parses as a Python int; float() of it raises OverflowError
CHIPS = id_key({"key": ["ALL"], "type": ids.CHIP_REMOVE}) + ".n_clicks"


def _nested(depth: int) -> dict:
    top: dict = {}
    level = top
    for _ in range(depth):
        level["x"] = {}
        level = level["x"]
    return top


WRONG_TYPES: tuple[object, ...] = (
    _nested(200),
    "x" * 100_000,
    list(range(50_000)),
    True,
    None,
    float("-inf"),
    {"points": "x", "range": 5, "x": [None]},
)


# ----------------------------------------------------------------------------- the largest value of each input
@dataclass(frozen=True)
class Facts:
    """What the page knows: every series key, the classes of the first view, its steps."""

    series: tuple[str, ...]
    classes: tuple[str, ...]
    steps: tuple[float, ...]


@dataclass(frozen=True)
class Hostile:
    """How one value is built: about ``budget`` bytes of JSON, every number ``number``."""

    budget: int
    number: Any
    facts: Facts


def _names(known: Sequence[str], budget: int) -> list[str]:
    """``known`` first, then distinct made-up names until the JSON takes about ``budget`` bytes."""
    fill = max(0, (budget - sum(len(k) + 4 for k in known)) // 13)
    return [*known, *(f"n{i:08d}" for i in range(fill))]


def _numbers(h: Hostile, budget: int) -> list[Any]:
    return [h.number] * max(1, budget // (len(json.dumps(h.number)) + 2))


def _text(h: Hostile) -> str:
    return "x" * max(1, h.budget - 8)


def _query(h: Hostile) -> str:
    """A query string at its cap, naming every series and class, then made-up ones."""
    parts = [f"s={s}" for s in _names(h.facts.series, MAX_QUERY // 2)]
    parts += [f"c={c}" for c in _names(h.facts.classes, MAX_QUERY // 2)]
    parts += ["e=" + json.dumps(h.number), "from=" + json.dumps(-h.number), "to=" + json.dumps(h.number)]
    return "&".join(parts)[:MAX_QUERY]


def _point(h: Hostile) -> dict[str, Any]:
    n, cls = h.number, (h.facts.classes or ("x",))[0]
    return {
        "curveNumber": n,
        "pointNumber": [n, n],
        "pointIndex": n,
        "x": n,
        "y": n,
        "z": n,
        "col": n,
        "row": n,
        "customdata": [n, cls],
        "text": cls,
    }


def _points(h: Hostile) -> dict[str, Any]:
    point = _point(h)
    return {"points": [point] * max(1, h.budget // (len(json.dumps(point)) + 2))}


def _selected(h: Hostile) -> dict[str, Any]:
    n = h.number
    box = {"x": [-n, n], "y": [-n, n]}
    quarter = replace(h, budget=h.budget // 4)
    return {
        **_points(replace(h, budget=h.budget // 2)),
        "range": box,
        "lassoPoints": {"x": _numbers(h, quarter.budget // 2), "y": _numbers(h, quarter.budget // 2)},
    }


def _selection(h: Hostile) -> dict[str, Any]:
    third = h.budget // 3
    return {
        "series": _names(h.facts.series, third),
        "classes": _names(h.facts.classes, third),
        "other": True,
        "super": True,
        "level": h.number,
        "group": _text(h)[::2],
        "steps": [*h.facts.steps, *_numbers(h, third)],
    }


def _meta(h: Hostile) -> dict[str, Any]:
    quarter = h.budget // 4
    return {
        "classes": _names(h.facts.classes, quarter),
        "series": _names(h.facts.series, quarter),
        "steps": _numbers(h, quarter),
        "n_series": h.number,
        "n_steps": h.number,
        "encoding": "heatmap",
        "rotate": False,
        "scale": "linear",
        "gamma": h.number,
        "epoch": h.number,
        "normalization": None,
        "colors": _names([], quarter),
    }


def _upload(h: Hostile) -> str:
    row = b"1,val,cat,dog\n"
    table = b"epoch,fold,label,prediction\n" + row * max(1, (h.budget * 3 // 4 - 40) // len(row))
    return "data:text/csv;base64," + base64.b64encode(table).decode()


def _chips(h: Hostile) -> list[dict[str, Any]]:
    keys = _names(h.facts.series, h.budget)[:MAX_PATTERN_ITEMS]
    return [
        {"id": {"key": k, "type": ids.CHIP_REMOVE}, "property": "n_clicks", "value": h.number} for k in keys
    ]


def _number(h: Hostile) -> Any:
    return h.number


Builder = Callable[[Hostile], object]
TEXT_VALUES = (
    ids.ENCODING, ids.NORMALIZATION, ids.SCALE, ids.OVERVIEW_KIND, ids.OVERVIEW_ORDER, ids.OVERVIEW_OTHER,
    ids.STRATEGY, ids.INSTANCES_SERIES, ids.IMPORT_PATH, ids.IMPORT_RUN, ids.IMPORT_FOLD, ids.IMPORT_KIND,
)  # fmt: skip
CLICK_COUNTS = (
    ids.EPOCH_PREV, ids.EPOCH_NEXT, ids.EPOCH_CLEAR, ids.FULL_RANGE, ids.DETAIL_RESET, ids.STRATEGY_APPLY,
    ids.IMPORT_BUTTON, ids.INSTANCES_DOWNLOAD_BUTTON,
)  # fmt: skip
LARGEST: dict[str, Builder] = {
    **{f"{i}.value": _text for i in TEXT_VALUES},
    **{f"{i}.n_clicks": _number for i in CLICK_COUNTS},
    CHIPS: _chips,
    f"{ids.POLL}.n_intervals": _number,
    f"{ids.GAMMA}.value": _number,
    f"{ids.STRATEGY_K}.value": _number,
    f"{ids.EPOCH_STORE}.data": _number,
    # what a class chart drew, sent back: a huge string of the wrong type
    f"{ids.CLASS_PERF_META}.data": _text,
    f"{ids.DISTRIBUTION_META}.data": _text,
    # what a line chart drew (its series keys and frame digest), sent back: every key made up
    f"{ids.DETAIL_META}.data": lambda h: {"series": _names(h.facts.series, h.budget), "frame": _text(h)},
    f"{ids.TIMELINE_META}.data": lambda h: {"series": _names(h.facts.series, h.budget), "frame": _text(h)},
    f"{ids.CLASS_MESSAGE}.children": _text,
    f"{ids.OVERVIEW_STEPS}.data": lambda h: [[-h.number, h.number], h.number],
    # the overview panel's style, sent back: the shown style's keys holding huge junk
    f"{ids.OVERVIEW_PANEL}.style": lambda h: {"display": _text(h), "gap": _numbers(h, h.budget // 2)},
    f"{ids.INSTANCES_STEPS}.data": lambda h: [[-h.number, h.number], h.number],
    f"{ids.MATRIX_EPOCH}.data": _number,
    f"{ids.SIZES_EPOCH}.data": _number,
    f"{ids.DATA_VERSION}.data": _number,
    f"{ids.SELECTION}.data": _selection,
    f"{ids.SERIES_KEYS}.data": lambda h: _names(h.facts.series, h.budget),
    f"{ids.SERIES_DROPDOWN}.value": lambda h: _names(h.facts.series, h.budget),
    f"{ids.CLASS_DROPDOWN}.value": lambda h: _names(h.facts.classes, h.budget),
    f"{ids.CLASS_OPTIONS}.value": lambda h: ["other", "super", *_names([], h.budget)],
    f"{ids.CLASS_OPTIONS}.options": lambda h: [
        {"label": "x" * 100, "value": ("other", "super")[i % 2], "disabled": False}
        for i in range(max(1, h.budget // 160))
    ],
    f"{ids.ROTATE}.value": lambda h: ["rotate", *_names([], h.budget)],
    f"{ids.LEVEL}.value": _number,
    f"{ids.DRILL}.value": _text,
    f"{ids.RANGE_STORE}.data": lambda h: [-h.number, h.number],
    f"{ids.RANGE_SLIDER}.value": lambda h: [0, h.number],
    f"{ids.DETAIL_TARGET}.data": lambda h: {"kind": "cell", "true": _text(h)[::2], "pred": _text(h)[::2]},
    f"{ids.MATRIX_META}.data": _meta,
    f"{ids.MATRIX_CLICK}.data": _points,
    f"{ids.CLASS_PERF_CLICK}.data": _points,
    f"{ids.TIMELINE_GRAPH}.clickData": _points,
    f"{ids.OVERVIEW_GRAPH}.clickData": _points,
    f"{ids.TIMELINE_GRAPH}.selectedData": _selected,
    f"{ids.OVERVIEW_GRAPH}.selectedData": _selected,
    f"{ids.TIMELINE_BRUSH}.data": _selected,
    f"{ids.OVERVIEW_BOX}.data": _selected,
    f"{ids.OVERVIEW_GRAPH}.hoverData": _points,
    # the picture's hovered position: numbers where positions go, the rest filled with junk
    f"{ids.OVERVIEW_HOVER}.data": lambda h: {
        "x": h.number,
        "y": h.number,
        "bbox": dict.fromkeys(("x0", "x1", "y0", "y1"), h.number),
        "more": _numbers(h, h.budget - 200),
    },
    f"{ids.SLIDER_ASKED}.data": lambda h: [0, h.number],
    f"{ids.TIMELINE_ZOOM}.data": lambda h: {
        "xaxis.range[0]": -h.number,
        "xaxis.range[1]": h.number,
        "xaxis.range": [-h.number, h.number],
        **{f"yaxis{i}.range": [h.number] for i in range(max(1, h.budget // 40))},
    },
    f"{ids.SLOTS}.data": lambda h: dict.fromkeys(_names(h.facts.series, h.budget // 2), 9_999),
    f"{ids.URL_STATE}.data": _query,
    f"{ids.URL_QUERY}.data": _query,
    f"{ids.FIRST_VIEW_RETRY}.data": _query,
    f"{ids.URL}.search": lambda h: "?" + _query(h),
    f"{ids.URL}.pathname": lambda h: "/" + _text(h),
    f"{ids.URL_ADDRESS}.data": lambda h: {"pathname": "/" + _text(h)[::2], "search": "?" + _query(h)},
    f"{ids.FINGERPRINT}.data": _text,
    f"{ids.IMPORT_RESULT}.data": lambda h: {
        "ok": True,
        "series": _names(h.facts.series, h.budget),
        "message": "x" * 1000,
    },
    f"{ids.IMPORT_UPLOAD}.contents": _upload,
    f"{ids.IMPORT_UPLOAD}.filename": lambda h: _text(h) + ".csv",
}


# ----------------------------------------------------------------------------- the cases of one callback
@dataclass(frozen=True)
class Case:
    """One crafted request: its body, and whether it must be refused (4xx)."""

    callback: Callback
    name: str
    body: dict[str, Any]
    data: bytes
    refused: bool = False


def _dependencies(cb: Callback) -> list[str]:
    return [d.name for d in (*cb.inputs, *cb.state)]


def _trigger(cb: Callback, index: int, facts: Facts) -> list[str]:
    dep = cb.inputs[index]
    if dep.is_pattern:  # a concrete component of the pattern fired, as the renderer names it
        return [id_key({"key": (facts.series or ("x",))[0], "type": ids.CHIP_REMOVE}) + "." + dep.prop]
    return [dep.name]


def _body(model: PageModel, cb: Callback, values: dict[str, Any], trigger: list[str]) -> tuple[dict, bytes]:
    body = model.request_body(cb, trigger, values)
    return body, json.dumps(body).encode()


def _at_the_limit(
    model: PageModel, cb: Callback, number: Any, facts: Facts, trigger: list[str]
) -> tuple[dict, bytes]:
    """Every dependency at its largest, the body between 95% of ``LIMIT`` and just under it (or
    as large as the dependencies grow, for a callback whose values have a fixed size)."""
    target = LIMIT - 1024
    share = target // max(1, len(_dependencies(cb)))
    best: tuple[dict, bytes] | None = None
    for _ in range(12):
        h = Hostile(share, number, facts)
        body, data = _body(model, cb, {d: LARGEST[d](h) for d in _dependencies(cb)}, trigger)
        if len(data) <= target:
            best = (body, data) if best is None or len(data) > len(best[1]) else best
            if len(data) >= 0.95 * target:
                break
        share = max(1, int(share * target / len(data) * 0.98))
    if best is None:
        raise AssertionError(f"{cb.kind}: could not build a body under {LIMIT} bytes")
    return best


def cases_for(model: PageModel, cb: Callback, facts: Facts) -> list[Case]:
    first = _trigger(cb, 0, facts) if cb.inputs else []
    deps = _dependencies(cb)
    normal = model.request_body(cb, first)
    cases = [Case(cb, "as the page sends it", normal, json.dumps(normal).encode())]
    for i in range(len(cb.inputs)):
        trigger = _trigger(cb, i, facts)
        if i == 0:
            body, data = _at_the_limit(model, cb, 1e308, facts, trigger)
        else:
            h = Hostile(SMALL_BUDGET // max(1, len(deps)), 1e308, facts)
            body, data = _body(model, cb, {d: LARGEST[d](h) for d in deps}, trigger)
        cases.append(Case(cb, f"largest, {cb.inputs[i].name} fired", body, data))
    for label, number in (("401-digit integers", BIG_INT), ("NaN", math.nan)):
        h = Hostile(SMALL_BUDGET // max(1, len(deps)), number, facts)
        body, data = _body(model, cb, {d: LARGEST[d](h) for d in deps}, first)
        cases.append(Case(cb, f"every number {label}", body, data))
    for shift in (0, 3):
        values = {d: WRONG_TYPES[(i + shift) % len(WRONG_TYPES)] for i, d in enumerate(deps)}
        body, data = _body(model, cb, values, first)
        cases.append(Case(cb, f"wrong types (shift {shift})", body, data))
    if cb.inputs:
        marker = "deep-nesting-goes-here"
        body, data = _body(model, cb, {cb.inputs[0].name: marker}, first)
        deep = data.replace(json.dumps(marker).encode(), b"[" * 100_000 + b"]" * 100_000)
        cases.append(Case(cb, "100,000 levels of nesting", body, deep, refused=True))
    body, data = _body(model, cb, {}, first)
    over = data[:-1] + b" " * (LIMIT + 1 - len(data)) + data[-1:]
    cases.append(Case(cb, "one byte over the limit", body, over, refused=True))
    return cases


# ----------------------------------------------------------------------------- sending and measuring
@dataclass(frozen=True)
class Cost:
    """What one request cost the server's process tree."""

    status: int
    cpu_seconds: float
    pss_growth: int  # bytes: peak PSS while it ran minus PSS before it
    rss_growth: int  # bytes, the same for RSS summed over the processes
    ms: float


def measure(browser: Browser, root: int, case: Case) -> Cost:
    cpu0 = cpu_seconds(process_tree(root))
    sampler = PeakMemory(root, interval=0.02)
    before = sampler.start_memory
    sampler.start()
    t0 = time.perf_counter()
    status, _ = call(browser, case.callback, case.body, case.data)
    ms = (time.perf_counter() - t0) * 1000
    peak = sampler.stop()
    cpu = cpu_seconds(process_tree(root)) - cpu0
    return Cost(status, cpu, peak.pss - before.pss, peak.rss - before.rss, ms)


def open_page(base: str) -> tuple[Browser, PageModel, int]:
    """A browser on ``base`` with its page loaded and the first view settled: the worst status seen."""
    browser = Browser(base, None)
    _, html = browser.request("page", "GET", "/")
    browser.end_id = str(dash_config(html.decode()).get("end_id", ""))
    _, layout = browser.request("layout", "GET", "/_dash-layout", None, {"Referer": base})
    _, graph = browser.request("graph", "GET", "/_dash-dependencies")
    model = PageModel(json.loads(layout), parse_callbacks(json.loads(graph)))
    with ThreadPoolExecutor(6) as pool:
        outcome = settle(browser, model, model.initial(), pool)
    return browser, model, outcome


def facts_of(model: PageModel) -> Facts:
    selection = model.value((ids.SELECTION, "data")) or {}
    return Facts(
        tuple(option_values(model.value((ids.SERIES_DROPDOWN, "options")))),
        tuple(option_values(model.value((ids.CLASS_DROPDOWN, "options")))),
        tuple(float(s) for s in selection.get("steps", [])),
    )


# ----------------------------------------------------------------------------- the tests
def test_every_callback_input_has_a_worst_case_builder(logdir: Path, tmp_path: Path) -> None:
    app = create_app(logdir, settings=Settings(cache_dir=tmp_path, poll_seconds=5))
    graph = app.server.test_client().get("/_dash-dependencies").get_json()
    callbacks = [cb for cb in parse_callbacks(graph) if cb.server_side]
    assert len(callbacks) >= 20  # every view's callbacks are listed, not an empty graph
    missing = sorted({d for cb in callbacks for d in _dependencies(cb) if d not in LARGEST})
    assert missing == [], f"no worst-case builder for {missing}: add one to LARGEST"


def test_the_worst_request_to_each_callback_costs_a_bounded_amount(
    confusionflow_serve, logdir: Path, tmp_path: Path
) -> None:
    proc, base = confusionflow_serve(logdir, tmp_path / "cache", "--workers", "1", "--poll-seconds", "5")
    root = proc.proc.pid
    browser, model, outcome = open_page(base)
    assert outcome == 200
    facts = facts_of(model)
    assert len(facts.series) == 2 and len(facts.classes) == 3

    rows: list[tuple[Case, Cost]] = []
    for cb in model.server_callbacks():
        for case in cases_for(model, cb, facts):
            rows.append((case, measure(browser, root, case)))

    problems = []
    for case, cost in rows:
        where = f"{case.callback.kind}, {case.name} ({len(case.data) // 1024} KiB)"
        if cost.status == 0 or cost.status >= 500:
            problems.append(f"{where}: status {cost.status}")
        elif case.refused and not 400 <= cost.status < 500:
            problems.append(f"{where}: status {cost.status}, a 4xx expected")
        if cost.cpu_seconds >= CPU_BOUND_SECONDS:
            problems.append(f"{where}: {cost.cpu_seconds:.1f} s of CPU")
        if cost.pss_growth >= MEMORY_BOUND_BYTES:
            problems.append(f"{where}: {cost.pss_growth / 1e6:.0f} MB more memory")
    _print_costs(rows)
    assert not problems, "\n".join(problems)
    # the crafted bodies reached the callbacks: each answered at least its largest requests
    for cb in model.server_callbacks():
        answered = [c for case, c in rows if case.callback == cb and case.name.startswith("largest")]
        assert any(c.status in (200, 204) for c in answered), cb.kind

    _, page = browser.request("page", "GET", "/")
    assert b"<title>ConfusionFlow</title>" in page
    assert open_page(base)[2] == 200  # a fresh first view: every callback answers 200/204
    assert "Traceback" not in proc.output()


def _print_costs(rows: Sequence[tuple[Case, Cost]]) -> None:
    """The costliest requests and the totals, for ``pytest -s`` (the figures in docs/PERFORMANCE.md)."""
    print(f"\n{len(rows)} requests; status counts:", _counts(c.status for _, c in rows))
    for label, key in (("CPU", lambda r: r[1].cpu_seconds), ("PSS growth", lambda r: r[1].pss_growth)):
        print(f"costliest by {label}:")
        for case, cost in sorted(rows, key=key, reverse=True)[:5]:
            print(
                f"  {case.callback.kind} | {case.name} | {len(case.data) // 1024} KiB | {cost.status} | "
                f"{cost.cpu_seconds:.2f} s CPU | PSS +{cost.pss_growth / 1e6:.1f} MB | "
                f"RSS +{cost.rss_growth / 1e6:.1f} MB | {cost.ms:.0f} ms"
            )


def _counts(statuses: Any) -> dict[int, int]:
    out: dict[int, int] = {}
    for s in statuses:
        out[s] = out.get(s, 0) + 1
    return dict(sorted(out.items()))
