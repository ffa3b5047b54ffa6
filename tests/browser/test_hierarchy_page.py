"""A class hierarchy given on the command line, read in Chromium: the level control sums the
matrix into groups (labels, caption), the drill-down control shows one group's members, and a
reload of the address opens the same view."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from tests.browser.pages import TIMEOUT, open_dashboard, serve_app, wait_figure
from tests.factories import write_run

pytestmark = pytest.mark.browser

CLASSES = ("cat", "dog", "owl", "car", "van", "boat")
TREE = (
    "class,group\ncat,animal/mammal\ndog,animal/mammal\nowl,animal/bird\n"
    "car,vehicle/road\nvan,vehicle/road\nboat,vehicle/water\n"
)
COUNTS = np.array(
    [
        [8, 2, 0, 0, 0, 0],
        [1, 7, 1, 1, 0, 0],
        [0, 2, 6, 0, 0, 2],
        [0, 0, 0, 9, 1, 0],
        [0, 0, 1, 3, 5, 1],
        [0, 0, 0, 0, 2, 8],
    ],
    dtype=np.int64,
)
ROWS = "gd._fullLayout.yaxis.ticktext.slice(0, -1).join()"  # the last tick is the FP row


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("hierarchy-logs")
    write_run(root, "tree", CLASSES, counts={"test": {1: COUNTS, 2: COUNTS}})
    tree = tmp_path_factory.mktemp("hierarchy") / "tree.csv"
    tree.write_text(TREE)
    with serve_app(
        root, tmp_path_factory.mktemp("cache"), "--poll-seconds", "0", "--hierarchy", str(tree)
    ) as url:
        yield url


def pick(page, dropdown_id: str, label: str) -> None:
    """Open a single-choice dropdown and click the option labelled ``label``."""
    page.click(f"#{dropdown_id}")
    page.locator(".dash-dropdown-content .dash-dropdown-option", has_text=label).first.click()
    if page.locator(".dash-dropdown-content").count():
        page.keyboard.press("Escape")
    page.wait_for_selector(".dash-dropdown-content", state="detached", timeout=TIMEOUT)


def wait_rows(page, names: str) -> None:
    wait_figure(page, "matrix-graph", f"{ROWS} === {names!r}")


def caption(page) -> str:
    return page.locator("#matrix-caption").text_content() or ""


def test_level_and_drill_down_round_trip_through_the_address(page, app_url):
    open_dashboard(page, app_url)
    wait_rows(page, ",".join(CLASSES))
    pick(page, "class-level", "top-level groups (2 groups)")
    page.wait_for_function("() => new URLSearchParams(location.search).get('level') === '1'", timeout=TIMEOUT)
    wait_rows(page, "animal,vehicle")
    assert "aggregated to top-level groups (2 groups)" in caption(page)
    assert "a confusion inside one group counts as correct" in caption(page)

    pick(page, "class-drill", "vehicle")
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('group') === 'vehicle'", timeout=TIMEOUT
    )
    wait_rows(page, "animal,car,van,boat")
    assert "“vehicle” drilled into its 3 classes" in caption(page)

    drilled = page.url
    assert parse_qs(urlsplit(drilled).query)["level"] == ["1"]
    page.reload()
    wait_rows(page, "animal,car,van,boat")
    assert page.url == drilled
    assert "“vehicle” drilled into its 3 classes" in caption(page)
    assert page.locator("#class-level").text_content().startswith("top-level groups")
    assert "vehicle" in (page.locator("#class-drill").text_content() or "")


@pytest.fixture(scope="module")
def misfit_url(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("misfit-logs")
    write_run(root, "tree", CLASSES, counts={"test": {1: COUNTS}})
    tree = tmp_path_factory.mktemp("misfit") / "other-classes.csv"
    tree.write_text(TREE.replace("boat", "zebra"))
    with serve_app(
        root, tmp_path_factory.mktemp("cache"), "--poll-seconds", "0", "--hierarchy", str(tree)
    ) as url:
        yield url, tree


def test_a_hierarchy_that_does_not_fit_is_a_listed_problem(page, misfit_url):
    url, tree = misfit_url
    open_dashboard(page, url)
    wait_rows(page, ",".join(CLASSES))  # the run is drawn, with its classes
    alert = page.locator("#load-problems .cf-alert")
    assert "1 class hierarchy could not be used" in alert.locator("summary").text_content()
    alert.locator("summary").click()
    item = alert.locator(".cf-problem").first.text_content() or ""
    assert str(tree) in item and "'zebra'" in item and "run 'tree'" in item
    assert page.locator("#class-level").text_content().startswith("classes")
