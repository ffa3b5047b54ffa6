"""The table import behind the page's import panel, and the background-job managers."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import dash
import pytest

from confusionflow.app.background import celery_app_for, make_background_manager
from confusionflow.app.config import Settings
from confusionflow.app.importing import (
    REFUSED,
    ImportRequest,
    decode_upload,
    default_run_name,
    import_from_page,
    run_import,
    table_suffix,
)
from confusionflow.components import import_panel as ip
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.store import LogStore
from tests.factories import find_id

PREDICTIONS = "step,fold,instance_id,y_true,y_pred\n" + "".join(
    f"{s},test,{i},{'ab'[i % 2]},{'ab'[(i + s) % 3 % 2]}\n" for s in (1, 2) for i in range(6)
)
COUNTS = "step,y_true,y_pred,count\n1,a,a,5\n1,a,b,1\n1,b,a,2\n1,b,b,4\n2,a,a,6\n2,b,b,6\n"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def __call__(self, percent: int, text: str) -> None:
        self.calls.append((percent, text))

    @property
    def percents(self) -> list[int]:
        return [p for p, _ in self.calls]


def _settings(tmp_path: Path, allow: bool = True) -> Settings:
    """Imports allowed (or not) into ``tmp_path/logs``; server paths inside ``tmp_path`` only."""
    logdir = tmp_path / "logs"
    logdir.mkdir(exist_ok=True)
    return Settings(logdir=logdir, cache_dir=tmp_path / "cache", allow_upload=allow, import_dirs=(tmp_path,))


def test_uploaded_predictions_table_becomes_a_series_with_progress_to_100(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    progress = Recorder()
    out = run_import(ImportRequest("my run.csv", content=PREDICTIONS.encode()), settings, progress)
    assert out.ok, out.message
    assert out.series == ("my run/test",)
    assert out.message == "Imported my run.csv as my run/test (2 confusion matrices, 2 classes)."
    assert progress.percents == sorted(progress.percents) and progress.percents[-1] == 100
    series = LogStore(settings.logdir).load_series("my run/test")
    assert series.steps.tolist() == [1, 2]
    assert int(series.counts[0].sum()) == 6
    assert sorted(p.name for p in settings.logdir.iterdir()) == ["my run"]  # no temporary file left behind


def test_counts_table_on_the_server_is_detected_and_left_untouched(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    source = tmp_path / "cm.csv"
    source.write_text(COUNTS)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    out = run_import(ImportRequest(str(source), server_path=source, fold="val"), settings, Recorder())
    assert out.ok, out.message
    assert out.series == ("cm/val",)
    counts = LogStore(settings.logdir).load_series("cm/val").counts
    assert counts[0].tolist() == [[5, 1], [2, 4]]
    assert counts[1].tolist() == [[6, 0], [0, 6]]
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_refused_unless_uploads_are_allowed(tmp_path: Path) -> None:
    settings = _settings(tmp_path, allow=False)
    progress = Recorder()
    out = run_import(ImportRequest("a.csv", content=PREDICTIONS.encode()), settings, progress)
    assert not out.ok and out.message == REFUSED
    assert "--allow-upload" in out.message
    assert progress.calls == []
    assert list(settings.logdir.iterdir()) == []
    data_url = "data:text/csv;base64," + base64.b64encode(PREDICTIONS.encode()).decode()
    page = import_from_page(
        settings, ip.IMPORT_BUTTON, data_url, "a.csv", None, None, None, "auto", Recorder()
    )
    assert (page.ok, page.message) == (False, REFUSED)


def test_bad_upload_names_the_users_file_not_the_temporary_copy(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    bad = "step,y_true\n1,a\n"
    out = run_import(ImportRequest("results.csv", content=bad.encode(), fold="test"), settings, Recorder())
    assert not out.ok
    assert out.message.startswith("Import failed: results.csv")
    assert "y_pred" in out.message
    assert "cf-import-" not in out.message
    assert list(settings.logdir.iterdir()) == []


def test_missing_server_file_and_wrong_type_are_clear_errors(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    missing = tmp_path / "nope.parquet"
    out = run_import(ImportRequest(str(missing), server_path=missing), settings, Recorder())
    assert (out.ok, out.message) == (False, f"Import failed: {missing}: no such file on the server")
    out = run_import(ImportRequest("model.pt", content=b"x"), settings, Recorder())
    assert not out.ok and "Import failed: model.pt: unsupported file type" in out.message
    out = run_import(ImportRequest(""), settings, Recorder())
    assert not out.ok and "Choose a file" in out.message


def test_page_values_choose_the_upload_or_the_typed_path(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    source = tmp_path / "typed.csv"
    source.write_text(PREDICTIONS)
    data_url = "data:text/csv;base64," + base64.b64encode(PREDICTIONS.encode()).decode()
    # the Import button imports whichever was given: the chosen file, or the typed path
    dropped = import_from_page(
        settings, ip.IMPORT_BUTTON, data_url, "dropped.csv", "", "", "", "auto", Recorder()
    )
    typed = import_from_page(
        settings, ip.IMPORT_BUTTON, None, None, f" {source} ", "", "", "auto", Recorder()
    )
    assert dropped.series == ("dropped/test",)
    assert typed.series == ("typed/test",)
    both = import_from_page(
        settings, ip.IMPORT_BUTTON, data_url, "again.csv", str(source), "", "", "auto", Recorder()
    )
    assert not both.ok and "clear one of them" in both.message


def test_decode_upload() -> None:
    assert decode_upload("data:text/csv;base64," + base64.b64encode(b"a,b\n").decode(), "x.csv") == b"a,b\n"
    with pytest.raises(LogFormatError, match="x.csv: the upload is not a base64 data URL"):
        decode_upload("no comma here", "x.csv")
    with pytest.raises(LogFormatError, match="x.csv: the upload is not valid base64"):
        decode_upload("data:text/csv;base64,@@@", "x.csv")


@pytest.mark.parametrize(
    ("name", "suffix", "run"),
    [
        ("a.csv", ".csv", "a"),
        ("/data/resnet-preds.CSV.gz", ".csv.gz", "resnet-preds"),
        ("x.tsv", ".tsv", "x"),
        ("p.parquet", ".parquet", "p"),
        ("p.pq", ".pq", "p"),
        (".csv", ".csv", "imported"),
    ],
)
def test_table_names(name: str, suffix: str, run: str) -> None:
    assert table_suffix(name) == suffix
    assert default_run_name(name) == run


def test_background_manager_is_diskcache_locally_and_celery_with_redis(tmp_path: Path) -> None:
    local = make_background_manager(Settings(cache_dir=tmp_path))
    assert isinstance(local, dash.DiskcacheManager)
    assert (tmp_path / "jobs").is_dir()
    assert make_background_manager(Settings(cache_dir=tmp_path)) is local  # one per destination
    url = "redis://127.0.0.1:1/0"  # nothing listens there: creating the manager must not connect
    remote = make_background_manager(Settings(cache_dir=tmp_path, redis_url=url))
    assert isinstance(remote, dash.CeleryManager)
    assert remote.handle is celery_app_for(url)
    assert remote.handle.conf.broker_url == url
    assert remote.handle.conf.task_serializer == "json"


def test_panel_controls_are_disabled_and_explained_unless_uploads_are_allowed() -> None:
    off = ip.import_panel(allow_upload=False)
    on = ip.import_panel(allow_upload=True)
    for cid in (ip.IMPORT_UPLOAD, ip.IMPORT_PATH, ip.IMPORT_RUN, ip.IMPORT_FOLD, ip.IMPORT_BUTTON):
        assert find_id(off, cid).disabled is True, cid
        assert find_id(on, cid).disabled is False, cid
    assert "--allow-upload" in str(off.children[1].children)
    assert "--allow-upload" not in str(on.children[1].children)
    assert find_id(on, ip.IMPORT_UPLOAD).max_size == ip.MAX_UPLOAD_BYTES


def test_celery_worker_without_redis_stops_with_a_message() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CONFUSIONFLOW_REDIS_URL")}
    r = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "confusionflow.app.worker", "worker", "--pool=solo"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "set REDIS_URL (or CONFUSIONFLOW_REDIS_URL)" in r.stderr
