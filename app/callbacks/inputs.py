"""Named callback inputs, parsed once and bounded, and named results checked against the outputs.

Every callback declares its inputs, state and outputs as dicts (Dash calls it with keyword
arguments and takes a dict back). What the browser sent is turned, once per call, into a frozen
:class:`PageInputs` by :func:`parse_inputs`: every value typed and bounded (strings length-capped,
lists capped to the number of known series and classes, numbers finite, unknown keys ignored), so
nothing a browser sends decides how much work the server does; garbage reads as the default.

A callback's pure function returns a frozen dataclass whose fields are named like its outputs;
:func:`outputs_of` turns it into the dict Dash wants and refuses one whose names differ from the
declared outputs (the check an ``Output`` renamed on one side only would otherwise fail late).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import dash
from dash import Input, Output, State

from confusionflow.app.callbacks.common import Selection
from confusionflow.app.state import DetailTarget, clamp_gamma
from confusionflow.components import ids
from confusionflow.components.matrix.style import Encoding, Scale, parse_encoding, parse_scale
from confusionflow.data_access.hierarchy_view import MAX_LEVEL
from confusionflow.data_access.vocabulary import Normalization, parse_normalization

MAX_TEXT = 512  # characters of any one name (series key, class, URL query value)
MAX_QUERY = 16_384  # characters of the URL query string
MAX_SERIES = 1_000  # series one page may name (further capped by the known series)
MAX_CLASSES = 4_096  # classes one page may name (further capped by the known classes)
MAX_STEPS = 1_000_000  # logged steps the selection store may list

# The four inputs every data view redraws on, declared once.
VIEW_INPUTS: dict[str, Input] = {
    "selection": Input(ids.SELECTION, "data"),
    "slots": Input(ids.SLOTS, "data"),
    "step_range": Input(ids.RANGE_STORE, "data"),
    "epoch": Input(ids.EPOCH_STORE, "data"),
}
# The views whose only use of the epoch is its marker (detail, timeline, class performance): the
# browser moves it (moveEpochMarkers), so the epoch is their state, and an epoch move sends them no
# request. Every other change of the epoch comes in the same answer as the range or selection it
# follows (app/callbacks/follow.py, the range callback), so they read it with those inputs.
MARKER_VIEW_INPUTS: dict[str, Input] = {k: v for k, v in VIEW_INPUTS.items() if k != "epoch"}
EPOCH_STATE: dict[str, State] = {"epoch": State(ids.EPOCH_STORE, "data")}


@dataclass(frozen=True)
class Bounds:
    """How many series and classes the server knows: the caps of any list the browser sends."""

    series: int = MAX_SERIES
    classes: int = MAX_CLASSES

    @classmethod
    def of(cls, infos: Any) -> Bounds:
        """From the store's ``list_series()``: its series count and its largest class list."""
        infos = list(infos)
        n_classes = max((len(i.classes) for i in infos), default=0)
        return cls(series=min(MAX_SERIES, len(infos)), classes=min(MAX_CLASSES, n_classes))


DEFAULT_BOUNDS = Bounds()


@dataclass(frozen=True)
class PageInputs:
    """The page's values a callback received, typed and bounded (absent ones at their default)."""

    selection: Selection = field(default_factory=Selection)
    slots: Mapping[str, int] = field(default_factory=dict)
    step_range: tuple[float, float] | None = None
    epoch: float | None = None
    encoding: Encoding = "heatmap"
    rotate: bool = False
    normalization: Normalization | None = None
    scale: Scale = "linear"
    gamma: float = 1.0
    detail: DetailTarget = field(default_factory=DetailTarget)
    url_state: str | None = None  # the query string the page opened with
    series_keys: tuple[str, ...] = ()  # a list of series keys (picker value or shown keys)
    class_value: tuple[str, ...] = ()  # the class picker's value
    class_options: frozenset[str] = frozenset()  # "other" ticked
    level: int = 0  # the hierarchy level control (0: classes)
    group: str | None = None  # the drill-down control (a group name)
    clicks: int = 0  # the n_clicks of the control that fired


# ----------------------------------------------------------------------------- scalar parsers
def finite(value: object) -> float | None:
    """A finite float from a JSON number (never a bool or a string), else None.

    JSON integers have no size limit: one past float's range (a 400-digit literal) is None too."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def text(value: object, limit: int = MAX_TEXT) -> str | None:
    """A non-empty string of at most ``limit`` characters, else None."""
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def texts(value: object, cap: int) -> tuple[str, ...]:
    """Distinct strings of a JSON list, in order, at most ``cap`` of them (others are ignored)."""
    if not isinstance(value, list):
        return ()
    out: dict[str, None] = {}
    for item in value[: cap * 4 + 16]:  # look at a bounded prefix only
        s = text(item)
        if s is not None:
            out[s] = None
            if len(out) >= cap:
                break
    return tuple(out)


def step_range_of(value: object) -> tuple[float, float] | None:
    """A ``[lo, hi]`` store value as an ordered pair of finite numbers, or None."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        return None
    lo, hi = finite(value[0]), finite(value[1])
    if lo is None or hi is None:
        return None
    return (min(lo, hi), max(lo, hi))


