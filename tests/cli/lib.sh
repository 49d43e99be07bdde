# lib.sh — helpers for black-box tests; sourced by each t_*.sh (which runs in a fresh
# temporary directory with $PINGGU set). It points the checkpoint key at a test folder.
set -eu
# Signed checkpoints need a key (docs/audit.md): keep it in a test folder, never in $HOME.
# run.sh passes PINGGU_TEST_CONFIG; a test run by hand gets a fresh folder outside its own.
if [ -z "${PINGGU_TEST_CONFIG:-}" ]; then PINGGU_TEST_CONFIG=$(mktemp -d); fi
export PINGGU_TEST_CONFIG XDG_CONFIG_HOME="$PINGGU_TEST_CONFIG"
unset PINGGU_KEY
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
