"""Background jobs: where long callbacks run, and the table import that uses them.

Locally (no Redis) background callbacks run in a child process and keep their results in a
``diskcache`` folder under the cache dir, which every gunicorn worker on the machine shares. With
``settings.redis_url`` they go to Celery on that Redis, so any worker on any machine can run them
and any web instance can collect the result: nothing a later request needs stays in one
process's memory.

Run the workers with ``celery -A app.jobs worker`` (same ``CONFUSIONFLOW_*``/``REDIS_URL``
environment as the web processes, and the log folder mounted at the same path). A worker builds
the app once at start-up so Dash registers every background callback as a Celery task under the
same name the web processes use (a hash of the callback's outputs and source).
"""

from __future__ import annotations

import base64
import binascii
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
from celery import Celery
from celery.signals import worker_init
from dash import Input, Output, State, ctx

from app.config import Settings
from components import import_panel as ip
from data_access.errors import LogFormatError

# Result keys of finished jobs are read once and deleted; this only bounds abandoned ones.
RESULT_TTL_SECONDS = 3600
ALLOWED_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".tab", ".parquet", ".pq")

ProgressFn = Callable[[int, str], None]

_celery_apps: dict[str, Celery] = {}
_managers: dict[tuple[str, str], Any] = {}


def celery_app_for(redis_url: str) -> Celery:
    """The one Celery app for ``redis_url`` in this process (broker and result backend alike)."""
    if redis_url not in _celery_apps:
        capp = Celery("confusionflow", broker=redis_url, backend=redis_url)
        capp.conf.update(
            task_serializer="json",
            result_serializer="json",
            accept_content=["json"],
            result_expires=RESULT_TTL_SECONDS,
            broker_connection_retry_on_startup=True,
            worker_prefetch_multiplier=1,  # imports are long: don't let one worker hoard them
            task_acks_late=True,  # a worker that dies mid-import leaves the task for another
        )
        _celery_apps[redis_url] = capp
    return _celery_apps[redis_url]


# The Celery app `celery -A app.jobs worker` finds (Celery looks for `celery` on the module). It
# is configured from the environment like the web processes; creating it connects to nothing.
_ENV_REDIS_URL = Settings.from_env().redis_url
celery_app = celery_app_for(_ENV_REDIS_URL or "redis://127.0.0.1:6379/0")
celery = celery_app


@worker_init.connect
def _build_app_in_worker(sender: Any = None, **_: Any) -> None:
    """Register the app's background callbacks as tasks before this worker takes any.

    A worker that cannot do so would take jobs it cannot run, so it stops instead (SystemExit:
    Celery logs and swallows ordinary exceptions raised by signal handlers).
    """
    if getattr(sender, "app", None) is not celery_app:
        return
    if not _ENV_REDIS_URL:
        sys.stderr.write(
            "celery -A app.jobs worker: set REDIS_URL (or CONFUSIONFLOW_REDIS_URL) to the Redis the web "
            "processes use\n"
        )
        raise SystemExit(2)
    from app.factory import create_app  # late: the factory imports this module

    try:
        create_app(settings=Settings.from_env())
    except Exception as e:  # noqa: BLE001 - reported, then the worker stops
        sys.stderr.write(f"celery -A app.jobs worker: cannot build the app to register its jobs: {e!r}\n")
        raise SystemExit(1) from e


def make_background_manager(settings: Settings) -> Any:
    """A Dash background-callback manager: Celery on Redis if configured, else diskcache.

    One manager per destination and process, because Dash keeps every manager alive and registers
    every background callback on each of them.
    """
    if settings.redis_url:
        key = ("celery", settings.redis_url)
        if key not in _managers:
            _managers[key] = dash.CeleryManager(celery_app_for(settings.redis_url))
        return _managers[key]
    folder = settings.resolved_cache_dir / "jobs"
    key = ("diskcache", str(folder))
    if key not in _managers:
        import diskcache

        folder.mkdir(parents=True, exist_ok=True)
        _managers[key] = dash.DiskcacheManager(diskcache.Cache(str(folder)), expire=RESULT_TTL_SECONDS)
    return _managers[key]


@dataclass(frozen=True)
class ImportRequest:
    """What the user asked to import: uploaded bytes *or* a path on the server."""

    filename: str  # the uploaded file's name, or the server path as typed
    content: bytes | None = None
    server_path: Path | None = None
    run: str | None = None  # used when the table has no run column (default: the file's name)
    fold: str | None = None  # used when the table has no fold column
    kind: str = "auto"  # 'auto', 'predictions' or 'counts'


@dataclass(frozen=True)
class ImportOutcome:
    """What happened, in words for the page, plus the series keys that now exist."""

    ok: bool
    message: str
    series: tuple[str, ...] = ()


REFUSED = (
    "Importing is turned off on this server: start it with --allow-upload "
    "(CONFUSIONFLOW_ALLOW_UPLOAD=1) to allow adding tables to the shared log folder."
)


