# lib.sh — helpers for black-box tests; sourced by each t_*.sh (which runs in a fresh
# temporary directory with $PINGGU set).
set -eu
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
