# lib.sh — helpers for black-box tests; sourced by each t_*.sh (which runs in a fresh
# temporary directory with $PINGGU set). It points the checkpoint key at a test folder.
set -eu
# Signed checkpoints need a key (docs/audit.md): keep it in a test folder, never in $HOME.
# run.sh passes PINGGU_TEST_CONFIG; a test run by hand gets a fresh folder outside its own.
if [ -z "${PINGGU_TEST_CONFIG:-}" ]; then PINGGU_TEST_CONFIG=$(mktemp -d); fi
export PINGGU_TEST_CONFIG XDG_CONFIG_HOME="$PINGGU_TEST_CONFIG"
unset PINGGU_KEY
# The backend switch (docs/scale.md): with PINGGU_PG_CLUSTER naming a running throwaway cluster
# (scripts/pg-cluster.sh; t_pg_suite_*.sh set it), every store path the test gives pinggu stands
# for a fresh database of that cluster, and sqlite3 and cp on such a path act on the database
# (tests/cli/pg/). Unset: nothing changes.
if [ -n "${PINGGU_PG_CLUSTER:-}" ] && [ -z "${PINGGU_REAL:-}" ]; then
  PINGGU_SQLITE3=$(command -v sqlite3 || echo /usr/bin/sqlite3)
  export PINGGU_REAL="$PINGGU" PINGGU="$TESTS_DIR/pg/pinggu" PINGGU_SQLITE3 PATH="$TESTS_DIR/pg:$PATH"
fi
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_status N cmd...: runs cmd, fails unless it exits with N; output in out.txt/err.txt
expect_status() {
  want=$1; shift
  set +e; "$@" >out.txt 2>err.txt; got=$?; set -e
  [ "$got" = "$want" ] || { cat out.txt err.txt >&2; fail "'$*' exited $got, expected $want"; }
}
# expect_grep PATTERN FILE: fails unless FILE has a line matching the extended regexp
expect_grep() { grep -qE -- "$1" "$2" || { cat "$2" >&2; fail "no line matching '$1' in $2"; }; }
expect_no_grep() { ! grep -qE -- "$1" "$2" || { cat "$2" >&2; fail "unexpected '$1' in $2"; }; }
