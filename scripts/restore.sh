#!/usr/bin/env bash
# Restores a dump made by scripts/backup.sh into the database at TARGET_URL, replacing what
# it holds, in one transaction (a failed restore leaves the target as it was).
#   scripts/restore.sh FILE TARGET_URL
# The target database must exist (createdb); it may be empty. Stop the web app first.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: scripts/restore.sh FILE TARGET_URL" >&2
  exit 2
fi
file=$1 target=$2
[ -f "$file" ] || { echo "restore.sh: no such file: $file" >&2; exit 2; }
case "$target" in
  postgres://*|postgresql://*) ;;
  *) echo "restore.sh: TARGET_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac
command -v pg_restore >/dev/null || { echo "restore.sh: pg_restore not found (apt install postgresql-client)" >&2; exit 2; }

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --dbname="$target" "$file"
echo "restored $file"
