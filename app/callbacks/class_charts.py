"""View B: precision, recall and F1 per class over time, and instances per class.

Each chart keeps, in its own ``dcc.Store``, a description of what it drew (``*_META``); the next
call compares it with what it would draw now and sends the least that makes the screen right:

* class performance: a change of the step range only (the lines hold every logged step) is a
  ``Patch`` of the three x-axis ranges, the epoch markers and the summary line; an added series
  (the shown ones first, same classes, steps and logs) is a ``Patch`` appending its three traces;
  anything else is a new figure. An epoch move alone is left to the browser (``moveEpochMarkers``).
* class sizes: an added series is a ``Patch`` appending its bars and the new title; anything else
  (the bars count the epoch or each series' last step in the range) is a new figure. The figure
  carries the sizes at every step of the range (``layout.meta.epoch_sizes``), so an epoch move
  alone is left to the browser too (``moveEpochMarkers``): the epoch is the chart's state, and
  its store's frame still names the epoch the figure prop was built for (a later answer whose
  frame differs is a new figure).

The description comes back from the browser, so it is parsed and bounded like every input; it
only ever chooses between a Patch and a rebuild of the server's own numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import dash
import numpy as np
import plotly.graph_objects as go
from dash import ClientsideFunction, Input, Output, Patch, State, ctx

from confusionflow.app.callbacks.common import series_colors, view_tensor
from confusionflow.app.callbacks.inputs import (
    EPOCH_STATE,
    MARKER_VIEW_INPUTS,
    Bounds,
    PageInputs,
    epoch_only,
    outputs_of,
    parse_inputs,
    step_range_of,
    text,
    texts,
)
from confusionflow.components import ids
from confusionflow.components.charts import (
    apply_view,
    build_class_performance_figure,
    build_distribution_figure,
    class_performance_series_traces,
    class_performance_view,
    distribution_title,
    distribution_trace,
    holds_every_step,
    sizes_recipe,
)
from confusionflow.components.figure_style import empty_figure
from confusionflow.data_access import metrics
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.tensor import ConfusionTensor
from confusionflow.data_access.views import support_at, support_by_step
from confusionflow.data_access.vocabulary import format_step, shared_step_name

PERF_OUTPUTS = {"figure": Output(ids.CLASS_PERF_GRAPH, "figure"), "meta": Output(ids.CLASS_PERF_META, "data")}
PERF_STATE = {"drawn": State(ids.CLASS_PERF_META, "data")}
SIZES_OUTPUTS = {
    "figure": Output(ids.DISTRIBUTION_GRAPH, "figure"),
    "meta": Output(ids.DISTRIBUTION_META, "data"),
}
SIZES_STATE = {"drawn": State(ids.DISTRIBUTION_META, "data")}

Change = Literal["view", "append"]


# ----------------------------------------------------------------------------- what a chart drew
def digest(*parts: object, steps: np.ndarray | None = None) -> str:
    """A short digest of JSON-able ``parts`` and a step array: equal inputs, equal text."""
    h = hashlib.blake2b(json.dumps(parts, sort_keys=True, default=str).encode(), digest_size=16)
    if steps is not None:
        h.update(np.ascontiguousarray(steps, dtype=np.float64).tobytes())
    return h.hexdigest()


def performance_meta(
    tensor: ConfusionTensor, page: PageInputs, colors: Sequence[str], fingerprint: str
) -> dict[str, Any]:
    """What the class-performance figure of ``tensor`` for ``page`` draws, for the next call.

    ``series`` and ``colors``: one per drawn series, in order; ``frame``: a digest of everything
    every series' traces and the layout depend on (classes, logged steps, step name, the logs'
    fingerprint); ``every_step``: whether the lines hold every logged step (then ``range`` is None:
    the range is only a view of them), else the range the lines were averaged over.
    """
    every = holds_every_step(tensor.n_series, tensor.n_classes, tensor.n_steps)
    step_name = shared_step_name(s.step_name for s in tensor.series)
    return {
        "classes": list(tensor.classes),
        "series": list(page.selection.series),
        "colors": list(colors),
        "frame": digest(list(tensor.classes), step_name, fingerprint, steps=tensor.steps),
        "every_step": every,
        "range": None if every or page.step_range is None else list(page.step_range),
    }


def sizes_meta(
    tensor: ConfusionTensor, page: PageInputs, colors: Sequence[str], fingerprint: str
) -> dict[str, Any]:
    """What the class-sizes figure for ``page`` draws: the series and colours in order, and a
    digest of what every series' bars depend on (classes, range, epoch, the logs' fingerprint)."""
    return {
        "series": list(page.selection.series),
        "colors": list(colors),
        "frame": digest(list(tensor.classes), page.step_range, page.epoch, fingerprint),
    }


def drawn_of(value: object, bounds: Bounds) -> dict[str, Any] | None:
    """A chart description sent back by the browser, bounded and typed (None when malformed).

    Only the keys :func:`performance_meta` and :func:`sizes_meta` write are kept, each parsed
    like any input, so comparing it costs at most what the caps allow."""
    if not isinstance(value, Mapping):
        return None
    frame = text(value.get("frame"), 64)
    if frame is None:
        return None
    out: dict[str, Any] = {
        "series": list(texts(value.get("series"), bounds.series)),
        "colors": list(texts(value.get("colors"), bounds.series)),
        "frame": frame,
    }
    if "every_step" in value:
        out["every_step"] = value.get("every_step") is True
        rng = step_range_of(value.get("range"))
        out["range"] = None if rng is None else list(rng)
        out["classes"] = list(texts(value.get("classes"), bounds.classes))
    return out


def chart_change(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Change | None:
    """How the chart on screen (described by ``old``) becomes the one described by ``new``:

    * ``"view"``: the same lines (only the range or epoch differs, or nothing);
    * ``"append"``: ``new`` adds series after ``old``'s, with the same colours for those and the
      same frame; for class performance both must hold every logged step (averaging depends on
      the number of series);
    * None: a new figure.
    """
    if old is None:
        return None
    same_frame = old.get("frame") == new.get("frame") and old.get("classes") == new.get("classes")
    needs_every = "every_step" in new
    if not same_frame or (needs_every and old.get("every_step") != new.get("every_step")):
        return None
    series, colors = list(old.get("series", ())), list(old.get("colors", ()))
    if series == new["series"] and colors == new["colors"] and old.get("range") == new.get("range"):
        return "view"
    k = len(series)
    if (
        0 < k < len(new["series"])
        and series == new["series"][:k]
        and colors == new["colors"][:k]
        and (not needs_every or new["every_step"])
    ):
        return "append"
    return None


def as_sent(traces: Sequence[dict]) -> list[dict]:
    """Traces for a ``Patch`` as a figure would send them: validated by plotly, their arrays
    base64-encoded typed arrays (a bare numpy array in a Patch would travel as a JSON list)."""
    return list(go.Figure(data=list(traces)).to_plotly_json()["data"])


# ----------------------------------------------------------------------------- class performance
def class_performance_update(
    store: LogStore, raw: Mapping[str, object], triggered: object, drawn: object = None
) -> dict[str, Any]:
    """Precision, recall and F1 per class over time, for the page's view inputs: a new figure, a
    ``Patch`` (see the module docstring) or nothing new; ``drawn`` is the chart's own store."""
    bounds = Bounds.of(store.list_series())
    page = parse_inputs(raw, bounds)
    tensor = view_tensor(store, page.selection)
    if tensor is not None and epoch_only(triggered):
        # only the epoch moved: the browser moved the dashed markers (moveEpochMarkers); a
        # Patch would make dcc.Graph recompute every line. Every later answer restates them.
        return {"figure": dash.no_update, "meta": dash.no_update}
    if tensor is None:
        return {
            "figure": empty_figure("Choose a series to see precision, recall and F1 per class."),
            "meta": None,
        }
    colors = series_colors(page.selection.series, page.slots)
    meta = performance_meta(tensor, page, colors, store.fingerprint())
    old = drawn_of(drawn, bounds)
    change = chart_change(old, meta)
    step_name = shared_step_name(s.step_name for s in tensor.series)
    labels = [s.label for s in tensor.series]
    m = metrics.tensor_metrics(tensor)
    if change is not None and old is not None:
        patch = Patch()
        if change == "append":
            traces = class_performance_series_traces(
                m,
                tensor.steps,
                tensor.classes,
                labels,
                colors,
                series=range(len(old["series"]), tensor.n_series),
                step_name=step_name,
            )
            patch["data"].extend(as_sent(traces))
        view = class_performance_view(
            tensor.steps, tensor.n_classes, epoch=page.epoch, x_range=page.step_range, step_name=step_name
        )
        return {"figure": apply_view(patch, view), "meta": meta}
    figure = build_class_performance_figure(
        m,
        tensor.steps,
        tensor.classes,
        labels,
        colors,
        epoch=page.epoch,
        x_range=page.step_range,
        step_name=step_name,
    )
    # a figure without lines (no logged step in an averaged range) is nothing to patch later
    return {"figure": figure, "meta": meta if figure.data else None}


