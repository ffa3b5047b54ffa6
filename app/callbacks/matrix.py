"""View A: the ConfusionFlow matrix.

The matrix is rebuilt on the *windowed* tensor (only the steps in the selected range), so zooming in
time gives every step more room. The tile the detail view shows is outlined; a new detail target
only moves the outline (a ``Patch`` of the shapes). Changing only the epoch: the browser moves the marker itself
(``moveEpochMarkers``, see ``app/callbacks/timeline.py``); in the line encoding the grey background
of that epoch comes as a ``Patch``. Every ``Patch`` restates the marker of the current epoch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import dash
from dash import ClientsideFunction, Input, Output, Patch, State

from confusionflow.app.callbacks.common import (
    Selection,
    epoch_of,
    over_budget,
    series_colors,
    shown_hierarchy,
    view_tensor,
)
from confusionflow.app.callbacks.inputs import VIEW_INPUTS, Bounds, PageInputs, outputs_of, parse_inputs
from confusionflow.app.config import DEFAULT_MAX_VIEW_CELLS, Settings
from confusionflow.app.recent import PerStore
from confusionflow.app.state import NORMALIZATION_LABELS, DetailTarget, clamp_gamma
from confusionflow.components import ids, wording
from confusionflow.components.colors import PALETTE
from confusionflow.components.figure_style import empty_figure
from confusionflow.components.matrix import (
    CellTarget,
    MatrixStyle,
    apply_update,
    build_matrix_figure,
    colorscale_update,
    drawn_style,
    epoch_marker_update,
    matrix_geometry,
    outline_update,
)
from confusionflow.components.matrix.style import parse_encoding, parse_scale
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.tensor import OTHER_CLASS, ConfusionTensor
from confusionflow.data_access.views import matrix_values
from confusionflow.data_access.vocabulary import (
    Normalization,
    format_step,
    parse_normalization,
    shared_step_name,
)

MATRIX_OUTPUTS = {
    "figure": Output(ids.MATRIX_GRAPH, "figure"),
    "meta": Output(ids.MATRIX_META, "data"),
    "caption": Output(ids.MATRIX_CAPTION, "children"),
    "note": Output(ids.NORMALIZATION_NOTE, "children"),
    "encoding_class": Output(ids.ENCODING, "className"),
}
SEGMENTED = "cf-segmented"
# the toolbar's encoding control when lines were asked for but heatmaps are drawn: the CSS
# highlights the heatmap option (what is on screen) and marks the lines option as not drawn
FELL_BACK = "cf-segmented cf-encoding-fell-back"
MATRIX_INPUTS = {
    **VIEW_INPUTS,
    "encoding": Input(ids.ENCODING, "value"),
    "rotate": Input(ids.ROTATE, "value"),
    "normalization": Input(ids.NORMALIZATION, "value"),
    "scale": Input(ids.SCALE, "value"),
    "gamma": Input(ids.GAMMA, "value"),
    # an input, not a state: Dash then runs this callback after the detail target settled (a new
    # class selection may send the target back to overall accuracy)
    "detail": Input(ids.DETAIL_TARGET, "data"),
}
Response = Literal["skip", "patch", "rebuild"]


@dataclass(frozen=True)
class MatrixUpdate:
    """What the matrix callback sets (``dash.no_update`` for what stays)."""

    figure: Any
    meta: Any
    caption: Any
    note: Any
    encoding_class: Any = SEGMENTED


def normalization_note(normalization: Normalization | None, tensor: ConfusionTensor | None) -> str:
    """The note under the toolbar for the drawn tensor: every denominator it uses, in words
    (``confusionflow.components.wording``), and whether totals reach past the drawn classes."""
    partial = tensor is not None and tensor.is_partial
    other = tensor is not None and partial and OTHER_CLASS in tensor.classes
    return wording.normalization_note(normalization, partial=partial, other=other)


def matrix_style(
    encoding: object, rotate: object, scale: object, gamma: object, epoch: object
) -> MatrixStyle:
    """The builder's style from the toolbar values (anything unknown -> the default)."""
    return MatrixStyle(
        encoding=parse_encoding(encoding),
        rotate=isinstance(rotate, list) and "rotate" in rotate,
        scale=parse_scale(scale),
        gamma=clamp_gamma(gamma),
        epoch=epoch_of(epoch),
    )


