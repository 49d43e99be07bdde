#!/bin/sh
# demo-pg.sh — `make demo-pg`: the demo round (scripts/demo.sh, unchanged) on PostgreSQL. A
# throwaway cluster is started (scripts/pg-cluster.sh), the demo's two stores become databases
# in it (round and monitor, C collation), their evidence folder and checkpoint file are named
# through PINGGU_EVIDENCE / PINGGU_CHECKPOINTS, and the cluster is removed at the end. The
# figures printed are the ones `make demo` prints on SQLite (docs/scale.md: what differs —
# paths, timings — and why). The output goes to demo-pg/ instead of demo/.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
cl=$(mktemp -d /tmp/pinggu-demo-pg.XXXXXX)
trap 'sh "$ROOT/scripts/pg-cluster.sh" stop "$cl"' EXIT
url=$(sh scripts/pg-cluster.sh start "$cl")
sh scripts/pg-cluster.sh psql "$cl" -d postgres -qAt -c \
  "CREATE DATABASE monitor TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
PGROUND=$url
PGMONITOR=$(echo "$url" | sed 's|///pinggu|///monitor|')
mkdir -p "$cl/files"
MONCP=$cl/files/monitor.checkpoints # its own: one file anchors one store
export PGROUND PGMONITOR MONCP PINGGU_EVIDENCE="$cl/files/evidence" PINGGU_CHECKPOINTS="$cl/files/round.checkpoints"
echo "PostgreSQL store: $PGROUND (monitor: $PGMONITOR)"
# the demo as shipped, its two store paths replaced by the two databases' URLs
sed -e "s|^cd \"\$(dirname \"\$0\")/..\"|cd \"$ROOT\"|" -e 's|^D=demo$|D=demo-pg|' \
    -e 's|\$D/round\.db|"$PGROUND"|g' -e 's|\$D/monitor\.db|"$PGMONITOR" --checkpoints "$MONCP"|g' \
    scripts/demo.sh > "$cl/files/demo.sh"
sh "$cl/files/demo.sh"