def selection_of(value: object, bounds: Bounds) -> Selection:
    """The selection store's JSON, bounded; anything malformed reads as an empty selection."""
    if not isinstance(value, dict):
        return Selection()
    steps = value.get("steps")
    step_values: tuple[float, ...] = ()
    if isinstance(steps, list) and len(steps) <= MAX_STEPS:
        parsed = [finite(s) for s in steps]
        step_values = tuple(s for s in parsed if s is not None)
    return Selection(
        series=texts(value.get("series"), bounds.series),
        classes=texts(value.get("classes"), bounds.classes),
        other=value.get("other") is True,
        # "super": True is the store of pages opened before hierarchy levels (level 1)
        level=level_of(value.get("level")) or (1 if value.get("super") is True else 0),
        steps=step_values,
        group=text(value.get("group")),
    )


def level_of(value: object) -> int:
    """A hierarchy level from the page: a whole number 0..MAX_LEVEL (a JSON number or its text,
    as the level control sends it), else 0 (classes)."""
    if isinstance(value, str) and value.isdigit() and len(value) <= 3:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_LEVEL:
        return value
    return 0


def slots_of(value: object, bounds: Bounds) -> dict[str, int]:
    """``{series key: palette slot}`` with small non-negative slots only."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, int] = {}
    for key, slot in list(value.items())[: bounds.series * 2 + 16]:
        if (
            text(key) is not None
            and isinstance(slot, int)
            and not isinstance(slot, bool)
            and 0 <= slot < 10_000
        ):
            out[key] = slot
    return out


def clicks_of(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53 else 0


# ----------------------------------------------------------------------------- the one parser
def parse_inputs(raw: Mapping[str, object], bounds: Bounds = DEFAULT_BOUNDS) -> PageInputs:
    """A callback's keyword arguments as :class:`PageInputs`; keys it does not know are ignored.

    Never raises, and its work is bounded by ``bounds`` and the caps above whatever was sent.
    """
    values: dict[str, Any] = {}
    if "selection" in raw:
        values["selection"] = selection_of(raw["selection"], bounds)
    if "slots" in raw:
        values["slots"] = slots_of(raw["slots"], bounds)
    if "step_range" in raw:
        values["step_range"] = step_range_of(raw["step_range"])
    if "epoch" in raw:
        values["epoch"] = finite(raw["epoch"])
    if "encoding" in raw:
        values["encoding"] = parse_encoding(raw["encoding"])
    if "rotate" in raw:
        rotate = raw["rotate"]
        values["rotate"] = isinstance(rotate, list) and "rotate" in rotate[:4]
    if "normalization" in raw:
        values["normalization"] = parse_normalization(raw["normalization"])
    if "scale" in raw:
        values["scale"] = parse_scale(raw["scale"])
    if "gamma" in raw:
        gamma = finite(raw["gamma"])
        values["gamma"] = clamp_gamma(gamma) if gamma is not None else 1.0
    if "detail" in raw:
        values["detail"] = DetailTarget.from_dict(raw["detail"])
    if "url_state" in raw:
        query = raw["url_state"]
        values["url_state"] = query if isinstance(query, str) and len(query) <= MAX_QUERY else None
    if "series_keys" in raw:
        values["series_keys"] = texts(raw["series_keys"], bounds.series + 16)
    if "class_value" in raw:
        values["class_value"] = texts(raw["class_value"], bounds.classes)
    if "class_options" in raw:
        values["class_options"] = frozenset(
            o for o in texts(raw["class_options"], 4) if o in ("other", "super")
        )
    if "level" in raw:
        values["level"] = level_of(raw["level"])
    if "group" in raw:
        values["group"] = text(raw["group"])
    if "clicks" in raw:
        values["clicks"] = clicks_of(raw["clicks"])
    return PageInputs(**values)


def epoch_only(triggered: object) -> bool:
    """True when only the epoch fired (``ctx.triggered_prop_ids``): the browser already moved every
    epoch marker (``moveEpochMarkers`` in assets/), so the figures that carry one stay as they are."""
    return prop_ids(triggered) == {f"{ids.EPOCH_STORE}.data"}


def prop_ids(triggered: object) -> set[str]:
    """The ``"id.prop"`` keys of ``ctx.triggered_prop_ids`` (a dict, a list or nothing) as a set."""
    if isinstance(triggered, (dict, list, tuple, set, frozenset)):
        return {str(k) for k in triggered}
    return set()


# ----------------------------------------------------------------------------- named results
def outputs_of(result: object, declared: Mapping[str, Output]) -> dict[str, Any]:
    """The dict Dash wants from a result dataclass (or dict) whose names are ``declared``'s keys.

    Raises TypeError when the names differ: a result that does not fit its outputs is a bug here,
    not something to send to the browser.
    """
    if is_dataclass(result) and not isinstance(result, type):
        values = {f.name: getattr(result, f.name) for f in fields(result)}
    elif isinstance(result, Mapping):
        values = dict(result)
    else:
        raise TypeError(f"expected a result dataclass or dict, got {type(result).__name__}")
    if set(values) != set(declared):
        raise TypeError(f"result names {sorted(values)} differ from the declared outputs {sorted(declared)}")
    return values


def unchanged(declared: Mapping[str, Output]) -> dict[str, Any]:
    """Every declared output left as it is (``no_update``)."""
    return dict.fromkeys(declared, dash.no_update)
