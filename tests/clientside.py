"""Run the page's clientside functions (assets/confusionflow.js) in Node, for unit tests that
compare them with the server's Python functions."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ASSET = Path(__file__).resolve().parents[1] / "assets" / "confusionflow.js"


def in_page(calls: list[list[object]], function: str = "epochSizes") -> list[object]:
    """``function`` of assets/confusionflow.js (a top-level one, or one of the clientside
    callbacks) applied to each argument list, in Node; ``"NO"`` stands for no_update."""
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
        f"process.stdout.write(JSON.stringify({json.dumps(calls)}.map(a => (typeof {function} === 'function' ? {function} : "
        f"window.dash_clientside.confusionflow.{function})(...a))));"
    )
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)
