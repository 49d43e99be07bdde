#!/bin/sh
# run-unit.sh — runs each unit-test binary in its own process with a time limit (libuv's
# rule: one test's crash or hang never hides another's result). Exit 1 if any failed.
# Each binary gets a fresh, empty XDG_CONFIG_HOME, as on a new machine: keys (the checkpoint
# key) are created by the tests, never read from the user's own configuration. A failure
# prints cmocka's verdict lines first (the failed assertion and the test's own messages),
# then the log's tail: a sanitizer report after a failed assertion must not push the reason
# out of view (CI shows only the end of the output).
set -u
fail=0
failed=""
for t in "$@"; do
  cfg=$(mktemp -d "${TMPDIR:-/tmp}/pinggu-unit-cfg-XXXXXX")
  if XDG_CONFIG_HOME=$cfg timeout 600 "$t" >"$t.log" 2>&1; then
    printf 'unit  %-40s ok\n' "$(basename "$t")"
  else
    printf 'unit  %-40s FAILED\n' "$(basename "$t")"
    sed 's/^/      /' "$t.log" | tail -40
    fail=1
    failed="$failed $t"
  fi
  rm -rf "$cfg"
done
for t in $failed; do
  printf '\nunit  %s FAILED — why (from %s.log):\n' "$(basename "$t")" "$t"
  grep -v '^\[ *\(RUN\|OK\) *\]' "$t.log" | grep -B2 -A2 -E '^\[ +(ERROR|LINE|FAILED) +\]|ERROR: AddressSanitizer|runtime error' \
    | head -30 | sed 's/^/      /'
done
exit $fail
