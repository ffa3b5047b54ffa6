"""The counts CSV of the view on screen, streamed from its own route instead of through a callback.

A callback's download travels inside one JSON response (the whole file, base64-encoded, held in
memory several times over). This route writes the same long table (run, fold, step, true, pred,
count; one row per logged step and cell, zeros included) one step at a time, so the server never
holds more than one step's text, and the browser saves it as it arrives. The view comes from the
page's query string (``app.state``'s URL form, the same one the address bar shows), parsed and
bounded; a view over ``Settings.max_view_cells`` is refused with a short message.

Names are written as data: a cell starting with ``= + - @`` (or a tab or carriage return) is
prefixed with ``'`` so a spreadsheet never runs it as a formula (the OWASP CSV-injection rule).
"""

from __future__ import annotations

from collections.abc import Iterator

import flask
import numpy as np

from app.callbacks.common import Selection, over_budget, view_tensor
from app.callbacks.export import EXPORT_PATH, csv_filename
from app.callbacks.inputs import MAX_QUERY, Bounds
from app.config import Settings
from app.state import parse_query
from data_access.store import LogStore
from data_access.tensor import ConfusionTensor
from data_access.vocabulary import format_step

HEADER = "run,fold,step,true,pred,count\n"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """One CSV field: quoted when it holds a comma, quote or line break; formula prefixes defused."""
    if text.startswith(_FORMULA):
        text = "'" + text
    if any(ch in text for ch in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def counts_csv_chunks(tensor: ConfusionTensor) -> Iterator[str]:
    """The long counts table of ``tensor`` as text, the header first, then one chunk per logged
    (series, step): ``C * C`` rows of ``run,fold,step,true,pred,count``."""
    yield HEADER
    names = [csv_cell(c) for c in tensor.classes]
    pairs = [f"{t},{p}," for t in names for p in names]
    series = [(csv_cell(s.run), csv_cell(s.fold)) for s in tensor.series]
    for s, t in zip(*np.nonzero(tensor.mask), strict=True):
        run, fold = series[s]
        prefix = f"{run},{fold},{format_step(float(tensor.steps[t]))},"
        counts = tensor.counts[s, t].reshape(-1).tolist()
        yield "".join([f"{prefix}{pair}{n}\n" for pair, n in zip(pairs, counts, strict=True)])


def export_tensor(store: LogStore, query: str, max_cells: int) -> tuple[ConfusionTensor, Selection] | str:
    """The tensor a query string's view exports (its series, classes and step range), or why not."""
    state = parse_query(query[:MAX_QUERY])
    bounds = Bounds.of(store.list_series())
    selection = Selection(
        series=state.series[: bounds.series],
        classes=state.classes[: bounds.classes],
        other=state.other,
        superclasses=state.superclasses,
    )
    tensor = view_tensor(store, selection)
    if tensor is None:
        return "Nothing to export: choose a series first."
    if state.step_range is not None:
        tensor = tensor.step_window(*state.step_range)
    refusal = over_budget(tensor, max_cells)
    return refusal if refusal else (tensor, selection)


def install_counts_export(
    server: flask.Flask, store: LogStore, settings: Settings, routes_prefix: str
) -> None:
    """Serve ``<prefix>_export/counts.csv?<view query>`` on ``server``."""

    def counts_csv() -> flask.Response:
        found = export_tensor(
            store, flask.request.query_string.decode("utf-8", "replace"), settings.max_view_cells
        )
        if isinstance(found, str):
            return flask.Response(found, status=400 if "limit" in found else 404, mimetype="text/plain")
        tensor, selection = found
        return flask.Response(
            counts_csv_chunks(tensor),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{csv_filename(selection)}"'},
        )

    server.add_url_rule(
        routes_prefix + EXPORT_PATH, endpoint=f"confusionflow_counts_csv{routes_prefix}", view_func=counts_csv
    )
