"""Fifty people on one ConfusionFlow service at once: gunicorn under a simulated team.

Starts ``python -m confusionflow serve`` (gunicorn, ``--workers 4``) on 127.0.0.1 on a log folder
(the bundled demo logs, or a SYNTHETIC log written by ``gen_many_classes.py`` with
``--synthetic-classes``) and lets ``--users`` simulated people use it together, each as a browser
would:

1. open the page (half of them a shared link naming one or two series, the others the bare
   address), fetch its scripts and stylesheets (a first visit), the layout (with the page as
   ``Referer``, so the layout carries the first view) and the callback graph
   (``/_dash-dependencies``);
2. run the first view's callbacks as Dash's renderer does: every server callback without
   ``prevent_initial_call``, a callback held back while another pending one may still change one of
   its inputs, up to six requests at once (a browser's connections per host);
3. then, ``--actions`` times after a pause (``--think`` seconds): move the epoch (◀ ▶), choose a
   step range on the slider, choose other series, or choose classes, and run every callback that
   change sets off, the whole chain; the page's live-update timer fires at its interval meanwhile.

Every request body is built from the callback graph the server sends and the values its layout and
answers hold (:class:`PageModel`), so it follows the app's callbacks as they change.

Reported: requests per kind (page, scripts, layout, callback graph, each callback named by its first
output, and each user action until its chain has settled) with p50/p95/max latency; server errors
(5xx) and client-side exceptions (both must be 0); refusals (4xx); the peak RSS and PSS summed over
the gunicorn master and its workers (from /proc, every 0.25 s); the server's CPU time; the
machine's load average before and after. The load generator runs on the same machine and takes a
share of its cores: its own CPU time is reported too.

Run: ``.venv/bin/python benchmarks/bench_load.py`` (demo logs) or
``.venv/bin/python benchmarks/bench_load.py --synthetic-classes 100``: at most ``--duration``
seconds (180) and ``--max-requests`` requests (20,000). Prints a markdown report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

import urllib3

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bench_gunicorn import free_port, machine, wait_ready  # noqa: E402
from confusionflow.components import ids  # noqa: E402
from confusionflow.data_access.step_windows import move_step  # noqa: E402

Key = tuple[str, str]  # (component id as Dash writes it, property)
PATCH_MARK = "__dash_patch_update"  # how a dash.Patch answer is marked
BROWSER_CONNECTIONS = 6  # requests one browser sends to one host at once (HTTP/1.1)
MAX_CHAIN_ROUNDS = 16  # rounds of callbacks one change may set off before the model gives up
BACKGROUND_POLLS = 120  # result polls of one background callback (the page polls every interval)
REQUEST_TIMEOUT = 120.0  # seconds; gunicorn's own request timeout
HEADERS = {
    "Accept-Encoding": "gzip, deflate, br",
    "User-Agent": "confusionflow-bench-load",
}


# ============================================================================ the page, as the renderer keeps it
def id_key(component_id: object) -> str:
    """A component id as Dash writes it in requests and answers: a string as it is, a dict id
    (pattern matching) as JSON with sorted keys and no spaces."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def clean_property(prop: str) -> str:
    """A property without the ``@hash`` Dash appends to an ``allow_duplicate`` output."""
    return prop.split("@", 1)[0]


@dataclass(frozen=True)
class Dependency:
    """One input, state or output of a callback: ``id`` as the callback graph writes it (a pattern
    such as ``{"key":["ALL"],"type":"chip-remove"}`` is JSON) and the property."""

    id: str
    prop: str

    @property
    def name(self) -> str:
        return f"{self.id}.{self.prop}"

    @property
    def is_pattern(self) -> bool:
        return self.id.startswith("{")

    def matches(self, component_id: object) -> bool:
        """True when a component with ``component_id`` is one this dependency names.

        Only the ``ALL`` wildcard is modelled (the app uses no ``MATCH``/``ALLSMALLER``)."""
        if not self.is_pattern:
            return component_id == self.id
        pattern = json.loads(self.id)
        if not isinstance(component_id, dict) or set(component_id) != set(pattern):
            return False
        for k, wanted in pattern.items():
            if isinstance(wanted, list):
                if wanted != ["ALL"]:
                    raise ValueError(f"{self.name}: only the ALL wildcard is modelled")
                continue
            if component_id[k] != wanted:
                return False
        return True


