# Foyer in a container: one process, SQLite on the /data volume (or PostgreSQL through
# DATABASE_URL). No Docker engine runs on the development machines, so
# tests/unit/test_dockerfile.py keeps this file honest: pinned base, non-root user, the same
# install command as the Makefile, a HEALTHCHECK on the gateway heartbeat.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/foyer.db \
    HEARTBEAT_FILE=/data/heartbeat \
    MPLCONFIGDIR=/tmp/matplotlib

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin foyer \
    && mkdir /data \
    && chown foyer:foyer /data

WORKDIR /app
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY bot ./bot
COPY cogs ./cogs
# The Makefile's INSTALL line, without the dev extras. Editable, like the Makefile; the
# migrations ship inside the package (bot/db/migrations).
RUN pip install --no-cache-dir -c constraints.txt -e .

USER foyer
VOLUME /data

# `foyer status` fails when the bot has not refreshed /data/heartbeat for HEARTBEAT_MAX_AGE
# seconds (default 180): not connected to the gateway, or stuck.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["foyer", "status"]

# `foyer run` upgrades the schema (the same as `foyer migrate`) before it connects, so the
# migrations always run before the bot starts. It handles SIGTERM: `docker stop` flushes
# buffered records and closes the database.
CMD ["foyer", "run"]