# ----------------------------------------------------------------------------- class sizes
def class_sizes_update(store: LogStore, raw: Mapping[str, object], drawn: object = None) -> dict[str, Any]:
    """Instances per class at the epoch (or each series' last step in the range): a new figure,
    or a ``Patch`` appending an added series' bars; ``drawn`` is the chart's own store."""
    bounds = Bounds.of(store.list_series())
    page = parse_inputs(raw, bounds)
    tensor = view_tensor(store, page.selection)
    if tensor is None:
        return {"figure": empty_figure("Choose a series to see its class sizes."), "meta": None}
    colors = series_colors(page.selection.series, page.slots)
    meta = sizes_meta(tensor, page, colors, store.fingerprint())
    if page.step_range is not None:
        tensor = tensor.step_window(*page.step_range)
    support, label = support_at(tensor, page.epoch)
    labels = [s.label for s in tensor.series]
    vectors, index = support_by_step(tensor)
    recipe = sizes_recipe([format_step(x) for x in tensor.steps], tensor.steps, vectors, index)
    old = drawn_of(drawn, bounds)
    change = chart_change(old, meta)
    if change == "append" and old is not None:
        patch = Patch()
        added = range(len(old["series"]), tensor.n_series)
        patch["data"].extend(
            as_sent([distribution_trace(support[s], tensor.classes, labels[s], colors[s]) for s in added])
        )
        patch["layout"]["title"] = distribution_title(label)
        patch["layout"]["meta"] = {"epoch_sizes": recipe} if recipe is not None else None
        return {"figure": patch, "meta": meta}
    figure = build_distribution_figure(
        support, tensor.classes, labels, colors, step_label=label, recipe=recipe
    )
    return {"figure": figure, "meta": meta}