def split_output(output: str) -> tuple[Dependency, ...]:
    """The outputs named by a callback's ``output`` string (``..a.b...c.d..`` or ``a.b``; a callback
    without outputs is known by a hash alone and has none)."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return tuple(Dependency(*part.rsplit(".", 1)) for part in parts if "." in part)


@dataclass(frozen=True)
class Callback:
    """One entry of ``/_dash-dependencies``, as the renderer uses it."""

    output: str  # the key the server knows the callback by
    outputs: tuple[Dependency, ...]
    inputs: tuple[Dependency, ...]
    state: tuple[Dependency, ...]
    prevent_initial_call: bool
    server_side: bool  # False: a clientside callback (the browser runs it; the model never does)
    background: bool
    multi: bool  # the outputs are sent as a list (``..a.b...c.d..``), not one object

    @property
    def kind(self) -> str:
        """A short name: the first output, with the first characters of the ``@hash`` of an
        output another callback also writes (``allow_duplicate``)."""
        if not self.outputs:
            return self.output
        first = self.outputs[0]
        prop, _, duplicate = first.prop.partition("@")
        return f"{first.id}.{prop}" + (f"@{duplicate[:6]}" if duplicate else "")

    def reads(self, key: Key, component_id: object) -> bool:
        """True when ``key`` (a prop of the component ``component_id``) is one of this callback's inputs."""
        return any(d.prop == key[1] and d.matches(component_id) for d in self.inputs)


def parse_callbacks(graph: Sequence[Mapping[str, Any]]) -> list[Callback]:
    """The callback graph the server sends (``GET /_dash-dependencies``) as :class:`Callback`\\ s."""

    def deps(items: Iterable[Mapping[str, Any]]) -> tuple[Dependency, ...]:
        return tuple(Dependency(str(d["id"]), str(d["property"])) for d in items)

    return [
        Callback(
            output=entry["output"],
            outputs=split_output(entry["output"]),
            inputs=deps(entry.get("inputs", [])),
            state=deps(entry.get("state", [])),
            prevent_initial_call=bool(entry.get("prevent_initial_call")),
            server_side=not entry.get("clientside_function"),
            background=bool(entry.get("background")),
            multi=entry["output"].startswith(".."),
        )
        for entry in graph
    ]


def components(node: object) -> Iterator[Mapping[str, Any]]:
    """Every component (``{"type", "namespace", "props"}``) in a layout fragment, depth first."""
    if isinstance(node, list):
        for item in node:
            yield from components(item)
    elif isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and "type" in node and "namespace" in node:
            yield node
            values: Iterable[object] = props.values()
        else:
            values = node.values()
        for value in values:
            if isinstance(value, (list, dict)):
                yield from components(value)


