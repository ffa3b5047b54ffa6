"""Every view's first answer in the layout (app/first_figures.py), the small validation layout and
the early layout request (app/delivery.py, app/early_requests.py), on small real logs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from confusionflow.app.callbacks.class_charts import class_performance_update, performance_meta
from confusionflow.app.callbacks.common import series_colors, view_tensor
from confusionflow.app.callbacks.inputs import Bounds, parse_inputs
from confusionflow.app.callbacks.timeline import timeline_figure
from confusionflow.app.config import Settings
from confusionflow.app.factory import create_app
from confusionflow.components import ids
from confusionflow.data_access.store import LogStore
from confusionflow.data_access.writer import LogWriter
from tests.factories import improving_counts, layout_ids

CLASSES = ["cat", "dog", "fox"]
STEPS = (1, 2, 3, 5, 8)
QUERY = "?s=alpha/test&s=beta/test&epoch=5"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    for run in ("alpha", "beta"):
        with LogWriter(root, run, CLASSES) as w:
            for step in STEPS:
                w.add_counts(step, "test", improving_counts(step))
    return root


@pytest.fixture(scope="module")
def app(logdir: Path, tmp_path_factory: pytest.TempPathFactory):
    return create_app(logdir, settings=Settings(cache_dir=tmp_path_factory.mktemp("cache"), poll_seconds=0))


def layout_props(app, query: str) -> dict[str, dict]:
    """``{component id: props}`` of the ``_dash-layout`` answer for a page at ``query``."""
    answer = app.server.test_client().get(
        "/_dash-layout", headers={"Referer": "http://127.0.0.1:8050/" + query}
    )
    assert answer.status_code == 200
    return layout_ids(json.loads(answer.data))


def test_no_server_callback_runs_when_a_page_opens(app):
    # the layout holds every answer an opening callback would give: Dash must fire none of them
    opening = [
        [
            o["id"] if isinstance(o, dict) else o
            for o in (c["output"] if isinstance(c["output"], list) else [c["output"]])
        ]
        for c in app._callback_list  # noqa: SLF001 - Dash's registry of callbacks
        if not c.get("clientside_function") and not c.get("prevent_initial_call")
    ]
    assert opening == []


def test_the_layout_carries_every_views_first_figure_as_its_callback_draws_it(app, logdir):
    props = layout_props(app, QUERY)
    for graph in ids.GRAPHS:
        figure = props[graph]["figure"]
        assert figure["data"], graph
        assert not (figure["layout"].get("meta") or {}).get("loading"), graph
    assert "heatmap" in {t["type"] for t in props[ids.MATRIX_GRAPH]["figure"]["data"]}
    assert props[ids.MATRIX_META]["data"]["classes"] == CLASSES
    assert props[ids.MATRIX_META]["data"]["series"] == ["alpha/test", "beta/test"]
    assert props[ids.MATRIX_META]["data"]["epoch"] == 5.0
    # two series, three metrics: a line trace per metric and series (every class stacked in it)
    perf = props[ids.CLASS_PERF_GRAPH]["figure"]["data"]
    assert sum(t["type"] == "scatter" for t in perf) == 2 * 3
    assert [t["type"] for t in props[ids.DISTRIBUTION_GRAPH]["figure"]["data"]] == ["bar", "bar"]
    assert props[ids.DETAIL_TITLE]["children"]
    # the same answers the callbacks give for these inputs
    store = LogStore(logdir)
    raw = {
        "selection": props[ids.SELECTION]["data"],
        "slots": props[ids.SLOTS]["data"],
        "step_range": props[ids.RANGE_STORE].get("data"),
        "epoch": props[ids.EPOCH_STORE]["data"],
    }
    page = parse_inputs(raw, Bounds.of(store.list_series()))
    tensor = view_tensor(store, page.selection)
    assert tensor is not None
    colors = series_colors(page.selection.series, page.slots)
    assert props[ids.CLASS_PERF_META]["data"] == performance_meta(tensor, page, colors, store.fingerprint())
    perf_answer = class_performance_update(store, raw, {}, None)["figure"]
    assert [t.name for t in perf_answer.data] == [t.get("name") for t in perf]
    timeline = timeline_figure(store, raw, {})
    assert [t.name for t in timeline.data] == [
        t.get("name") for t in props[ids.TIMELINE_GRAPH]["figure"]["data"]
    ]
    # the address the page writes back, the rotate box, the instance panel
    assert props[ids.URL_QUERY]["data"] == QUERY
    assert props[ids.ROTATE]["options"][0]["value"] == "rotate"
    assert props[ids.INSTANCES_SERIES]["options"] == [] or "options" in props[ids.INSTANCES_SERIES]


def page_config(html: str) -> dict:
    found = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_the_page_sends_a_validation_layout_of_ids_that_holds_every_callbacks_ids(app):
    html = app.server.test_client().get("/" + QUERY).get_data(as_text=True)
    config = page_config(html)
    skeleton = config["validation_layout"]
    assert len(json.dumps(skeleton)) < 20_000  # the whole layout again was 68 kB without its figures
    present = {json.dumps(c["props"]["id"]).strip('"'): c["type"] for c in skeleton["props"]["children"]}
    assert all(set(c["props"]) - {"children"} == {"id"} for c in skeleton["props"]["children"])
    wanted = set()
    for c in app._callback_list:  # noqa: SLF001
        wanted.update(dep["id"] for dep in [*c["inputs"], *c["state"]] if isinstance(dep["id"], str))
        outputs = c["output"].split("...") if not c.get("no_output") else []
        wanted.update(o.strip(".").rsplit(".", 1)[0] for o in outputs if o)
    plain = {w for w in wanted if not w.startswith("{")}
    assert plain and plain <= set(present), sorted(plain - set(present))
    assert present[ids.MATRIX_GRAPH] == "Graph" and present[ids.SELECTION] == "Store"


def test_the_page_head_requests_the_layout_and_callback_graph_under_its_prefix(logdir, tmp_path):
    prefixed = create_app(
        logdir, url_base_pathname="/tools/cf/", settings=Settings(cache_dir=tmp_path, poll_seconds=0)
    )
    html = prefixed.server.test_client().get("/tools/cf/").get_data(as_text=True)
    head = html.split("</head>")[0]
    assert '["/tools/cf/_dash-layout", "/tools/cf/_dash-dependencies"]' in head
    assert head.index("_dash-layout") < head.index('rel="stylesheet"')
