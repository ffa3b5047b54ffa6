"""The instance panel (L3): which instances sit in the clicked matrix cell at a step, and which
entered or left it since the previous step.

Pure layout: results of ``confusionflow.data_access.instances`` in, Dash components out. The skeleton
(:func:`instances_panel`) goes into the page once; :func:`instances_body` is what a callback puts
inside it. Long lists show their first ``limit`` rows with a "showing N of M" note; the CSV
download holds the full list. Styling is inline so the panel needs no stylesheet of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from dash import dcc, html

from confusionflow.components import ids
from confusionflow.data_access.instances import (
    ID,
    NEXT_PRED,
    PRED,
    PREV_PRED,
    PREV_TRUE,
    TRUE,
    CellMembers,
    CellTransitions,
)
from confusionflow.data_access.logformat import format_step

DEFAULT_LIMIT = 50
NOT_IN_FOLD = "not in the fold"

_TABLE_STYLE = {"borderCollapse": "collapse", "fontSize": "12px", "width": "100%"}
_CELL_STYLE = {"padding": "1px 6px", "borderBottom": "1px solid #e3e6ea", "textAlign": "left"}
_HEAD_STYLE = {**_CELL_STYLE, "fontWeight": 600, "color": "#5a6470"}
_SCROLL_STYLE = {"maxHeight": "220px", "overflowY": "auto", "marginBottom": "6px"}
_ID_STYLE = {"display": "inline-block", "margin": "0 4px 2px 0", "fontSize": "12px"}
_ARIA_LIVE: dict[str, Any] = {"aria-live": "polite"}  # hyphenated: Dash takes it only as ** keywords


# ----------------------------------------------------------------------------- words
def _quoted(names: Sequence[str]) -> str:
    return " / ".join(f"“{n}”" for n in names)


def cell_title(kind: str, true: str | None, pred: str | None) -> str:
    """What the panel lists, in words, for a detail target of ``kind`` "cell", "fn" or "fp"."""
    if kind == "fn":
        return f"Instances of “{true}” predicted as another shown class (false negatives)"
    if kind == "fp":
        return f"Instances of other shown classes predicted as “{pred}” (false positives)"
    return f"Instances of true class “{true}” predicted as “{pred}”"


def _group_note(label: str, names: Sequence[str], shown: str | None) -> str:
    """ "“vehicles” = “bus” / “car”" when a shown class stands for several of the run's classes."""
    if len(names) <= 1 or shown is None:
        return ""
    return f"{label} “{shown}” is {_quoted(names)}."


def _class_or_absent(value: object) -> str:
    return NOT_IN_FOLD if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _showing(shown: int, total: int, what: str) -> html.Div | None:
    if total <= shown:
        return None
    return html.Div(
        f"showing {shown:,} of {total:,} {what}; the CSV download has them all",
        className="cf-note",
    )


# ----------------------------------------------------------------------------- tables
def _table(table_id: str | None, header: Sequence[str], rows: Sequence[Sequence[object]]) -> html.Div:
    head = html.Thead(html.Tr([html.Th(h, style=_HEAD_STYLE, scope="col") for h in header]))
    body = html.Tbody([html.Tr([html.Td(str(v), style=_CELL_STYLE) for v in row]) for row in rows])
    table = html.Table([head, body], style=_TABLE_STYLE, className="cf-instances-table")
    kwargs: dict[str, Any] = {"id": table_id} if table_id else {}
    return html.Div(table, style=_SCROLL_STYLE, **kwargs)


def _changes_summary(values: pd.Series, word: str) -> str:
    """ "from “dog” 3 · not in the fold 1": where entered instances came from (or left ones went)."""
    counts = values.map(_class_or_absent).value_counts(sort=True)
    return f"{word} " + " · ".join(
        (f"“{name}” {n}" if name != NOT_IN_FOLD else f"{name} {n}") for name, n in counts.items()
    )


def _members_block(members: CellMembers, limit: int) -> list:
    frame = members.members
    shown = frame.head(limit)
    multi = len(members.true_classes) > 1 or len(members.pred_classes) > 1
    if frame.empty:
        block = html.Div(
            "No instance sits in this cell at this step.", id=ids.INSTANCES_IDS, className="cf-hint"
        )
    elif multi:
        block = _table(
            ids.INSTANCES_IDS,
            ["instance", "true class", "predicted"],
            shown[[ID, TRUE, PRED]].itertuples(index=False, name=None),
        )
    else:
        block = html.Div(
            [html.Code(str(v), style=_ID_STYLE, className="cf-instance-id") for v in shown[ID].tolist()],
            id=ids.INSTANCES_IDS,
            style=_SCROLL_STYLE,
        )
    return [block, _showing(len(shown), len(frame), "instances")]


