#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at a PostgreSQL server for the tests:
#   1. DATABASE_URL as given;
#   2. PostgreSQL on 127.0.0.1:5432, if it answers;
#   3. a throwaway cluster made with initdb, if PostgreSQL is installed (removed afterwards);
#   4. otherwise SQLite, with a loud warning (refused under CI=true).
set -uo pipefail

py=${PYTHON:-.venv/bin/python}

answers() {
  "$py" - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg2
psycopg2.connect(sys.argv[1], connect_timeout=3).close()
PY
}

find_pg_bin() {
  for dir in $(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)") \
             $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

if [ -n "${DATABASE_URL:-}" ]; then
  echo "test database: DATABASE_URL as given"
elif answers "postgres://postgres@127.0.0.1:5432/postgres"; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  echo "test database: PostgreSQL on 127.0.0.1:5432"
elif pg_bin=$(find_pg_bin); then
  tmp=$(mktemp -d /tmp/powerco-pg.XXXXXX)
  port=${TEST_PG_PORT:-54329}
  run_pg=()
  # initdb refuses to run as root: the cluster belongs to the postgres user then.
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$tmp"; run_pg=(runuser -u postgres --); fi
  cleanup() { "${run_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1; rm -rf "$tmp"; }
  trap cleanup EXIT
  "${run_pg[@]}" "$pg_bin/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 >/dev/null || exit 1
  "${run_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w \
    -o "-k $tmp -p $port -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null || { cat "$tmp/log"; exit 1; }
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "test database: throwaway PostgreSQL cluster on port $port"
else
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: no PostgreSQL server found and none can be started; CI runs on PostgreSQL only." >&2
    exit 1
  fi
  export DATABASE_URL="sqlite:///$(mktemp -d)/test.sqlite3"
  echo "############################################################################"
  echo "## WARNING: no PostgreSQL found. Running on SQLite: PostgreSQL-only tests  ##"
  echo "## (COPY import, accent-insensitive search) are SKIPPED.                   ##"
  echo "############################################################################"
fi

"$@"
