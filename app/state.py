"""The whole view state, and its URL query string form (so a view can be shared as a link).

Pure: no Dash, no I/O. ``parse_query`` never raises: a value that cannot be understood falls back
to its default, because a shared link that was edited by hand or cut short must still open a page.
``to_query`` writes only what differs from the defaults, so a fresh page has a clean URL.

Query keys::

    s=run/fold (repeated)   series, in the order chosen
    c=class (repeated)      selected classes (none = all)
    other=1                 unselected classes merged into an "(other)" class
    level=2                 classes aggregated to this level of the run's hierarchy (1 = top)
    group=name              the group at that level drilled into (its members shown as classes)
    super=1                 older links: the same as level=1
    enc=lines               matrix encoding (default heatmap)
    rot=1                   heatmap cells rotated 90 degrees
    norm=true|pred|all      relative values and their denominator (default: absolute counts)
    scale=log               colour/axis scale (default linear)
    gamma=0.5               contrast exponent (default 1)
    from=3&to=17            step range, in logged step numbers (default: every step)
    epoch=12                the selected step
    detail=cell&dt=A&dp=B   what the detail view shows (default: overall accuracy)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, quote, urlencode

from confusionflow.components.options import (  # noqa: F401 - re-exported for callers of the URL state
    ENCODINGS,
    GAMMA_DEFAULT,
    GAMMA_MAX,
    GAMMA_MIN,
    NORMALIZATION_LABELS,
    SCALES,
)
from confusionflow.data_access.hierarchy_view import MAX_LEVEL
from confusionflow.data_access.vocabulary import (
    CLASS_METRICS,
    format_step,
    is_detail_kind,
    parse_normalization,
)

# What the detail view can show (confusionflow.data_access.vocabulary): "cell" needs both classes; "fn" the true
# class; "fp" the predicted class; the per-class metrics name their class in ``true``.


@dataclass(frozen=True)
class DetailTarget:
    """What the detail view (C) shows.

    kind: one of :data:`DETAIL_KINDS`.
    true: the ground-truth class of a cell, the class of an FN tile, or the class of a per-class
          metric (precision/recall/F1).
    pred: the predicted class of a cell, or the class of an FP tile.
    """

    kind: str = "accuracy"
    true: str | None = None
    pred: str | None = None

    def is_valid(self) -> bool:
        if self.kind == "accuracy":
            return self.true is None and self.pred is None
        if self.kind == "cell":
            return bool(self.true) and bool(self.pred)
        if self.kind == "fp":
            return bool(self.pred) and self.true is None
        if self.kind in ("fn", *CLASS_METRICS):
            return bool(self.true) and self.pred is None
        return False

    def classes(self) -> tuple[str, ...]:
        """The class names this target refers to (to check they are still selected)."""
        return tuple(c for c in (self.true, self.pred) if c)

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "true": self.true, "pred": self.pred}

    @classmethod
    def from_dict(cls, data: object) -> DetailTarget:
        """From a dcc.Store value; anything malformed gives the default (overall accuracy)."""
        if not isinstance(data, dict):
            return cls()
        kind, true, pred = data.get("kind"), data.get("true"), data.get("pred")
        if not is_detail_kind(kind) or not all(v is None or isinstance(v, str) for v in (true, pred)):
            return cls()
        target = cls(kind, true or None, pred or None)
        return target if target.is_valid() else cls()


@dataclass(frozen=True)
class ViewState:
    """Everything a user can set; equal states draw equal pages."""

    series: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # empty: all classes
    other: bool = False
    level: int = 0  # hierarchy level (0: classes); checked against the hierarchy when drawn
    group: str | None = None  # the group drilled into, at ``level``
    encoding: str = "heatmap"
    rotate: bool = False
    normalization: str | None = None
    scale: str = "linear"
    gamma: float = GAMMA_DEFAULT
    step_range: tuple[float, float] | None = None  # inclusive, logged step numbers; None: all
    epoch: float | None = None
    detail: DetailTarget = field(default_factory=DetailTarget)


DEFAULT_STATE = ViewState()


# --------------------------------------------------------------------------- numbers
def parse_number(text: object) -> float | None:
    """A finite float from a query value, or None."""
    if not isinstance(text, (str, int, float)) or isinstance(text, bool):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def clamp_gamma(value: object) -> float:
    g = parse_number(value)
    if g is None:
        return GAMMA_DEFAULT
    return min(GAMMA_MAX, max(GAMMA_MIN, g))


# --------------------------------------------------------------------------- query string
def _first(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key)
    return values[0] if values else None


def _flag(params: dict[str, list[str]], key: str) -> bool:
    return (_first(params, key) or "").strip().lower() in {"1", "true", "yes", "on"}


MAX_NAME = 512  # characters of a group name in a link


def parse_level(text: str | None) -> int:
    """A hierarchy level from a link: digits 0..MAX_LEVEL, anything else 0."""
    if text is None or not text.isdigit() or len(text) > 3:
        return 0
    value = int(text)
    return value if value <= MAX_LEVEL else 0


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def parse_query(search: str | None) -> ViewState:
    """The view state a query string (with or without its leading ``?``) describes."""
    if not isinstance(search, str):
        return DEFAULT_STATE
    params = parse_qs(search.lstrip("?"), keep_blank_values=False)
    encoding = _first(params, "enc")
    scale = _first(params, "scale")
    norm = _first(params, "norm")
    lo, hi = parse_number(_first(params, "from")), parse_number(_first(params, "to"))
    step_range = None
    if lo is not None and hi is not None:
        step_range = (min(lo, hi), max(lo, hi))
    detail = DetailTarget.from_dict(
        {
            "kind": _first(params, "detail") or "accuracy",
            "true": _first(params, "dt"),
            "pred": _first(params, "dp"),
        }
    )
    level = parse_level(_first(params, "level")) or (1 if _flag(params, "super") else 0)
    group = _first(params, "group")
    return ViewState(
        series=_unique(params.get("s", [])),
        classes=_unique(params.get("c", [])),
        other=_flag(params, "other"),
        level=level,
        group=group if level and group and len(group) <= MAX_NAME else None,
        encoding=encoding if encoding in ENCODINGS else DEFAULT_STATE.encoding,
        rotate=_flag(params, "rot"),
        normalization=parse_normalization(norm),
        scale=scale if scale in SCALES else DEFAULT_STATE.scale,
        gamma=clamp_gamma(_first(params, "gamma")) if "gamma" in params else GAMMA_DEFAULT,
        step_range=step_range,
        epoch=parse_number(_first(params, "epoch")),
        detail=detail,
    )


def to_query(state: ViewState) -> str:
    """``?``-prefixed query string for ``state`` (only non-default values), or ``""``."""
    pairs: list[tuple[str, str]] = [("s", k) for k in state.series]
    pairs += [("c", c) for c in state.classes]
    if state.other:
        pairs.append(("other", "1"))
    if state.level:
        pairs.append(("level", str(state.level)))
        if state.group:
            pairs.append(("group", state.group))
    if state.encoding != DEFAULT_STATE.encoding:
        pairs.append(("enc", state.encoding))
    if state.rotate:
        pairs.append(("rot", "1"))
    if state.normalization is not None:
        pairs.append(("norm", state.normalization))
    if state.scale != DEFAULT_STATE.scale:
        pairs.append(("scale", state.scale))
    if state.gamma != GAMMA_DEFAULT:
        pairs.append(("gamma", format_step(state.gamma)))
    if state.step_range is not None:
        pairs += [("from", format_step(state.step_range[0])), ("to", format_step(state.step_range[1]))]
    if state.epoch is not None:
        pairs.append(("epoch", format_step(state.epoch)))
    if state.detail != DetailTarget():
        pairs.append(("detail", state.detail.kind))
        if state.detail.true:
            pairs.append(("dt", state.detail.true))
        if state.detail.pred:
            pairs.append(("dp", state.detail.pred))
    if not pairs:
        return ""
    # keep '/' readable in series keys; everything else is percent-encoded
    return "?" + urlencode(pairs, quote_via=quote, safe="/")


def normalize_state(state: ViewState) -> ViewState:
    """Clamp values a caller built by hand into their valid ranges (used before serialising)."""
    return replace(
        state,
        encoding=state.encoding if state.encoding in ENCODINGS else DEFAULT_STATE.encoding,
        scale=state.scale if state.scale in SCALES else DEFAULT_STATE.scale,
        normalization=parse_normalization(state.normalization),
        gamma=clamp_gamma(state.gamma),
        level=state.level if isinstance(state.level, int) and 0 <= state.level <= MAX_LEVEL else 0,
        group=state.group if state.level and state.group else None,
        detail=state.detail if state.detail.is_valid() else DetailTarget(),
    )
