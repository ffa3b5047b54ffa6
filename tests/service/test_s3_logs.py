"""Logs on object storage: a real S3-compatible server (moto in server mode) on 127.0.0.1.

A log folder written by ``LogWriter`` is uploaded to a bucket; ``LogStore("s3://bucket/prefix")``
must list and load exactly what the local folder gives, see an appended step, serve the page
and a matrix callback with a bounded number of LIST requests, and name what is wrong with an
unknown scheme, a missing bucket and missing credentials. AWS credentials are dummy values; the
instance metadata service is disabled, so nothing but loopback is ever contacted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from confusionflow.components import ids
from confusionflow.data_access.object_store import MIN_FINGERPRINT_TTL
from confusionflow.data_access.storage import StorageError
from confusionflow.data_access.store import LogStore
from tests.conftest import free_port
from tests.factories import callback_request
from tests.service.conftest import append_steps, write_logs

pytest.importorskip("s3fs")
pytest.importorskip("moto")

pytestmark = pytest.mark.timeout(120)
BUCKET = "cf-logs"


class Moto:
    """A moto S3 server process; ``lists()`` counts the LIST requests in its request log."""

    def __init__(self, port: int, log: Path, proc: subprocess.Popen) -> None:
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log = log
        self.proc = proc

    def lists(self) -> int:
        """LIST requests logged so far (the server logs a request after answering it: wait until
        its log has been still for a moment, at most 5 s)."""
        deadline, size = time.monotonic() + 5, -1
        while size != self.log.stat().st_size and time.monotonic() < deadline:
            size = self.log.stat().st_size
            time.sleep(0.3)
        return self.log.read_text(errors="replace").count("list-type=2")


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "requests.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Moto(port, log, proc)
    try:
        import urllib.request

        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(server.endpoint + "/", timeout=2).close()
                break
            except Exception:  # noqa: BLE001 - not up yet
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start:\n" + log.read_text()[-3000:]) from None
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_env(moto_server: Moto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Moto:
    """Dummy credentials and the loopback endpoint for botocore; no metadata service."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_server.endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return moto_server


def _fs():
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True)


def upload(local: Path, prefix: str) -> None:
    """Copy a log folder to ``s3://BUCKET/prefix`` object by object (hidden files skipped)."""
    fs = _fs()
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
    for path in sorted(local.rglob("*")):
        rel = path.relative_to(local).as_posix()
        if path.is_file() and not any(p.startswith(".") for p in rel.split("/")):
            fs.pipe_file(f"{BUCKET}/{prefix}/{rel}", path.read_bytes())