def register(app: dash.Dash, store: LogStore) -> None:
    # the layout carries the first view's answers (app/first_figures.py)
    @app.callback(
        output=PERF_OUTPUTS,
        inputs=MARKER_VIEW_INPUTS,
        state={**PERF_STATE, **EPOCH_STATE},
        prevent_initial_call=True,
    )
    def update_class_performance(drawn, **raw):
        return outputs_of(class_performance_update(store, raw, ctx.triggered_prop_ids, drawn), PERF_OUTPUTS)

    # the epoch is state: an epoch move redraws the bars in the browser (moveEpochMarkers) from
    # the figure's recipe; a figure too large to carry one hears the epoch through SIZES_EPOCH,
    # which the browser fills only then
    app.clientside_callback(
        ClientsideFunction(namespace="confusionflow", function_name="sizesEpoch"),
        Output(ids.SIZES_EPOCH, "data"),
        Input(ids.EPOCH_STORE, "data"),
        State(ids.DISTRIBUTION_GRAPH, "figure"),
        prevent_initial_call=True,
    )

    @app.callback(
        output=SIZES_OUTPUTS,
        inputs={**MARKER_VIEW_INPUTS, "moved": Input(ids.SIZES_EPOCH, "data")},
        state={**SIZES_STATE, **EPOCH_STATE},
        prevent_initial_call=True,
    )
    def update_distribution(drawn, moved, **raw):
        return outputs_of(class_sizes_update(store, raw, drawn), SIZES_OUTPUTS)