def normalization_of(value: object) -> Normalization | None:
    return parse_normalization(value)


def outlined_tile(target: DetailTarget, classes: tuple[str, ...]) -> CellTarget | None:
    """The matrix tile the detail view's ``target`` names, by class index into ``classes``, or None
    when it names no tile of this matrix (a class-performance metric, a class not drawn)."""
    index = {name: i for i, name in enumerate(classes)}
    true = index.get(target.true) if target.true is not None else None
    pred = index.get(target.pred) if target.pred is not None else None
    if target.kind == "accuracy":
        return CellTarget("accuracy", None, None)
    if target.kind == "cell" and true is not None and pred is not None:
        return CellTarget("cell", true, pred)
    if target.kind == "fn" and true is not None:
        return CellTarget("fn", true, None)
    if target.kind == "fp" and pred is not None:
        return CellTarget("fp", None, pred)
    return None


def matrix_meta(
    tensor,
    sel: Selection,
    colors: list[str],
    style: MatrixStyle,
    normalization: str | None,
    outline: CellTarget | None = None,
) -> dict:
    """What the drawn matrix shows: enough to decode a click and to tell what a change needs.

    ``encoding``/``rotate`` are what was drawn (lines fall back to heatmaps above
    ``LINES_MAX_CLASSES`` classes), so a click is decoded against the figure on screen.
    ``outline``: the outlined tile as ``[kind, true, pred]`` (class indices), or None.
    """
    return {
        "classes": list(tensor.classes),
        "series": list(sel.series),
        "steps": [float(s) for s in tensor.steps],
        "n_series": tensor.n_series,
        "n_steps": tensor.n_steps,
        "encoding": style.encoding,
        "rotate": style.rotate,
        "scale": style.scale,
        "gamma": style.gamma,
        "epoch": style.epoch,
        "normalization": normalization,
        "colors": list(colors),
        "outline": None if outline is None else [outline.kind, outline.true, outline.pred],
    }


def figure_change(old: object, new: dict) -> str | None:
    """``"epoch"``, ``"colorscale"`` or ``"outline"`` when only that differs from the figure on
    screen (so a ``Patch`` suffices), else None (rebuild)."""
    if not isinstance(old, dict) or set(old) != set(new):
        return None
    differ = {k for k in new if old[k] != new[k]}
    if "epoch" in differ and len(differ) > 1 and old.get("encoding") == new.get("encoding") == "heatmap":
        # a heatmap's epoch is only its markers (the browser moves them without asking, so the
        # meta keeps the epoch of the last answer); an outline or colour-scale Patch restates them
        differ.discard("epoch")
    if differ == {"epoch"}:
        return "epoch"
    if differ == {"outline"}:
        return "outline"
    if differ and differ <= {"scale", "gamma"}:
        return "colorscale"
    return None


def matrix_response(change: str | None, update: dict | None) -> Response:
    """Whether the matrix on screen is left alone, patched or rebuilt.

    ``change`` is :func:`figure_change`'s verdict, ``update`` the Patch recipe for it (None when
    the builder has none for this figure). An epoch move whose recipe changes no trace data
    (heatmaps) is ``"skip"``: the browser already moved the marker (``moveEpochMarkers`` in
    assets/), and a Patch would make dcc.Graph recompute the whole figure for one shape.
    """
    if change is None or update is None:
        return "rebuild"
    if change == "epoch" and not update.get("data"):
        return "skip"
    return "patch"


def style_of(page: PageInputs) -> MatrixStyle:
    """The builder's style from the parsed toolbar values."""
    return MatrixStyle(
        encoding=page.encoding,
        rotate=page.rotate,
        scale=page.scale,
        gamma=page.gamma,
        epoch=page.epoch,
    )


