"""An added series answered with a Patch that appends its traces (the detail and timeline charts).

Why: adding a series rebuilt both charts and resent every series' lines (at 10 classes and 100
steps 19 kB and 39 kB, 2026-12-02). A line chart's existing traces do not change when a series
is appended, as long as everything else the chart was drawn from is the same (the logs, the
target, the range, the class selection, the colour slots: the ``frame``) and the logged steps
(the x of every trace, the union of the series' steps) did not grow.

How it is made safe: the chart's store (``meta``) names the series drawn and a digest of the
frame. When the new series list extends the drawn one and the frame is the same, the chart on
screen is rebuilt here from the drawn series (the same pure builder, the same logs) and compared
with the new build trace by trace (plotly's JSON, typed arrays included): the Patch appends the
new traces and re-sends any drawn trace that differs (the timeline's hover layer, which lists
every series); the layout is sent whole with it (a few kB: title, axes, the epoch marker of
the current epoch, which the browser may have moved without the figure). Anything else is a
new figure. Costs one more build on the server (milliseconds) to save the resend and a decode.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from dash import Patch
from plotly.io.json import to_json_plotly

from confusionflow.app.callbacks.inputs import Bounds, text, texts


def frame_digest(*parts: object) -> str:
    """A short digest of JSON-able ``parts``: equal inputs, equal text."""
    return hashlib.blake2b(
        json.dumps(parts, sort_keys=True, default=str).encode(), digest_size=16
    ).hexdigest()


def chart_meta(series: Sequence[str], frame: str) -> dict[str, Any]:
    """What a line chart draws, for its next call: the series keys in order and the frame digest."""
    return {"series": list(series), "frame": frame}


def drawn_meta(value: object, bounds: Bounds) -> dict[str, Any] | None:
    """The chart's store as the browser sent it back, bounded and typed (None when malformed)."""
    if not isinstance(value, Mapping):
        return None
    frame = text(value.get("frame"), 64)
    if frame is None:
        return None
    return {"series": list(texts(value.get("series"), bounds.series)), "frame": frame}


def appended_series(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The drawn series when ``new`` only appends series to them on the same frame, else None."""
    if old is None or old.get("frame") != new.get("frame"):
        return None
    before, after = list(old.get("series") or []), list(new.get("series") or [])
    if not before or len(after) <= len(before) or after[: len(before)] != before:
        return None
    return tuple(before)


def append_patch(on_screen: go.Figure, built: go.Figure) -> Patch | None:
    """A Patch that turns ``on_screen`` into ``built`` by appending traces, re-sending those of
    its traces that differ (the timeline's hover layer lists every series) and restating the
    layout; None when ``built`` has no more traces, or more than half of the drawn ones differ
    (a new figure is then as small)."""
    old, new = on_screen.to_plotly_json(), built.to_plotly_json()
    n = len(old["data"])
    if len(new["data"]) <= n:
        return None
    changed = [i for i in range(n) if to_json_plotly(old["data"][i]) != to_json_plotly(new["data"][i])]
    if 2 * len(changed) > n:
        return None
    patch = Patch()
    for i in changed:
        patch["data"][i] = new["data"][i]
    patch["data"].extend(new["data"][n:])
    patch["layout"] = new["layout"]
    return patch


def figure_or_append(
    built: go.Figure,
    meta: dict[str, Any],
    drawn: dict[str, Any] | None,
    rebuild: Callable[[tuple[str, ...]], Any],
) -> go.Figure | Patch:
    """``built`` (the chart for the page), or a Patch appending its new traces to the chart on
    screen when ``drawn`` shows the series were only appended (``rebuild(series)`` draws the
    chart for the drawn series, every other input unchanged)."""
    before = appended_series(drawn, meta)
    if before is None:
        return built
    on_screen = rebuild(before)
    if not isinstance(on_screen, go.Figure):
        return built
    patch = append_patch(on_screen, built)
    return built if patch is None else patch
