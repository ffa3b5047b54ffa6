"""The hostile-input corpus's two checks, shared by ``test_hostile_files`` and ``test_hostile_imports``.

Every case of the corpus (a damaged log file, a hostile name, a table built to cost the server)
ends the same way: the SHA-256 of every source file is what it was before the case ran, and an app
built on the log folder still answers the page (``GET /``, its layout) and a normal callback (the
live poll, which lists the series) with the series that should still be there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.components import ids

HUGE_BYTES = 64 * 1024**2  # the corpus's sparse 2 GB files: hashed by their ends, size and mtime


def _digest(path: Path) -> str:
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size <= HUGE_BYTES:
            return hashlib.sha256(f.read()).hexdigest()
        head = f.read(1024**2)
        f.seek(size - 1024**2)
        return hashlib.sha256(head + f.read() + str(size).encode()).hexdigest()


def source_hashes(*roots: Path) -> dict[str, str]:
    """``{path: "<sha256>:<mtime ns>"}`` of every regular file under each root (a root that is a
    file: that file). Files over 64 MiB (sparse, costing no disk) are hashed by their first and
    last MiB and their size, so a 2 GB case does not read 2 GB."""
    out: dict[str, str] = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in files:
            out[str(p)] = f"{_digest(p)}:{p.stat().st_mtime_ns}"
    return out


def _poll_request(app: Any) -> dict[str, Any]:
    """The body the page sends for the live poll (built from the app's own callback map)."""
    key = next(k for k in app.callback_map if f"{ids.FINGERPRINT}.data" in k)
    cb = app.callback_map[key]
    return {
        "output": key,
        "outputs": [{"id": o.component_id, "property": o.component_property} for o in cb["output"]],
        "inputs": [{**d, "value": 1 if d["id"] == ids.POLL else None} for d in cb["inputs"]],
        "state": [{**d, "value": None} for d in cb["state"]],
        "changedPropIds": [f"{ids.POLL}.n_intervals"],
    }


def assert_app_answers(logdir: Path, cache_dir: Path, series: Sequence[str]) -> None:
    """An app on ``logdir`` serves the page and its layout, and the live poll lists ``series``."""
    settings = Settings(logdir=logdir, cache_dir=cache_dir, poll_seconds=5)
    app = create_app(logdir, settings=settings)
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 200 and b"_dash-renderer" in page.data, page.data[:300]
    assert client.get("/_dash-layout").status_code == 200
    answer = client.post("/_dash-update-component", json=_poll_request(app))
    assert answer.status_code == 200, answer.data[:300]
    options = answer.get_json()["response"][ids.SERIES_DROPDOWN]["options"]
    assert sorted(o["value"] for o in options) == sorted(series)


@contextmanager
def hostile_case(
    sources: Sequence[Path], logdir: Path, cache_dir: Path, series: Sequence[str] = ()
) -> Iterator[None]:
    """Run one case: hashes of ``sources`` before, unchanged after; then the app still answers
    (and, having only read them, leaves them unchanged too)."""
    before = source_hashes(*sources)
    assert before, f"no source file under {sources}"
    yield
    assert source_hashes(*sources) == before
    logdir.mkdir(parents=True, exist_ok=True)
    assert_app_answers(logdir, cache_dir, series)
    assert source_hashes(*sources) == before
