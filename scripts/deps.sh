#!/bin/sh
# deps.sh — install the Debian packages pinggu needs, idempotently.
# Usage: scripts/deps.sh [build|check|fuzz|bench]   (default: build)
# Only packages that are missing are installed; a second run does nothing and says so.
set -eu
want="gcc make pkg-config libsqlite3-dev libpq-dev libjansson-dev libyajl-dev libsodium-dev libxlsxwriter-dev libreadstat-dev libgsl-dev libxml2-dev libmicrohttpd-dev"
case "${1:-build}" in
  build) ;;
  check) want="$want libcmocka-dev sqlite3 postgresql python3 unzip openssl nodejs npm chromium fonts-noto-cjk" ;;
  fuzz)  want="$want clang libclang-rt-14-dev" ;;
  bench) want="$want sqlite3 nodejs npm time wrk nginx-light curl" ;;
  *) echo "deps.sh: unknown profile '$1' (build, check, fuzz, bench)" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # a command on PATH is good enough for tools (node, npm may come from elsewhere)
    case "$p" in nodejs) command -v node >/dev/null 2>&1 && continue ;; npm) command -v npm >/dev/null 2>&1 && continue ;; esac
    missing="$missing $p"
  fi
done
# ODK's packages (tests/xform, issue 12) need Node >= 20.19.3; Debian 12's nodejs is 18
node_ok() {
  case "${1:-build}" in check) ;; *) return 0 ;; esac
  v=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
  if ! node -e 'const [a,b,c]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&(b>19||(b==19&&c>=3)))?0:1)' 2>/dev/null; then
    echo "deps.sh: Node.js $v is too old: ODK's @getodk/xforms-engine needs Node >= 20.19.3" >&2
    echo "deps.sh: install Node 20.19+ or 22.12+ (e.g. Debian 13's nodejs, or NodeSource's node_20.x/node_22.x)" >&2
    exit 1
  fi
}
if [ -z "$missing" ]; then node_ok "${1:-build}"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "deps.sh: missing Debian packages:$missing" >&2
  echo "deps.sh: run as root, or: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends $missing >&2
node_ok "${1:-build}"
