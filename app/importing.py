"""A table import asked for on the page: what was asked, whether it is allowed, what happened.

Three rules protect the shared log folder from a page anyone can open:

* imports go into **new runs only**: a table naming a run the log folder already holds is refused
  before anything is written (nobody appends steps or folds to somebody else's run). With
  ``Settings.import_appends`` an import may also add *new folds* to a run its uploader created:
  the uploader is who the portal in front of the app says sent the request (the
  ``Settings.import_user_header`` header, ``X-Forwarded-User`` by default), recorded as
  ``imported_by`` in the metadata of each run the import creates. Anyone else, or a request that
  names nobody, is refused; no existing file of the run is ever rewritten;
* a **server path** is read only inside the folders the server was started with
  (``Settings.import_dirs``; none configured means importing by path is off);
* a failed import of a server file never **echoes that file's content** (no list of its columns,
  no cell values): the message says what is wrong in the importer's words, without the data.

Pure of Dash: the callback that calls :func:`import_from_page` lives in ``confusionflow.app.callbacks.imports``.
"""

from __future__ import annotations

import base64
import binascii
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from confusionflow.app.config import Settings
from confusionflow.data_access import logformat as lf
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.run_file import read_run

ALLOWED_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".tab", ".parquet", ".pq")
KINDS = ("auto", "predictions", "counts")
PRESS_IMPORT = "Choose a file or type a server path, then press Import."
BOTH_CHOSEN = "A file is chosen and a server path is typed: clear one of them, then press Import."
MAX_NAME_CHARS = 256  # a typed run, fold, file name or path longer than this is refused
MAX_MESSAGE_CHARS = 400
IMPORTED_BY = "imported_by"  # run.json metadata: who created the run from the page

ProgressFn = Callable[[int, str], None]

REFUSED = (
    "Importing is turned off on this server: start it with --allow-upload "
    "(CONFUSIONFLOW_ALLOW_UPLOAD=1) to allow adding tables to the shared log folder."
)
QUEUE_DOWN = (
    "Import not started: the job queue (Redis) is not answering right now. Nothing was written; "
    "the views keep working from the log files. Try again in a minute."
)
QUEUE_LOST = (
    "The job queue (Redis) stopped answering while this import was running, so its outcome is not "
    "known here. When Redis is back, the series picker lists the run if the worker imported it."
)
PATHS_OFF = (
    "Importing by server path is turned off on this server (no import folder is configured: "
    "--import-dir or CONFUSIONFLOW_IMPORT_DIRS); upload the file instead."
)


@dataclass(frozen=True)
class ImportRequest:
    """What the user asked to import: uploaded bytes *or* a path on the server."""

    filename: str  # the uploaded file's name, or the server path as typed
    content: bytes | None = None
    server_path: Path | None = None
    run: str | None = None  # used when the table has no run column (default: the file's name)
    fold: str | None = None  # used when the table has no fold column
    kind: str = "auto"  # 'auto', 'predictions' or 'counts'
    uploader: str | None = None  # who sent it, as the portal says (None: not known)


@dataclass(frozen=True)
class ImportOutcome:
    """What happened, in words for the page, plus the series keys that now exist."""

    ok: bool
    message: str
    series: tuple[str, ...] = ()


def upload_size(contents: object) -> int | None:
    """The size in bytes of a ``dcc.Upload`` data URL's file, from its base64 length (no decoding),
    or None if it is not one.

    >>> upload_size("data:text/csv;base64,YWJjZA==")
    4
    """
    if not isinstance(contents, str) or "," not in contents[:512]:
        return None
    data = contents.split(",", 1)[1]
    return len(data) * 3 // 4 - data[-2:].count("=")


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
    from confusionflow.data_access.importers.tables import read_table

    table = read_table(path, required=("step",), optional=("count",))
    return "counts" if "count" in table.columns else "predictions"


def server_file(typed: str, import_dirs: Sequence[Path]) -> Path:
    """The file a typed server path names, if it lies inside one of ``import_dirs``.

    A relative path is taken relative to each import folder in turn. Symbolic links are resolved
    first, so a link inside an import folder that points elsewhere is refused. Raises
    LogFormatError (naming only what was typed) when the path is outside every folder or missing.
    """
    if not import_dirs:
        raise LogFormatError(typed, PATHS_OFF)
    roots = [Path(d).expanduser().resolve() for d in import_dirs]
    asked = Path(typed).expanduser()
    candidates = [asked] if asked.is_absolute() else [root / asked for root in roots]
    for candidate in candidates:
        resolved = candidate.resolve()
        if any(resolved.is_relative_to(root) for root in roots):
            if resolved.is_file():
                return resolved
            raise LogFormatError(typed, "no such file on the server")
    folders = ", ".join(str(d) for d in import_dirs)
    raise LogFormatError(typed, f"server paths are limited to the import folders of this server ({folders})")


