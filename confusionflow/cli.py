"""The ``confusionflow`` command: ``confusionflow serve --logdir LOGS`` and ``confusionflow import ...``.

    confusionflow serve --logdir runs/            # gunicorn, 2 workers, http://127.0.0.1:8050/
    confusionflow serve --logdir runs/ --dev      # Flask's single-process server (development)
    confusionflow import predictions preds.csv --logdir runs/
    confusionflow import wandb wandb/run-20260101_120000-abc123 --logdir runs/

``serve`` takes every option of ``python -m confusionflow.app`` (each with its ``CONFUSIONFLOW_*``
environment variable) plus the server's own; ``import`` is the importers' command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from confusionflow import __version__

if TYPE_CHECKING:  # the app and gunicorn are imported only when a command runs
    from confusionflow.app.config import Settings
    from confusionflow.serving import ServerOptions

SERVE_PROG = "confusionflow serve"
IMPORT_PROG = "confusionflow import"


# gunicorn's own default: trust X-Forwarded-* headers only from a proxy on this machine
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1,::1"


def _env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else default


def _env_text(environ: Mapping[str, str], name: str, default: str | None) -> str | None:
    value = environ.get(name, "").strip()
    return value or default


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, not {value}")
        return value

    return parse


def server_options_parser(
    add_help: bool = False, environ: Mapping[str, str] | None = None
) -> argparse.ArgumentParser:
    """The options ``serve`` adds to the app's own: the server and its access log; defaults from
    ``environ`` (the process environment by default), so a container sets them as variables."""
    environ = os.environ if environ is None else environ
    p = argparse.ArgumentParser(add_help=add_help, allow_abbrev=False)
    g = p.add_argument_group("server")
    g.add_argument(
        "--dev",
        action="store_true",
        help="Flask's single-process development server instead of gunicorn",
    )
    g.add_argument(
        "--workers",
        type=_bounded_int(1, 64),
        default=_env_int(environ, "GUNICORN_WORKERS", 2),
        help="gunicorn worker processes (default: GUNICORN_WORKERS or 2)",
    )
    g.add_argument(
        "--threads",
        type=_bounded_int(1, 64),
        default=_env_int(environ, "GUNICORN_THREADS", 4),
        help="threads per worker (default: GUNICORN_THREADS or 4)",
    )
    g.add_argument(
        "--timeout",
        type=_bounded_int(1, 3600),
        default=_env_int(environ, "GUNICORN_TIMEOUT", 120),
        help="seconds a request may take before its worker is restarted (default: GUNICORN_TIMEOUT or 120)",
    )
    g.add_argument(
        "--keep-alive",
        type=_bounded_int(0, 3600),
        default=_env_int(environ, "GUNICORN_KEEPALIVE", 75),
        metavar="SECONDS",
        help="seconds an idle connection stays open for the client's next request; longer than the "
        "idle timeout of a proxy in front (default: GUNICORN_KEEPALIVE or 75; 0: no keep-alive)",
    )
    g.add_argument(
        "--forwarded-allow-ips",
        default=_env_text(environ, "FORWARDED_ALLOW_IPS", DEFAULT_FORWARDED_ALLOW_IPS),
        metavar="ADDRESSES",
        help="comma-separated addresses (or '*') of reverse proxies whose X-Forwarded-* headers are "
        f"trusted (default: FORWARDED_ALLOW_IPS or {DEFAULT_FORWARDED_ALLOW_IPS})",
    )
    g.add_argument(
        "--worker-tmp-dir",
        default=_env_text(environ, "GUNICORN_WORKER_TMP_DIR", None),
        metavar="DIR",
        help="where workers keep their heartbeat files (default: GUNICORN_WORKER_TMP_DIR, else "
        "/dev/shm where it exists: a slow disk never gets a busy worker killed)",
    )
    g.add_argument(
        "--access-log",
        choices=("quiet", "all", "none"),
        default="quiet",
        help="quiet (default): page loads and errors, not the page's own callback and poll requests",
    )
    return p


def serve_parser() -> argparse.ArgumentParser:
    """``confusionflow serve``: the app's options and the server's, for ``--help`` and checking."""
    from confusionflow.app.__main__ import build_parser

    return argparse.ArgumentParser(
        prog=SERVE_PROG,
        description="Serve ConfusionFlow on a log folder (gunicorn; --dev for one process).",
        parents=[build_parser(), server_options_parser()],
        conflict_handler="resolve",
        epilog="Each app option can also be set as CONFUSIONFLOW_<OPTION> (e.g. CONFUSIONFLOW_LOGDIR); "
        "the command line wins.",
    )


@dataclass(frozen=True)
class ServePlan:
    """What ``confusionflow serve ARGV`` runs: the app's settings, the server's options, and
    whether it is Flask's development server instead of gunicorn."""

    settings: Settings
    options: ServerOptions
    dev: bool


def serve_plan(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> ServePlan:
    """Parse ``serve``'s command line over ``environ`` (default: the process environment); exits
    with a message on a bad option, as the command does. Runs nothing."""
    from confusionflow.app.__main__ import parse_settings
    from confusionflow.serving import ServerOptions

    argv = list(argv)
    env = dict(os.environ if environ is None else environ)
    serve_parser().parse_args(argv)  # --help, and one message for any unknown option
    own, app_argv = server_options_parser(environ=env).parse_known_args(argv)
    settings = parse_settings(app_argv, env, prog=SERVE_PROG)
    options = ServerOptions(
        workers=own.workers,
        threads=own.threads,
        timeout=own.timeout,
        keepalive=own.keep_alive,
        access_log=own.access_log,
        forwarded_allow_ips=own.forwarded_allow_ips,
        worker_tmp_dir=own.worker_tmp_dir,
    )
    return ServePlan(settings, options, own.dev)


def serve(argv: Sequence[str]) -> int:
    from confusionflow.app.__main__ import public_url
    from confusionflow.serving import serve_dev, serve_gunicorn

    plan = serve_plan(argv)
    server = "Flask's development server" if plan.dev else f"gunicorn ({plan.options.workers} workers)"
    print(
        f"ConfusionFlow is serving {plan.settings.log_location} at {public_url(plan.settings)} with {server}",
        flush=True,
    )
    if plan.dev:
        serve_dev(plan.settings)
    else:
        serve_gunicorn(plan.settings, plan.options)
    return 0


def import_(argv: Sequence[str]) -> int:
    from confusionflow.data_access.importers.__main__ import main as import_main

    return import_main(list(argv), prog=IMPORT_PROG)


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "serve": (serve, "serve the dashboard on a log folder"),
    "import": (import_, "import tables, tracker runs or original ConfusionFlow logs into a log folder"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]][0](argv[1:])
    parser = argparse.ArgumentParser(
        prog="confusionflow",
        description="ConfusionFlow: how a classifier's class confusion evolves over training.",
        epilog="`confusionflow COMMAND --help` lists a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"confusionflow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    parser.parse_args(argv)  # prints help / version / the error, and exits
    return 2  # pragma: no cover - parse_args exits for every argv that is not a command


if __name__ == "__main__":
    sys.exit(main())
