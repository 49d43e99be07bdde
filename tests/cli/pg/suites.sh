# suites.sh — sourced by t_pg_suite_*.sh (after lib.sh, with $suites set): issue 14's CLI
# suites run unchanged on PostgreSQL. One throwaway cluster (scripts/pg-cluster.sh) for them; each suite runs as tests/cli/run.sh runs it (a fresh
# folder and key folder), with PINGGU_PG_CLUSTER set, so lib.sh's backend switch turns every
# store path into a database of the cluster (tests/cli/pg/: `pinggu`, `sqlite3`, `cp`). Prints
# each suite's time; fails if any suite fails. PG_SUITES="t_a t_b" runs others. The suites not
# run here (they read or edit the SQLite file itself, or test SQLite-only behaviour) are listed
# with the reason in docs/scale.md.
cl=$(mktemp -d /tmp/pinggu-pg.XXXXXX)
trap 'st=$?; sh "$ROOT/scripts/pg-cluster.sh" stop "$cl"; exit $st' EXIT
sh "$ROOT/scripts/pg-cluster.sh" start "$cl" >/dev/null ||
  fail "could not start a PostgreSQL cluster (is the Debian package postgresql installed? scripts/deps.sh check)"
suites=${PG_SUITES:-$suites}
failed=
for t in $suites; do
  work=$(mktemp -d); mkdir "$work.cfg"
  t0=$(date +%s)
  if (cd "$work" && env -u PINGGU_REAL PINGGU_PG_CLUSTER="$cl" PINGGU_TEST_CONFIG="$work.cfg" \
        XDG_CONFIG_HOME="$work.cfg" timeout 900 sh "$TESTS_DIR/$t.sh") >"$work.log" 2>&1; then
    printf 'pg    %-34s ok     %4d s\n' "$t" $(($(date +%s) - t0))
  else
    printf 'pg    %-34s FAILED %4d s\n' "$t" $(($(date +%s) - t0))
    tail -30 "$work.log" | sed 's/^/      /'
    failed="$failed $t"
  fi
  # the suite's databases go with its folder
  for d in $(sh "$ROOT/scripts/pg-cluster.sh" psql "$cl" -d postgres -qAt -c "SELECT datname FROM pg_database WHERE datname LIKE 't\_%'"); do
    sh "$ROOT/scripts/pg-cluster.sh" psql "$cl" -d postgres -q -c "DROP DATABASE $d" >/dev/null 2>&1 || true
  done
  rm -rf "$work" "$work.log" "$work.cfg"
done
[ -z "$failed" ] || fail "on PostgreSQL:$failed"