def runs_in_table(path: Path, kind: str, run: str, fold: str | None, max_runs: int) -> tuple[str, ...]:
    """The run names an import of ``path`` would write (from its run column, else ``run``); more
    than ``max_runs`` of them is a LogFormatError."""
    from confusionflow.data_access import importers

    parse = importers.parse_counts_table if kind == "counts" else importers.parse_predictions_table
    parsed = parse(path, run=run, fold=fold, max_runs=max_runs)
    return tuple(dict.fromkeys(r for r, _ in parsed.grouping.series_names))


def uploader_from_headers(headers: object, header: str) -> str | None:
    """Who sent a request, from its ``header`` (matched case-insensitively, as HTTP does): the
    value stripped, or None when the header is missing, empty, over 256 characters or holds
    control characters. ``headers`` is the request's header mapping (Dash's ``ctx.headers``).

    >>> uploader_from_headers({"x-forwarded-user": " ana "}, "X-Forwarded-User")
    'ana'
    """
    if not isinstance(headers, Mapping) or not header:
        return None
    wanted = header.lower()
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == wanted:
            text = value.strip() if isinstance(value, str) else ""
            return text if text and len(text) <= MAX_NAME_CHARS and text.isprintable() else None
    return None


def _names(runs: Sequence[str]) -> str:
    return ", ".join(repr(r) for r in runs[:5]) + (" ..." if len(runs) > 5 else "")


def refuse_existing_runs(
    logdir: Path, runs: Sequence[str], source: str, settings: Settings, uploader: str | None
) -> None:
    """LogFormatError when an import from the page may not add to one of ``runs`` that ``logdir``
    already holds: always without ``settings.import_appends``; with it, unless ``uploader`` is
    known and created that run (its ``imported_by``)."""
    taken = [r for r in runs if lf.run_dir(logdir, r).exists()]
    if not taken:
        return
    if not settings.import_appends:
        raise LogFormatError(
            source,
            f"run {_names(taken)} already exists in the log folder; imports from the page go into new "
            "runs only, so choose another run name",
        )
    if uploader is None:
        raise LogFormatError(
            source,
            f"run {_names(taken)} already exists in the log folder, and this request does not say who "
            f"sent it (no {settings.import_user_header} header from the portal), so it cannot add to a "
            "run its sender created; choose a new run name",
        )
    others = [r for r in taken if read_run(logdir, r).metadata.get(IMPORTED_BY) != uploader]
    if others:
        raise LogFormatError(
            source,
            f"run {_names(others)} already exists in the log folder and was not created by you "
            f"({uploader}) from this page; imports from the page add only to runs their uploader "
            "created, so choose another run name",
        )


_COLUMN_LIST = re.compile(r"\s*\.?\s*Columns found:.*$", re.DOTALL)
_QUOTED = re.compile(r"'[^']{0,200}'|\"[^\"]{0,200}\"")


def redacted(problem: str, own_words: Sequence[str] = ()) -> str:
    """An importer's message about a server file without that file's content: its column list is
    dropped and quoted values are elided (quoted words the request itself supplied are kept)."""
    text = _COLUMN_LIST.sub("", problem)

    def keep_own(match: re.Match[str]) -> str:
        return match.group(0) if match.group(0)[1:-1] in own_words else "'…'"

    return _QUOTED.sub(keep_own, text)[:MAX_MESSAGE_CHARS]


def _outcome_of_error(e: LogFormatError, request: ImportRequest, own_words: Sequence[str]) -> ImportOutcome:
    if request.content is not None:
        # the user's own file: say everything, under the name they know (not our temporary copy)
        message = str(e).replace(str(e.path), request.filename)
    else:
        message = f"{request.filename}: {redacted(e.problem, own_words)}"
    return ImportOutcome(False, f"Import failed: {message}"[: MAX_MESSAGE_CHARS + 80])