class PageModel:
    """The page as Dash's renderer holds it: every component's props and the server callbacks.

    Builds each callback's request body from the current props (:meth:`request_body`), sets the
    props an answer carries (:meth:`apply`), and says which callbacks a change sets off
    (:meth:`triggered`) and which of those may go now (:meth:`ready`).
    """

    def __init__(self, layout: object, callbacks: Sequence[Callback]) -> None:
        self.props: dict[Key, Any] = {}
        self.component_ids: dict[str, object] = {}  # id key -> the id as the layout writes it
        self.callbacks = list(callbacks)
        self._add(layout)
        self._read_by_a_server_callback = {
            (d.id, d.prop) for cb in self.server_callbacks() for d in (*cb.inputs, *cb.state)
        }
        self._reach = self._downstream()

    # ------------------------------------------------------------------ props
    def _add(self, fragment: object) -> None:
        for comp in components(fragment):
            cid = comp["props"].get("id")
            if cid is None:
                continue
            key = id_key(cid)
            self.component_ids[key] = cid
            for prop, value in comp["props"].items():
                self.props[(key, prop)] = value

    def _remove(self, fragment: object) -> None:
        for comp in components(fragment):
            cid = comp["props"].get("id")
            if cid is None:
                continue
            key = id_key(cid)
            self.component_ids.pop(key, None)
            for prop in list(comp["props"]):
                self.props.pop((key, prop), None)

    def value(self, key: Key, default: Any = None) -> Any:
        return self.props.get(key, default)

    def set_prop(self, key: Key, value: Any) -> None:
        """Set one prop; new ``children`` replace the components the old ones held."""
        if key[1] == "children":
            self._remove(self.props.get(key))
            self._add(value)
        self.props[key] = value

    # ------------------------------------------------------------------ callbacks
    def server_callbacks(self) -> list[Callback]:
        return [cb for cb in self.callbacks if cb.server_side]

    def _downstream(self) -> dict[int, set[Key]]:
        """For each server callback, every prop its answer may change, directly or through the
        server callbacks that answer sets off."""
        direct = {
            i: {(o.id, clean_property(o.prop)) for o in cb.outputs}
            for i, cb in enumerate(self.callbacks)
            if cb.server_side
        }
        reach = {i: set(keys) for i, keys in direct.items()}
        changed = True
        while changed:
            changed = False
            for i in reach:
                for j, cb in enumerate(self.callbacks):
                    if j in direct and j != i and any(cb.reads(k, self._id_of(k)) for k in reach[i]):
                        before = len(reach[i])
                        reach[i] |= direct[j]
                        changed = changed or len(reach[i]) != before
        return reach

    def _id_of(self, key: Key) -> object:
        return self.component_ids.get(key[0], key[0])

    def request_body(
        self, cb: Callback, changed: Iterable[str], values: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The JSON the renderer posts to ``_dash-update-component`` for ``cb``.

        ``changed``: the ``"id.prop"`` names that fired it (empty on the first view). ``values``
        overrides what is sent for a dependency, by :attr:`Dependency.name`; for a pattern input the
        override is the whole list of ``{"id", "property", "value"}`` items.
        """
        values = values or {}

        def item(dep: Dependency) -> Any:
            if dep.is_pattern:
                if dep.name in values:
                    return values[dep.name]
                matching = [k for k, cid in self.component_ids.items() if dep.matches(cid)]
                return [
                    {"id": self.component_ids[k], "property": dep.prop}
                    | ({"value": self.props[(k, dep.prop)]} if (k, dep.prop) in self.props else {})
                    for k in matching
                ]
            entry: dict[str, Any] = {"id": dep.id, "property": dep.prop}
            if dep.name in values:
                entry["value"] = values[dep.name]
            elif (dep.id, dep.prop) in self.props:
                entry["value"] = self.props[(dep.id, dep.prop)]
            return entry

        if any(o.is_pattern for o in cb.outputs):
            raise ValueError(f"{cb.output}: pattern-matching outputs are not modelled")
        specs = [{"id": o.id, "property": o.prop} for o in cb.outputs]
        return {
            "output": cb.output,
            "outputs": specs if cb.multi else specs[0],
            "inputs": [item(d) for d in cb.inputs],
            "changedPropIds": list(changed),
            "state": [item(d) for d in cb.state],
        }

    def apply(self, cb: Callback, answer: Mapping[str, Any]) -> set[Key]:
        """Set the props an answer carries (``response`` and ``sideUpdate``); returns their keys.

        A ``Patch`` is left out: it only ever edits a figure, which no server callback reads.
        """
        response = answer.get("response")
        updates: dict[str, Any] = {}
        if isinstance(response, dict):
            updates = dict(response) if answer.get("multi") else {cb.outputs[0].id: response.get("props", {})}
        side = answer.get("sideUpdate")
        changed: set[Key] = set()
        for part in (updates, side if isinstance(side, dict) else {}):
            for cid, props in part.items():
                for prop, value in (props or {}).items():
                    key = (cid, clean_property(prop))
                    if isinstance(value, dict) and PATCH_MARK in value:
                        if key in self._read_by_a_server_callback:
                            raise ValueError(f"{key}: a Patch of a prop a callback reads is not modelled")
                        continue
                    self.set_prop(key, value)
                    changed.add(key)
        return changed

    def initial(self) -> dict[int, set[str]]:
        """The first view's callbacks: server callbacks without ``prevent_initial_call`` whose
        (non-pattern) inputs are all on the page."""
        return {
            i: set()
            for i, cb in enumerate(self.callbacks)
            if cb.server_side
            and not cb.prevent_initial_call
            and all(d.is_pattern or d.id in self.component_ids for d in cb.inputs)
        }

    def triggered(self, changed: Iterable[Key], source: int | None = None) -> dict[int, set[str]]:
        """Server callbacks an input of which is among ``changed``, with the names that fired each.

        ``source``: the callback whose answer changed them; like the renderer, a callback's own
        outputs never fire it again (the series picker's value is both)."""
        out: dict[int, set[str]] = {}
        keys = list(changed)
        for i, cb in enumerate(self.callbacks):
            if not cb.server_side or i == source:
                continue
            names = {f"{k[0]}.{k[1]}" for k in keys if cb.reads(k, self._id_of(k))}
            if names:
                out[i] = names
        return out

    def ready(self, pending: Mapping[int, set[str]]) -> list[int]:
        """Pending callbacks no other pending callback may still change an input of (all of them,
        should a cycle block every one)."""
        free = [
            i
            for i in pending
            if not any(
                j != i and any(self.callbacks[i].reads(k, self._id_of(k)) for k in self._reach[j])
                for j in pending
            )
        ]
        return free or list(pending)


# ============================================================================ requests and what they cost
@dataclass(frozen=True)
class Sample:
    """One timed request (or one user action, its whole chain): ``ms`` wall milliseconds."""

    kind: str
    ms: float
    status: int  # HTTP status; 0 when the request raised
    size: int = 0  # bytes of the (decoded) answer
    error: str = ""


class BudgetSpent(Exception):
    """The run's request budget or its deadline is reached: the user stops."""


@dataclass
class Recorder:
    """Every sample of a run, thread-safe, and the run's budget of requests and time."""

    max_requests: int
    deadline: float  # time.monotonic() after which no new action starts
    samples: list[Sample] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self) -> None:
        with self.lock:
            if self.requests >= self.max_requests:
                raise BudgetSpent
            self.requests += 1

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def time_left(self) -> bool:
        return time.monotonic() < self.deadline


class Browser:
    """One person's browser: up to six connections to the server, every request timed.

    ``recorder`` None: requests are sent but not recorded or counted (a warm-up).
    """

    def __init__(self, base: str, recorder: Recorder | None) -> None:
        parts = urlsplit(base)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.pool = urllib3.HTTPConnectionPool(
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            maxsize=BROWSER_CONNECTIONS,
            block=True,
            headers=HEADERS,
            timeout=urllib3.Timeout(total=REQUEST_TIMEOUT),
            retries=False,
        )
        self.recorder = recorder
        self.end_id = ""

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """``(status, decoded body)``; ``(0, b"")`` when the request raised (recorded as such)."""
        if self.recorder is not None:
            self.recorder.reserve()
        t0 = time.perf_counter()
        try:
            r = self.pool.request(method, path, body=body, headers={**HEADERS, **(headers or {})})
            status, data = r.status, r.data
            error = f"{status} {method} {path.split('?')[0]}"[:200] if status >= 400 else ""
        except (urllib3.exceptions.HTTPError, OSError) as e:
            status, data, error = 0, b"", f"{type(e).__name__}: {e}"[:200]
        ms = (time.perf_counter() - t0) * 1000
        if self.recorder is not None:
            self.recorder.add(Sample(kind, ms, status, len(data), error))
        return status, data

    def post_callback(self, kind: str, data: bytes, query: str = "") -> tuple[int, bytes]:
        """POST a callback request body (JSON bytes) with the page's ``endId``, as the renderer does."""
        path = f"{self.prefix}_dash-update-component?endId={self.end_id}{query}"
        return self.request(kind, "POST", path, data, {"Content-Type": "application/json"})

    def close(self) -> None:
        self.pool.close()


def page_assets(html: str) -> list[str]:
    """The scripts and stylesheets the page links to (a first visit fetches them all)."""
    found = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html) + re.findall(r'<link[^>]*\shref="([^"]+)"', html)
    return list(dict.fromkeys(u.replace("&amp;", "&") for u in found))


