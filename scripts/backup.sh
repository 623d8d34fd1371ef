#!/usr/bin/env bash
# Dumps the database named by DATABASE_URL into one compressed custom-format file.
#   DATABASE_URL=postgres://user:pass@host:5432/powerco scripts/backup.sh [FILE]
# FILE defaults to backups/powerco-YYYYmmdd-HHMMSS.dump. Restore with scripts/restore.sh.
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the database to back up}"
case "$DATABASE_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac
command -v pg_dump >/dev/null || { echo "backup.sh: pg_dump not found (apt install postgresql-client)" >&2; exit 2; }

file=${1:-backups/powerco-$(date +%Y%m%d-%H%M%S).dump}
mkdir -p "$(dirname "$file")"
# Write beside the target and rename at the end: a failed dump never looks like a good one.
tmp="$file.partial"
trap 'rm -f "$tmp"' EXIT
pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file="$tmp"
mv "$tmp" "$file"
echo "$file"
