"""Steps appended to a log while a page is open show up on the timeline without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.conftest import app_env, append_steps, open_app, start_app, wait_until

pytestmark = [pytest.mark.service, pytest.mark.browser]


def _timeline_last_step(page) -> float | None:
    """The largest step the timeline draws (plotly.js decodes typed-array x values into _fullData)."""
    return page.evaluate(
        """() => { const g = document.querySelector('#timeline-graph .js-plotly-plot');
             if (!g || !g._fullData) return null;
             const xs = (g._fullData || []).flatMap(t => Array.from(t.x || [])).filter(Number.isFinite);
             return xs.length ? Math.max(...xs) : null; }"""
    )


def test_timeline_extends_while_the_page_is_open(start_server, page, logdir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    proc, base = start_app(
        start_server, logdir, cache, "--poll-seconds", "1", env=app_env(logdir, cache, POLL_SECONDS="1")
    )
    assert f"ConfusionFlow is serving {logdir} at {base}" in proc.output()  # the CLI prints the URL
    open_app(page, base + "?s=alpha/test")
    wait_until(lambda: _timeline_last_step(page) == 5, 30, "the timeline to show steps 1..5")
    page.evaluate("window.__cf_marker = 'same page'")  # gone if the page reloads

    append_steps(logdir, "alpha", 6, 9)

    wait_until(lambda: _timeline_last_step(page) == 9, 30, "the timeline to extend to step 9")
    assert page.evaluate("window.__cf_marker") == "same page"
