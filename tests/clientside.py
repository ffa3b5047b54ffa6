"""Run the page's clientside functions (assets/confusionflow.js) in Node, for unit tests that
compare them with the server's Python functions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ASSET = Path(__file__).resolve().parents[1] / "assets" / "confusionflow.js"


def in_page(
    calls: list[list[object]],
    function: str = "epochSizes",
    triggered: list[list[str]] | None = None,
    prelude: str = "",
) -> list[object]:
    """``function`` of assets/confusionflow.js (a top-level one, or one of the clientside
    callbacks) applied to each argument list, in Node; ``"NO"`` stands for no_update.

    The calls run in order in one page, so what a function remembers between calls carries over.
    ``triggered``: for each call, the ``"id.prop"`` keys that fired it (the clientside
    ``callback_context.triggered``); ``prelude``: JS run after the script is loaded (e.g. a
    top-level test function wrapping a callback)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "needs node (Debian package nodejs, which scripts/test.sh installs) to run the page's scripts"
        )
    script = (
        "global.window = {addEventListener() {}, dash_clientside: {no_update: 'NO'}};"
        "global.document = {addEventListener() {}};"
        "const vm = require('vm');"
        f"vm.runInThisContext(require('fs').readFileSync({json.dumps(str(ASSET))}, 'utf8'));"
        f"vm.runInThisContext({json.dumps(prelude)});"
        f"const fired = {json.dumps(triggered)};"
        f"process.stdout.write(JSON.stringify({json.dumps(calls)}.map((a, i) => {{"
        "window.dash_clientside.callback_context = fired ? "
        "{triggered: fired[i].map(p => ({prop_id: p}))} : undefined;"
        f"return (typeof {function} === 'function' ? {function} : "
        f"window.dash_clientside.confusionflow.{function})(...a); }})));"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)
