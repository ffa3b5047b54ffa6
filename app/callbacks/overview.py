"""The overview of a many-class matrix and the class selection made on it.

Above :data:`~confusionflow.app.callbacks.common.OVERVIEW_MIN_CLASSES` classes the matrix panel shows the whole
C x C matrix as one heatmap, or from
:data:`~confusionflow.components.overview_figure.PICTURE_MIN_CLASSES` classes on as one picture
(``confusionflow.components.overview_figure``): the value at the epoch (or the
range's last step), the change over the range, or the difference between two series. A box drag,
a cell click (its true and predicted class) or a strategy click sets the class picker's value;
from there the ordinary selection path (chips, URL, "(other)") takes over, and the ConfusionFlow
small multiples draw that sub-matrix from the sparse counts. Everything the browser sends is
bounded here: the box is decoded against the order the server computes, at most
:data:`~confusionflow.app.callbacks.common.MAX_DETAIL_CLASSES` classes are selected, k is clamped to 1..C.

The picture's hover is answered here: a picture only knows colours, so the browser copies the
hovered position into ``OVERVIEW_HOVER`` (clientside ``overviewHover``, only for the picture) and
:func:`hover_answer` fills a ``dcc.Tooltip`` with true class, predicted class and the exact value.
Why a server answer and not a table sent with the figure: the values are exact for any density
(the synthetic log's matrices hold up to 30 non-zero cells a row, a table of them would be ~320 kB
of base64 at 1000 classes, more than the picture itself, and a denser log's matrix 8 MB), and each
overview build sends nothing for the hover. Each hover costs one small request; the values come
from :data:`_VALUES`, the memo the overview build just filled, and the position is checked
against the server's class count (:func:`~confusionflow.components.overview_figure.position_of`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import dash
import numpy as np
from dash import ClientsideFunction, Input, Output, State, ctx, html

from confusionflow.app.callbacks.common import (
    DEFAULT_WORST,
    MAX_DETAIL_CLASSES,
    Selection,
    load_series,
    superclass_mapping,
)
from confusionflow.app.callbacks.inputs import Bounds, finite, parse_inputs, step_range_of, text
from confusionflow.components import ids
from confusionflow.components.figure_style import empty_figure
from confusionflow.components.overview_figure import (
    box_from_selected_data,
    cell_hover,
    classes_in_box,
    escape_name,
    overview_figure,
    position_of,
    uses_picture,
)
from confusionflow.components.overview_panel import (
    DEFAULT_K,
    OVERVIEW_HEIGHT,
    OVERVIEW_KINDS,
    PANEL_HIDDEN,
    PANEL_SHOWN,
    overview_graph,
)
from confusionflow.data_access.hierarchy import Hierarchy
from confusionflow.data_access.hierarchy_source import path_order
from confusionflow.data_access.ordering import (
    CLASS_ORDERS,
    order_as_logged,
    order_by_confusion,
    order_by_group,
)
from confusionflow.data_access.overview_values import OverviewValues, overview_values
from confusionflow.data_access.sparse_counts import SparseCounts
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.strategies import STRATEGIES, StrategyError, apply_strategy
from confusionflow.data_access.vocabulary import is_normalization


@dataclass(frozen=True)
class OverviewChoice:
    """Which values the overview shows, resolved against the server's steps and series.

    series: the first shown series; other: the subtracted one (difference only); step: the epoch
    inside the range, else the range's last logged step of ``series``; start: the range's first.
    """

    kind: str
    series: str
    other: str | None
    step: float
    start: float
    order: str
    # the class hierarchy the "group" order follows (the series' active one, LogStore.hierarchy)
    hierarchy: Hierarchy | None = field(default=None, compare=False)


def counts_hierarchy(store: LogStore, counts: SparseCounts) -> Hierarchy | None:
    """The active hierarchy of the counts' first series (None without one)."""
    return store.hierarchy(counts.series[0]) if counts.series else None


def logged_steps(counts: SparseCounts, key: str) -> np.ndarray:
    """``(T_s,)`` the steps series ``key`` logged."""
    return counts.steps[counts.mask[counts.series_keys.index(key)]]


