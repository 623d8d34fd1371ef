#!/usr/bin/env bash
# Load test: the production server (the image's gunicorn command, DEBUG off) on 127.0.0.1
# against the benchmark database, driven by wrk while logged in.
#
#   bench/load.sh                      # the benchmark database built by bench/metrics.py
#   BENCH_DATABASE_URL=postgres://... bench/load.sh
#   LOAD_ROLE=manager bench/load.sh    # logged in as a manager instead of a superuser
#   DURING=rebuild BENCH_DATABASE_URL=postgres://.../a_copy bench/load.sh
#                                      # while the worker runs a full rebuild (it writes the
#                                      # rollups: give it a copy of the benchmark database)
#
# Prints requests/s, p50 and p99 latency and errors per URL, and each URL's requests/s as a
# ratio of the constant view's (/healthz: no database, no session, the framework's ceiling),
# measured side by side in one run. Targets: no errors, p99 <= 300 ms.
# DURING=rebuild: `manage.py run_huey` runs beside the server on a queue of its own, a
# rebuild_rollups job is enqueued, and once its fill holds the fill lock the overview and
# /healthz are measured (64 connections by default), after the same measured without it (the
# baseline); the fill must still hold the lock when they are done. Targets: no errors nor
# timeouts, /healthz p99 <= 100 ms. The rebuild is then left to finish (its time is printed), so the copy is left filled.
set -euo pipefail
cd "$(dirname "$0")/.."

# The URLs under test. The chart JSON is the adoption chart as the overview page would redraw it:
# the URL in the page's data-chart-url, read from the page just before its run; like every chart
# request it takes the full checks (session, user, roles, branches, filters).
# CHART_URL=/some/path measures that path instead.
OVERVIEW_URL=${OVERVIEW_URL:-/}
CONSTANT_URL=${CONSTANT_URL:-/healthz}
CHART_URL=${CHART_URL:-}

DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/powerco_bench}
DURATION=${DURATION:-30s}
DURING=${DURING:-}
case "$DURING" in
  "") CONNECTIONS=${CONNECTIONS:-16} ;;
  rebuild) CONNECTIONS=${CONNECTIONS:-64} ;;
  *) echo "load.sh: DURING=rebuild or nothing" >&2; exit 2 ;;
esac
THREADS=${THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-2s}  # wrk's own default: a slower answer counts as a timeout
P99_TARGET_MS=300
CONSTANT_P99_DURING_MS=100
PY=${PYTHON:-.venv/bin/python}

die() { echo "load.sh: $*" >&2; exit 2; }
command -v wrk >/dev/null || die "wrk not found: scripts/system-deps.sh bench (Debian package wrk)"
[ -x "$PY" ] || die "no $PY: run make install first"

"$PY" - "$DATABASE_URL" <<'PY' || die "benchmark database not usable (see above). Build it with bench/metrics.py (bench/common.py makes powerco_bench), or set BENCH_DATABASE_URL."
import sys, psycopg2
try:
    conn = psycopg2.connect(sys.argv[1], connect_timeout=5)
except psycopg2.OperationalError as error:
    sys.exit(f"cannot connect to {sys.argv[1].rsplit('@', 1)[-1]}: {str(error).strip()}")
with conn.cursor() as cursor:
    cursor.execute("SELECT to_regclass('adoption_payment') IS NOT NULL")
    if not cursor.fetchone()[0]:
        sys.exit("the database has no powerco tables")
    cursor.execute("SELECT count(*) FROM adoption_payment")
    print(f"benchmark database: {sys.argv[1].rsplit('/', 1)[-1]}, {cursor.fetchone()[0]:,} payments")
PY

tmp=$(mktemp -d /tmp/powerco-load.XXXXXX)
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DJANGO_SETTINGS_MODULE=powerco.settings DATABASE_URL
export DEBUG=0 SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 DB_CONN_MAX_AGE=60
export STATIC_ROOT=$tmp/static GUNICORN_BIND=127.0.0.1:$port
# The server and the worker (DURING=rebuild) share a queue of their own.
export HUEY_SQLITE_PATH=$tmp/queue.sqlite3
export PATH="$(dirname "$PY"):$PATH"
unset DJANGO_ALLOW_ASYNC_UNSAFE

