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

command -v psql >/dev/null || { echo "restore.sh: psql not found (apt install postgresql-client)" >&2; exit 2; }

# pg_restore --clean cannot drop what the partitions of adoption_payment inherit from their
# parent (their primary keys): the restore script is made first (which also reads the whole
# dump, so a broken one changes nothing), then run in one transaction after the partitioned
# table, with its partitions, is dropped.
script=$(mktemp "${TMPDIR:-/tmp}/powerco-restore.XXXXXX.sql")
trap 'rm -f "$script"' EXIT
pg_restore --clean --if-exists --no-owner --no-privileges --file="$script" "$file"
psql --quiet --no-psqlrc --single-transaction -v ON_ERROR_STOP=1 --dbname="$target" \
  -c "DROP TABLE IF EXISTS public.adoption_payment CASCADE" -f "$script" >/dev/null
echo "restored $file"
