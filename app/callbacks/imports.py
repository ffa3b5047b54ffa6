"""The import panel's background callback: a dropped file or a typed server path becomes a run.

The work is :func:`confusionflow.app.importing.import_from_page`; this module only wires the panel's ids to it
on the app's background manager (diskcache locally, Celery on Redis).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, ctx

from confusionflow.app.broker_probe import BrokerUnavailable
from confusionflow.app.config import Settings
from confusionflow.app.importing import (
    QUEUE_DOWN,
    QUEUE_LOST,
    import_from_page,
    upload_size,
    uploader_from_headers,
)
from confusionflow.components import ids as ip
from confusionflow.components.import_panel import chosen_file_status


def _refuse_when_queue_down(err: Exception) -> dict[str, object]:
    """The panel's answer when the job queue (Redis) does not answer: the job was not sent, or it
    was sent and its progress can no longer be read.

    Any other error is raised again, as it would be without this handler.
    """
    if not isinstance(err, BrokerUnavailable):
        raise err
    message = QUEUE_LOST if err.running else QUEUE_DOWN
    return {"status": message, "result": {"ok": False, "series": [], "message": message}}


def register_import_callbacks(app: dash.Dash, settings: Settings) -> None:
    """Wire the import panel to a background callback on ``app``'s background manager.

    The callback outputs the outcome into ``IMPORT_RESULT`` (``{"ok", "series", "message"}``) so the
    series picker can refresh and select the new series at once instead of waiting for its poll.
    The uploader is read from the request header ``settings.import_user_header``.
    """

    @app.callback(
        output={"status": Output(ip.IMPORT_STATUS, "children"), "result": Output(ip.IMPORT_RESULT, "data")},
        # only the button imports: choosing a file says it is ready (on_choose below)
        inputs={"clicks": Input(ip.IMPORT_BUTTON, "n_clicks")},
        state={
            "contents": State(ip.IMPORT_UPLOAD, "contents"),
            "filename": State(ip.IMPORT_UPLOAD, "filename"),
            "path": State(ip.IMPORT_PATH, "value"),
            "run": State(ip.IMPORT_RUN, "value"),
            "fold": State(ip.IMPORT_FOLD, "value"),
            "kind": State(ip.IMPORT_KIND, "value"),
        },
        background=True,
        progress=[
            Output(ip.IMPORT_PROGRESS, "value"),
            Output(ip.IMPORT_PROGRESS, "max"),
            Output(ip.IMPORT_PROGRESS_LABEL, "children"),
        ],
        running=[
            (Output(ip.IMPORT_BUTTON, "disabled"), True, not settings.allow_upload),
            (Output(ip.IMPORT_UPLOAD, "disabled"), True, not settings.allow_upload),
        ],
        prevent_initial_call=True,
        on_error=_refuse_when_queue_down,
    )
    def on_import(set_progress, clicks, contents, filename, path, run, fold, kind):
        def progress(percent: int, text: str) -> None:
            set_progress((str(percent), "100", f"{percent}% {text}"))

        # the request's headers travel with the job (Dash copies them into its context), so the
        # worker knows who the portal says sent it
        uploader = uploader_from_headers(ctx.headers, settings.import_user_header)
        outcome = import_from_page(
            settings, ctx.triggered_id, contents, filename, path, run, fold, kind, progress, uploader=uploader
        )
        if not outcome.ok:  # don't leave a half-full bar next to an error
            set_progress(("0", "100", "not imported"))
        result = {"ok": outcome.ok, "series": list(outcome.series), "message": outcome.message}
        return {"status": outcome.message, "result": result}

    @app.callback(
        output={"status": Output(ip.IMPORT_STATUS, "children", allow_duplicate=True)},
        inputs={"filename": Input(ip.IMPORT_UPLOAD, "filename")},
        state={"contents": State(ip.IMPORT_UPLOAD, "contents")},
        prevent_initial_call=True,
    )
    def on_choose(filename, contents):
        if not isinstance(filename, str) or not filename:
            raise dash.exceptions.PreventUpdate
        return {"status": chosen_file_status(filename, upload_size(contents))}