def decode_upload(contents: str, filename: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL (``data:<mime>;base64,<payload>``)."""
    _, sep, payload = contents.partition(",")
    if not sep:
        raise LogFormatError(filename, "the upload is not a base64 data URL")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as e:
        raise LogFormatError(filename, f"the upload is not valid base64: {e}") from None


def table_suffix(name: str) -> str:
    """The table-type suffix of ``name`` (``.csv.gz`` counts as one), or a LogFormatError."""
    lower = name.lower()
    for s in sorted(ALLOWED_SUFFIXES, key=len, reverse=True):
        if lower.endswith(s):
            return s
    raise LogFormatError(
        name, f"unsupported file type; expected a CSV/TSV or Parquet table ({', '.join(ALLOWED_SUFFIXES)})"
    )


def default_run_name(name: str) -> str:
    """``/data/resnet-preds.csv.gz`` -> ``resnet-preds``."""
    base = Path(name).name
    return base[: -len(table_suffix(base))] or "imported"


def detect_kind(path: Path) -> str:
    """'counts' when the table has a count column, else 'predictions'."""
    from data_access.importers.tables import read_table

    table = read_table(path, required=("step",), optional=("count",))
    return "counts" if "count" in table.columns else "predictions"


def run_import(request: ImportRequest, settings: Settings, progress: ProgressFn) -> ImportOutcome:
    """Import one table into ``settings.logdir``; never raises for bad input, never edits the source.

    ``progress(percent, text)`` is called with increasing percentages and ends at 100 on success.
    Uploaded bytes go to a private temporary folder (never the log folder) for the importer to read.
    """
    if not settings.allow_upload:
        return ImportOutcome(False, REFUSED)
    if request.content is None and request.server_path is None:
        return ImportOutcome(False, "Choose a file to upload, or type the path of a table on the server.")
    from data_access import importers  # late: only import jobs need the table readers

    try:
        suffix = table_suffix(request.filename)
        run = (request.run or "").strip() or default_run_name(request.filename)
        fold = (request.fold or "").strip() or None
        progress(5, "reading")
        with tempfile.TemporaryDirectory(prefix="cf-import-") as tmp:
            if request.content is not None:
                source = Path(tmp) / f"upload{suffix}"
                source.write_bytes(request.content)
            else:
                source = Path(request.server_path).expanduser()
                if not source.is_file():
                    raise LogFormatError(source, "no such file on the server")
            kind = request.kind if request.kind in ("predictions", "counts") else None
            if kind is None:
                progress(15, "checking the columns")
                kind = detect_kind(source)
            progress(30, f"importing the {kind} table")
            importer = (
                importers.import_counts_table if kind == "counts" else importers.import_predictions_table
            )
            summary = importer(
                source,
                settings.logdir,
                run=run,
                fold=fold,
                metadata={"imported_from": Path(request.filename).name},
            )
    except LogFormatError as e:
        message = str(e)
        if request.content is not None:
            message = message.replace(str(e.path), request.filename)  # the user's file, not our copy
        return ImportOutcome(False, f"Import failed: {message}")
    except OSError as e:
        return ImportOutcome(False, f"Import failed: {request.filename}: {e.strerror or e}")
    keys = tuple(s.key for s in summary.series)
    progress(100, "done")
    steps = summary.steps_written
    return ImportOutcome(
        True,
        f"Imported {Path(request.filename).name} as {', '.join(keys)} "
        f"({steps} confusion matri{'x' if steps == 1 else 'ces'}, {len(summary.classes)} classes).",
        keys,
    )


def register_import_callbacks(app: dash.Dash, settings: Settings, store: Any) -> None:
    """Wire the import panel to a background callback on ``app``'s background manager.

    The callback outputs the outcome into ``IMPORT_RESULT`` (``{"ok", "series", "message"}``) so the
    series picker can refresh and select the new series at once instead of waiting for its poll.
    """

    @app.callback(
        Output(ip.IMPORT_STATUS, "children"),
        Output(ip.IMPORT_RESULT, "data"),
        Input(ip.IMPORT_UPLOAD, "contents"),
        Input(ip.IMPORT_BUTTON, "n_clicks"),
        State(ip.IMPORT_UPLOAD, "filename"),
        State(ip.IMPORT_PATH, "value"),
        State(ip.IMPORT_RUN, "value"),
        State(ip.IMPORT_FOLD, "value"),
        State(ip.IMPORT_KIND, "value"),
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
    )
    def on_import(set_progress, contents, _n_clicks, filename, path, run, fold, kind):
        def progress(percent: int, text: str) -> None:
            set_progress((str(percent), "100", f"{percent}% {text}"))

        outcome = import_from_page(
            settings, ctx.triggered_id, contents, filename, path, run, fold, kind, progress
        )
        if not outcome.ok:  # don't leave a half-full bar next to an error
            set_progress(("0", "100", "not imported"))
        return outcome.message, {"ok": outcome.ok, "series": list(outcome.series), "message": outcome.message}


def import_from_page(
    settings: Settings,
    trigger: object,
    contents: str | None,
    filename: str | None,
    path: str | None,
    run: str | None,
    fold: str | None,
    kind: str | None,
    progress: ProgressFn,
) -> ImportOutcome:
    """The import callback's work, given the panel's values: a drop imports the dropped file, the
    button imports the typed server path."""
    if not settings.allow_upload:
        return ImportOutcome(False, REFUSED)
    try:
        if trigger == ip.IMPORT_UPLOAD and contents:
            name = filename or "upload.csv"
            request = ImportRequest(
                name, content=decode_upload(contents, name), run=run, fold=fold, kind=kind or "auto"
            )
        elif path and path.strip():
            request = ImportRequest(
                path.strip(), server_path=Path(path.strip()), run=run, fold=fold, kind=kind or "auto"
            )
        else:
            request = ImportRequest("", run=run, fold=fold)
    except LogFormatError as e:
        return ImportOutcome(False, f"Import failed: {e}")
    return run_import(request, settings, progress)