def _transitions_block(transitions: CellTransitions, limit: int) -> list:
    if transitions.problem or transitions.previous_step is None:  # the data layer says why
        problem = transitions.problem or "there is no earlier step to compare"
        return [html.Div(problem, id=ids.INSTANCES_CHANGES, className="cf-note")]
    entered, left, stayed = transitions.entered, transitions.left, transitions.stayed
    since = format_step(transitions.previous_step)
    out: list = [
        html.Div(
            [
                html.Strong(f"Since step {since}: "),
                f"{len(entered):,} entered, {len(left):,} left, {len(stayed):,} stayed.",
            ],
            id=ids.INSTANCES_CHANGES,
            style={"margin": "6px 0 2px", "fontSize": "13px"},
        )
    ]
    multi_true = len(transitions.true_classes) > 1
    multi_pred = len(transitions.pred_classes) > 1
    if not entered.empty:
        head = entered.head(limit)
        header = ["entered", *(["true class"] if multi_true else []), f"predicted at step {since}"]
        header += ["predicted now"] if multi_pred else []
        rows = [
            [
                r[ID],
                *([r[TRUE]] if multi_true else []),
                _class_or_absent(r[PREV_PRED]),
                *([r[PRED]] if multi_pred else []),
            ]
            for r in head.to_dict("records")
        ]
        out += [
            html.Div(_changes_summary(entered[PREV_PRED], "came from:"), className="cf-hint"),
            _table(ids.INSTANCES_ENTERED, header, rows),
            _showing(len(head), len(entered), "entered instances"),
        ]
    if not left.empty:
        head = left.head(limit)
        header = ["left", *(["true class"] if multi_true else [])]
        header += [f"predicted at step {since}"] if multi_pred else []
        header += ["predicted now"]
        rows = [
            [
                r[ID],
                *([r[PREV_TRUE]] if multi_true else []),
                *([r[PREV_PRED]] if multi_pred else []),
                _class_or_absent(r[NEXT_PRED]),
            ]
            for r in head.to_dict("records")
        ]
        out += [
            html.Div(_changes_summary(left[NEXT_PRED], "went to:"), className="cf-hint"),
            _table(ids.INSTANCES_LEFT, header, rows),
            _showing(len(head), len(left), "instances that left"),
        ]
    return out


# ----------------------------------------------------------------------------- public builders
def instances_message(text: str) -> list:
    """Body of the panel when there is nothing to list (no cell clicked, counts-only series, …)."""
    return [html.Div(text, id=ids.INSTANCES_MESSAGE, className="cf-hint", role="status")]


def instances_body(
    members: CellMembers,
    transitions: CellTransitions | None,
    *,
    title: str,
    series_label: str,
    shown_true: str | None = None,
    shown_pred: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list:
    """The panel's content for one cell, step and series.

    ``title`` says what is listed (see :func:`cell_title`); ``shown_true``/``shown_pred`` are the
    names the matrix shows for the cell's sides, so a superclass or "(other)" can be spelled out as
    the run's classes it stands for. Lists are cut at ``limit`` rows.
    """
    step = format_step(members.step)
    heading = html.Div(
        [html.Strong(title), html.Span(f" at step {step} — {series_label}", className="cf-hint")],
        id=ids.INSTANCES_TITLE,
        style={"fontSize": "13px", "marginBottom": "4px"},
    )
    if members.problem:
        return [heading, *instances_message(members.problem)]
    notes = [
        n
        for n in (
            _group_note("true", members.true_classes, shown_true),
            _group_note("predicted", members.pred_classes, shown_pred),
        )
        if n
    ]
    count = html.Div(
        [
            html.Strong(f"{members.count:,}"),
            f" instance{'s' if members.count != 1 else ''} of {members.total:,}",
        ],
        id=ids.INSTANCES_COUNT,
        style={"fontSize": "13px"},
    )
    body: list = [heading, count, *(html.Div(n, className="cf-note") for n in notes)]
    body += _members_block(members, limit)
    if transitions is not None:
        body += _transitions_block(transitions, limit)
    return [c for c in body if c is not None]


def instance_series_options(items: Sequence[tuple[str, str, bool]]) -> list[dict]:
    """Dropdown options from ``(key, label, has_instances)``; counts-only series are disabled."""
    return [
        {
            "label": label if has else f"{label} (counts only)",
            "value": key,
            "disabled": not has,
        }
        for key, label, has in items
    ]


def instances_panel() -> html.Section:
    """The panel's skeleton: a series picker, the body a callback fills, and a CSV download."""
    return html.Section(
        id=ids.INSTANCES_PANEL,
        className="cf-panel cf-instances",
        children=[
            html.Div(
                [
                    html.H2("Instances"),
                    html.Button(
                        "CSV",
                        id=ids.INSTANCES_DOWNLOAD_BUTTON,
                        className="cf-btn cf-btn-small",
                        n_clicks=0,
                        disabled=True,
                        title="Download the full list of this cell's instances (and those that left it) as CSV",
                    ),
                    dcc.Download(id=ids.INSTANCES_DOWNLOAD),
                ],
                className="cf-panel-header",
            ),
            html.Div(
                [
                    html.Label("Series", htmlFor=ids.INSTANCES_SERIES, className="cf-label"),
                    dcc.Dropdown(
                        id=ids.INSTANCES_SERIES,
                        options=[],
                        value=None,
                        clearable=False,
                        searchable=False,
                        placeholder="a chosen series with per-instance predictions",
                        style={"flex": "1 1 auto", "fontSize": "13px"},
                    ),
                ],
                style={"display": "flex", "alignItems": "center", "gap": "6px", "marginBottom": "6px"},
            ),
            html.Div(
                instances_message("Click a cell of the matrix to list the instances in it."),
                id=ids.INSTANCES_BODY,
                **_ARIA_LIVE,
            ),
        ],
    )
