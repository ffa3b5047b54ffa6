"""``python -m confusionflow.app``: serve ConfusionFlow on one machine and print where.

Every option falls back to its ``CONFUSIONFLOW_*`` environment variable (see ``confusionflow.app.config``), then to
the default. For several workers or machines use gunicorn with ``confusionflow.app.wsgi:application`` instead
(docs/deployment.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from confusionflow.app.config import Settings
from confusionflow.data_access.errors import LogFormatError
from confusionflow.data_access.hierarchy import check_hierarchy_file
from confusionflow.data_access.storage import StorageError, check_location


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m confusionflow.app",
        description="ConfusionFlow: how a classifier's class confusion evolves over training.",
        epilog="Each option can also be set as CONFUSIONFLOW_<OPTION> (e.g. CONFUSIONFLOW_LOGDIR); "
        "the command line wins.",
    )
    p.add_argument(
        "--logdir",
        help="folder of logs to show, or a URL such as s3://bucket/prefix (default: the bundled demo logs)",
    )
    p.add_argument("--host", help="interface to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    p.add_argument("--port", type=int, help="port (default 8050)")
    p.add_argument("--prefix", help="URL prefix to serve under, e.g. /tools/confusionflow/ (default /)")
    p.add_argument("--cache-dir", type=Path, help="folder for parsed-log and job caches")
    p.add_argument(
        "--redis-url",
        help="share caches through this Redis; imports then run on Celery workers "
        "(start at least one: celery -A confusionflow.app.worker worker, same environment)",
    )
    p.add_argument(
        "--poll-seconds", type=float, help="how often open pages look for new steps (default 5; 0 = never)"
    )
    upload = p.add_mutually_exclusive_group()
    upload.add_argument(
        "--allow-upload",
        dest="allow_upload",
        action="store_const",
        const=True,
        help="let users import tables into the log folder from the page",
    )
    upload.add_argument("--no-allow-upload", dest="allow_upload", action="store_const", const=False)
    p.add_argument(
        "--import-dir",
        dest="import_dirs",
        type=Path,
        action="append",
        help="a folder whose tables may be imported by server path (repeat for several; default: none, "
        "importing by path is off)",
    )
    p.add_argument(
        "--hierarchy",
        dest="hierarchy_file",
        type=Path,
        metavar="FILE",
        help="class hierarchy (.csv or .json, docs/hierarchy.md) used for every run; default: each "
        "run's own hierarchy.json/.csv or metadata, if any",
    )
    p.add_argument(
        "--max-request-bytes",
        type=int,
        help="largest callback request body (default 1 MiB; uploads excepted)",
    )
    debug = p.add_mutually_exclusive_group()
    debug.add_argument("--debug", dest="debug", action="store_const", const=True, help="Dash dev tools")
    debug.add_argument("--no-debug", dest="debug", action="store_const", const=False)
    return p


def parse_settings(
    argv: Sequence[str] | None = None, environ: dict[str, str] | None = None, *, prog: str | None = None
) -> Settings:
    """Settings from the command line over the environment; exits with a message on bad values.

    ``prog``: the command named in messages (``confusionflow serve`` reuses these options).
    """
    parser = build_parser()
    if prog:
        parser.prog = prog
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(environ, **vars(args))
    except ValueError as e:  # e.g. CONFUSIONFLOW_PORT=abc
        parser.error(f"bad CONFUSIONFLOW_* environment value: {e}")
    if not 0 < settings.port < 65536:
        parser.error(f"--port must be between 1 and 65535, not {settings.port}")
    if settings.poll_seconds < 0:
        parser.error(f"--poll-seconds must be 0 (off) or positive, not {settings.poll_seconds}")
    if settings.log_url:
        try:
            check_location(settings.log_url)  # one listing: scheme, package, credentials, bucket
        except StorageError as e:
            parser.error(str(e))
        if settings.allow_upload:
            parser.error("--allow-upload writes to a local log folder; it cannot be used with a URL --logdir")
    elif not settings.logdir.is_dir():
        parser.error(f"log folder {settings.logdir} does not exist (or is not a folder)")
    if settings.hierarchy_file is not None:
        try:  # the checks that need no run; each run's classes are checked when it is listed
            check_hierarchy_file(settings.hierarchy_file)
        except LogFormatError as e:
            parser.error(f"--hierarchy / CONFUSIONFLOW_HIERARCHY: {e}")
    return settings


def public_url(settings: Settings) -> str:
    """The URL to open; a wildcard bind address is shown as 127.0.0.1 (reachable from this machine)."""
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}{settings.prefix}"


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_settings(argv)
    from confusionflow.app.factory import create_app  # after argument checks: --help stays instant

    app = create_app(settings=settings)
    print(f"ConfusionFlow is serving {settings.log_location} at {public_url(settings)}", flush=True)
    # Dev tools would ask plotly.com for the newest Dash version: this app never calls out.
    app.run(
        host=settings.host,
        port=settings.port,
        debug=settings.debug,
        use_reloader=False,
        dev_tools_disable_version_check=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
