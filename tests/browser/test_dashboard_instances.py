"""The instance panel in headless Chromium: click a matrix cell, read which instances sit in it,
which entered or left it since the previous step, switch series, download the CSV.

Expected ids are computed here from the predictions the test writes, with plain numpy, not with
``confusionflow.data_access.instances``. The app runs as its own process (``python -m confusionflow.app``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from confusionflow.data_access.writer import LogWriter
from tests.browser.pages import TIMEOUT, matrix_tile_point, serve_app

pytestmark = pytest.mark.browser

CLASSES = ["cat", "dog", "fox"]
CAT, DOG, FOX = 0, 1, 2
STEPS = [1, 2, 3, 4]
N = 40
IDS = np.arange(100, 100 + N)


def predictions() -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Known truth and, per step, predictions: each step re-draws a quarter of them.

    Cats 100..104 move on purpose, so the cell "cat predicted as dog" changes in both directions
    between every two steps: 100 stays; 101 and 102 enter it at odd steps and leave at even ones;
    103 and 104 (predicted "cat" and "fox" at odd steps) do the opposite.
    """
    rng = np.random.default_rng(7)
    y_true = np.repeat([CAT, DOG, FOX], [14, 13, 13])
    preds = {}
    current = rng.integers(0, 3, N)
    for step in STEPS:
        redraw = rng.random(N) < 0.25
        current = np.where(redraw, rng.integers(0, 3, N), current)
        current[:5] = [DOG, DOG, DOG, CAT, FOX] if step % 2 else [DOG, CAT, FOX, DOG, DOG]
        preds[step] = current.copy()
    return y_true, preds


def cell_ids(y_true: np.ndarray, y_pred: np.ndarray, t: int, p: int) -> list[int]:
    return IDS[(y_true == t) & (y_pred == p)].tolist()


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("instance-dashboard-logs")
    y_true, preds = predictions()
    with LogWriter(root, "zoo", CLASSES) as w:
        for step in STEPS:
            w.add(step, "test", y_true, preds[step], instance_ids=IDS)
            counts = np.zeros((3, 3), dtype=np.int64)
            np.add.at(counts, (y_true, preds[step]), 1)
            w.add_counts(step, "train", counts * 2)
    return root


@pytest.fixture(scope="module")
def app_url(logdir: Path, tmp_path_factory: pytest.TempPathFactory):
    with serve_app(logdir, tmp_path_factory.mktemp("instance-cache"), "--poll-seconds", "0") as url:
        yield url


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".cf-chip", timeout=TIMEOUT)
    page.wait_for_function(
        """() => {
            const gd = document.querySelector('#matrix-graph .js-plotly-plot');
            return gd && gd._fullLayout && gd.data && gd.data.length > 0;
        }""",
        timeout=TIMEOUT,
    )


def click_cell(page, true: int, pred: int) -> None:
    """A real mouse click in the middle of matrix tile (``true``, ``pred``) as drawn, once the page
    has stopped moving (see ``tests.browser.pages.wait_stable_plot``)."""
    x, y = matrix_tile_point(page, pred, true)
    page.wait_for_timeout(400)  # two clicks within 300 ms would be a double-click
    page.mouse.click(x, y)


def wait_text(page, element_id: str, text: str) -> None:
    page.wait_for_function(
        f"() => {{ const e = document.getElementById({element_id!r}); "
        f"return e && (e.textContent || '').includes({text!r}); }}",
        timeout=TIMEOUT,
    )


def text(page, element_id: str) -> str:
    return page.locator(f"#{element_id}").text_content()


def rows(page, element_id: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"#{element_id} tbody tr", "trs => trs.map(tr => [...tr.cells].map(td => td.textContent))"
    )


def test_clicking_a_cell_lists_its_instances_and_what_changed_since_the_previous_step(page, app_url):
    y_true, preds = predictions()
    open_page(page, app_url + "?s=zoo/test&epoch=3")
    wait_text(page, "instances-message", "Click a cell of the matrix")
    click_cell(page, CAT, DOG)
    wait_text(page, "instances-title", "at step 3")
    assert text(page, "instances-title").startswith("Instances of true class “cat” predicted as “dog”")
    expected = cell_ids(y_true, preds[3], CAT, DOG)
    assert 100 in expected and 101 in expected  # the cats moved about on purpose
    ids_shown = page.eval_on_selector_all(".cf-instance-id", "els => els.map(e => Number(e.textContent))")
    assert ids_shown == expected
    assert text(page, "instances-count") == f"{len(expected)} instances of {N}"

    before = set(cell_ids(y_true, preds[2], CAT, DOG))
    entered = sorted(set(expected) - before)
    left = sorted(before - set(expected))
    stayed = len(set(expected) & before)
    assert text(page, "instances-changes") == (
        f"Since step 2: {len(entered)} entered, {len(left)} left, {stayed} stayed."
    )
    assert {101, 102} <= set(entered) and {103, 104} <= set(left)  # both lists are really drawn
    assert rows(page, "instances-entered") == [[str(i), CLASSES[preds[2][i - 100]]] for i in entered]
    assert rows(page, "instances-left") == [[str(i), CLASSES[preds[3][i - 100]]] for i in left]
    assert ["103", "cat"] in rows(page, "instances-left") and ["104", "fox"] in rows(page, "instances-left")


def test_without_an_epoch_the_panel_shows_the_last_step_and_follows_a_counts_only_series(page, app_url):
    y_true, preds = predictions()
    # the first chosen series logged counts only: the panel uses the second, and says which
    open_page(page, app_url + "?s=zoo/train&s=zoo/test")
    click_cell(page, FOX, DOG)
    wait_text(page, "instances-title", "at step 4 — zoo / test")
    expected = cell_ids(y_true, preds[4], FOX, DOG)
    ids_shown = page.eval_on_selector_all(".cf-instance-id", "els => els.map(e => Number(e.textContent))")
    assert ids_shown == expected
    page.click("#instances-series")
    option = page.locator(".dash-dropdown-option", has_text="zoo / train (counts only)")
    assert option.count() == 1


def test_the_csv_download_holds_the_full_list(page, app_url):
    y_true, preds = predictions()
    open_page(page, app_url + "?s=zoo/test&epoch=2")
    click_cell(page, CAT, DOG)
    wait_text(page, "instances-title", "at step 2")
    assert text(page, "instances-title").startswith("Instances of true class “cat” predicted as “dog”")
    page.wait_for_function(
        "() => !document.getElementById('instances-download-button').disabled", timeout=TIMEOUT
    )
    with page.expect_download(timeout=TIMEOUT) as info:
        page.click("#instances-download-button")
    download = info.value
    assert download.suggested_filename == "instances-zoo-test-step-2.csv"
    table = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    now = set(cell_ids(y_true, preds[2], CAT, DOG))
    before = set(cell_ids(y_true, preds[1], CAT, DOG))
    status = {int(r["instance_id"]): r["status"] for r in table}
    assert status == {
        **{i: "entered" for i in now - before},
        **{i: "stayed" for i in now & before},
        **{i: "left" for i in before - now},
    }
