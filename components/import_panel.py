"""The "Import a table" panel: drop or choose a predictions/counts file, or name one on the
server, then press Import (choosing a file only says it is ready, or that it is not a table).

Pure layout: the background callback that does the work lives in ``app/``. When the server
was not started with ``--allow-upload`` the panel still renders (so the feature is discoverable)
but its controls are disabled and it says how to turn importing on; the callback refuses too.
"""

from __future__ import annotations

from dash import dcc, html

from confusionflow.components.ids import (
    IMPORT_BUTTON,
    IMPORT_FOLD,
    IMPORT_KIND,
    IMPORT_PANEL,
    IMPORT_PATH,
    IMPORT_PROGRESS,
    IMPORT_PROGRESS_LABEL,
    IMPORT_RESULT,
    IMPORT_RUN,
    IMPORT_STATUS,
    IMPORT_UPLOAD,
)

__all__ = [  # the ids are re-exported for callers that read them from this panel
    "IMPORT_BUTTON",
    "IMPORT_FOLD",
    "IMPORT_KIND",
    "IMPORT_PATH",
    "IMPORT_PROGRESS",
    "IMPORT_PROGRESS_LABEL",
    "IMPORT_RESULT",
    "IMPORT_RUN",
    "IMPORT_STATUS",
    "IMPORT_UPLOAD",
    "KIND_OPTIONS",
    "MAX_UPLOAD_BYTES",
    "TABLE_SUFFIXES",
    "chosen_file_status",
    "import_panel",
    "is_table_name",
]

# Browser-side cap on an uploaded file. The file travels base64-encoded in the callback request
# (and, with Celery, through Redis), so it is bounded; bigger tables are imported by path or with
# ``python -m confusionflow.data_access.importers``.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024

# What the page imports, by file name ending (the importers read these; see confusionflow.data_access.importers).
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".csv.gz", ".tsv.gz", ".parquet", ".pq")


def is_table_name(filename: str) -> bool:
    """Whether a file name ends like a table the importers read (case-insensitive).

    >>> is_table_name("preds.CSV"), is_table_name("run.csv.gz"), is_table_name("notes.txt")
    (True, True, False)
    """
    return filename.lower().endswith(TABLE_SUFFIXES)


def chosen_file_status(filename: str, size_bytes: int | None = None) -> str:
    """What the panel says once a file is chosen or dropped: nothing is imported yet (the Import
    button does that), or the file is not a table this page can import.

    >>> chosen_file_status("cm.csv", 2048)
    '“cm.csv” (2.0 kB) is ready: set the run and fold if the table has no such columns, then press Import.'
    >>> chosen_file_status("notes.txt")
    '“notes.txt” is not a table this page can import: choose a .csv, .tsv, .tab, .csv.gz, .tsv.gz, .parquet or .pq file.'
    """
    name = filename[:120]
    if not is_table_name(filename):
        kinds = ", ".join(TABLE_SUFFIXES[:-1]) + " or " + TABLE_SUFFIXES[-1]
        return f"“{name}” is not a table this page can import: choose a {kinds} file."
    size = f" ({size_bytes / 1024:.1f} kB)" if size_bytes is not None else ""
    return (
        f"“{name}”{size} is ready: set the run and fold if the table has no such columns, then press Import."
    )


KIND_OPTIONS = [
    {"label": "detect", "value": "auto"},
    {"label": "predictions (one row per instance)", "value": "predictions"},
    {"label": "counts (one row per matrix cell)", "value": "counts"},
]


def import_panel(*, allow_upload: bool) -> html.Div:
    """The import panel; its controls are enabled only when the server allows uploads."""
    disabled = not allow_upload
    note = (
        "Adds a CSV or Parquet table to the log folder as a new run. Predictions tables have one row "
        "per instance and step; counts tables one row per matrix cell and step."
        if not disabled
        else "Importing is turned off on this server: start it with --allow-upload "
        "(or CONFUSIONFLOW_ALLOW_UPLOAD=1) to add tables to the shared log folder from this page."
    )
    return html.Div(
        id=IMPORT_PANEL,
        className="cf-import-panel",
        children=[
            html.H4("Import a table"),
            html.P(note, className="cf-import-note"),
            dcc.Upload(
                id=IMPORT_UPLOAD,
                # no ``accept``: the browser would drop other files without a word; the panel
                # names a wrong file instead (chosen_file_status), and Import refuses it
                children=html.Div(
                    ["Drop a CSV or Parquet table here, or ", html.A("choose a file"), ", then press Import"]
                ),
                max_size=MAX_UPLOAD_BYTES,
                multiple=False,
                disabled=disabled,
                className="cf-import-drop",
                style={
                    "border": "1px dashed #888",
                    "borderRadius": "4px",
                    "padding": "12px",
                    "textAlign": "center",
                    "cursor": "not-allowed" if disabled else "pointer",
                },
            ),
            html.Div(
                className="cf-import-row",
                children=[
                    dcc.Input(
                        id=IMPORT_PATH,
                        type="text",
                        placeholder="…or a path on the server, e.g. /data/preds.parquet",
                        disabled=disabled,
                        debounce=True,
                        style={"width": "60%"},
                    ),
                    dcc.Input(
                        id=IMPORT_RUN,
                        type="text",
                        placeholder="run (if no run column; default: file name)",
                        disabled=disabled,
                        debounce=True,
                    ),
                    dcc.Input(
                        id=IMPORT_FOLD,
                        type="text",
                        placeholder="fold (if no fold column), e.g. test",
                        disabled=disabled,
                        debounce=True,
                    ),
                    html.Button("Import", id=IMPORT_BUTTON, n_clicks=0, disabled=disabled),
                ],
            ),
            dcc.RadioItems(
                id=IMPORT_KIND,
                options=[{**o, "disabled": disabled} for o in KIND_OPTIONS],
                value="auto",
                inline=True,
            ),
            html.Div(
                className="cf-import-progress",
                children=[
                    html.Progress(id=IMPORT_PROGRESS, value="0", max="100"),
                    html.Span("", id=IMPORT_PROGRESS_LABEL, style={"marginLeft": "8px"}),
                ],
            ),
            html.Div(id=IMPORT_STATUS, className="cf-import-status", role="status"),
            dcc.Store(id=IMPORT_RESULT),
        ],
    )
