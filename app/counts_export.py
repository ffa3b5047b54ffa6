"""The counts CSV of the view on screen, streamed from its own route instead of through a callback.

A callback's download travels inside one JSON response (the whole file, base64-encoded, held in
memory several times over). This route writes the same long table (one row per logged step and
cell, zeros included) one step at a time, so the server never
holds more than one step's text, and the browser saves it as it arrives. The view comes from the
page's query string (``confusionflow.app.state``'s URL form, the same one the address bar shows), parsed and
bounded; a view over ``Settings.max_view_cells`` is refused with a short message.

The columns are the counts importer's (``run, fold, step, y_true, y_pred, true_index, pred_index,
count``), so a file exported here imports back into a log folder unchanged, classes in the order
shown; steps are written exactly (``1``, ``1234567.5``). When the view is relative, each row also
carries the cell's share as the matrix shows it, in a column named by its denominator.

Names are written as data: a cell starting with ``= + - @`` (or a tab or carriage return) is
prefixed with ``'`` so a spreadsheet never runs it as a formula (the OWASP CSV-injection rule).
"""

from __future__ import annotations

from collections.abc import Iterator

import flask
import numpy as np

from confusionflow.app.callbacks.common import Selection, over_budget, shown_hierarchy, view_tensor
from confusionflow.app.callbacks.export import EXPORT_PATH, csv_filename
from confusionflow.app.callbacks.inputs import MAX_QUERY, Bounds
from confusionflow.app.config import Settings
from confusionflow.app.state import parse_query
from confusionflow.components.wording import DENOMINATOR_SLUGS
from confusionflow.data_access.metrics import denominator_codes
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.tensor import ConfusionTensor
from confusionflow.data_access.views import matrix_values
from confusionflow.data_access.vocabulary import Normalization, format_step, parse_normalization

COLUMNS = ("run", "fold", "step", "y_true", "y_pred", "true_index", "pred_index", "count")
"""The counts importer's columns (``confusionflow.data_access.importers.counts_table``): an export imports back
unchanged, its class order kept by the index columns."""
HEADER = ",".join(COLUMNS) + "\n"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """One CSV field: quoted when it holds a comma, quote or line break; formula prefixes defused."""
    if text.startswith(_FORMULA):
        text = "'" + text
    if any(ch in text for ch in ',"\n\r'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def share_column(normalization: Normalization) -> str:
    """The column of a relative cell value, named by its denominator (``confusionflow.components.wording``):
    ``share_of_true_class_instances``, ``share_of_predicted_as_class`` or ``share_of_all_instances``."""
    return "share_of_" + DENOMINATOR_SLUGS[denominator_codes(normalization)["cell"]]


def header(normalization: Normalization | None) -> str:
    """The header line: the importer's columns, then the relative value when one is shown."""
    return HEADER if normalization is None else HEADER[:-1] + "," + share_column(normalization) + "\n"


def counts_csv_chunks(tensor: ConfusionTensor, normalization: Normalization | None = None) -> Iterator[str]:
    """The long counts table of ``tensor`` as text, the header first, then one chunk per logged
    (series, step): ``C * C`` rows of the :data:`COLUMNS` in class order, and with
    ``normalization`` each cell's share as the matrix shows it (whole classes, see
    ``confusionflow.data_access.views.matrix_values``), written exactly (shortest round-trip decimal)."""
    yield header(normalization)
    names = [csv_cell(c) for c in tensor.classes]
    c = len(names)
    pairs = [f"{names[t]},{names[p]},{t},{p}," for t in range(c) for p in range(c)]
    series = [(csv_cell(s.run), csv_cell(s.fold)) for s in tensor.series]
    shares = matrix_values(tensor, normalization).values if normalization is not None else None
    for s, t in zip(*np.nonzero(tensor.mask), strict=True):
        run, fold = series[s]
        prefix = f"{run},{fold},{format_step(float(tensor.steps[t]))},"
        counts = tensor.counts[s, t].reshape(-1).tolist()
        if shares is None:
            yield "".join([f"{prefix}{pair}{n}\n" for pair, n in zip(pairs, counts, strict=True)])
        else:
            values = shares[s, t].reshape(-1).tolist()
            yield "".join(
                [f"{prefix}{pair}{n},{v!r}\n" for pair, n, v in zip(pairs, counts, values, strict=True)]
            )


def export_normalization(query: str) -> Normalization | None:
    """The normalisation the query string's view shows (None: counts)."""
    return parse_normalization(parse_query(query[:MAX_QUERY]).normalization)


def export_tensor(store: LogStore, query: str, max_cells: int) -> tuple[ConfusionTensor, Selection] | str:
    """The tensor a query string's view exports (its series, classes and step range), or why not."""
    state = parse_query(query[:MAX_QUERY])
    bounds = Bounds.of(store.list_series())
    selection = Selection(
        series=state.series[: bounds.series],
        classes=state.classes[: bounds.classes],
        other=state.other,
        level=state.level,
        group=state.group,
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
        query = flask.request.query_string.decode("utf-8", "replace")
        found = export_tensor(store, query, settings.max_view_cells)
        if isinstance(found, str):
            return flask.Response(found, status=400 if "limit" in found else 404, mimetype="text/plain")
        tensor, selection = found
        shown = shown_hierarchy(store, selection)
        filename = (
            csv_filename(selection, shown.level_name(), shown.group)
            if shown.aggregated
            else csv_filename(selection)
        )
        return flask.Response(
            counts_csv_chunks(tensor, export_normalization(query)),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    server.add_url_rule(
        routes_prefix + EXPORT_PATH, endpoint=f"confusionflow_counts_csv{routes_prefix}", view_func=counts_csv
    )
