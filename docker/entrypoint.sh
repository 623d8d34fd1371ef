#!/bin/sh
# Brings the schema up to date, then runs the container's command (gunicorn by default).
# Migrations are idempotent; with several web containers, the first to take the lock applies them.
set -eu
cd "$(dirname "$0")/.."
python manage.py migrate --no-input
exec "$@"
