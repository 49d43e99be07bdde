#!/bin/sh
# run.sh — runs every black-box test (tests/cli/t_*.sh) against the real binary $PINGGU,
# each in a fresh temporary directory. Exit 1 if any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${PINGGU:?set PINGGU to the pinggu binary}"
export PINGGU TESTS_DIR="$here" ROOT="$(cd "$here/../.." && pwd)"
export PINGGU_TODAY=2026-11-01 PINGGU_ACTOR=tester PINGGU_PROGRESS=0
# the checkpoint key (docs/audit.md) goes to a fresh folder per test, never into $HOME
unset PINGGU_KEY
fail=0
for t in "$here"/t_*.sh; do
  name=$(basename "$t" .sh)
  work=$(mktemp -d)
  mkdir "$work.cfg"
  if (cd "$work" && PINGGU_TEST_CONFIG="$work.cfg" XDG_CONFIG_HOME="$work.cfg" \
        timeout 900 sh "$t") >"$work.log" 2>&1; then
    printf 'cli   %-40s ok\n' "$name"
  else
    printf 'cli   %-40s FAILED\n' "$name"
    tail -40 "$work.log" | sed 's/^/      /'
    fail=1
  fi
  rm -rf "$work" "$work.log" "$work.cfg"
done
exit $fail
