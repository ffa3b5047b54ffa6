"""Run the example portal: ``python -m examples.portal --logdir demo_logs [--mode dispatcher]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from werkzeug.serving import run_simple

from confusionflow.app.config import DEMO_LOGDIR
from examples.portal.portal import MOUNT, make_portal_dispatcher, make_portal_shared_server


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m examples.portal", description=__doc__)
    p.add_argument("--logdir", type=Path, default=DEMO_LOGDIR)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8060)
    p.add_argument(
        "--mode",
        choices=["server", "dispatcher"],
        default="server",
        help="server: create_app(server=portal, url_base_pathname=...); "
        "dispatcher: DispatcherMiddleware + requests_pathname_prefix",
    )
    args = p.parse_args()
    if not args.logdir.is_dir():
        p.error(f"log folder {args.logdir} does not exist")
    wsgi = (
        make_portal_shared_server(args.logdir)
        if args.mode == "server"
        else make_portal_dispatcher(args.logdir)
    )
    print(f"Portal at http://{args.host}:{args.port}/ with ConfusionFlow at {MOUNT}", flush=True)
    run_simple(args.host, args.port, wsgi, threaded=True)


if __name__ == "__main__":
    main()