@pytest.fixture
def logs(s3_env: Moto, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:
    local = tmp_path / "logs"
    local.mkdir()
    write_logs(local, {"alpha": 4, "beta": 3})
    from confusionflow.data_access.writer import LogWriter

    with LogWriter(local, "gamma", ["bird", "cat", "dog"], store_instances=False) as w:
        for step in (1, 2):
            w.add_counts(step, "val", np.arange(9).reshape(3, 3) + step)
    prefix = f"runs/{request.node.name}"
    upload(local, prefix)
    return local, f"s3://{BUCKET}/{prefix}"


def test_same_series_and_tensors_as_the_local_folder(logs: tuple[Path, str]) -> None:
    local, url = logs
    here, there = LogStore(local), LogStore(url)
    assert type(there).__name__ == "ObjectLogStore" and str(there.root) == url
    assert [i.key for i in there.list_series()] == [i.key for i in here.list_series()]
    assert [i.key for i in there.list_series()] == ["alpha/test", "beta/test", "gamma/val"]
    assert there.problems() == [] and here.problems() == []
    keys = ["alpha/test", "beta/test"]
    a, b = here.load(keys).tensor, there.load(keys).tensor
    assert a is not None and b is not None
    assert np.array_equal(a.counts, b.counts) and np.array_equal(a.steps, b.steps) and a.classes == b.classes
    ga, gb = here.load_series("gamma/val"), there.load_series("gamma/val")
    assert np.array_equal(ga.counts, gb.counts) and gb.counts[1, 0, 0] == 2
    inst = there.instances("alpha/test", 2)
    assert inst is not None and inst.equals(here.instances("alpha/test", 2))


def test_an_appended_step_changes_the_fingerprint_and_appears(logs: tuple[Path, str], tmp_path: Path) -> None:
    from confusionflow.data_access.cache import make_cache

    local, url = logs
    store = LogStore(url, cache=make_cache(cache_dir=tmp_path / "arrays"), fingerprint_ttl=0)
    before = store.fingerprint()
    assert store.fingerprint() == before  # within the reuse time: no new listing
    assert len(store.load_series("gamma/val").steps) == 2
    assert len(store.load_series("alpha/test").steps) == 4
    from confusionflow.data_access.writer import LogWriter

    with LogWriter(local, "gamma", ["bird", "cat", "dog"], mode="resume", store_instances=False) as w:
        w.add_counts(3, "val", np.full((3, 3), 7))
    append_steps(local, "alpha", 5, 5)
    upload(local, url.removeprefix(f"s3://{BUCKET}/"))  # a new version of the counts file
    store._fingerprint = None  # skip the reuse time rather than sleep through it
    after = store.fingerprint()
    assert after != before
    series = store.load_series("gamma/val")
    assert list(series.steps) == [1.0, 2.0, 3.0] and int(series.counts[2].sum()) == 63
    alpha = store.load_series("alpha/test")
    assert list(alpha.steps) == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert np.array_equal(alpha.counts, LogStore(local).load_series("alpha/test").counts)
    assert store.stats["incremental"] == 1  # steps 1-4 came from the cache, only step 5 was read
    assert store.catalog() is store.catalog()  # one scan per fingerprint


def test_page_and_matrix_callback_with_bounded_listings(
    logs: tuple[Path, str], moto_server: Moto, tmp_path: Path
) -> None:
    from confusionflow.app.config import Settings
    from confusionflow.app.factory import create_app

    local, url = logs
    apps = {
        where: create_app(location, settings=Settings(cache_dir=tmp_path / where, poll_seconds=5.0))
        for where, location in (("local", local), ("s3", url))
    }
    client = apps["s3"].server.test_client()
    time.sleep(MIN_FINGERPRINT_TTL)  # the listing made while the app was built is no longer reused
    start = moto_server.lists()
    page = client.get("/")
    layout = client.get("/_dash-layout")
    assert page.status_code == 200 and layout.status_code == 200
    text = layout.get_data(as_text=True).replace("\\u002f", "/")
    assert "alpha/test" in text and "gamma/val" in text and "Traceback" not in text
    page_lists = moto_server.lists() - start
    print(f"LIST requests for one page load: {page_lists}")
    # serve_layout asks for the series, the problems and the fingerprint: one listing serves all
    assert 1 <= page_lists <= 2, f"{page_lists} LIST requests for one page load"
    body = json.dumps(_matrix_request(apps["s3"], ["alpha/test", "beta/test"]))
    drawn = {}
    for where, app in apps.items():
        r = app.server.test_client().post(
            "/_dash-update-component", data=body, content_type="application/json"
        )
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        drawn[where] = r.get_json()["response"]
    assert drawn["s3"] == drawn["local"]  # the same matrix, from the bucket as from the folder
    figure = drawn["s3"][ids.MATRIX_GRAPH]["figure"]
    assert any(t.get("type") == "heatmap" for t in figure["data"])
    assert moto_server.lists() - start <= page_lists + 1  # at most one more, once the reuse time is over


def _matrix_request(app, keys: list[str]) -> dict:
    """The matrix callback's request for ``keys`` at steps 1..3, other inputs at their defaults."""
    from confusionflow.app.callbacks.common import Selection

    selection = Selection(series=tuple(keys), steps=(1.0, 2.0, 3.0)).to_store()
    return callback_request(
        app, f"{ids.MATRIX_GRAPH}.figure", {ids.SELECTION: selection}, [f"{ids.SELECTION}.data"]
    )


def test_unknown_scheme_and_missing_bucket_are_clear_errors(s3_env: Moto) -> None:
    with pytest.raises(StorageError, match=r"unknown URL scheme 'nosuch'"):
        LogStore("nosuch://bucket/logs")
    store = LogStore(f"s3://no-such-bucket-{os.getpid()}/logs")
    assert store.list_series() == []
    (problem,) = store.problems()
    assert "no such bucket or prefix" in problem.message and "no-such-bucket" in problem.message
    assert store.load(["a/b"]).tensor is None


def test_missing_credentials_are_a_clear_error(
    logs: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = logs
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    (problem,) = LogStore(url).problems()
    assert "no credentials" in problem.message and "AWS_ACCESS_KEY_ID" in problem.message


def test_writing_to_a_url_is_refused(s3_env: Moto) -> None:
    from confusionflow.data_access.writer import LogWriter

    with pytest.raises(StorageError, match="only be written to a local folder"):
        LogWriter(f"s3://{BUCKET}/w", "run", ["a", "b"])


def test_the_command_line_and_the_page_name_a_bad_location(
    s3_env: Moto, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from confusionflow.app.__main__ import parse_settings
    from confusionflow.app.config import Settings
    from confusionflow.app.factory import create_app

    for location, reason in (
        ("nosuch://bucket/logs", "unknown URL scheme 'nosuch'"),
        ("gcs://bucket/logs", "pip install gcsfs"),
        (f"s3://no-such-bucket-{os.getpid()}/logs", "no such bucket or prefix"),
    ):
        with pytest.raises(SystemExit):
            parse_settings(["--logdir", location], environ={})
        err = capsys.readouterr().err
        assert reason in err and "Traceback" not in err, err
    with pytest.raises(StorageError, match="unknown URL scheme"):
        create_app("nosuch://bucket/logs", settings=Settings(cache_dir=tmp_path, poll_seconds=0))
    # a bucket that disappears while serving: the page opens and lists the problem
    app = create_app(f"s3://gone-{os.getpid()}/logs", settings=Settings(cache_dir=tmp_path, poll_seconds=0))
    layout = app.server.test_client().get("/_dash-layout")
    text = layout.get_data(as_text=True)
    assert layout.status_code == 200 and "no such bucket or prefix" in text and "Traceback" not in text
