"""Is the Celery broker (Redis) reachable right now? Asked before a background job is sent.

Sending a job to a Redis that is down makes kombu retry the publish for ~20 s and then fail with a
500. The web process asks this probe first: one Redis ``PING`` with a short connect/read timeout
(:data:`PROBE_TIMEOUT_SECONDS`), its answer reused for :data:`REUSE_SECONDS` so a burst of
requests costs one probe. The outage is logged once when it starts and once when it ends, never
per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

PROBE_TIMEOUT_SECONDS = 0.5  # connect and read timeout of one PING on a loopback/LAN Redis
REUSE_SECONDS = 1.0  # a probe's answer serves every request within this many seconds

log = logging.getLogger(__name__)


class BrokerUnavailable(ConnectionError):
    """The broker did not answer a PING: no job can be sent, nor a running one's progress read.

    ``running`` is True when the job had already been sent (its progress or result was asked for).
    """

    def __init__(self, message: str, *, running: bool = False) -> None:
        super().__init__(message)
        self.running = running


def ping_redis(url: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> bool:
    """True when the Redis at ``url`` answers one PING within ``timeout`` seconds (connect and read)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


class BrokerProbe:
    """Reachability of one broker, probed at most once per :data:`REUSE_SECONDS`, logged on change.

    ``ping`` and ``clock`` are parameters so the state machine can be tested without a server.
    """

    def __init__(
        self,
        url: str,
        *,
        ping: Callable[[str], bool] = ping_redis,
        clock: Callable[[], float] = time.monotonic,
        reuse_seconds: float = REUSE_SECONDS,
    ) -> None:
        self.url = url
        self._ping = ping
        self._clock = clock
        self._reuse = reuse_seconds
        self._lock = threading.Lock()
        self._checked_at: float | None = None
        self._up = True
        self._down_since: float | None = None

    def reachable(self) -> bool:
        """Whether the broker answered its latest PING (probing again if that one is stale)."""
        with self._lock:
            now = self._clock()
            if self._checked_at is not None and now - self._checked_at < self._reuse:
                return self._up
            up = self._ping(self.url)
            self._checked_at = self._clock()
            if up != self._up:
                self._log_change(up, now)
            self._up = up
            return up

    def down_seconds(self) -> float | None:
        """Seconds since the outage was first seen, or None while the broker answers."""
        with self._lock:
            return None if self._down_since is None else self._clock() - self._down_since

    def require(self, *, running: bool = False) -> None:
        """Raise :class:`BrokerUnavailable` (carrying ``running``) unless the broker answers."""
        if not self.reachable():
            raise BrokerUnavailable("the job queue (Redis) does not answer", running=running)

    def _log_change(self, up: bool, now: float) -> None:
        if up:
            lasted = now - self._down_since if self._down_since is not None else 0.0
            log.warning("job queue (Redis) reachable again after %.0f s; background jobs accepted", lasted)
            self._down_since = None
        else:
            self._down_since = now
            log.warning("job queue (Redis) unreachable; background jobs refused until it answers")
