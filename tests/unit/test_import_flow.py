"""The import panel's flow: choosing a file imports nothing, Import imports it (and pressing it is
what people do), a file that is not a table is named, a file and a path at once are refused."""

from __future__ import annotations

import base64
from pathlib import Path

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.app.importing import BOTH_CHOSEN, import_from_page, upload_size
from confusionflow.components import ids
from confusionflow.components.import_panel import chosen_file_status
from confusionflow.data_access.store import LogStore

COUNTS = "step,y_true,y_pred,count\n1,a,a,5\n1,a,b,1\n1,b,a,2\n1,b,b,4\n"


def _settings(tmp_path: Path) -> Settings:
    (tmp_path / "logs").mkdir(exist_ok=True)
    return Settings(logdir=tmp_path / "logs", cache_dir=tmp_path / "cache", allow_upload=True)


def _data_url(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def _noop(_percent: int, _text: str) -> None:
    pass


def test_pressing_import_after_choosing_a_file_imports_it(tmp_path: Path):
    settings = _settings(tmp_path)
    out = import_from_page(
        settings, ids.IMPORT_BUTTON, _data_url(COUNTS), "cm.csv", None, None, "test", "auto", _noop
    )
    assert out.ok, out.message
    assert [s.key for s in LogStore(settings.logdir).list_series()] == ["cm/test"]


def test_choosing_a_file_imports_nothing(tmp_path: Path):
    settings = _settings(tmp_path)
    out = import_from_page(
        settings, ids.IMPORT_UPLOAD, _data_url(COUNTS), "cm.csv", None, None, "t", "auto", _noop
    )
    assert not out.ok and LogStore(settings.logdir).list_series() == []
    # the page wires the import to the button alone; the chosen file is read as state
    app = create_app(settings=settings)
    importing = [c for key, c in app.callback_map.items() if f"{ids.IMPORT_RESULT}.data" in key]
    assert len(importing) == 1
    assert [(i["id"], i["property"]) for i in importing[0]["inputs"]] == [(ids.IMPORT_BUTTON, "n_clicks")]


def test_a_file_that_is_not_a_table_is_named_and_not_imported(tmp_path: Path):
    settings = _settings(tmp_path)
    message = chosen_file_status("notes.txt")
    assert "“notes.txt” is not a table" in message and ".csv" in message
    out = import_from_page(
        settings, ids.IMPORT_BUTTON, _data_url("hello"), "notes.txt", None, None, None, "auto", _noop
    )
    assert not out.ok and out.message == message
    assert chosen_file_status("cm.csv", upload_size(_data_url(COUNTS))).startswith(
        "“cm.csv” (0.1 kB) is ready"
    )


def test_a_file_and_a_path_at_once_are_refused(tmp_path: Path):
    settings = _settings(tmp_path)
    out = import_from_page(
        settings, ids.IMPORT_BUTTON, _data_url(COUNTS), "cm.csv", "/data/x.csv", None, "t", "auto", _noop
    )
    assert not out.ok and out.message == BOTH_CHOSEN
    assert LogStore(settings.logdir).list_series() == []
