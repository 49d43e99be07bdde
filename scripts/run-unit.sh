#!/bin/sh
# run-unit.sh — runs each unit-test binary in its own process with a time limit (libuv's
# rule: one test's crash or hang never hides another's result). Exit 1 if any failed.
set -u
fail=0
for t in "$@"; do
  if timeout 600 "$t" >"$t.log" 2>&1; then
    printf 'unit  %-40s ok\n' "$(basename "$t")"
  else
    printf 'unit  %-40s FAILED\n' "$(basename "$t")"
    sed 's/^/      /' "$t.log" | tail -40
    fail=1
  fi
done
exit $fail
