#!/bin/sh
# deps.sh — install the Debian packages pinggu needs, idempotently.
# Usage: scripts/deps.sh [build|check|fuzz|bench]   (default: build)
# Only packages that are missing are installed; a second run does nothing and says so.
set -eu
want="gcc make pkg-config libsqlite3-dev libjansson-dev libsodium-dev libxlsxwriter-dev libreadstat-dev libgsl-dev libmicrohttpd-dev"
case "${1:-build}" in
  build) ;;
  check) want="$want libcmocka-dev sqlite3 python3 unzip openssl" ;;
  fuzz)  want="$want clang libclang-rt-14-dev" ;;
  bench) want="$want sqlite3 nodejs npm time" ;;
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
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps.sh: missing Debian packages:$missing" >&2
  echo "deps.sh: run as root, or: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends $missing >&2