def run_import(request: ImportRequest, settings: Settings, progress: ProgressFn) -> ImportOutcome:
    """Import one table into ``settings.logdir``; never raises for bad input, never edits the source.

    ``progress(percent, text)`` is called with increasing percentages and ends at 100 on success.
    Uploaded bytes go to a private temporary folder (never the log folder) for the importer to read.
    """
    if not settings.allow_upload:
        return ImportOutcome(False, REFUSED)
    if request.content is None and request.server_path is None:
        return ImportOutcome(False, "Choose a file to upload, or type the path of a table on the server.")
    from confusionflow.data_access import importers  # late: only import jobs need the table readers

    run = (request.run or "").strip()
    fold = (request.fold or "").strip() or None
    own_words = tuple(w for w in (run, fold or "", "step", "y_true", "y_pred", "count") if w)
    try:
        if any(len(v) > MAX_NAME_CHARS for v in (request.filename, run, fold or "")):
            raise LogFormatError(
                request.filename[:MAX_NAME_CHARS], "a name or path longer than 256 characters"
            )
        suffix = table_suffix(request.filename)
        run = run or default_run_name(request.filename)
        progress(5, "reading")
        with tempfile.TemporaryDirectory(prefix="cf-import-") as tmp:
            if request.content is not None:
                source = Path(tmp) / f"upload{suffix}"
                source.write_bytes(request.content)
            else:
                source = server_file(str(request.server_path), settings.import_dirs)
            kind = request.kind if request.kind in ("predictions", "counts") else None
            if kind is None:
                progress(15, "checking the columns")
                kind = detect_kind(source)
            uploader = request.uploader
            runs = runs_in_table(source, kind, run, fold, settings.max_import_runs)
            refuse_existing_runs(settings.logdir, runs, request.filename, settings, uploader)
            progress(30, f"importing the {kind} table")
            importer = (
                importers.import_counts_table if kind == "counts" else importers.import_predictions_table
            )
            appends = settings.import_appends and uploader is not None
            summary = importer(
                source,
                settings.logdir,
                run=run,
                fold=fold,
                metadata={"imported_from": Path(request.filename).name}
                | ({IMPORTED_BY: uploader} if uploader else {}),
                # checked again as the runs move into place: a run created meanwhile is refused
                existing_runs="new_folds" if appends else "refuse",
                required_metadata={IMPORTED_BY: uploader} if appends and uploader else None,
                max_runs=settings.max_import_runs,
            )
    except LogFormatError as e:
        return _outcome_of_error(e, request, own_words)
    except OSError as e:
        return ImportOutcome(False, f"Import failed: {request.filename}: {e.strerror or 'cannot be read'}")
    keys = tuple(s.key for s in summary.series)
    progress(100, "done")
    steps = summary.steps_written
    return ImportOutcome(
        True,
        f"Imported {Path(request.filename).name} as {', '.join(keys)} "
        f"({steps} confusion matri{'x' if steps == 1 else 'ces'}, {len(summary.classes)} classes).",
        keys,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def import_from_page(
    settings: Settings,
    trigger: object,
    contents: object,
    filename: object,
    path: object,
    run: object,
    fold: object,
    kind: object,
    progress: ProgressFn,
    *,
    uploader: str | None = None,
) -> ImportOutcome:
    """The import callback's work, given the panel's values (anything not a string is ignored) and
    who sent the request (``uploader_from_headers``; None: not known).

    The Import button (``trigger``) is the one thing that imports: it imports the chosen file, or
    the typed server path; both at once are refused (which one was meant?), as is a chosen file
    that is not a table. Choosing a file only says it is ready (``chosen_file_status``).
    """
    from confusionflow.components import ids as ip
    from confusionflow.components.import_panel import chosen_file_status, is_table_name

    if not settings.allow_upload:
        return ImportOutcome(False, REFUSED)
    if trigger != ip.IMPORT_BUTTON:
        return ImportOutcome(False, PRESS_IMPORT)
    contents, filename, path = _text(contents), _text(filename), _text(path)
    run, fold = _text(run), _text(fold)
    kind = kind if kind in KINDS else "auto"
    if contents and path and path.strip():
        return ImportOutcome(False, BOTH_CHOSEN)
    if contents and not is_table_name(filename or ""):
        return ImportOutcome(False, chosen_file_status(filename or "the file"))
    try:
        if contents:
            name = (filename or "upload.csv")[:MAX_NAME_CHARS]
            request = ImportRequest(
                name,
                content=decode_upload(contents, name),
                run=run,
                fold=fold,
                kind=kind,
                uploader=uploader,
            )
        elif path and path.strip():
            request = ImportRequest(
                path.strip(),
                server_path=Path(path.strip()),
                run=run,
                fold=fold,
                kind=kind,
                uploader=uploader,
            )
        else:
            request = ImportRequest("", run=run, fold=fold)
    except LogFormatError as e:
        return ImportOutcome(False, f"Import failed: {e}")
    return run_import(request, settings, progress)
