#!/usr/bin/env bash
# The whole suite twice: on SQLite, then on PostgreSQL (the test database is
# created by the run). PostgreSQL or Redis installed but stopped are started.
# Without PostgreSQL the second pass is an error under CI=true, a loud skip elsewhere.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/crm}
REDIS=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -u "$REDIS" ping 2>/dev/null | grep -q PONG; }

if ! pg_up && ls /etc/postgresql/* >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null; then
  echo "Starting PostgreSQL…"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
fi
if ! redis_up && command -v redis-server >/dev/null; then
  echo "Starting Redis…"
  mkdir -p /tmp/crm-redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /tmp/crm-redis \
    --logfile /tmp/crm-redis/redis.log || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
redis_up && export TEST_REDIS_URL="$REDIS"

status=0
echo "=== Test suite on SQLite ==="
DATABASE_URL="sqlite:///:memory:" $PY -m pytest "$@" || status=1

if pg_up; then
  echo "=== Test suite on PostgreSQL ==="
  DATABASE_URL="$PG_URL" $PY -m pytest "$@" || status=1
else
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: PostgreSQL is not reachable at 127.0.0.1:5432; the PostgreSQL pass cannot run." >&2
    status=1
  else
    echo "############################################################################" >&2
    echo "# WARNING: PostgreSQL is not reachable at 127.0.0.1:5432.                   #" >&2
    echo "# The PostgreSQL pass was SKIPPED. Install or start PostgreSQL to run it.   #" >&2
    echo "############################################################################" >&2
  fi
fi
exit $status