"$PY" manage.py migrate --check >/dev/null || die "the benchmark database has unapplied migrations: run manage.py migrate on it"
"$PY" manage.py collectstatic --no-input -v 0

# The Dockerfile's CMD, verbatim.
cmd=$("$PY" -c 'import json, re, sys; print(" ".join(json.loads(re.search(r"(?m)^CMD (\[.*\])", open("Dockerfile").read()).group(1))))')
$cmd >"$tmp/server.log" 2>&1 &
server=$!
forget_user() {
  # Leaves the benchmark database as it was found: no account, session or login record.
  "$PY" - "${session:-}" <<'PY' || true
import sys
import django
django.setup()
from axes.models import AccessLog
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session

Session.objects.filter(session_key=sys.argv[1]).delete()
AccessLog.objects.filter(username="load-bench").delete()
User.objects.filter(username="load-bench").delete()
PY
}
worker=""
cleanup() {
  kill "$server" ${worker:+"$worker"} 2>/dev/null; wait "$server" ${worker:+"$worker"} 2>/dev/null
  forget_user; rm -rf "$tmp"
}
trap cleanup EXIT

base=http://127.0.0.1:$port
for _ in $(seq 100); do
  "$PY" -c "import urllib.request; urllib.request.urlopen('$base$CONSTANT_URL', timeout=2)" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/server.log"; die "the server exited"; }
  sleep 0.3
done

# Log in through the real login form as a dedicated account (created on first use).
session=$("$PY" - "$base" <<'PY'
import http.cookiejar, os, re, secrets, sys, urllib.parse, urllib.request
import django
django.setup()
from django.contrib.auth.models import User

password = secrets.token_urlsafe(24)
from django.contrib.auth.models import Group
from adoption.choices import Role

user, _ = User.objects.get_or_create(username="load-bench")
user.is_active = True
# A superuser by default; LOAD_ROLE=manager measures a manager, whose pages also check roles
# and permissions.
user.is_superuser = os.environ.get("LOAD_ROLE", "superuser") != "manager"
user.groups.set([] if user.is_superuser else [Group.objects.get(name=Role.MANAGERS)])
user.set_password(password)
user.save()

base = sys.argv[1]
jar = http.cookiejar.CookieJar()
jar._policy.return_ok_secure = lambda cookie, request: True  # Secure cookies over loopback http
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = opener.open(base + "/accounts/login/").read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
form = {"username": user.username, "password": password, "csrfmiddlewaretoken": token}
opener.open(base + "/accounts/login/", urllib.parse.urlencode(form).encode())
print({c.name: c.value for c in jar}["sessionid"])
PY
)

# DURING=rebuild: whether the worker's fill holds the fill lock on this database right now.
fill_running() {
  "$PY" - <<'PY'
import django
django.setup()
from django.db import connection
from adoption.metrics.fill import FILL_LOCK

with connection.cursor() as cursor:
    cursor.execute(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
        " WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
        " AND (l.classid::bigint << 32 | l.objid::bigint) = %s",
        [FILL_LOCK],
    )
    print("yes" if cursor.fetchone()[0] else "no")
PY
}
start_rebuild() {
  LOG_LEVEL=WARNING "$PY" manage.py run_huey >"$tmp/worker.log" 2>&1 &
  worker=$!
  "$PY" -c 'import django; django.setup(); from adoption.tasks import rebuild_rollups; rebuild_rollups()'
  rebuild_started=$(date +%s)
  for _ in $(seq 600); do
    [ "$(fill_running)" = yes ] && break
    kill -0 "$worker" 2>/dev/null || { cat "$tmp/worker.log"; die "the worker exited"; }
    sleep 0.5
  done
  [ "$(fill_running)" = yes ] || die "the rebuild did not start within 5 minutes"
  echo "worker: a full rebuild (rebuild_rollups) holds the fill lock; measuring beside it"
}

status() {
  "$PY" - "$base$1" "$session" <<'PY'
import sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Cookie": f"sessionid={sys.argv[2]}"})
class NoRedirect(urllib.request.HTTPRedirectHandler):
    redirect_request = lambda *args: None
try:
    print(urllib.request.build_opener(NoRedirect).open(request, timeout=30).status)
except urllib.error.HTTPError as error:
    print(error.code)
PY
}

