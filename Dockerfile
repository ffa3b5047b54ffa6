# ConfusionFlow for Dash: `confusionflow serve` (gunicorn with the quiet access log) on /logs.
#
#   docker build -t confusionflow .
#   docker run -p 8050:8050 -v /path/to/logs:/logs:ro -v cf-cache:/cache confusionflow
#
# The log folder is mounted read-only at /logs (the app never writes to it unless imports are
# turned on, which needs a writable mount); parsed logs are cached in the /cache volume. Settings
# come from CONFUSIONFLOW_* variables (docs/deployment.md). The server is the project's own
# production path, `confusionflow serve`, configured from the environment as well:
# GUNICORN_WORKERS / GUNICORN_THREADS / GUNICORN_TIMEOUT tune it (docker run -e GUNICORN_WORKERS=8
# ...); FORWARDED_ALLOW_IPS names the reverse proxies whose X-Forwarded-* headers are trusted ("*"
# here: in a container the proxy's address is rarely known in advance; narrow it to the proxy's
# address when the container port is reachable without it); GUNICORN_WORKER_TMP_DIR keeps the
# workers' heartbeat files in memory (/dev/shm), so a slow or full disk never gets a busy worker
# killed. Routine requests (callbacks, scripts, the live poll) are left out of the access log.
# HEALTHCHECK asks the liveness probe (no I/O); docker-compose.yml asks readiness. Logs go to stdout/stderr.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 confusionflow \
    && useradd --system --uid 10001 --gid confusionflow --home-dir /app --shell /usr/sbin/nologin confusionflow

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY confusionflow/ confusionflow/
COPY app/ app/
COPY components/ components/
COPY data_access/ data_access/
COPY assets/ assets/
# The demo logs are the image's /logs, shown when no log folder is mounted over it.
COPY demo_logs/ /logs/
RUN mkdir -p /cache && chown confusionflow:confusionflow /cache

ENV CONFUSIONFLOW_LOGDIR=/logs \
    CONFUSIONFLOW_CACHE_DIR=/cache \
    CONFUSIONFLOW_HOST=0.0.0.0 \
    CONFUSIONFLOW_PORT=8050 \
    GUNICORN_WORKERS=4 \
    GUNICORN_THREADS=2 \
    GUNICORN_TIMEOUT=120 \
    GUNICORN_WORKER_TMP_DIR=/dev/shm \
    FORWARDED_ALLOW_IPS="*"

USER confusionflow
EXPOSE 8050
VOLUME ["/cache"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; p = os.environ.get('CONFUSIONFLOW_PREFIX', '/').strip('/'); urllib.request.urlopen('http://127.0.0.1:%s/%shealthz/live' % (os.environ.get('CONFUSIONFLOW_PORT', '8050'), p + '/' if p else ''), timeout=4)"

# Exec form: the server is PID 1 and gets `docker stop`'s SIGTERM itself (gunicorn's arbiter runs
# in this process and stops its workers gracefully). tests/unit/test_docker_serve.py checks that
# this is the command `confusionflow serve` builds its gunicorn settings from.
CMD ["python", "-m", "confusionflow", "serve"]