def dash_config(html: str) -> dict[str, Any]:
    """The ``_dash-config`` JSON the page carries (its ``end_id`` goes with every callback)."""
    found = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else {}


def _without_values(items: object) -> object:
    """Dependencies (lists of them for pattern inputs) with their values left out."""
    if isinstance(items, list):
        return [_without_values(item) for item in items]
    if isinstance(items, dict):
        return {k: v for k, v in items.items() if k != "value"}
    return items


def call(
    browser: Browser, cb: Callback, body: Mapping[str, Any], data: bytes | None = None
) -> tuple[int, Mapping[str, Any] | None]:
    """Send one callback request: ``(status, answer)``, the answer None for a 204 or a failure (status
    0: the request raised). ``data``: the bytes to send instead of ``body`` as JSON (a crafted body).
    A background callback's job is polled, as the page polls it, until its result is there."""
    status, data = browser.post_callback(cb.kind, json.dumps(body).encode() if data is None else data)
    if status != 200:
        return status, None
    answer = json.loads(data)
    if not (cb.background and "cacheKey" in answer):
        return status, answer
    handles = f"&cacheKey={answer['cacheKey']}&job={answer.get('job', '')}"
    # the renderer sends the job's polls with every input and state value cleared
    blank = {**body, "inputs": _without_values(body["inputs"]), "state": _without_values(body["state"])}
    for _ in range(BACKGROUND_POLLS):
        time.sleep(0.25)
        status, data = browser.post_callback(cb.kind + " (job poll)", json.dumps(blank).encode(), handles)
        if status != 200:
            return status, None
        polled = json.loads(data)
        if "response" in polled:
            return status, polled
    return 0, None