# The adoption chart's URL as the overview page links it.
page_chart_url() {
  "$PY" - "$base$OVERVIEW_URL" "$session" <<'PY'
import html, re, sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Cookie": f"sessionid={sys.argv[2]}"})
page = urllib.request.urlopen(request, timeout=60).read().decode()
print(html.unescape(re.search(r'id="adoption-chart".*?<canvas data-chart-url="([^"]+)"', page, re.S)[1]))
PY
}

# wrk's summary -> "rps p50_ms p99_ms errors"
summarise() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
    END { printf "%.1f %.1f %.1f %d\n", rps, p50, p99, errors }'
}

echo "server: gunicorn, $(nproc) cores, wrk $THREADS threads x $CONNECTIONS connections, $DURATION per URL, timeout $WRK_TIMEOUT"
names=(constant overview chart)
[ "$DURING" = rebuild ] && names=(constant overview)
declare -A url=([constant]=$CONSTANT_URL [overview]=$OVERVIEW_URL [chart]=$CHART_URL)
declare -A result

# Runs wrk on every URL; results under "$1/name".
measure() {
  local phase=$1 name code
  for name in "${names[@]}"; do
    if [ "$name" = chart ] && [ -z "$CHART_URL" ]; then
      url[chart]=$(page_chart_url) || { echo "no chart URL on $OVERVIEW_URL"; continue; }
    fi
    [ -n "${url[$name]:-}" ] || continue
    code=$(status "${url[$name]}")
    if [ "$code" != 200 ]; then
      echo "skipped $name ${url[$name]}: HTTP $code (not in this build?)"
      continue
    fi
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout "$WRK_TIMEOUT" --latency \
      -H "Cookie: sessionid=$session" "$base${url[$name]}" >"$tmp/wrk.out" 2>&1
    result[$phase/$name]=$(summarise <"$tmp/wrk.out")
    grep -E "Socket errors|Non-2xx" "$tmp/wrk.out" | sed "s|^ *|$phase $name: |" || true
  done
}

failed=0
# Prints the table of "$1"; with a second argument, checks the targets on it.
report() {
  local phase=$1 check=${2:-} name rps p50 p99 errors ratio target ceiling
  read -r ceiling _ <<<"${result[$phase/constant]:-0 0 0 0}"
  printf '\n%-16s %10s %9s %9s %7s %10s\n' "$phase" "req/s" "p50 ms" "p99 ms" errors "x constant"
  for name in "${names[@]}"; do
    [ -n "${result[$phase/$name]:-}" ] || continue
    read -r rps p50 p99 errors <<<"${result[$phase/$name]}"
    ratio=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
    printf '%-16s %10s %9s %9s %7s %10s\n' "$name" "$rps" "$p50" "$p99" "$errors" "$ratio"
    [ -n "$check" ] || continue
    [ "$errors" -eq 0 ] || { echo "  target missed: errors"; failed=1; }
    target=$P99_TARGET_MS
    if [ "$DURING" = rebuild ]; then
      # Beside a rebuild only /healthz has a latency target: the pages share two cores with it.
      [ "$name" = constant ] && target=$CONSTANT_P99_DURING_MS || target=""
    fi
    [ -n "$target" ] && awk -v p="$p99" -v t="$target" 'BEGIN { exit !(p > t) }' && { echo "  target missed: p99 > $target ms"; failed=1; }
  done
}

if [ "$DURING" = rebuild ]; then
  measure idle  # the baseline, in the same run
  start_rebuild
  measure rebuild
  still=$(fill_running)
  echo "the rebuild still held the fill lock when the measurements ended: $still"
  [ "$still" = yes ] || { echo "  not measured throughout a rebuild: run again"; failed=1; }
else
  measure load
fi

grep -E '(Traceback|ERROR)' "$tmp/server.log" && echo "server log above shows errors"
for name in "${names[@]}"; do
  [ -n "${url[$name]:-}" ] && echo "$name: ${url[$name]}"
done
if [ "$DURING" = rebuild ]; then
  report idle
  report rebuild check
  # SIGINT: huey lets the running job finish, then exits.
  echo "waiting for the rebuild to finish..."
  kill -INT "$worker"
  wait "$worker" || true
  worker=""
  echo "the rebuild (enqueued to done) took $(( $(date +%s) - rebuild_started )) s in the worker"
else
  report load check
  [ -n "${result[load/chart]:-}" ] || { echo "chart JSON not measured (see above)"; failed=1; }
fi
exit $failed
