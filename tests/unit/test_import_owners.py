"""Page imports go into new runs; with ``import_appends`` also into runs the same uploader created.

The uploader is who the portal's header says sent the request; it is recorded as ``imported_by``
in each new run's metadata. Anyone else, and a request naming nobody, is refused; an existing file
of the run is never rewritten (appends add new folds only)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import psutil  # type: ignore[import-untyped]
import pytest

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.app.importing import IMPORTED_BY, ImportRequest, run_import, uploader_from_headers
from confusionflow.components import ids
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.importers import import_counts_table
from confusionflow.data_access.reader import read_series
from confusionflow.data_access.run_file import read_run
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter

COUNTS = "step,y_true,y_pred,count\n1,a,a,5\n1,a,b,1\n1,b,a,2\n1,b,b,4\n"
MORE = "step,y_true,y_pred,count\n1,a,a,7\n2,b,b,3\n"


def _noop(_percent: int, _text: str) -> None:
    pass


def _settings(tmp_path: Path, **more: object) -> Settings:
    logdir = tmp_path / "logs"
    logdir.mkdir(exist_ok=True)
    return Settings(logdir=logdir, cache_dir=tmp_path / "cache", allow_upload=True, **more)  # type: ignore[arg-type]


def _import(settings: Settings, table: str, fold: str, uploader: str | None, run: str = "cm"):
    request = ImportRequest("cm.csv", content=table.encode(), run=run, fold=fold, uploader=uploader)
    return run_import(request, settings, _noop)


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_new_run_records_its_uploader_in_its_import_record(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert _import(settings, COUNTS, "test", "ana").ok
    assert read_run(settings.logdir, "cm").metadata == {
        "imported_from": "cm.csv",
        "importer": "counts table",
        IMPORTED_BY: "ana",
    }
    assert _import(settings, COUNTS, "test", None, run="anonymous").ok
    assert IMPORTED_BY not in read_run(settings.logdir, "anonymous").metadata


def test_appends_are_off_by_default_even_for_the_runs_creator(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert _import(settings, COUNTS, "test", "ana").ok
    before = _hashes(settings.logdir)
    again = _import(settings, MORE, "val", "ana")
    assert not again.ok and "new runs only" in again.message
    assert _hashes(settings.logdir) == before


def test_the_creator_adds_a_new_fold_and_no_existing_file_changes(tmp_path: Path) -> None:
    settings = _settings(tmp_path, import_appends=True)
    assert _import(settings, COUNTS, "test", "ana").ok
    before = _hashes(settings.logdir)
    out = _import(settings, MORE, "val", "ana")
    assert out.ok, out.message
    assert out.series == ("cm/val",)
    after = _hashes(settings.logdir)
    assert {k: after[k] for k in before} == before  # run.json and the test fold: same bytes
    assert sorted(set(after) - set(before)) == ["cm/val.counts.jsonl"]
    assert read_series(settings.logdir, "cm", "val").counts.tolist() == [[[7, 0], [0, 0]], [[0, 0], [0, 3]]]
    assert [s.key for s in LogStore(settings.logdir).list_series()] == ["cm/test", "cm/val"]


def test_anyone_else_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    settings = _settings(tmp_path, import_appends=True)
    assert _import(settings, COUNTS, "test", "ana").ok
    before = _hashes(settings.logdir)
    out = _import(settings, MORE, "val", "bob")
    assert not out.ok
    assert "run 'cm' already exists" in out.message and "not created by you (bob)" in out.message
    assert "ana" not in out.message  # who did create it is not told
    assert _hashes(settings.logdir) == before


def test_a_request_that_names_nobody_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path, import_appends=True, import_user_header="X-Remote-User")
    assert _import(settings, COUNTS, "test", "ana").ok
    before = _hashes(settings.logdir)
    out = _import(settings, MORE, "val", None)
    assert not out.ok and "no X-Remote-User header from the portal" in out.message
    assert _hashes(settings.logdir) == before
    assert _import(settings, MORE, "val", None, run="fresh").ok  # a new run needs nobody's name


def test_a_run_not_created_from_the_page_takes_no_appends(tmp_path: Path) -> None:
    settings = _settings(tmp_path, import_appends=True)
    with LogWriter(settings.logdir, "cm", ["a", "b"]) as w:
        w.add_counts(1, "test", np.eye(2, dtype=int))
    before = _hashes(settings.logdir)
    out = _import(settings, MORE, "val", "ana")
    assert not out.ok and "not created by you (ana)" in out.message
    assert _hashes(settings.logdir) == before


def test_an_existing_fold_is_never_rewritten_even_for_its_creator(tmp_path: Path) -> None:
    settings = _settings(tmp_path, import_appends=True)
    assert _import(settings, COUNTS, "test", "ana").ok
    before = _hashes(settings.logdir)
    out = _import(settings, "step,y_true,y_pred,count\n2,a,a,1\n2,b,b,1\n", "test", "ana")  # a new step
    assert not out.ok
    assert "fold 'test' of run 'cm' already exists" in out.message and "new folds only" in out.message
    assert _hashes(settings.logdir) == before


def test_the_data_layer_checks_the_import_record_again(tmp_path: Path) -> None:
    """What the page checks first is checked again where the runs are moved into place."""
    logdir = tmp_path / "logs"
    table = tmp_path / "t.csv"
    table.write_text(COUNTS)
    import_counts_table(table, logdir, run="cm", fold="test", metadata={IMPORTED_BY: "ana"})
    before = _hashes(logdir)
    with pytest.raises(LogFormatError, match=r"import record \('imported_by'\) is not this import's"):
        import_counts_table(
            table,
            logdir,
            run="cm",
            fold="val",
            existing_runs="new_folds",
            required_metadata={IMPORTED_BY: "bob"},
        )
    with pytest.raises(LogFormatError, match="run 'cm' already exists in the log folder"):
        import_counts_table(table, logdir, run="cm", fold="val", existing_runs="refuse")
    assert _hashes(logdir) == before
    import_counts_table(
        table, logdir, run="cm", fold="val", existing_runs="new_folds", required_metadata={IMPORTED_BY: "ana"}
    )
    assert sorted(_hashes(logdir)) == ["cm/run.json", "cm/test.counts.jsonl", "cm/val.counts.jsonl"]


def test_the_uploader_header_and_appends_are_settings() -> None:
    s = Settings.from_env(
        {"CONFUSIONFLOW_IMPORT_APPENDS": "1", "CONFUSIONFLOW_IMPORT_USER_HEADER": "X-Remote-User"}
    )
    assert (s.import_appends, s.import_user_header) == (True, "X-Remote-User")
    assert (Settings.from_env({}).import_appends, Settings.from_env({}).import_user_header) == (
        False,
        "X-Forwarded-User",
    )
    header = "X-Forwarded-User"
    assert uploader_from_headers({"X-FORWARDED-USER": "ana@example.org"}, header) == "ana@example.org"
    for headers in (
        {},
        {"X-Forwarded-User": "  "},
        {"X-Forwarded-User": "a\nb"},
        {"X-Forwarded-User": "x" * 257},
    ):
        assert uploader_from_headers(headers, header) is None, headers
    assert uploader_from_headers("not a mapping", header) is None
    assert uploader_from_headers({"X-Forwarded-User": "ana"}, "X-Remote-User") is None


def _import_body(app, fold: str, table: str) -> dict:
    """The body the page sends when Import is pressed with ``table`` chosen, into fold ``fold``."""
    key = next(k for k in app.callback_map if f"{ids.IMPORT_RESULT}.data" in k)
    cb = app.callback_map[key]
    state = {
        (ids.IMPORT_UPLOAD, "contents"): "data:text/csv;base64," + base64.b64encode(table.encode()).decode(),
        (ids.IMPORT_UPLOAD, "filename"): "cm.csv",
        (ids.IMPORT_FOLD, "value"): fold,
        (ids.IMPORT_KIND, "value"): "auto",
    }
    return {
        "output": key,
        "outputs": [{"id": o.component_id, "property": o.component_property} for o in cb["output"]],
        "inputs": [{**d, "value": 1} for d in cb["inputs"]],
        "state": [{**d, "value": state.get((d["id"], d["property"]))} for d in cb["state"]],
        "changedPropIds": [f"{ids.IMPORT_BUTTON}.n_clicks"],
    }


def _start_import(client, body: dict, user: str | None) -> dict[str, str]:
    """Press Import through the real callback route: the job's handles (``cacheKey``, ``job``)."""
    headers = {"X-Remote-User": user} if user else {}
    started = client.post("/_dash-update-component", json=body, headers=headers)
    assert started.status_code == 200, started.data[:300]
    return {k: started.get_json()[k] for k in ("cacheKey", "job")}


