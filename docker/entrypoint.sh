#!/bin/sh
# Brings the schema up to date, then runs the container's command (gunicorn by default).
# Migrations are idempotent. Django takes no lock: with several web containers, start one
# first after an upgrade (docs/operations.md).
set -eu
cd "$(dirname "$0")/.."
python manage.py migrate --no-input
exec "$@"
