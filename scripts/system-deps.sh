#!/usr/bin/env bash
# Installs the Debian packages the set-up needs, only those that are missing.
#   scripts/system-deps.sh build     -> compiler and libpq headers, to build psycopg2
#   scripts/system-deps.sh browser   -> Chromium, for the Playwright browser tests
#   scripts/system-deps.sh node      -> npm, to install axe-core for the browser tests
#   scripts/system-deps.sh messages  -> gettext, to check the Vietnamese catalogue
#   scripts/system-deps.sh deploy    -> docker-compose (validates docker-compose.yml without an
#                                       engine) and pg_dump/pg_restore, for the deployment tests
#   scripts/system-deps.sh bench     -> wrk, for bench/load.sh
#   scripts/system-deps.sh fonts     -> DejaVu Sans, the font of the PDF monthly report
#                                       (Vietnamese needs a TrueType font the PDF embeds)
set -euo pipefail

need=()
for what in "$@"; do
  case "$what" in
    build)
      command -v gcc >/dev/null || need+=(gcc)
      command -v pg_config >/dev/null || need+=(libpq-dev)
      python3 -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
        || need+=(python3-dev)
      python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
      ;;
    browser)
      [ -x /usr/bin/chromium ] || need+=(chromium)
      ;;
    node)
      command -v npm >/dev/null || need+=(npm)
      ;;
    messages)
      command -v xgettext >/dev/null && command -v msgfmt >/dev/null || need+=(gettext)
      ;;
    deploy)
      command -v docker-compose >/dev/null || need+=(docker-compose)
      { command -v pg_dump && command -v pg_restore; } >/dev/null || need+=(postgresql-client)
      ;;
    bench)
      command -v wrk >/dev/null || need+=(wrk)
      ;;
    fonts)
      [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
        && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || need+=(fonts-dejavu-core)
      ;;
    *) echo "unknown dependency set: $what" >&2; exit 2 ;;
  esac
done

[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