def _job_result(client, body: dict, handles: dict[str, str]) -> dict | None:
    """Poll a started job as the page does until it answers: its import result, or None when the
    job has ended and no result is left for these handles (the page then gets no update)."""
    deadline = time.monotonic() + 120  # a guard against hanging, not a speed check
    while time.monotonic() < deadline:
        answer = client.post("/_dash-update-component", json=body, query_string=handles)
        if answer.status_code == 204:
            return None
        if answer.status_code == 200 and "response" in (answer.get_json() or {}):
            return answer.get_json()["response"][ids.IMPORT_RESULT]["data"]
        time.sleep(0.1)
    raise AssertionError("the import job never answered")


def _import_on_the_page(client, app, user: str | None, fold: str, table: str) -> dict:
    """Press Import through the real callback route, then poll the background job's result."""
    body = _import_body(app, fold, table)
    result = _job_result(client, body, _start_import(client, body, user))
    assert result is not None, "the import job ended without a result"
    return result


def test_the_page_takes_the_uploader_from_the_portals_header(tmp_path: Path) -> None:
    settings = _settings(tmp_path, import_appends=True, import_user_header="X-Remote-User", poll_seconds=0)
    app = create_app(settings=settings)
    client = app.server.test_client()
    first = _import_on_the_page(client, app, "ana", "test", COUNTS)
    assert first["ok"], first
    assert json.loads((settings.logdir / "cm" / "run.json").read_text())["metadata"][IMPORTED_BY] == "ana"
    before = _hashes(settings.logdir)
    refused = _import_on_the_page(client, app, "bob", "val", MORE)
    assert not refused["ok"] and "not created by you (bob)" in refused["message"]
    nobody = _import_on_the_page(client, app, None, "val", MORE)
    assert not nobody["ok"] and "no X-Remote-User header" in nobody["message"]
    assert _hashes(settings.logdir) == before
    added = _import_on_the_page(client, app, "ana", "val", MORE)
    assert added["ok"] and added["series"] == ["cm/val"], added