def resolve_choice(
    counts: SparseCounts,
    kind: object,
    other: object,
    order: object,
    step_range: object,
    epoch: object,
    hierarchy: Hierarchy | None = None,
) -> OverviewChoice:
    """The overview's values for these (browser) inputs; unknown values read as the defaults.
    ``hierarchy``: the series' class hierarchy, for the "group" order."""
    series = counts.series_keys[0]
    steps = logged_steps(counts, series)
    lo, hi = step_range_of(step_range) or (float(steps[0]), float(steps[-1]))
    inside = steps[(steps >= lo) & (steps <= hi)]
    inside = inside if inside.size else steps
    chosen = finite(epoch)
    step = chosen if chosen is not None and chosen in set(inside.tolist()) else float(inside[-1])
    kind = kind if kind in OVERVIEW_KINDS else "step"
    others = [k for k in counts.series_keys if k != series]
    other_key = other if isinstance(other, str) and other in others else (others[0] if others else None)
    if kind == "difference" and other_key is None:
        kind = "step"
    return OverviewChoice(
        kind=kind,
        series=series,
        other=other_key if kind == "difference" else None,
        step=step,
        start=float(inside[0]),
        order=order if order in CLASS_ORDERS else "logged",
        hierarchy=hierarchy,
    )


class _CountsMemo:
    """A tiny LRU of results computed from one :class:`SparseCounts` (class orders: seriating 1000
    classes costs tens of ms; the overview's values, 4 MB each at 1000 classes, which a hover reads
    instead of recomputing them). Keyed by the counts' identity and ``key``; each entry keeps its
    counts, so a reused ``id`` never answers for other counts."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, tuple[SparseCounts, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or(self, counts: SparseCounts, key: tuple, make: Any) -> Any:
        full = (id(counts), *key)
        with self._lock:
            hit = self._items.get(full)
            if hit is not None and hit[0] is counts:
                self._items.move_to_end(full)
                return hit[1]
        value = make()
        with self._lock:
            self._items[full] = (counts, value)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


_ORDERS = _CountsMemo(16)
_VALUES = _CountsMemo(4)


def class_order(counts: SparseCounts, choice: OverviewChoice) -> np.ndarray:
    """``(C,)`` positions -> class index for the chosen order. The group order follows the active
    hierarchy (``choice.hierarchy``: every level's groups side by side; without one the run's
    superclasses, else the logged order); the confusion order seriates the shown series' matrix
    at the shown step."""
    if choice.order == "group":
        if choice.hierarchy is not None:
            return path_order(choice.hierarchy, counts.classes)
        mapping = superclass_mapping(counts.series[0]) if counts.series else None
        return order_by_group(counts.classes, mapping) if mapping else order_as_logged(counts.n_classes)
    if choice.order == "confusion":
        s = counts.series_keys.index(choice.series)
        t = int(np.searchsorted(counts.steps, choice.step))
        return _ORDERS.get_or(counts, (s, t), lambda: order_by_confusion(counts.matrix(s, t)))
    return order_as_logged(counts.n_classes)


def choice_values(counts: SparseCounts, choice: OverviewChoice, normalization: object) -> OverviewValues:
    """The overview's values for ``choice`` (memoized; StrategyError propagates)."""
    norm = normalization if is_normalization(normalization) else None
    key = (choice.kind, choice.series, choice.other, choice.step, choice.start, norm)
    return _VALUES.get_or(
        counts,
        key,
        lambda: overview_values(
            counts,
            choice.kind,  # type: ignore[arg-type]
            series=choice.series,
            step=choice.step,
            start=choice.start,
            other_series=choice.other,
            normalization=norm,
        ),
    )


def overview_update(counts: SparseCounts, choice: OverviewChoice, normalization: object) -> tuple[Any, str]:
    """``(figure, caption)`` of the overview."""
    norm = normalization if is_normalization(normalization) else None
    try:
        vals = choice_values(counts, choice, normalization)
    except StrategyError as e:
        return empty_figure(str(e)), str(e)
    order = class_order(counts, choice)
    built = overview_figure(
        vals.values,
        counts.classes,
        order,
        title=vals.description,
        signed=vals.signed,
        percent=norm is not None,
        height=OVERVIEW_HEIGHT,
    )
    caption = (
        f"{counts.n_classes} classes, order {CLASS_ORDERS[choice.order]}. Drag a box over a block or "
        "click a cell to select its classes; hover names true class, predicted class and value."
    )
    caption += (
        f" Until classes are selected, the views below show the {min(DEFAULT_WORST, counts.n_classes)} "
        f"classes of lowest F1 of {counts.series_keys[0]} at its last step."
    )
    return built.figure, caption