def settle(browser: Browser, model: PageModel, pending: dict[int, set[str]], pool: ThreadPoolExecutor) -> int:
    """Run callbacks until the page is quiet: each round sends every ready callback at once (the
    bodies built from the props as they are), applies the answers, and adds what they set off.

    Returns 200 when every answer was a 200 or 204, else the first other status (0: an exception).
    """
    outcome = 200
    for _ in range(MAX_CHAIN_ROUNDS):
        if not pending:
            break
        batch = [(i, pending.pop(i)) for i in model.ready(pending)]
        bodies = [
            (model.callbacks[i], model.request_body(model.callbacks[i], sorted(names))) for i, names in batch
        ]
        answers = list(pool.map(lambda cb_body: call(browser, *cb_body), bodies))
        for (i, _), (cb, _), (status, answer) in zip(batch, bodies, answers, strict=True):
            if status not in (200, 204) and outcome == 200:
                outcome = status
            if answer is not None:
                for j, names in model.triggered(model.apply(cb, answer), source=i).items():
                    pending.setdefault(j, set()).update(names)
    return outcome


# ============================================================================ what a person does
Action = Callable[[PageModel, random.Random], set[Key]]


def move_epoch(model: PageModel, rng: random.Random) -> set[Key]:
    """A click on ◀ or ▶ beside the epoch."""
    button = rng.choice([ids.EPOCH_NEXT, ids.EPOCH_NEXT, ids.EPOCH_PREV])
    key = (button, "n_clicks")
    model.set_prop(key, (model.value(key) or 0) + 1)
    # the page moves the epoch in the browser (confusionflow.moveEpoch, the rule of move_step on
    # the selection's steps); this model runs no clientside callback, so it does that step itself
    selection = model.value((ids.SELECTION, "data"))
    steps = selection.get("steps") if isinstance(selection, dict) else None
    if not isinstance(steps, list) or not steps:
        return {key}
    current = model.value((ids.EPOCH_STORE, "data"))
    window = model.value((ids.RANGE_STORE, "data"))
    step_range = (
        (float(window[0]), float(window[1])) if isinstance(window, list) and len(window) == 2 else None
    )
    chosen = move_step(
        [float(s) for s in steps],
        float(current) if isinstance(current, (int, float)) else None,
        1 if button == ids.EPOCH_NEXT else -1,
        step_range,
    )
    if chosen == current:
        return {key}
    epoch = (ids.EPOCH_STORE, "data")
    model.set_prop(epoch, chosen)
    return {key, epoch}


def choose_range(model: PageModel, rng: random.Random) -> set[Key]:
    """A drag of the range slider's handles to a random sub-range of the logged steps."""
    top = model.value((ids.RANGE_SLIDER, "max")) or 0
    if not isinstance(top, int) or top < 1:
        return set()
    lo = rng.randint(0, top - 1)
    value = [lo, rng.randint(lo + 1, top)]
    key = (ids.RANGE_SLIDER, "value")
    model.set_prop(key, value)
    # the page's clientside filter (cftimeline.sliderOnly) passes a moved slider on to the range callback
    # through SLIDER_ASKED; this model runs no clientside callback, so it does that step itself
    asked = (ids.SLIDER_ASKED, "data")
    model.set_prop(asked, value)
    return {key, asked}


def option_values(options: object) -> list[str]:
    if not isinstance(options, list):
        return []
    return [
        str(o["value"]) for o in options if isinstance(o, dict) and not o.get("disabled") and "value" in o
    ]


def choose_series(model: PageModel, rng: random.Random) -> set[Key]:
    """One to three series ticked in the picker (others of a different class list are refused)."""
    choices = option_values(model.value((ids.SERIES_DROPDOWN, "options")))
    if not choices:
        return set()
    key = (ids.SERIES_DROPDOWN, "value")
    model.set_prop(key, rng.sample(choices, min(len(choices), rng.choice([1, 2, 2, 3]))))
    return {key}


def choose_classes(model: PageModel, rng: random.Random) -> set[Key]:
    """A few classes picked (two to six), or the picker cleared (all classes) one time in four."""
    choices = option_values(model.value((ids.CLASS_DROPDOWN, "options")))
    key = (ids.CLASS_DROPDOWN, "value")
    if len(choices) < 3 or rng.random() < 0.25:
        model.set_prop(key, [])
    else:
        model.set_prop(key, rng.sample(choices, rng.randint(2, min(6, len(choices) - 1))))
    return {key}


ACTIONS: dict[str, Action] = {
    "epoch": move_epoch,
    "range": choose_range,
    "series": choose_series,
    "classes": choose_classes,
}


@dataclass(frozen=True)
class UserPlan:
    """What one simulated person does: the link they open and their actions (names of ACTIONS)."""

    query: str  # the page's query string ("" or "?s=run/fold&...")
    first_visit: bool  # fetch the page's scripts and stylesheets (an empty browser cache)
    actions: tuple[str, ...]
    think: tuple[float, float]  # seconds between actions, uniform
    start_after: float  # seconds after the run starts
    seed: int


