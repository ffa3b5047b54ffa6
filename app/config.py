"""Settings, read once from the command line or the environment (for containers).

Every setting has an environment variable ``CONFUSIONFLOW_<NAME>``; ``REDIS_URL`` is also read
under its conventional name. Nothing else in the app reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_LOGDIR = REPO_ROOT / "demo_logs"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "confusionflow-dash"


def _env_bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalize_prefix(prefix: str | None) -> str:
    """'tools/cf' -> '/tools/cf/'; None or '' -> '/'."""
    if not prefix:
        return "/"
    p = "/" + prefix.strip("/") + "/"
    return "/" if p == "//" else p


@dataclass(frozen=True)
class Settings:
    logdir: Path = DEMO_LOGDIR
    cache_dir: Path | None = None  # None: the user's cache folder (see _default_cache_dir)
    redis_url: str | None = None  # set: caches and background jobs go through Redis/Celery
    prefix: str = "/"  # URL prefix the app is served under
    host: str = "127.0.0.1"
    port: int = 8050
    poll_seconds: float = 5.0  # live-update poll; 0 disables it
    allow_upload: bool = False  # importing into the shared log folder from the page
    debug: bool = False

    @property
    def resolved_cache_dir(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else _default_cache_dir()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            return env.get(f"CONFUSIONFLOW_{name}") or None

        s = cls(
            logdir=Path(get("LOGDIR") or DEMO_LOGDIR),
            cache_dir=Path(get("CACHE_DIR")) if get("CACHE_DIR") else None,
            redis_url=get("REDIS_URL") or env.get("REDIS_URL") or None,
            prefix=normalize_prefix(get("PREFIX")),
            host=get("HOST") or "127.0.0.1",
            port=int(get("PORT") or 8050),
            poll_seconds=float(get("POLL_SECONDS") or 5.0),
            allow_upload=_env_bool(get("ALLOW_UPLOAD"), False),
            debug=_env_bool(get("DEBUG"), False),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "prefix" in clean:
            clean["prefix"] = normalize_prefix(str(clean["prefix"]))
        if "logdir" in clean:
            clean["logdir"] = Path(str(clean["logdir"]))
        if "cache_dir" in clean:
            clean["cache_dir"] = Path(str(clean["cache_dir"]))
        return replace(s, **clean)