def ordered(counts: SparseCounts, choice: OverviewChoice, indices: Any) -> list[str]:
    """Class names of ``indices`` in the chosen class order (so the sub-matrix follows it)."""
    pos = np.empty(counts.n_classes, dtype=np.intp)
    pos[class_order(counts, choice)] = np.arange(counts.n_classes)
    idx = sorted({int(i) for i in indices}, key=lambda i: pos[i])
    return [counts.classes[i] for i in idx]


def capped(names: list[str]) -> tuple[list[str], str]:
    if len(names) <= MAX_DETAIL_CLASSES:
        return names, f"{len(names)} classes selected."
    return names[:MAX_DETAIL_CLASSES], (
        f"{len(names)} classes in the box; the first {MAX_DETAIL_CLASSES} in the class order are "
        "selected (the small multiples draw at most that many)."
    )


def k_of(value: object, n_classes: int) -> int:
    """k from the number box, clamped to 1..C (and the sub-matrix cap); default :data:`DEFAULT_K`."""
    number = finite(value)
    k = DEFAULT_K if number is None else int(number)
    return max(1, min(k, n_classes, MAX_DETAIL_CLASSES))


def box_classes(counts: SparseCounts, choice: OverviewChoice, selected: object) -> list[str] | None:
    """The classes of a box drag, in class order (None when it is no box)."""
    box = box_from_selected_data(selected)
    if box is None:
        return None
    idx = classes_in_box(class_order(counts, choice), *box)
    return ordered(counts, choice, idx)


def click_classes(
    counts: SparseCounts, choice: OverviewChoice, click: object, current: list[str]
) -> list[str] | None:
    """The current selection plus the true and predicted class of a clicked cell (None when the
    click names no drawn class): ``point.y`` / ``point.x`` are names on the heatmap, positions in
    the class order on the picture."""
    if not isinstance(click, dict) or not isinstance(click.get("points"), list) or not click["points"]:
        return None
    point = click["points"][0]
    if not isinstance(point, dict):
        return None
    by_name = {escape_name(c): i for i, c in enumerate(counts.classes)}
    order = class_order(counts, choice)
    picked = []
    for axis in ("y", "x"):
        value = point.get(axis)
        if isinstance(value, str):  # the heatmap's category axes: the escaped name
            if value in by_name:
                picked.append(by_name[value])
        else:  # the picture's numeric axes: the position in the class order
            p = position_of(value, counts.n_classes)
            if p is not None:
                picked.append(int(order[p]))
    if not picked:
        return None
    lookup = {c: i for i, c in enumerate(counts.classes)}
    return ordered(counts, choice, [lookup[c] for c in current if c in lookup] + picked)


def strategy_classes(
    counts: SparseCounts, choice: OverviewChoice, name: object, k: object
) -> tuple[list[str], str]:
    """The classes of a strategy and the message saying what they are (StrategyError propagates)."""
    if not isinstance(name, str) or name not in STRATEGIES:
        raise StrategyError(f"unknown strategy {name!r}")
    result = apply_strategy(
        counts,
        name,  # type: ignore[arg-type]
        k_of(k, counts.n_classes),
        series=choice.series,
        step=choice.step,
        start=choice.start,
        other_series=choice.other or next((s for s in counts.series_keys if s != choice.series), None),
    )
    names = ordered(counts, choice, result.indices)
    message = f"{len(names)} classes: {result.description}."
    note = k_note(counts, choice.series, k) or result.note
    return names, f"{message} {note}" if note else message


def k_note(counts: SparseCounts, series: str, k: object) -> str | None:
    """Why fewer classes than the k typed were selected (None when k was used as typed): more than
    the classes of the series' file (naming it and their number), or more than the small
    multiples draw."""
    number = finite(k)
    n, cap = counts.n_classes, MAX_DETAIL_CLASSES
    if number is None or number <= min(n, cap):
        return None
    asked = f"k = {int(number)}" if abs(number) < 1e15 else f"k = {number:g}"
    if number > n:
        file = counts.series[counts.series_keys.index(series)].file
        chosen = (
            f": all {n} are selected"
            if n <= cap
            else f"; the small multiples draw at most {cap}, the first are selected"
        )
        return f"{asked} is more than the {n} classes of {file}{chosen}."
    return f"{asked}: the small multiples draw at most {cap} classes, the first {cap} are selected."


