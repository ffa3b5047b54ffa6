"""Logs of many classes on object storage: read sparsely through the same storage layer.

Above ``OVERVIEW_MIN_CLASSES`` classes the app holds series as ``SparseCounts``; those must come
from the bucket exactly as from the local folder (a counts fold and a per-instance fold of 60
classes), and the page and the overview must show the same numbers. The moto S3 server on
127.0.0.1 and its credentials are the fixtures of ``test_s3_logs``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from confusionflow.app.callbacks.common import OVERVIEW_MIN_CLASSES
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore
from tests.factories import callback_request, layout_props
from tests.service.test_s3_logs import BUCKET, Moto, moto_server, s3_env, upload  # noqa: F401

pytest.importorskip("s3fs")
pytest.importorskip("moto")

pytestmark = pytest.mark.timeout(180)
N_CLASSES = 60
KEYS = ["counts/val", "preds/test"]


@pytest.fixture
def many_logs(s3_env: Moto, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str]:  # noqa: F811
    """A 60-class log folder (one counts fold, one per-instance fold of three steps), uploaded."""
    from confusionflow.data_access.writer import LogWriter

    assert N_CLASSES > OVERVIEW_MIN_CLASSES
    local = tmp_path / "logs"
    classes = [f"class {i:02d}" for i in range(N_CLASSES)]
    rng = np.random.default_rng(7)
    with LogWriter(local, "counts", classes, store_instances=False) as w:
        for step in (1, 2, 3):
            w.add_counts(
                step, "val", rng.integers(0, 3, (N_CLASSES, N_CLASSES)) + np.eye(N_CLASSES, dtype=int) * 9
            )
    y_true = np.arange(600) % N_CLASSES
    with LogWriter(local, "preds", classes) as w:
        for step in (1, 2, 3):
            wrong = rng.random(y_true.size) < 0.5 / step
            w.add(step, "test", y_true, np.where(wrong, (y_true + step) % N_CLASSES, y_true))
    prefix = f"many/{request.node.name}"
    upload(local, prefix)
    return local, f"s3://{BUCKET}/{prefix}"


def test_many_classes_load_sparsely_from_the_bucket_as_from_the_folder(
    many_logs: tuple[Path, str], tmp_path: Path
) -> None:
    from confusionflow.data_access.cache import make_cache

    local, url = many_logs
    here = LogStore(local).load_sparse(KEYS)
    store = LogStore(url, cache=make_cache(cache_dir=tmp_path / "arrays"))
    there = store.load_sparse(KEYS)
    assert there.classes == here.classes and len(there.classes) == N_CLASSES
    assert there.series == here.series and there.series_keys == tuple(KEYS)
    np.testing.assert_array_equal(there.steps, here.steps)
    np.testing.assert_array_equal(there.mask, here.mask)
    for name in ("rows", "cols", "diag"):
        np.testing.assert_array_equal(getattr(there, name), getattr(here, name))
    chosen = ["class 03", "class 41", "class 59"]
    np.testing.assert_array_equal(there.select_classes(chosen).counts, here.select_classes(chosen).counts)
    assert store.stats["parsed"] == 2
    again = store.load_sparse(KEYS)  # the combined entry is cached: nothing parsed again
    assert store.stats["parsed"] == 2
    np.testing.assert_array_equal(again.rows, here.rows)


def _request(app, output_id: str, values: dict[str, object], changed: str) -> dict:
    """The request of the callback that draws ``output_id``.figure, ``values`` by component id."""
    return callback_request(app, f"{output_id}.figure", values, [changed])


def test_the_page_and_the_overview_show_the_buckets_many_classes_as_the_folders(
    many_logs: tuple[Path, str], tmp_path: Path
) -> None:
    from confusionflow.app.config import Settings
    from confusionflow.app.factory import create_app

    local, url = many_logs
    apps = {
        where: create_app(location, settings=Settings(cache_dir=tmp_path / where, poll_seconds=0))
        for where, location in (("local", local), ("s3", url))
    }
    layouts = {}
    for where, app in apps.items():
        r = app.server.test_client().get("/_dash-layout")
        assert r.status_code == 200
        layouts[where] = r.get_json()
    text = json.dumps(layouts["s3"])
    assert "counts/val" in text and "Traceback" not in text and "cannot be read" not in text
    drawn = {}
    for where, app in apps.items():
        overview = layout_props(layouts[where], ids.OVERVIEW_GRAPH)
        assert overview is not None
        # the page sends the panel's style as it is in the layout: shown, with its graph mounted
        panel = layout_props(layouts[where], ids.OVERVIEW_PANEL)
        assert panel is not None
        values = {ids.SERIES_KEYS: KEYS, ids.OVERVIEW_PANEL: panel["style"]}
        body = json.dumps(_request(app, ids.OVERVIEW_GRAPH, values, f"{ids.SERIES_KEYS}.data"))
        r = app.server.test_client().post(
            "/_dash-update-component", data=body, content_type="application/json"
        )
        assert r.status_code == 200, r.get_data(as_text=True)[:500]
        drawn[where] = (overview.get("figure"), r.get_json()["response"])
    assert drawn["s3"] == drawn["local"]
    figure = drawn["s3"][1][ids.OVERVIEW_GRAPH]["figure"]
    z = _array(figure["data"][0]["z"])
    assert z.shape == (N_CLASSES, N_CLASSES) and np.isfinite(z).any()


def _array(value: object) -> np.ndarray:
    """A figure array as Plotly sends it: a list, or ``{"dtype", "bdata", "shape"}`` (base64)."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", flat.size)).split(",")]
        return flat.reshape(shape)
    return np.asarray(value, dtype=float)
