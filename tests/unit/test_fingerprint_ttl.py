"""One folder walk serves a page load and the callbacks it fires (``fingerprint_ttl``)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import confusionflow.data_access.store as store_module
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.data_access.store import LogStore
from tests.factories import write_run


def _run(root: Path, name: str) -> None:
    write_run(root, name, ["cat", "dog"], counts={"val": {0: [[3, 1], [0, 2]]}})


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every folder walk (fingerprint) a LogStore makes, by root."""
    seen: list[Path] = []
    real = store_module.log_fingerprint

    def counting(root: Path) -> str:
        seen.append(Path(root))
        return real(root)

    monkeypatch.setattr(store_module, "log_fingerprint", counting)
    return seen


def test_calls_within_the_ttl_share_one_walk_and_one_scan(tmp_path: Path, walks: list[Path]) -> None:
    _run(tmp_path, "alpha")
    store = LogStore(tmp_path, fingerprint_ttl=60.0)
    listings = [store.list_series() for _ in range(8)]
    assert len(walks) == 1
    assert store.scans == 1
    assert all([s.key for s in got] == [s.key for s in listings[0]] for got in listings)
    assert [s.key for s in listings[0]] and all(k.startswith("alpha/") for k in (s.key for s in listings[0]))


def test_without_a_ttl_every_call_walks_the_folder(tmp_path: Path, walks: list[Path]) -> None:
    _run(tmp_path, "alpha")
    store = LogStore(tmp_path)
    for _ in range(8):
        store.list_series()
    assert len(walks) == 8
    assert store.scans == 1  # nothing changed, so the run files are read once all the same


def test_a_new_run_is_seen_once_the_ttl_has_passed(tmp_path: Path, walks: list[Path]) -> None:
    _run(tmp_path, "alpha")
    store = LogStore(tmp_path, fingerprint_ttl=0.2)
    assert {s.key.split("/")[0] for s in store.list_series()} == {"alpha"}
    _run(tmp_path, "beta")
    assert {s.key.split("/")[0] for s in store.list_series()} == {"alpha"}  # within the ttl
    time.sleep(0.25)
    assert {s.key.split("/")[0] for s in store.list_series()} == {"alpha", "beta"}
    assert store.scans == 2 and len(walks) == 2


def test_the_app_passes_its_ttl_so_a_page_load_and_its_callbacks_walk_once(
    tmp_path: Path, walks: list[Path]
) -> None:
    logdir = tmp_path / "logs"
    _run(logdir, "alpha")
    assert Settings().fingerprint_ttl_seconds == 1.0
    app = create_app(
        logdir, settings=Settings(cache_dir=tmp_path / "cache", poll_seconds=0, fingerprint_ttl_seconds=60.0)
    )
    client = app.server.test_client()
    for _ in range(3):  # the page and the requests that follow it
        assert client.get("/").status_code == 200
    assert len([w for w in walks if w == logdir]) == 1
