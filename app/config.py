"""Settings, read once from the command line or the environment (for containers).

Every setting has an environment variable ``CONFUSIONFLOW_<NAME>``; ``REDIS_URL`` is also read
under its conventional name. Nothing else in the app reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from confusionflow.data_access.storage import is_url

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_LOGDIR = REPO_ROOT / "demo_logs"
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024  # a callback request; uploads have their own limit
# cells x steps x series one view may draw: 100 classes x 3 series x 200 steps is 6 M
DEFAULT_MAX_VIEW_CELLS = 20_000_000
# runs one page import may write: the importers' own default (data_access/importers/limits.py
# MAX_RUNS, kept equal by a test; the table readers are not imported until an import runs)
DEFAULT_MAX_IMPORT_RUNS = 200


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "confusionflow-dash"


def _env_bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _paths(value: str | None) -> tuple[Path, ...]:
    """``/a:/b`` (``os.pathsep``-separated) -> ``(Path("/a"), Path("/b"))``; empty parts ignored."""
    return tuple(Path(p) for p in (value or "").split(os.pathsep) if p.strip())


def normalize_prefix(prefix: str | None) -> str:
    """'tools/cf' -> '/tools/cf/'; None or '' -> '/'."""
    if not prefix:
        return "/"
    p = "/" + prefix.strip("/") + "/"
    return "/" if p == "//" else p


@dataclass(frozen=True)
class Settings:
    logdir: Path = DEMO_LOGDIR
    # --logdir s3://bucket/prefix (any fsspec URL): logs read from object storage; ``logdir`` then
    # stays the local default and is not read (see :attr:`log_location`)
    log_url: str | None = None
    cache_dir: Path | None = None  # None: the user's cache folder (see _default_cache_dir)
    redis_url: str | None = None  # set: caches and background jobs go through Redis/Celery
    prefix: str = "/"  # URL prefix the app is served under
    host: str = "127.0.0.1"
    port: int = 8050
    poll_seconds: float = 5.0  # live-update poll; 0 disables it
    # how long one walk of the log folder (its fingerprint) is reused: a page load and the
    # callbacks it fires share one walk; a new file is seen at most this much later (0: every call)
    fingerprint_ttl_seconds: float = 1.0
    allow_upload: bool = False  # importing into the shared log folder from the page
    # folders whose tables may be imported by server path; none: server-path import is off
    import_dirs: tuple[Path, ...] = ()
    # page imports may also add folds to runs their uploader created, the uploader being named by
    # this request header (set by the portal in front of the app); off: new runs only
    import_appends: bool = False
    import_user_header: str = "X-Forwarded-User"
    max_import_runs: int = DEFAULT_MAX_IMPORT_RUNS  # runs one page import may write (new or added to)
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES  # every request body but an upload
    max_view_cells: int = DEFAULT_MAX_VIEW_CELLS  # classes^2 x steps x series drawn in one view
    frame_ancestors: str = "'self'"  # who may frame the page (CSP sources), see app/security.py
    # a class hierarchy (CSV or JSON, docs/hierarchy.md) for every run; None: each run's own
    hierarchy_file: Path | None = None
    debug: bool = False

    @property
    def log_location(self) -> Path | str:
        """Where the logs are read from: the object-storage URL if set, else the local folder."""
        return self.log_url or self.logdir

    @property
    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else _default_cache_dir()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            return env.get(f"CONFUSIONFLOW_{name}") or None

        cache_dir = get("CACHE_DIR")
        hierarchy_file = get("HIERARCHY")
        env_logdir = get("LOGDIR")
        s = cls(
            logdir=DEMO_LOGDIR if is_url(env_logdir) else Path(env_logdir or DEMO_LOGDIR),
            log_url=env_logdir if is_url(env_logdir) else None,
            cache_dir=Path(cache_dir) if cache_dir else None,
            redis_url=get("REDIS_URL") or env.get("REDIS_URL") or None,
            prefix=normalize_prefix(get("PREFIX")),
            host=get("HOST") or "127.0.0.1",
            port=int(get("PORT") or 8050),
            poll_seconds=float(get("POLL_SECONDS") or 5.0),
            allow_upload=_env_bool(get("ALLOW_UPLOAD"), False),
            frame_ancestors=get("FRAME_ANCESTORS") or "'self'",
            import_dirs=_paths(get("IMPORT_DIRS")),
            import_appends=_env_bool(get("IMPORT_APPENDS"), False),
            import_user_header=get("IMPORT_USER_HEADER") or "X-Forwarded-User",
            max_request_bytes=int(get("MAX_REQUEST_BYTES") or DEFAULT_MAX_REQUEST_BYTES),
            max_view_cells=int(get("MAX_VIEW_CELLS") or DEFAULT_MAX_VIEW_CELLS),
            max_import_runs=int(get("MAX_IMPORT_RUNS") or DEFAULT_MAX_IMPORT_RUNS),
            hierarchy_file=Path(hierarchy_file) if hierarchy_file else None,
            debug=_env_bool(get("DEBUG"), False),
        )
        clean: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        if "prefix" in clean:
            clean["prefix"] = normalize_prefix(str(clean["prefix"]))
        if "logdir" in clean:
            if is_url(str(clean["logdir"])):
                clean["log_url"] = str(clean.pop("logdir"))
            else:
                clean["logdir"] = Path(str(clean["logdir"]))
                clean["log_url"] = None
        if "import_dirs" in clean:
            clean["import_dirs"] = tuple(Path(str(p)) for p in clean["import_dirs"])
        if "hierarchy_file" in clean:
            clean["hierarchy_file"] = Path(str(clean["hierarchy_file"]))
        if "cache_dir" in clean:
            clean["cache_dir"] = Path(str(clean["cache_dir"]))
        return replace(s, **clean)