def windowed(tensor: ConfusionTensor, page: PageInputs) -> ConfusionTensor:
    """The tensor restricted to the page's step range (all steps without one)."""
    return tensor.step_window(*page.step_range) if page.step_range is not None else tensor


def view_key(store: LogStore, page: PageInputs, max_cells: int) -> tuple:
    """What a built matrix depends on: the logs' fingerprint, the cell budget and every page
    input the builder reads (selection, colour slots, range, epoch, toolbar, detail target)."""
    return (
        store.fingerprint(),
        max_cells,
        repr(page.selection),
        tuple(sorted(page.slots.items())),
        page.step_range,
        page.epoch,
        page.encoding,
        page.rotate,
        page.normalization,
        page.scale,
        page.gamma,
        repr(page.detail),
    )


# The last rebuilt matrices of each store. Why: a first view builds the same matrix three times
# in a row (the picture in the page's HTML, the picture in the layout, the first matrix callback),
# ~50 ms each at 10 classes and more with the classes. Six entries bound the memory (a 100-class
# figure is a few MB); Dash serialises a figure without changing it, so entries stay as built.
BUILT_MATRICES: PerStore[MatrixUpdate] = PerStore(6)


def matrix_update(
    store: LogStore, page: PageInputs, old_meta: object, max_cells: int = DEFAULT_MAX_VIEW_CELLS
) -> MatrixUpdate:
    """The matrix for the page's inputs: a new figure, a Patch, or nothing new (see
    :func:`matrix_response`); a view over ``max_cells`` is refused with a message instead.

    A rebuild already made for the same logs and inputs is answered from memory
    (``BUILT_MATRICES``) when the figure on screen (``old_meta``) would be rebuilt anyway."""
    cache = BUILT_MATRICES.for_store(store)
    key = view_key(store, page, max_cells)
    built = cache.get(key)
    if built is not None and figure_change(old_meta, built.meta) is None:
        return built
    update = _matrix_update(store, page, old_meta, max_cells)
    if (
        update.meta is not None
        and update.figure is not dash.no_update
        and not isinstance(update.figure, Patch)
    ):
        cache.put(key, update)
    return update


def _matrix_update(store: LogStore, page: PageInputs, old_meta: object, max_cells: int) -> MatrixUpdate:
    """:func:`matrix_update` without its memory."""
    tensor = view_tensor(store, page.selection)
    note = normalization_note(page.normalization, tensor)
    if tensor is None:
        return MatrixUpdate(
            empty_figure("Choose a series to draw its confusion matrix."), None, "", note, SEGMENTED
        )
    tensor = windowed(tensor, page)
    refusal = over_budget(tensor, max_cells) or too_many_series(tensor.n_series)
    if refusal:
        return MatrixUpdate(empty_figure(refusal), None, "", note, SEGMENTED)
    asked = style_of(page)
    # the one place the lines -> heatmap fallback is decided; its note reaches the page
    style, fallback = drawn_style(tensor.n_classes, asked)
    encoding_class = FELL_BACK if fallback else SEGMENTED
    colors = series_colors(page.selection.series, page.slots)
    outline = outlined_tile(page.detail, tensor.classes)
    view = shown_hierarchy(store, page.selection)
    superclasses = view.aggregated
    new_meta = matrix_meta(tensor, page.selection, colors, style, page.normalization, outline)
    values = matrix_values(tensor, page.normalization)
    step_name = shared_step_name(s.step_name for s in tensor.series)
    change = figure_change(old_meta, new_meta)
    update = None
    if change is not None:
        geometry = matrix_geometry(tensor.n_classes, tensor.n_series, tensor.n_steps, style)
        if change == "epoch":
            update = epoch_marker_update(
                values, style, geometry, step_name=step_name, outline=outline, superclasses=superclasses
            )
        elif change == "outline":
            update = outline_update(values, style, geometry, outline)
        else:
            update = colorscale_update(values, style, geometry, outline)
    response = matrix_response(change, update)
    if response == "skip":
        return MatrixUpdate(dash.no_update, new_meta, dash.no_update, dash.no_update, encoding_class)
    if response == "patch" and update is not None:
        # carries the current epoch marker and outline too: the browser moved the marker without
        # this figure
        return MatrixUpdate(
            apply_update(Patch(), update), new_meta, dash.no_update, dash.no_update, encoding_class
        )
    # the builder gets the style asked for: it draws the fallback itself and writes its note
    figure = build_matrix_figure(
        values, colors, asked, step_name=step_name, outline=outline, superclasses=superclasses
    )
    text = caption(tensor.n_series, tensor.classes, tensor.steps, page.normalization, view.caption())
    return MatrixUpdate(figure, new_meta, f"{fallback} · {text}" if fallback else text, note, encoding_class)


