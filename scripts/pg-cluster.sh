#!/bin/sh
# pg-cluster.sh — a throwaway PostgreSQL cluster for tests and `make demo-pg` (docs/scale.md).
# Usage: scripts/pg-cluster.sh start DIR   -> initdb into DIR/data, start it on a Unix socket in
#                                             DIR (no TCP), create database pinggu with C
#                                             collation, print its URL on stdout
#        scripts/pg-cluster.sh replica DIR -> start a streaming replica of it (port 5433, same
#                                             socket folder), print the replica's URL
#        scripts/pg-cluster.sh crash DIR   -> the primary stopped as by kill -9 (pg_ctl stop -m
#                                             immediate: no shutdown checkpoint, crash recovery
#                                             at the next start); DIR kept
#        scripts/pg-cluster.sh resume DIR  -> start the primary again (after crash)
#        scripts/pg-cluster.sh stop DIR    -> stop both (fast) and remove DIR
#        scripts/pg-cluster.sh psql DIR ARGS | dump DIR DATABASE -> psql, pg_dump on it
# Invariants: nothing outside DIR is touched; the server listens only on the socket in DIR, so
# the port (5432) names the socket file and cannot collide with another cluster; trust
# authentication (a private socket folder is the access control); run as root (the server runs
# as the postgres user via runuser) or as an ordinary user (the server runs as that user).
# Exit 1 with a clear message if PostgreSQL's binaries are not installed.
set -eu
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg-cluster.sh start|stop DIR" >&2; exit 64; }
bin=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
  [ -x "$d/initdb" ] && { bin=$d; break; }
done
if [ -z "$bin" ]; then
  command -v initdb >/dev/null 2>&1 && bin=$(dirname "$(command -v initdb)")
fi
if [ -z "$bin" ]; then
  echo "pg-cluster.sh: PostgreSQL server binaries not found (initdb); install the Debian package" \
       "postgresql (scripts/deps.sh check)" >&2
  exit 1
fi
as_pg() { # from / : the postgres user may not enter the caller's folder
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
port=5432
opts="-k $dir -p $port -c listen_addresses= -c fsync=off -c full_page_writes=off -c max_connections=200"
case "$cmd" in
start)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  chmod 700 "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        --lc-collate=C --lc-ctype=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "$opts" start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  as_pg "$bin/psql" -h "$dir" -p $port -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE pinggu TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'" \
        >/dev/null
  echo "postgresql:///pinggu?host=$dir&port=$port&user=postgres"
  ;;
replica)
  # a streaming replica of the cluster in DIR, on port 5433 in the same socket folder; prints
  # its URL (docs/scale.md: a report reader pointed at a second connection string). -c fast:
  # the backup starts after an immediate checkpoint; the default (spread) waits for
  # checkpoint_completion_target of checkpoint_timeout, 4.5 minutes of an idle test
  as_pg "$bin/pg_basebackup" -h "$dir" -p $port -U postgres -D "$dir/replica" -R -X stream -c fast \
        >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  as_pg "$bin/pg_ctl" -D "$dir/replica" -l "$dir/replica.log" -w -t 60 \
        -o "-k $dir -p 5433 -c listen_addresses= -c fsync=off -c hot_standby=on -c max_connections=200" \
        start >/dev/null || { cat "$dir/replica.log" >&2; exit 1; }
  echo "postgresql:///pinggu?host=$dir&port=5433&user=postgres"
  ;;
crash)
  as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
  ;;
resume)
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  ;;
stop)
  # PINGGU_PG_CPU=FILE: append the cluster's CPU seconds (the postmaster and every backend it
  # reaped: utime+stime+cutime+cstime of /proc/PID/stat) to FILE, to tell the server's share of
  # a suite's time from the client's (docs/scale.md)
  if [ -n "${PINGGU_PG_CPU:-}" ] && [ -f "$dir/data/postmaster.pid" ]; then
    pid=$(head -1 "$dir/data/postmaster.pid")
    awk -v t="$(getconf CLK_TCK)" -v d="$dir" '{ sub(/^.*\) /, ""); printf "postgres %s cpu %.1f s\n", d, ($12+$13+$14+$15)/t }' \
      "/proc/$pid/stat" >>"$PINGGU_PG_CPU" 2>/dev/null || true
  fi
  if [ -f "$dir/replica/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/replica" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
dump)
  as_pg "$bin/pg_dump" -h "$dir" -p $port -U postgres "$3"
  ;;
psql)
  shift 2
  as_pg "$bin/psql" -h "$dir" -p $port -U postgres "$@"
  ;;
*) echo "usage: pg-cluster.sh start|replica|crash|resume|stop|psql|dump DIR" >&2; exit 64 ;;
esac
