#!/bin/sh
# run.sh — runs every black-box test (tests/cli/t_*.sh) against the real binary $PINGGU,
# each in a fresh temporary directory, printing each one's time (and the per-suite lines of
# the PostgreSQL pass, t_pg_suite_*.sh's "pg …"). Exit 1 if any failed. CLI_TESTS='t_pg*' runs
# only the tests matching that glob. Each failure's last lines are repeated at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${PINGGU:?set PINGGU to the pinggu binary}"
export PINGGU TESTS_DIR="$here" ROOT="$(cd "$here/../.." && pwd)"
export PINGGU_TODAY=2026-11-01 PINGGU_ACTOR=tester PINGGU_PROGRESS=0
# the checkpoint key (docs/audit.md) goes to a fresh folder per test, never into $HOME
unset PINGGU_KEY
fail=0
summary=$(mktemp)
# CLI_TESTS: a glob of the tests to run (default every t_*; `make check-pg`: t_pg*)
for t in "$here"/${CLI_TESTS:-t_*}.sh; do
  name=$(basename "$t" .sh)
  work=$(mktemp -d)
  mkdir "$work.cfg"
  t0=$(date +%s)
  if (cd "$work" && PINGGU_TEST_CONFIG="$work.cfg" XDG_CONFIG_HOME="$work.cfg" \
        timeout 900 sh "$t") >"$work.log" 2>&1; then
    printf 'cli   %-40s ok %6d s\n' "$name" $(($(date +%s) - t0))
    grep '^pg    ' "$work.log" | sed 's/^/  /' || true
  else
    printf 'cli   %-40s FAILED %2d s\n' "$name" $(($(date +%s) - t0))
    tail -40 "$work.log" | sed 's/^/      /'
    { printf '\ncli   %s FAILED — its last lines:\n' "$name"; tail -12 "$work.log" | cut -c1-300 | sed 's/^/      /'; } >>"$summary"
    fail=1
  fi
  rm -rf "$work" "$work.log" "$work.cfg"
done
# the failures again at the very end: CI shows only the end of the output
cat "$summary"
rm -f "$summary"
exit $fail
