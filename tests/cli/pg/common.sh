# common.sh — sourced by the backend switch's wrappers (tests/cli/pg/pinggu, sqlite3, cp): a
# SQLite store path of a CLI test stands for a database of the test's PostgreSQL cluster
# ($PINGGU_PG_CLUSTER, scripts/pg-cluster.sh). The path holds a one-line marker naming the
# database ("pinggu-pg-test URL"), so `[ -f r.db ]`, `rm r.db` and the test's own reasoning about
# files keep working; the database name is derived from the absolute path (unique per test
# folder). Evidence and checkpoints stay where SQLite puts them: PATH.evidence, PATH.checkpoints.
pg_cluster=${PINGGU_PG_CLUSTER:?the backend switch needs PINGGU_PG_CLUSTER}
pg_root=${ROOT:?}
pg_abs() { realpath -m -- "$1"; }
pg_name() { printf 't_%s' "$(pg_abs "$1" | md5sum | cut -c1-16)"; }
pg_url() { printf 'postgresql:///%s?host=%s&port=5432&user=postgres' "$(pg_name "$1")" "$pg_cluster"; }
pg_is_marker() { [ -f "$1" ] && head -c 15 "$1" 2>/dev/null | grep -q "^pinggu-pg-test $"; }
pg_psql() { sh "$pg_root/scripts/pg-cluster.sh" psql "$pg_cluster" -qAt -v ON_ERROR_STOP=1 "$@"; }
# pg_create PATH [TEMPLATE-PATH]: a fresh database for PATH (dropping an older one), its marker
pg_create() {
  n=$(pg_name "$1")
  tpl="template0"
  [ -z "${2:-}" ] || tpl=$(pg_name "$2")
  pg_psql -d postgres -c "DROP DATABASE IF EXISTS $n" >/dev/null 2>&1
  pg_psql -d postgres -c "CREATE DATABASE $n TEMPLATE $tpl ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'" >/dev/null ||
    { echo "backend switch: cannot create database $n for $1" >&2; return 1; }
  printf 'pinggu-pg-test %s\n' "$(pg_url "$1")" > "$1"
}