MAX_MATRIX_SERIES = len(PALETTE)


def too_many_series(n_series: int) -> str | None:
    """The message when more series are chosen than the matrix tells apart (one palette colour
    each; past the palette colours would repeat and strips would be slivers), else None."""
    if n_series <= MAX_MATRIX_SERIES:
        return None
    return (
        f"The matrix shows up to {MAX_MATRIX_SERIES} series at once: it has {MAX_MATRIX_SERIES} "
        f"distinct series colours, and more would repeat them. {n_series} are chosen; remove "
        f"{n_series - MAX_MATRIX_SERIES} to draw it."
    )


def caption(
    n_series: int, classes: tuple[str, ...], steps, normalization: str | None, level: str = ""
) -> str:
    """The line above the matrix: what its rows, columns and values are. ``level``: the
    hierarchy level in words (``HierarchyView.caption``; empty for plain classes). Plain text: it
    is a Dash component's children, never markup."""
    if len(steps) == 0:
        return ""
    span = f"steps {format_step(steps[0])}–{format_step(steps[-1])}"
    shown = f"{len(classes)} classes · " if not level else f"{len(classes)} rows · {level} · "
    return (
        f"Rows: true class · columns: predicted class · {shown}"
        f"{n_series} series · {span} · values: {NORMALIZATION_LABELS[normalization]} · "
        "click a tile to see it in the detail view"
    )


def rotate_options(encoding: object) -> list[dict]:
    """Rotation applies to the heatmap strips only: in line mode the box is disabled (greyed; its
    hover title says why). The label keeps its width in both encodings, so switching never
    re-wraps the toolbar and moves the matrix."""
    return [{"label": "rotate 90°", "value": "rotate", "disabled": encoding == "lines"}]


def register(app: dash.Dash, store: LogStore, settings: Settings | None = None) -> None:
    max_cells = (settings or Settings()).max_view_cells
    # the layout carries the first view's answers (app/first_figures.py)
    app.callback(Output(ids.ROTATE, "options"), Input(ids.ENCODING, "value"), prevent_initial_call=True)(
        rotate_options
    )

    # A heatmap's only use of the epoch is its markers, which the browser moves
    # (moveEpochMarkers): the epoch is state, and it reaches this callback as an input through
    # MATRIX_EPOCH, which the browser copies only while the drawn matrix is lines (their epoch
    # background is data). The meta then keeps the epoch the figure was built with; every later
    # answer restates the current markers (figure_change).
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="matrixEpoch"),
        Output(ids.MATRIX_EPOCH, "data"),
        Input(ids.EPOCH_STORE, "data"),
        State(ids.MATRIX_META, "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        output=MATRIX_OUTPUTS,
        inputs={
            **{k: v for k, v in MATRIX_INPUTS.items() if k != "epoch"},
            "moved": Input(ids.MATRIX_EPOCH, "data"),
        },
        state={"meta": State(ids.MATRIX_META, "data"), "epoch": State(ids.EPOCH_STORE, "data")},
        prevent_initial_call=True,
    )
    def update_matrix(meta, moved, **raw):
        page = parse_inputs(raw, Bounds.of(store.list_series()))
        return outputs_of(matrix_update(store, page, meta, max_cells), MATRIX_OUTPUTS)