def selection_from_overview(
    counts: SparseCounts,
    choice: OverviewChoice,
    trigger: object,
    *,
    selected: object = None,
    click: object = None,
    strategy: object = None,
    k: object = None,
    current: list[str] | None = None,
) -> tuple[Any, Any]:
    """``(class picker value or no_update, message or no_update)`` after ``trigger`` fired.

    An event that selects nothing (Plotly clearing ``selectedData`` when the overview redraws, a
    click on no drawn class) leaves both the selection and the message as they are: the message
    keeps saying what the last real selection chose."""
    try:
        if trigger == ids.STRATEGY_APPLY:
            names, message = strategy_classes(counts, choice, strategy, k)
        elif trigger == ids.OVERVIEW_GRAPH and selected is not None:
            found = box_classes(counts, choice, selected)
            if found is None:
                return dash.no_update, dash.no_update
            names, message = capped(found)
        elif trigger == ids.OVERVIEW_GRAPH:
            found = click_classes(counts, choice, click, list(current or []))
            if found is None:
                return dash.no_update, dash.no_update
            names, message = capped(found)
        else:
            return dash.no_update, dash.no_update
    except StrategyError as e:
        return dash.no_update, str(e)
    if len(names) < 2:
        return dash.no_update, "Select at least two classes (a confusion matrix needs two)."
    return names, message


def _sparse(store: LogStore, selection: Selection) -> SparseCounts | None:
    tensor, _ = load_series(store, selection.series)
    return tensor if isinstance(tensor, SparseCounts) else None


OVERVIEW_OUTPUTS = {
    "figure": Output(ids.OVERVIEW_GRAPH, "figure"),
    "style": Output(ids.OVERVIEW_PANEL, "style"),
    "caption": Output(ids.OVERVIEW_CAPTION, "children"),
    "others": Output(ids.OVERVIEW_OTHER, "options"),
    "k_max": Output(ids.STRATEGY_K, "max"),
    # a new overview graph, only when the panel is shown again (or for the first time on a page
    # that opened with 40 classes or fewer, whose slot holds a stand-in: overview_graph_stand_in)
    "graph": Output(ids.OVERVIEW_GRAPH_SLOT, "children"),
}
OVERVIEW_INPUTS = {
    # the shown series, not the selection: a new class selection leaves the overview as it is
    "keys": Input(ids.SERIES_KEYS, "data"),
    "step_range": Input(ids.RANGE_STORE, "data"),
    "epoch": Input(ids.EPOCH_STORE, "data"),
    "kind": Input(ids.OVERVIEW_KIND, "value"),
    "other": Input(ids.OVERVIEW_OTHER, "value"),
    "order": Input(ids.OVERVIEW_ORDER, "value"),
    "normalization": Input(ids.NORMALIZATION, "value"),
}


OVERVIEW_STEP_STATE = {
    "step_range": State(ids.RANGE_STORE, "data"),
    "epoch": State(ids.EPOCH_STORE, "data"),
    "normalization": State(ids.NORMALIZATION, "value"),
}
# what makes the overview callback fire besides OVERVIEW_STEPS (OVERVIEW_INPUTS less the steps)
OVERVIEW_TRIGGERS = {k: v for k, v in OVERVIEW_INPUTS.items() if k not in OVERVIEW_STEP_STATE}
# whether the panel is shown now: a hidden one may hold no graph yet (a new one is sent)
OVERVIEW_SHOWN_STATE = {"panel_style": State(ids.OVERVIEW_PANEL, "style")}


def overview_answer(
    store: LogStore, keys, step_range, epoch, kind, other, order, normalization, panel_style=PANEL_SHOWN
) -> dict:
    """The overview callback's answer, by ``OVERVIEW_OUTPUTS`` name (the first view's comes with the
    layout: app/first_figures.py). ``panel_style``: the panel's style in the page (browser input,
    only compared); while it is not :data:`PANEL_SHOWN` the page may hold a stand-in instead of the
    graph, so a shown overview comes as a new graph holding its figure."""
    page = parse_inputs({"series_keys": keys}, Bounds.of(store.list_series()))
    counts = _sparse(store, Selection(series=page.series_keys))
    if counts is None:
        return {
            "figure": dash.no_update,
            "style": PANEL_HIDDEN,
            "caption": "",
            "others": [],
            "k_max": 40,
            "graph": dash.no_update,
        }
    choice = resolve_choice(counts, kind, other, order, step_range, epoch, counts_hierarchy(store, counts))
    figure, caption = overview_update(counts, choice, normalization)
    others = [{"label": k, "value": k} for k in counts.series_keys[1:]]
    mounted = panel_style == PANEL_SHOWN
    return {
        "figure": figure if mounted else dash.no_update,
        "graph": dash.no_update if mounted else overview_graph(figure),
        "style": PANEL_SHOWN,
        "caption": caption,
        "others": others,
        "k_max": min(counts.n_classes, MAX_DETAIL_CLASSES),
    }


