"""Dash's first-request set-up, run by one thread at a time while the others wait.

Why: Dash 4 runs ``Dash._setup_server`` from a ``before_request`` hook on a worker's first request,
and marks it done *before* it has registered the component scripts' paths and merged the callback
map. In a threaded worker (gunicorn ``--threads``; Flask's threaded development server) a second
request arriving meanwhile — a page's script requests come together — finds the set-up "done",
asks for a script whose path is not registered yet and is answered 404 (seen in
``tests/service/test_load_users.py``: one run in four on 2026-12-03). A hook placed ahead of
Dash's own runs the set-up under a lock, so every request of the server waits until it is
complete; Dash's hook then finds it done. After the first request the hook costs one flag check.
"""

from __future__ import annotations

import threading

import dash


def serialise_first_setup(app: dash.Dash) -> None:
    """Run ``app``'s first-request set-up under a lock, ahead of every other request hook."""
    lock = threading.Lock()
    done = threading.Event()

    def setup_once() -> None:
        if done.is_set():
            return
        with lock:
            if done.is_set():
                return
            try:
                app._setup_server()  # noqa: SLF001 - Dash's own first-request set-up
            finally:
                # Dash marks itself set up before it starts: a failure is not retried by Dash
                # either, and must not hold every later request at this lock
                done.set()

    app.server.before_request_funcs.setdefault(None, []).insert(0, setup_once)