def plan_users(
    n: int, series: Sequence[str], actions: int, think: tuple[float, float], ramp: float, seed: int
) -> list[UserPlan]:
    """``n`` people: every other one opens a link naming one or two series; the actions are a
    seeded random sequence in which every kind of action occurs."""
    rng = random.Random(seed)
    plans = []
    kinds = list(ACTIONS)
    for u in range(n):
        query = ""
        if u % 2 and series:
            query = "?" + urlencode(
                [("s", s) for s in rng.sample(list(series), min(len(series), rng.randint(1, 2)))]
            )
        todo = [kinds[(u + i) % len(kinds)] if i < len(kinds) else rng.choice(kinds) for i in range(actions)]
        rng.shuffle(todo)
        plans.append(UserPlan(query, True, tuple(todo), think, ramp * u / max(n, 1), rng.randrange(2**31)))
    return plans


def run_user(base: str, plan: UserPlan, recorder: Recorder | None, t0: float) -> PageModel | None:
    """One person's visit; the page as it ended (None when the budget ran out first)."""
    rng = random.Random(plan.seed)
    browser = Browser(base, recorder)
    pool = ThreadPoolExecutor(BROWSER_CONNECTIONS)
    try:
        time.sleep(max(0.0, t0 + plan.start_after - time.monotonic()))
        page_url = browser.origin + browser.prefix + plan.query
        status, html = browser.request("GET page", "GET", browser.prefix + plan.query)
        if status != 200:
            return None
        text = html.decode(errors="replace")
        browser.end_id = str(dash_config(text).get("end_id", ""))
        if plan.first_visit:
            assets = [a if a.startswith("/") else browser.prefix + a for a in page_assets(text)]
            list(pool.map(lambda a: browser.request("GET script/style", "GET", a), assets))
        status, layout = browser.request(
            "GET _dash-layout", "GET", browser.prefix + "_dash-layout", None, {"Referer": page_url}
        )
        status2, graph = browser.request(
            "GET _dash-dependencies", "GET", browser.prefix + "_dash-dependencies"
        )
        if status != 200 or status2 != 200:
            return None
        model = PageModel(json.loads(layout), parse_callbacks(json.loads(graph)))
        timed_action(browser, model, "first view", model.initial(), pool)
        interval = model.value((ids.POLL, "interval"))
        poll_every = (
            interval / 1000
            if isinstance(interval, (int, float)) and not model.value((ids.POLL, "disabled"))
            else None
        )
        next_poll = time.monotonic() + poll_every if poll_every else math.inf
        for name in plan.actions:
            pause_until = time.monotonic() + rng.uniform(*plan.think)
            while next_poll < pause_until:  # the live-update timer fires while the person looks
                time.sleep(max(0.0, next_poll - time.monotonic()))
                key = (ids.POLL, "n_intervals")
                model.set_prop(key, (model.value(key) or 0) + 1)
                timed_action(browser, model, "live poll", model.triggered({key}), pool)
                next_poll += poll_every or math.inf
            time.sleep(max(0.0, pause_until - time.monotonic()))
            if recorder is not None and not recorder.time_left():
                break
            changed = ACTIONS[name](model, rng)
            if changed:
                timed_action(browser, model, name, model.triggered(changed), pool)
        return model
    except BudgetSpent:
        return None
    finally:
        pool.shutdown(wait=True)
        browser.close()


def timed_action(
    browser: Browser, model: PageModel, name: str, pending: dict[int, set[str]], pool: ThreadPoolExecutor
) -> None:
    t = time.perf_counter()
    worst = settle(browser, model, pending, pool)
    if browser.recorder is not None:
        browser.recorder.add(Sample(f"action: {name}", (time.perf_counter() - t) * 1000, worst))


# ============================================================================ the server's processes (/proc)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 is the state, field 3)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    """Child processes of ``pid``, from /proc/<pid>/task/*/children (every thread's)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(root: int) -> list[int]:
    """``root`` and every living process descended from it."""
    tree, frontier = [], [root]
    while frontier:
        tree += [p for p in frontier if Path(f"/proc/{p}").exists()]
        frontier = [c for p in frontier for c in _children(p)]
    return tree


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds of ``pids``, with their reaped children's."""
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def _kib(path: str, label: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(label):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class TreeMemory:
    """Memory of a process tree in bytes: RSS summed (shared pages once per process) and PSS
    summed (shared pages split between their processes: what the tree costs the machine)."""

    rss: int
    pss: int
    processes: int


def tree_memory(root: int) -> TreeMemory:
    pids = process_tree(root)
    rss = sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in pids)
    pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
    return TreeMemory(rss * 1024, pss * 1024, len(pids))