OVERVIEW_HOVER_OUTPUTS = {
    "show": Output(ids.OVERVIEW_TOOLTIP, "show"),
    "bbox": Output(ids.OVERVIEW_TOOLTIP, "bbox"),
    "children": Output(ids.OVERVIEW_TOOLTIP, "children"),
}
OVERVIEW_HOVER_STATE = {
    "keys": State(ids.SERIES_KEYS, "data"),
    "step_range": State(ids.RANGE_STORE, "data"),
    "epoch": State(ids.EPOCH_STORE, "data"),
    "kind": State(ids.OVERVIEW_KIND, "value"),
    "other": State(ids.OVERVIEW_OTHER, "value"),
    "order": State(ids.OVERVIEW_ORDER, "value"),
    "normalization": State(ids.NORMALIZATION, "value"),
}
HIDDEN_TOOLTIP = {"show": False, "bbox": dash.no_update, "children": dash.no_update}
BBOX_LIMIT = 100_000.0  # px: a hovered cell's box lies inside the graph


def bbox_of(value: object) -> dict[str, float] | None:
    """The hovered point's box ``{x0, x1, y0, y1}`` (browser input: four finite numbers, clamped
    to +-:data:`BBOX_LIMIT`), else None."""
    if not isinstance(value, dict):
        return None
    out = {}
    for key in ("x0", "x1", "y0", "y1"):
        number = finite(value.get(key))
        if number is None:
            return None
        out[key] = max(-BBOX_LIMIT, min(BBOX_LIMIT, number))
    return out


def hover_children(hover: Any) -> list[Any]:
    """The tooltip's lines; names are text children (React sets them as text, never markup)."""
    return [
        html.Div(["true: ", html.B(hover.true, className="cf-hover-true")]),
        html.Div(["predicted: ", html.B(hover.predicted, className="cf-hover-predicted")]),
        html.Div(hover.value, className="cf-hover-value"),
    ]


def hover_answer(
    store: LogStore, hover: object, keys, step_range, epoch, kind, other, order, normalization
) -> dict:
    """The picture's tooltip for the hovered position (``{"x", "y", "bbox"}`` from the browser),
    hidden outside the matrix, on a cell not drawn, and when the overview is no picture."""
    if not isinstance(hover, dict):
        return HIDDEN_TOOLTIP
    bbox = bbox_of(hover.get("bbox"))
    page = parse_inputs({"series_keys": keys}, Bounds.of(store.list_series()))
    counts = _sparse(store, Selection(series=page.series_keys))
    if bbox is None or counts is None or not uses_picture(counts.n_classes):
        return HIDDEN_TOOLTIP
    if (
        position_of(hover.get("x"), counts.n_classes) is None
        or position_of(hover.get("y"), counts.n_classes) is None
    ):
        return HIDDEN_TOOLTIP
    choice = resolve_choice(counts, kind, other, order, step_range, epoch, counts_hierarchy(store, counts))
    try:
        vals = choice_values(counts, choice, normalization)
    except StrategyError:
        return HIDDEN_TOOLTIP
    norm = normalization if is_normalization(normalization) else None
    cell = cell_hover(
        vals.values,
        counts.classes,
        class_order(counts, choice),
        hover.get("x"),
        hover.get("y"),
        signed=vals.signed,
        percent=norm is not None,
    )
    if cell is None:
        return HIDDEN_TOOLTIP
    return {"show": True, "bbox": bbox, "children": hover_children(cell)}


