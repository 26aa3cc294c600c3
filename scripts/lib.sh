# Shared set-up for scripts/run and scripts/test (sourced, not run).
# Installs what is missing: PostgreSQL + PostGIS from the OS packages (unless
# DATABASE_URL points elsewhere), a Python >= 3.11 virtual environment in .venv
# with the project installed. Idempotent: a second run installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "installing OS packages needs root or sudo: $*"; fi
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand (Debian/Ubuntu expected)"
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
    APT_UPDATED=1
  fi
  say "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed"
}

pg_major() { ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -1; }

ensure_postgis() {
  if [ -n "${DATABASE_URL:-}" ]; then say "using DATABASE_URL; no local PostgreSQL needed"; return; fi
  local major; major="$(pg_major)"
  if [ -z "$major" ] || [ ! -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
    apt_install postgresql
    major="$(pg_major)"
  fi
  [ -n "$major" ] || die "PostgreSQL server not found after install"
  if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    apt_install "postgresql-$major-postgis-3"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    die "user 'postgres' is missing (the postgresql package creates it); reinstall postgresql-common"
  fi
}

ensure_venv() {
  local python="${PYTHON:-python3}"
  command -v "$python" >/dev/null 2>&1 || apt_install python3 python3-venv
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "Python >= 3.11 is needed; $("$python" --version 2>&1) found (set PYTHON=...)"
  "$python" -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  [ -x .venv/bin/python ] || { say "creating .venv"; "$python" -m venv .venv; }
  local stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "installing the project into .venv (first run takes a minute)"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null || die "pip upgrade failed"
    .venv/bin/python -m pip install -q -e ".[test]" || die "pip install failed"
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}

ensure_web() {
  command -v npm >/dev/null 2>&1 || apt_install nodejs npm
  local stamp="web/node_modules/.installed-$(sha256sum web/package-lock.json | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    say "installing the page JavaScript and map glyphs (Leaflet, MapLibre, Swagger UI, Noto Sans) from the npm registry"
    (cd web && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci in web/ failed"
    touch "$stamp"
  fi
}

# Reports: a CJK font (Chinese labels in PDFs, charts and browser screenshots) and
# Pango, which WeasyPrint lays PDF pages out with.
ensure_report_deps() {
  local missing=()
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family)" ] || missing+=(fontconfig fonts-wqy-microhei)
  ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

ensure_chromium() {
  command -v chromium >/dev/null 2>&1 || apt_install chromium
}

bootstrap() {
  ensure_postgis
  ensure_venv
  ensure_web
  ensure_report_deps
}
