"""Five simulated people on gunicorn at once, with the load benchmark's own users
(``benchmarks/bench_load.py``): every request they send is answered, none with a server error.

The bodies come from the server's callback graph and the page's own props, so this also checks
that the benchmark's model of the page still fits the app (a 400 would say it no longer does).
Nothing here is timed; the figures are the benchmark's (docs/PERFORMANCE.md, "Fifty users on gunicorn").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.bench_load import ACTIONS, run_load
from confusionflow.components import ids

pytestmark = [pytest.mark.service]


def test_five_users_get_every_answer_and_no_server_error(
    confusionflow_serve, logdir: Path, tmp_path: Path
) -> None:
    proc, base = confusionflow_serve(logdir, tmp_path / "cache", "--workers", "2", "--poll-seconds", "1")
    result = run_load(base, users=5, actions=4, think=(0.0, 0.3), ramp=0.5, duration=120, max_requests=5000)

    assert result.server_errors == 0, [s for s in result.requests if s.status >= 500][:5]
    assert result.exceptions == 0, [s.error for s in result.requests if s.status == 0][:5]
    assert result.refused == 0, [s for s in result.requests if 400 <= s.status < 500][:5]
    assert result.finished_users == 5
    kinds = {s.kind for s in result.samples}
    # each person loaded the page and its scripts, ran the first view and every kind of action
    assert {"GET page", "GET script/style", "GET _dash-layout", "GET _dash-dependencies"} <= kinds
    assert {f"action: {name}" for name in ("first view", *ACTIONS)} <= kinds
    # and the views were drawn by their callbacks, not only the stores moved
    assert {f"{ids.MATRIX_GRAPH}.figure", f"{ids.TIMELINE_GRAPH}.figure", f"{ids.RANGE_STORE}.data"} <= kinds
    per_user_first_views = [s for s in result.samples if s.kind == "action: first view"]
    assert len(per_user_first_views) == 5 and all(s.status == 200 for s in per_user_first_views)
    assert "Traceback" not in proc.output()