def register(app: dash.Dash, store: LogStore) -> None:
    # the layout carries the first view's answer (app/first_figures.py)
    # the range, epoch and normalisation reach the overview through OVERVIEW_STEPS, which the
    # browser copies only while the overview is shown (and again, if they moved, when it is shown
    # again: app/callbacks/matrix_views.py); the callback reads them as state
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="overviewSteps"),
        Output(ids.OVERVIEW_STEPS, "data"),
        Input(ids.RANGE_STORE, "data"),
        Input(ids.EPOCH_STORE, "data"),
        Input(ids.NORMALIZATION, "value"),
        Input(ids.MATRIX_VIEW, "data"),
        State(ids.OVERVIEW_PANEL, "style"),
        State(ids.OVERVIEW_STEPS, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        output=OVERVIEW_OUTPUTS,
        inputs={**OVERVIEW_TRIGGERS, "moved": Input(ids.OVERVIEW_STEPS, "data")},
        state={**OVERVIEW_STEP_STATE, **OVERVIEW_SHOWN_STATE},
        prevent_initial_call=True,
    )
    def update_overview(moved, **raw):
        return overview_answer(store, **raw)

    # the picture's hover: the browser copies the hovered position (picture points only) into
    # OVERVIEW_HOVER, the server names the cell (see the module docstring)
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="overviewHover"),
        Output(ids.OVERVIEW_HOVER, "data"),
        Input(ids.OVERVIEW_GRAPH, "hoverData"),
        State(ids.OVERVIEW_HOVER, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        output=OVERVIEW_HOVER_OUTPUTS,
        inputs={"hover": Input(ids.OVERVIEW_HOVER, "data")},
        state=OVERVIEW_HOVER_STATE,
        prevent_initial_call=True,
    )
    def update_overview_hover(hover, **raw):
        return hover_answer(store, hover, **raw)

    # a box drag reaches the selection callback through OVERVIEW_BOX, which the browser fills only
    # with a box: the empty selection Plotly reports when a redraw drops the box (every range
    # change on a many-class page) asks for nothing, and holds none of the server's threads
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="overviewBox"),
        Output(ids.OVERVIEW_BOX, "data"),
        Input(ids.OVERVIEW_GRAPH, "selectedData"),
        prevent_initial_call=True,
    )

    @app.callback(
        output={
            "value": Output(ids.CLASS_DROPDOWN, "value", allow_duplicate=True),
            "message": Output(ids.STRATEGY_MESSAGE, "children"),
            # a selection made here is shown: the matrix panel switches to the sub-matrix
            "view": Output(ids.MATRIX_VIEW, "data", allow_duplicate=True),
        },
        inputs={
            "selected": Input(ids.OVERVIEW_BOX, "data"),
            "click": Input(ids.OVERVIEW_GRAPH, "clickData"),
            "apply": Input(ids.STRATEGY_APPLY, "n_clicks"),
        },
        state={
            "selection": State(ids.SELECTION, "data"),
            "step_range": State(ids.RANGE_STORE, "data"),
            "epoch": State(ids.EPOCH_STORE, "data"),
            "kind": State(ids.OVERVIEW_KIND, "value"),
            "other": State(ids.OVERVIEW_OTHER, "value"),
            "order": State(ids.OVERVIEW_ORDER, "value"),
            "strategy": State(ids.STRATEGY, "value"),
            "k": State(ids.STRATEGY_K, "value"),
        },
        prevent_initial_call=True,
    )
    def select_from_overview(
        selected, click, apply, selection, step_range, epoch, kind, other, order, strategy, k
    ):
        page = parse_inputs({"selection": selection}, Bounds.of(store.list_series()))
        counts = _sparse(store, page.selection)
        if counts is None:
            return {"value": dash.no_update, "message": "", "view": dash.no_update}
        choice = resolve_choice(
            counts, kind, other, order, step_range, epoch, counts_hierarchy(store, counts)
        )
        props = {str(p) for p in (ctx.triggered_prop_ids or {})}
        # the box store and the graph's clicks are one control for selection_from_overview
        trigger = ids.OVERVIEW_GRAPH if ctx.triggered_id == ids.OVERVIEW_BOX else ctx.triggered_id
        value, message = selection_from_overview(
            counts,
            choice,
            trigger,
            selected=selected if f"{ids.OVERVIEW_BOX}.data" in props else None,
            click=click,
            strategy=text(strategy),
            k=k,
            current=list(page.selection.classes),
        )
        return {
            "value": value,
            "message": message,
            "view": dash.no_update if value is dash.no_update else "classes",
        }