def _running_children() -> set[int]:
    """This process's children that have not ended (local background jobs are child processes)."""
    alive = set()
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.add(child.pid)
    return alive


def _wait_for_jobs_to_end(started_before: set[int]) -> None:
    """Wait until every child process started since ``started_before`` was taken has ended."""
    deadline = time.monotonic() + 120  # a guard against hanging, not a speed check
    while _running_children() - started_before:
        assert time.monotonic() < deadline, "the import jobs never ended"
        time.sleep(0.05)


def test_two_requests_differing_only_in_the_uploader_header_get_their_own_results(tmp_path: Path) -> None:
    """The same Import press from two people at once: each page reads its own job's outcome.

    Both jobs have ended before either page polls, so a result key shared by the two jobs would
    hold only the last one's outcome and give it to whichever page asked first."""
    settings = _settings(tmp_path, import_appends=True, import_user_header="X-Remote-User", poll_seconds=0)
    app = create_app(settings=settings)
    client = app.server.test_client()
    assert _import_on_the_page(client, app, "ana", "test", COUNTS)["ok"]
    body = _import_body(app, "val", MORE)  # the same body for both: only the header differs
    others = _running_children()
    ana = _start_import(client, body, "ana")
    bob = _start_import(client, body, "bob")
    _wait_for_jobs_to_end(others)
    bobs = _job_result(client, body, bob)
    anas = _job_result(client, body, ana)
    assert bobs is not None and not bobs["ok"] and "not created by you (bob)" in bobs["message"], bobs
    assert anas is not None and anas["ok"] and anas["series"] == ["cm/val"], anas
    assert read_series(settings.logdir, "cm", "val").counts.tolist() == [[[7, 0], [0, 0]], [[0, 0], [0, 3]]]
