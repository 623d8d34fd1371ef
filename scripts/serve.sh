#!/usr/bin/env bash
# The web server and the worker side by side, in one command (`make demo`, `make run`):
# Ctrl-C, or either of them stopping, stops both.
#
#   scripts/serve.sh [HOST:PORT]        (default 127.0.0.1:8000; PY picks the Python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
HOST=${1:-127.0.0.1:8000}

# Each in a process group of its own, so stopping one stops everything it started (runserver's
# autoreloader runs the server in a child process).
setsid "$PY" manage.py run_huey &
worker=$!
setsid "$PY" manage.py runserver "$HOST" &
web=$!

stop() {
    trap - INT TERM EXIT
    kill -TERM -- "-$web" "-$worker" 2>/dev/null || true
    wait "$web" "$worker" 2>/dev/null || true
}
trap stop INT TERM EXIT

echo "Web server on http://$HOST/ (pid $web), worker (pid $worker). Ctrl-C stops both."
# Whichever stops first (or Ctrl-C), the trap stops the other.
wait -n "$web" "$worker" || true
