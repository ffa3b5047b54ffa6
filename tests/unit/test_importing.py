"""Imports from the page: new runs only, server paths only inside the import folders, and no
error that shows another file's content. Also: building the app reads no environment."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from confusionflow.app.config import Settings
from confusionflow.app.importing import PATHS_OFF, ImportRequest, redacted, run_import, server_file
from confusionflow.data_access.store import LogStore

COUNTS = "step,y_true,y_pred,count\n1,a,a,5\n1,a,b,1\n1,b,a,2\n1,b,b,4\n"
SECRET = "api_key,password\nAKIA123,hunter2\n"


def _noop(_percent: int, _text: str) -> None:
    pass


def _settings(tmp_path: Path, *import_dirs: Path) -> Settings:
    logdir = tmp_path / "logs"
    logdir.mkdir(exist_ok=True)
    return Settings(logdir=logdir, cache_dir=tmp_path / "cache", allow_upload=True, import_dirs=import_dirs)


def _tree(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in path.rglob("*")
        if p.is_file()
    }


def test_an_import_into_an_existing_run_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    first = run_import(ImportRequest("cm.csv", content=COUNTS.encode(), fold="test"), settings, _noop)
    assert first.ok, first.message
    before = _tree(settings.logdir)
    again = run_import(
        ImportRequest("other.csv", content=COUNTS.encode(), run="cm", fold="val"), settings, _noop
    )
    assert not again.ok
    assert "run 'cm' already exists" in again.message and "new runs only" in again.message
    assert _tree(settings.logdir) == before  # no fold appended to somebody else's run
    assert [s.key for s in LogStore(settings.logdir).list_series()] == ["cm/test"]


def test_a_table_whose_run_column_names_an_existing_run_is_refused(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert run_import(ImportRequest("mine.csv", content=COUNTS.encode(), fold="a"), settings, _noop).ok
    table = "run,fold,step,y_true,y_pred,count\nfresh,x,1,a,b,1\nmine,x,1,b,a,2\n"
    out = run_import(ImportRequest("t.csv", content=table.encode()), settings, _noop)
    assert not out.ok and "'mine' already exists" in out.message
    assert not (settings.logdir / "fresh").exists()


def test_server_paths_are_off_without_import_folders(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    source = tmp_path / "cm.csv"
    source.write_text(COUNTS)
    out = run_import(ImportRequest(str(source), server_path=source), settings, _noop)
    assert (out.ok, out.message) == (False, f"Import failed: {source}: {PATHS_OFF}")
    assert list(settings.logdir.iterdir()) == []


def test_server_paths_outside_the_import_folders_are_refused(tmp_path: Path) -> None:
    allowed = tmp_path / "incoming"
    allowed.mkdir()
    outside = tmp_path / "private" / "cm.csv"
    outside.parent.mkdir()
    outside.write_text(COUNTS)
    (allowed / "link.csv").symlink_to(outside)
    settings = _settings(tmp_path, allowed)
    for typed in (str(outside), str(allowed / ".." / "private" / "cm.csv"), "link.csv", "../private/cm.csv"):
        out = run_import(ImportRequest(typed, server_path=Path(typed)), settings, _noop)
        assert not out.ok and "limited to the import folders" in out.message, typed
    assert list(settings.logdir.iterdir()) == []
    (allowed / "ok.csv").write_text(COUNTS)
    inside = run_import(ImportRequest("ok.csv", server_path=Path("ok.csv"), fold="test"), settings, _noop)
    assert inside.ok and inside.series == ("ok/test",)


def test_errors_about_a_server_file_do_not_show_its_content(tmp_path: Path) -> None:
    allowed = tmp_path / "incoming"
    allowed.mkdir()
    (allowed / "secrets.csv").write_text(SECRET)
    (allowed / "values.csv").write_text("step,y_true,y_pred,count\nhunter2,a,a,1\n")
    settings = _settings(tmp_path, allowed)
    for name in ("secrets.csv", "values.csv"):
        out = run_import(ImportRequest(name, server_path=Path(name), kind="counts"), settings, _noop)
        assert not out.ok and out.message.startswith(f"Import failed: {name}: ")
        for secret in ("api_key", "password", "AKIA123", "hunter2"):
            assert secret not in out.message, out.message


def test_redaction_keeps_the_reason_and_the_requests_own_words() -> None:
    message = "missing column 'y_pred'. Columns found: ['api_key', 'password']"
    assert redacted(message, ("y_pred",)) == "missing column 'y_pred'"
    assert redacted("row 3: 'hunter2' is not a number") == "row 3: '…' is not a number"


def test_server_file_resolves_relative_paths_inside_the_folders(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(COUNTS)
    assert server_file("t.csv", [tmp_path]) == (tmp_path / "t.csv").resolve()


def test_importing_the_factory_reads_no_environment_and_builds_no_celery() -> None:
    code = (
        "import os, sys\n"
        "read = []\n"
        "class Spy(dict):\n"
        "    def get(self, k, d=None):\n"
        "        if k.startswith('CONFUSIONFLOW_') or k == 'REDIS_URL': read.append(k)\n"
        "        return super().get(k, d)\n"
        "    def __getitem__(self, k):\n"
        "        if k.startswith('CONFUSIONFLOW_') or k == 'REDIS_URL': read.append(k)\n"
        "        return super().__getitem__(k)\n"
        "os.environ = Spy(os.environ)\n"
        "import confusionflow.app.factory, confusionflow.app.background\n"
        "print(read, confusionflow.app.background._celery_apps, 'confusionflow.app.worker' in sys.modules)\n"
    )
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0"}
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[] {} False"


def test_a_page_import_writes_at_most_the_servers_run_limit(tmp_path: Path) -> None:
    """``Settings.max_import_runs`` (CONFUSIONFLOW_MAX_IMPORT_RUNS) bounds one page import: over
    it, nothing is written and the message says the limit."""
    from confusionflow.app.config import DEFAULT_MAX_IMPORT_RUNS
    from confusionflow.data_access.importers.limits import MAX_RUNS

    assert Settings().max_import_runs == DEFAULT_MAX_IMPORT_RUNS == MAX_RUNS
    assert Settings.from_env({"CONFUSIONFLOW_MAX_IMPORT_RUNS": "2"}).max_import_runs == 2
    logdir = tmp_path / "logs"
    logdir.mkdir()
    settings = Settings(logdir=logdir, cache_dir=tmp_path / "cache", allow_upload=True, max_import_runs=2)
    table = "run,step,y_true,y_pred,count\n" + "".join(f"r{i},1,a,b,1\n" for i in range(3))
    out = run_import(ImportRequest("runs.csv", content=table.encode(), fold="f"), settings, lambda *_: None)
    assert not out.ok
    assert out.message == (
        "Import failed: runs.csv: the import holds 3 runs, more than the import limit of 2 runs per "
        "import; split it into several imports"
    )
    assert list(logdir.iterdir()) == []
    two = table.rsplit("r2,", 1)[0]
    out = run_import(ImportRequest("runs.csv", content=two.encode(), fold="f"), settings, lambda *_: None)
    assert out.ok and out.series == ("r0/f", "r1/f"), out.message