class PeakMemory(threading.Thread):
    """Samples :func:`tree_memory` of ``root`` every ``interval`` seconds until stopped; keeps the peaks."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak = tree_memory(root)
        self.start_memory = self.peak
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self._take()
            self._stop_event.wait(self.interval)

    def _take(self) -> None:
        now = tree_memory(self.root)
        self.peak = TreeMemory(
            max(self.peak.rss, now.rss), max(self.peak.pss, now.pss), max(self.peak.processes, now.processes)
        )

    def stop(self) -> TreeMemory:
        self._stop_event.set()
        self.join()
        self._take()
        return self.peak


def start_serve(
    logdir: Path, cache: Path, log: IO[bytes], *, workers: int, threads: int, poll_seconds: float
) -> tuple[subprocess.Popen, str, list[str]]:
    """``python -m confusionflow serve`` on a free loopback port: the process, its base URL and the command."""
    port = free_port()
    command = [
        sys.executable, "-m", "confusionflow", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--logdir", str(logdir), "--cache-dir", str(cache), "--workers", str(workers),
        "--threads", str(threads), "--poll-seconds", str(poll_seconds),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFUSIONFLOW_") and k != "REDIS_URL"}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}/"
    wait_ready(base + "healthz", proc, timeout=120)
    return proc, base, command


# ============================================================================ a run and its report
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True)
class KindStats:
    """Counts and latency (ms) of one kind of request or action."""

    kind: str
    count: int
    ok: int  # 200 or 204
    refused: int  # 4xx
    server_errors: int  # 5xx
    exceptions: int  # the request raised (connection reset, timeout)
    p50: float
    p95: float
    max: float


def kind_stats(samples: Iterable[Sample]) -> list[KindStats]:
    by_kind: dict[str, list[Sample]] = {}
    for s in samples:
        by_kind.setdefault(s.kind, []).append(s)
    out = []
    for kind in sorted(by_kind, key=lambda k: (k.startswith("action"), not k.startswith("GET"), k)):
        ss = by_kind[kind]
        ms = [s.ms for s in ss]
        out.append(
            KindStats(
                kind,
                len(ss),
                sum(s.status in (200, 204) for s in ss),
                sum(400 <= s.status < 500 for s in ss),
                sum(s.status >= 500 for s in ss),
                sum(s.status == 0 for s in ss),
                percentile(ms, 0.5),
                percentile(ms, 0.95),
                max(ms),
            )
        )
    return out


@dataclass(frozen=True)
class LoadResult:
    """What a run measured (samples of requests and of user actions, apart)."""

    samples: tuple[Sample, ...]
    seconds: float
    users: int
    finished_users: int

    @property
    def requests(self) -> list[Sample]:
        return [s for s in self.samples if not s.kind.startswith("action")]

    @property
    def server_errors(self) -> int:
        return sum(s.status >= 500 for s in self.requests)

    @property
    def exceptions(self) -> int:
        return sum(s.status == 0 for s in self.requests)

    @property
    def refused(self) -> int:
        return sum(400 <= s.status < 500 for s in self.requests)


def run_load(
    base: str,
    *,
    users: int,
    actions: int,
    think: tuple[float, float] = (1.0, 4.0),
    ramp: float = 10.0,
    duration: float = 180.0,
    max_requests: int = 20_000,
    seed: int = 0,
) -> LoadResult:
    """``users`` simulated people on the server at ``base`` at once (see the module docstring).

    One unrecorded visit first warms the server (parsed logs in its cache folder) and lists the
    series the links name. At most ``max_requests`` requests; no action starts after ``duration`` s.
    """
    warm = run_user(base, UserPlan("", False, (), (0.0, 0.0), 0.0, seed), None, time.monotonic())
    series = option_values(warm.value((ids.SERIES_DROPDOWN, "options"))) if warm else []
    plans = plan_users(users, series, actions, think, ramp, seed)
    t0 = time.monotonic()
    recorder = Recorder(max_requests, t0 + duration)
    with ThreadPoolExecutor(users) as people:
        pages = list(people.map(lambda p: run_user(base, p, recorder, t0), plans))
    return LoadResult(
        tuple(recorder.samples), time.monotonic() - t0, users, sum(p is not None for p in pages)
    )


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def report(
    result: LoadResult, memory: TreeMemory, before: TreeMemory, server_cpu: float, client_cpu: float,
    header: Sequence[str], server_log: str,
) -> str:  # fmt: skip
    lines = [*header, ""]
    lines.append("| kind | count | 200/204 | 4xx | 5xx | exceptions | p50 (ms) | p95 (ms) | max (ms) |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for k in kind_stats(result.samples):
        lines.append(
            f"| {k.kind} | {k.count} | {k.ok} | {k.refused} | {k.server_errors} | {k.exceptions} | "
            f"{k.p50:.0f} | {k.p95:.0f} | {k.max:.0f} |"
        )
    n = len(result.requests)
    mib = 1024 * 1024
    lines += [
        "",
        f"- requests: {n} in {result.seconds:.0f} s ({n / result.seconds:.1f}/s) from {result.users} users "
        f"({result.finished_users} finished every action); server errors (5xx): {result.server_errors}; "
        f"exceptions: {result.exceptions}; refused (4xx): {result.refused}; tracebacks in the server log: "
        f"{server_log.count('Traceback')}; gunicorn worker timeouts: {server_log.count('WORKER TIMEOUT')}, "
        f"workers booted: {server_log.count('Booting worker')}",
        f"- gunicorn master + workers: peak RSS {memory.rss / mib:.0f} MiB summed, peak PSS {memory.pss / mib:.0f} MiB "
        f"summed ({memory.processes} processes; at the start RSS {before.rss / mib:.0f} MiB, PSS {before.pss / mib:.0f} MiB)",
        f"- CPU time: server {server_cpu:.0f} s, load generator {client_cpu:.0f} s "
        f"(of {result.seconds * (os.cpu_count() or 1):.0f} core-seconds)",
    ]
    failed = Counter(f"{s.kind}: {s.error}" for s in result.requests if s.error)
    lines += [f"- failed request: {what} (x{n})" for what, n in failed.most_common(8)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", type=Path, help="log folder to serve (default: the bundled demo logs)")
    parser.add_argument(
        "--synthetic-classes", type=int, help="serve a SYNTHETIC log of this many classes instead"
    )
    parser.add_argument("--synthetic-steps", type=int, default=50)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--actions", type=int, default=8, help="actions per user after the first view")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 4.0), metavar=("MIN", "MAX"))
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds over which the users arrive")
    parser.add_argument("--duration", type=float, default=180.0, help="no action starts after this (s)")
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="the page's live-update interval")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cf-bench-load-") as tmp:
        if args.synthetic_classes:
            from benchmarks.gen_many_classes import generate

            logdir = Path(tmp) / "logs"
            generate(logdir, args.synthetic_classes, args.synthetic_steps)
            what = (
                f"SYNTHETIC log (benchmarks/gen_many_classes.py): {args.synthetic_classes} classes, "
                f"{args.synthetic_steps} steps, 3 series"
            )
        else:
            from confusionflow.app.config import DEMO_LOGDIR

            logdir = args.logdir or DEMO_LOGDIR
            what = f"log folder {logdir.relative_to(REPO) if logdir.is_relative_to(REPO) else logdir}"
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as log:
            proc, base, command = start_serve(
                logdir, Path(tmp) / "cache", log,
                workers=args.workers, threads=args.threads, poll_seconds=args.poll_seconds,
            )  # fmt: skip
            try:
                load_before = uptime()
                before = tree_memory(proc.pid)
                sampler = PeakMemory(proc.pid)
                sampler.start()
                cpu0 = cpu_seconds(process_tree(proc.pid))
                client0 = resource.getrusage(resource.RUSAGE_SELF)
                result = run_load(
                    base, users=args.users, actions=args.actions, think=tuple(args.think), ramp=args.ramp,
                    duration=args.duration, max_requests=args.max_requests, seed=args.seed,
                )  # fmt: skip
                client1 = resource.getrusage(resource.RUSAGE_SELF)
                server_cpu = cpu_seconds(process_tree(proc.pid)) - cpu0
                peak = sampler.stop()
                load_after = uptime()
            finally:
                os.killpg(proc.pid, 15)
                proc.wait(30)
        server_log = log_path.read_text(errors="replace")
    client_cpu = (client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime)
    shown = " ".join(c if c != sys.executable else ".venv/bin/python" for c in command)
    header = [
        f"Machine: {machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"Command: `.venv/bin/python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}`",
        f"Server: `{shown}` on {what}",
        f"{args.users} users, {args.actions} actions each, think {args.think[0]:g}-{args.think[1]:g} s, "
        f"arriving over {args.ramp:g} s; budget {args.max_requests} requests / {args.duration:g} s",
        f"uptime before: `{load_before}`",
        f"uptime after: `{load_after}`",
    ]
    print(report(result, peak, before, server_cpu, client_cpu, header, server_log))


if __name__ == "__main__":
    main()
